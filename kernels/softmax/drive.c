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

/* The loss terms of a thread's rows, sum of offset - log(factor): the
 * factors are multiplied in double with the exponent taken out every
 * RENORMALISE rows (factors lie in [2^-126, 2^128], so up to seven never
 * overflow or underflow a double), and one log is taken at the end. */
enum { RENORMALISE = 4 };

typedef struct loss_sum {
    double product, offsets;
    int64_t exponent, rows;
} loss_sum;

/* frexp by the bits (the product is a normal double): the exponent out,
 * the mantissa into [0.5, 1). A libm call here was a fifth of a 10-class
 * row's time. */
static inline void renormalise(loss_sum *l) {
    uint64_t bits;
    memcpy(&bits, &l->product, sizeof bits);
    l->exponent += (int64_t)((bits >> 52) & 0x7ff) - 1022;
    bits = (bits & ~(UINT64_C(0x7ff) << 52)) | (UINT64_C(1022) << 52);
    memcpy(&l->product, &bits, sizeof bits);
    l->rows = 0;
}

static inline void loss_add(loss_sum *l, kb_softmax_loss_part part) {
    l->product *= part.factor;
    l->offsets += part.offset;
    if (++l->rows == RENORMALISE) renormalise(l);
}

/* The groups' lanes into the sum: products in [1, 2), one at a time. */
static inline void loss_add_lanes(loss_sum *l, const kb_softmax_group_loss *lanes) {
    for (int i = 0; i < 8; i++) {
        l->product *= lanes->product[i];
        l->offsets += lanes->offset[i];
        l->exponent += lanes->exponent[i];
        renormalise(l);
    }
}

/* Rows [begin, end); with a group function, the rows from the first index
 * divisible by 8 on go eight at a time (softmax.h). */
static double fwd_rows(const kb_softmax_rows *r, kb_softmax_fwd_row_fn *row,
                       kb_softmax_fwd_group_fn *group, int64_t begin, int64_t end) {
    loss_sum l = {.product = 1.0};
    int64_t n = begin;
    if (group) {
        for (; n < end && n % 8 != 0; n++) loss_add(&l, row(r, n));
        kb_softmax_group_loss lanes = {.product = {1, 1, 1, 1, 1, 1, 1, 1}};
        while (n + 8 <= end) {
            const int64_t left = (end - n) / 8;
            const int groups = left < KB_SOFTMAX_GROUPS_PER_CALL ? (int)left
                                                                 : KB_SOFTMAX_GROUPS_PER_CALL;
            group(r, n, groups, &lanes);
            n += 8 * groups;
        }
        if (r->loss) loss_add_lanes(&l, &lanes);
    }
    for (; n < end; n++) loss_add(&l, row(r, n));
    if (r->stream || r->stream_groups) _mm_sfence(); /* streaming stores are weakly ordered */
    return l.offsets - (log(l.product) + (double)l.exponent * M_LN2);
}

/* Whether a call is over core/stream.h's threshold (fwd: x and y; bwd: y
 * and dx; the labels are left out). */
static bool call_streams(const kb_softmax_shape *s) {
    return kb_stream_output(2 * (size_t)(s->batch * s->classes) * sizeof(float));
}

/* Whether single rows go out through streaming stores: rows long enough
 * (KB_SOFTMAX_STREAM_MIN_CLASSES) in a call over the threshold. */
static bool rows_stream(const kb_softmax_shape *s) {
    return s->classes >= KB_SOFTMAX_STREAM_MIN_CLASSES && call_streams(s);
}

/* Rows [begin, end) of thread `tid` of `threads`: contiguous, sizes differ
 * by at most one. */
static void thread_rows(int64_t rows, int threads, int tid, int64_t *begin, int64_t *end) {
    const int64_t base = rows / threads, extra = rows % threads;
    *begin = tid * base + (tid < extra ? tid : extra);
    *end = *begin + base + (tid < extra ? 1 : 0);
}

/* Whether the rows go eight at a time: a group function and rows short
 * enough. Then fills `lane_row` (KB_SOFTMAX_GROUP_MAX_CLASSES * 8 entries)
 * and sets r->lane_row and r->stream_groups: a group is whole vectors, so it
 * streams from any 32-byte aligned output, rows of any length. */
