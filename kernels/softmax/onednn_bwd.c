/* softmax_xent backward, oneDNN: oneDNN has no softmax-with-loss backward.
 * Its softmax_backward primitive computes dX = Y * (dY - sum(dY * Y)) from a
 * dY, which here would be -T / (N Y): an extra N x M tensor to build and
 * read, and a division by Y that is inexact (inf where Y underflowed). So
 * this variant runs what oneDNN does offer for the memory-bound part:
 *   1. the eltwise_linear primitive, dX = (1/N) * Y (one read of Y, one write
 *      of dX, oneDNN's jit), then
 *   2. in C, the N label elements dX[n, t_n] = (y_t - 1) * (1/N) (argmax of
 *      the label rows in C when one-hot).
 * Error: y * fl(1/N) and (y - 1) * fl(1/N), <= 3u (|y| + |t|)/N (problem.c).
 * prepare() (untimed) builds the primitive; run() (timed) binds, executes,
 * waits, fixes the label elements. Threads: oneDNN uses
 * omp_get_max_threads(); the fix-up runs on ctx->threads. */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/onednn.h"
#include "kernbench/variant.h"
#include "softmax/softmax.h"

typedef struct bwd_state {
    kb_onednn dnnl;
    int linear;
    kb_onednn_tensor y, dx;
} bwd_state;
_Static_assert(offsetof(bwd_state, dnnl) == 0, "kb_onednn must lead the state");

static void bwd_release(void *state) {
    bwd_state *st = state;
    if (!st) return;
    kb_onednn_tensor_destroy(&st->y);
    kb_onednn_tensor_destroy(&st->dx);
    kb_onednn_destroy(&st->dnnl);
    free(st);
}

static kb_status bwd_prepare(const kb_problem *problem, const kb_args *args,
                             const kb_context *ctx, void **state_out) {
    (void)args, (void)ctx;
    assert(problem->kernel == KB_KERNEL_SOFTMAX_XENT && problem->direction == KB_DIR_BWD);
    *state_out = NULL;
    bwd_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    kb_status status = KB_OK;
    dnnl_primitive_desc_t pd = NULL;
    const dnnl_dims_t dims = {problem->softmax.batch, problem->softmax.classes};
    dnnl_memory_desc_t md;
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md, 2, dims, dnnl_f32, dnnl_ab));
    KB_ONEDNN_TRY(kb_onednn_init(&st->dnnl));
    {
        dnnl_eltwise_desc_t desc;
        KB_DNNL_TRY(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_inference,
                                                   dnnl_eltwise_linear, &md,
                                                   1.0f / (float)problem->softmax.batch, 0.0f));
        KB_ONEDNN_TRY(kb_onednn_pd_create(&desc, st->dnnl.attr, st->dnnl.engine, NULL, &pd));
    }
    kb_onednn_set_impl(&st->dnnl, pd);
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->y, &md, &md, false));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, pd, &st->linear));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->dx, &md, &md, true));
    KB_ONEDNN_TRY(kb_onednn_commit(&st->dnnl));
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (status != KB_OK) {
        bwd_release(st);
        return status;
    }
    *state_out = st;
    return KB_OK;
}

/* dx[n, t_n] = (y_t - 1) * (1/N). */
static inline void fix_label(const kb_softmax_shape *s, const float *y, const float *labels,
                             float *dx, int64_t n) {
    const int64_t i = n * s->classes + kb_softmax_label(s, labels, n);
    dx[i] = (y[i] - 1.0f) * (1.0f / (float)s->batch);
}

static kb_status onednn_bwd(const kb_problem *problem, const kb_args *args,
                            const kb_context *ctx, void *state, void *workspace) {
    (void)workspace;
    assert(state);
    bwd_state *st = state;
    const kb_softmax_shape *s = &problem->softmax;
    float *y = args->tensor[KB_ARG_DST], *dx = args->tensor[KB_ARG_DIFF_SRC];
    const float *labels = args->tensor[KB_ARG_LABELS];
    assert(y && dx && labels);
    if (!s->one_hot && !kb_softmax_index_labels_valid(s, labels)) return KB_ERR_INVALID;
    kb_status status = KB_OK;
    KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->y, y));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->dx, dx));
    {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, st->y.prim}, {DNNL_ARG_DST, st->dx.prim}};
        KB_ONEDNN_TRY(kb_onednn_execute(&st->dnnl, st->linear, 2, a));
    }
    KB_DNNL_TRY(dnnl_stream_wait(st->dnnl.stream));
    if (ctx->threads > 1) {
#pragma omp parallel for num_threads(ctx->threads) schedule(static)
        for (int64_t n = 0; n < s->batch; n++) fix_label(s, y, labels, dx, n);
    } else { /* a parallel region of one still costs a team (~1 us) */
        for (int64_t n = 0; n < s->batch; n++) fix_label(s, y, labels, dx, n);
    }
fail:
    return status;
}

const kb_variant kb_softmax_xent_bwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_SOFTMAX_XENT,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN eltwise_linear dx = y/N, then the N label elements in C",
    .prepare = bwd_prepare,
    .run = onednn_bwd,
    .release = bwd_release,
    .isa_used = kb_onednn_isa_used,
};
