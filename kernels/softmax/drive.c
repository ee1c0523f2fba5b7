/* The softmax row drivers (softmax.h): label validation, rows split over the
 * threads, the race-free loss reduction. Portable C: the row functions carry
 * the ISA. */
#include <assert.h>
#include <math.h>
#include <omp.h>
#include <string.h>
#include <xmmintrin.h> /* _mm_sfence: x86-64 baseline */

#include "core/stream.h"
#include "softmax/softmax.h"

/* One loss slot per thread, a cache line apart (written once per run). */
enum { SLOT_STRIDE = 8 };

size_t kb_softmax_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    (void)problem;
    return (size_t)(ctx->threads > 0 ? ctx->threads : 1) * SLOT_STRIDE * sizeof(double);
}

/* The loss terms of rows [begin, end), sum of offset - log(factor): the
 * factors are multiplied in double with the exponent taken out every
 * RENORMALISE rows (factors lie in [2^-126, 2^128], so four never overflow
 * or underflow a double), and one log is taken at the end. */
enum { RENORMALISE = 4 };

static double fwd_rows(const kb_softmax_rows *r, kb_softmax_fwd_row_fn *row, int64_t begin,
                       int64_t end) {
    double product = 1.0, offsets = 0.0;
    int64_t exponent = 0;
    for (int64_t n = begin; n < end; n++) {
        const kb_softmax_loss_part part = row(r, n);
        product *= part.factor;
        offsets += part.offset;
        if ((n - begin) % RENORMALISE == RENORMALISE - 1) {
            int e;
            product = frexp(product, &e);
            exponent += e;
        }
    }
    if (r->stream) _mm_sfence(); /* the rows' streaming stores are weakly ordered */
    return offsets - (log(product) + (double)exponent * M_LN2);
}

/* Whether the output goes out through streaming stores: rows long enough
 * (KB_SOFTMAX_STREAM_MIN_CLASSES) and a call over core/stream.h's threshold
 * (fwd: x and y; bwd: y and dx; the labels are left out). */
static bool rows_stream(const kb_softmax_shape *s) {
    return s->classes >= KB_SOFTMAX_STREAM_MIN_CLASSES &&
           kb_stream_output(2 * (size_t)(s->batch * s->classes) * sizeof(float));
}

/* Rows [begin, end) of thread `tid` of `threads`: contiguous, sizes differ
 * by at most one. */
static void thread_rows(int64_t rows, int threads, int tid, int64_t *begin, int64_t *end) {
    const int64_t base = rows / threads, extra = rows % threads;
    *begin = tid * base + (tid < extra ? tid : extra);
    *end = *begin + base + (tid < extra ? 1 : 0);
}

kb_status kb_softmax_fwd_drive(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, void *workspace,
                               kb_softmax_fwd_row_fn *row) {
    assert(problem->direction == KB_DIR_FWD);
    const kb_softmax_shape *s = &problem->softmax;
    const bool xent = problem->kernel == KB_KERNEL_SOFTMAX_XENT;
    kb_softmax_rows r = {
        .shape = s,
        .x = args->tensor[KB_ARG_SRC],
        .labels = xent ? args->tensor[KB_ARG_LABELS] : NULL,
        .y = args->tensor[KB_ARG_DST],
        .loss = xent,
        /* fwd streams only rows whose exps fit the scratch */
        .stream = rows_stream(s) && s->classes <= KB_SOFTMAX_SCRATCH,
    };
    assert(r.x && r.y && (!xent || (r.labels && args->tensor[KB_ARG_LOSS])));
    if (xent && !s->one_hot && !kb_softmax_index_labels_valid(s, r.labels))
        return KB_ERR_INVALID;
    double *slots = workspace;
    assert(slots);
    const int threads = ctx->threads > 0 ? ctx->threads : 1;
    memset(slots, 0, (size_t)threads * SLOT_STRIDE * sizeof *slots);
    int used = 1;
    if (threads == 1) { /* a parallel region of one still costs a team */
        slots[0] = fwd_rows(&r, row, 0, s->batch);
    } else {
#pragma omp parallel num_threads(threads)
        {
            const int tid = omp_get_thread_num(), count = omp_get_num_threads();
            if (tid == 0) used = count;
            int64_t begin, end;
            thread_rows(s->batch, count, tid, &begin, &end);
            slots[tid * SLOT_STRIDE] = fwd_rows(&r, row, begin, end);
        }
    }
    if (xent) {
        double loss = 0.0;
        for (int t = 0; t < used; t++) loss += slots[t * SLOT_STRIDE];
        args->tensor[KB_ARG_LOSS][0] = (float)(loss / (double)s->batch);
    }
    return KB_OK;
}

static void bwd_rows(const kb_softmax_rows *r, kb_softmax_bwd_row_fn *row, bool argmax_in_row,
                     int64_t begin, int64_t end) {
    const kb_softmax_shape *s = r->shape;
    for (int64_t n = begin; n < end; n++)
        row(r, n, s->one_hot && argmax_in_row ? -1 : kb_softmax_label(s, r->labels, n));
    if (r->stream) _mm_sfence(); /* the rows' streaming stores are weakly ordered */
}

kb_status kb_softmax_bwd_drive(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, kb_softmax_bwd_row_fn *row,
                               bool argmax_in_row) {
    assert(problem->kernel == KB_KERNEL_SOFTMAX_XENT && problem->direction == KB_DIR_BWD);
    const kb_softmax_shape *s = &problem->softmax;
    kb_softmax_rows r = {
        .shape = s,
        .labels = args->tensor[KB_ARG_LABELS],
        .y_in = args->tensor[KB_ARG_DST],
        .dx = args->tensor[KB_ARG_DIFF_SRC],
        .stream = rows_stream(s),
    };
    assert(r.labels && r.y_in && r.dx);
    if (!s->one_hot && !kb_softmax_index_labels_valid(s, r.labels)) return KB_ERR_INVALID;
    const int threads = ctx->threads > 0 ? ctx->threads : 1;
    if (threads == 1) {
        bwd_rows(&r, row, argmax_in_row, 0, s->batch);
    } else {
#pragma omp parallel num_threads(threads)
        {
            int64_t begin, end;
            thread_rows(s->batch, omp_get_num_threads(), omp_get_thread_num(), &begin, &end);
            bwd_rows(&r, row, argmax_in_row, begin, end);
        }
    }
    return KB_OK;
}