static bool use_groups(kb_softmax_rows *r, bool have_group, const float *out,
                       int32_t *lane_row) {
    const kb_softmax_shape *s = r->shape;
    if (!have_group || s->classes > KB_SOFTMAX_GROUP_MAX_CLASSES || s->batch < 8) return false;
    for (int32_t i = 0, row = 0, column = 0; i < 8 * (int32_t)s->classes; i++) {
        lane_row[i] = row;
        if (++column == s->classes) row++, column = 0;
    }
    r->lane_row = lane_row;
    r->stream_groups = kb_aligned32(out) && call_streams(s);
    return true;
}

kb_status kb_softmax_fwd_drive(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, void *workspace,
                               kb_softmax_fwd_row_fn *row, kb_softmax_fwd_group_fn *group) {
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
    int32_t lane_row[KB_SOFTMAX_GROUP_MAX_CLASSES * 8] __attribute__((aligned(32)));
    if (!use_groups(&r, group != NULL, r.y, lane_row)) group = NULL;
    double *slots = workspace;
    assert(slots);
    const int threads = ctx->threads > 0 ? ctx->threads : 1;
    memset(slots, 0, (size_t)threads * SLOT_STRIDE * sizeof *slots);
    int used = 1;
    if (threads == 1) { /* a parallel region of one still costs a team */
        slots[0] = fwd_rows(&r, row, group, 0, s->batch);
    } else {
#pragma omp parallel num_threads(threads)
        {
            const int tid = omp_get_thread_num(), count = omp_get_num_threads();
            if (tid == 0) used = count;
            int64_t begin, end;
            thread_rows(s->batch, count, tid, &begin, &end);
            slots[tid * SLOT_STRIDE] = fwd_rows(&r, row, group, begin, end);
        }
    }
    if (xent) {
        double loss = 0.0;
        for (int t = 0; t < used; t++) loss += slots[t * SLOT_STRIDE];
        args->tensor[KB_ARG_LOSS][0] = (float)(loss / (double)s->batch);
    }
    return KB_OK;
}

/* Row n alone: its class from the labels, or t = -1 for a row function that
 * takes the argmax of a one-hot row itself. */
static inline void bwd_row(const kb_softmax_rows *r, kb_softmax_bwd_row_fn *row,
                           bool argmax_in_row, int64_t n) {
    const kb_softmax_shape *s = r->shape;
    row(r, n, s->one_hot && argmax_in_row ? -1 : kb_softmax_label(s, r->labels, n));
}

static void bwd_rows(const kb_softmax_rows *r, kb_softmax_bwd_row_fn *row,
                     kb_softmax_bwd_group_fn *group, bool argmax_in_row, int64_t begin,
                     int64_t end) {
    int64_t n = begin;
    if (group) {
        for (; n < end && n % 8 != 0; n++) bwd_row(r, row, argmax_in_row, n);
        const int64_t groups = (end - n) / 8;
        if (groups > 0) group(r, n, groups);
        n += 8 * groups;
    }
    for (; n < end; n++) bwd_row(r, row, argmax_in_row, n);
    if (r->stream || r->stream_groups) _mm_sfence(); /* streaming stores are weakly ordered */
}

kb_status kb_softmax_bwd_drive(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, kb_softmax_bwd_row_fn *row,
                               kb_softmax_bwd_group_fn *group, bool argmax_in_row) {
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
    int32_t lane_row[KB_SOFTMAX_GROUP_MAX_CLASSES * 8] __attribute__((aligned(32)));
    if (!use_groups(&r, group != NULL, r.dx, lane_row)) group = NULL;
    const int threads = ctx->threads > 0 ? ctx->threads : 1;
    if (threads == 1) {
        bwd_rows(&r, row, group, argmax_in_row, 0, s->batch);
    } else {
#pragma omp parallel num_threads(threads)
        {
            int64_t begin, end;
            thread_rows(s->batch, omp_get_num_threads(), omp_get_thread_num(), &begin, &end);
            bwd_rows(&r, row, group, argmax_in_row, begin, end);
        }
    }
    return KB_OK;
}
