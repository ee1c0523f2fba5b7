/* pool2d backward, oneDNN: the library's pooling backward primitive (oneDNN
 * 2.6 C API).
 *
 * prepare() (untimed) builds a forward_training pooling primitive (the hint
 * backward needs), the backward primitive, and the reorders between the
 * user's NCHW tensors and the primitive's layout. Average pooling's backward
 * reads diff_dst only: run() (timed) reorders diff_dst in, runs the
 * backward, reorders diff_src back.
 *
 * Max pooling's backward reads the workspace a forward_training run writes
 * (where each window's maximum is), not src: oneDNN has no way to find the
 * maxima from src in its backward pass. kernbench's max bwd takes src and
 * diff_dst, so run() executes the forward first, from the current src, into
 * a dst and a workspace the state owns, and then the backward: its time
 * includes that forward (src read, dst and workspace written). The
 * hand-written variants pay for the same search, inside their backward pass.
 * Policies, declined shapes and the blocked layout (reorders of diff_dst,
 * diff_src and, for max, src timed): as the forward variant, onednn.c; the
 * same measurement gave backward 4.9 vs 2.1 GB/s on resnet_50:pool1 and 11.4
 * vs 2.6 on l2:max2x2s2 (blocked vs NCHW given, 1 thread). */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

#include "kernbench/variant.h"
#include "pool2d/onednn_common.h"

typedef struct bwd_state {
    kb_onednn dnnl;                      /* engine, stream, steps, scratchpad, impl string */
    int forward, backward;               /* steps; forward is -1 for avg */
    kb_onednn_tensor src;                /* max: the forward's input */
    kb_onednn_tensor diff_dst, diff_src; /* reordered in / out on the blocked layout */
    dnnl_memory_t dst, workspace;        /* max: the forward's outputs, owned by the state */
} bwd_state;
/* kb_onednn_isa_used reads the state as its leading kb_onednn. */
_Static_assert(offsetof(bwd_state, dnnl) == 0, "kb_onednn must lead the state");

static void bwd_release(void *state) {
    bwd_state *st = state;
    if (!st) return;
    kb_onednn_tensor_destroy(&st->src);
    kb_onednn_tensor_destroy(&st->diff_dst);
    kb_onednn_tensor_destroy(&st->diff_src);
    if (st->dst) dnnl_memory_destroy(st->dst);
    if (st->workspace) dnnl_memory_destroy(st->workspace);
    kb_onednn_destroy(&st->dnnl);
    free(st);
}

static kb_status bwd_prepare(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                             void **state_out) {
    (void)args, (void)ctx; /* threads come from omp_get_max_threads(), set by the caller */
    assert(problem && state_out);
    assert(problem->kernel == KB_KERNEL_POOL2D && problem->direction == KB_DIR_BWD);
    *state_out = NULL;
    bwd_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    st->forward = -1;
    st->src.reorder = st->diff_dst.reorder = st->diff_src.reorder = -1;
    kb_status status = KB_OK;
    dnnl_primitive_desc_t forward_pd = NULL, pd = NULL; /* prepare-only */
    const bool max = problem->pool2d.algorithm == KB_POOL_MAX;
    kb_onednn_pool d;
    KB_ONEDNN_TRY(kb_onednn_pool_init(&problem->pool2d, &d));
    KB_ONEDNN_TRY(kb_onednn_init(&st->dnnl));
    KB_ONEDNN_TRY(kb_onednn_pool_fwd_pd(st->dnnl.engine, &d, dnnl_forward_training, st->dnnl.attr,
                                        &forward_pd));
    {
        /* diff_src in the forward's src layout, diff_dst in its dst layout. */
        const dnnl_memory_desc_t *src_md =
            dnnl_primitive_desc_query_md(forward_pd, dnnl_query_src_md, 0);
        const dnnl_memory_desc_t *dst_md =
            dnnl_primitive_desc_query_md(forward_pd, dnnl_query_dst_md, 0);
        dnnl_pooling_desc_t desc;
        KB_DNNL_TRY(dnnl_pooling_backward_desc_init(&desc, d.algorithm, src_md, dst_md, d.strides,
                                                    d.kernel, d.pad_l, d.pad_r));
        KB_ONEDNN_TRY(kb_onednn_pd_create(&desc, st->dnnl.attr, st->dnnl.engine, forward_pd, &pd));
    }
    kb_onednn_set_impl(&st->dnnl, pd);
    /* Step order is run order: (max: src reorder, forward), diff_dst reorder,
     * backward, diff_src reorder. */
    if (max) {
        KB_ONEDNN_TRY(kb_onednn_tensor_init(
            &st->dnnl, &st->src, &d.src,
            dnnl_primitive_desc_query_md(forward_pd, dnnl_query_src_md, 0), false));
        KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, forward_pd, &st->forward));
        KB_DNNL_TRY(dnnl_memory_create(
            &st->dst, dnnl_primitive_desc_query_md(forward_pd, dnnl_query_dst_md, 0),
            st->dnnl.engine, DNNL_MEMORY_ALLOCATE));
        KB_DNNL_TRY(dnnl_memory_create(
            &st->workspace, dnnl_primitive_desc_query_md(forward_pd, dnnl_query_workspace_md, 0),
            st->dnnl.engine, DNNL_MEMORY_ALLOCATE));
    }
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->diff_dst, &d.dst,
                                        dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0),
                                        false));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, pd, &st->backward));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->diff_src, &d.src,
                                        dnnl_primitive_desc_query_md(pd, dnnl_query_diff_src_md, 0),
                                        true));
    KB_ONEDNN_TRY(kb_onednn_commit(&st->dnnl));
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (forward_pd) dnnl_primitive_desc_destroy(forward_pd);
    if (status != KB_OK) {
        bwd_release(st);
        return status;
    }
    *state_out = st;
    return KB_OK;
}

static kb_status bwd_run(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                         void *state, void *workspace) {
    (void)ctx, (void)workspace;
    assert(problem && args && state);
    assert(args->tensor[KB_ARG_DIFF_DST] && args->tensor[KB_ARG_DIFF_SRC]);
    bwd_state *st = state;
    kb_status status = KB_OK;
    /* The args' buffers may move between calls: rebind every time. */
    if (st->forward >= 0) { /* max: the workspace from the current src */
        assert(args->tensor[KB_ARG_SRC]);
        KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->src, args->tensor[KB_ARG_SRC]));
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, st->src.prim},
                                     {DNNL_ARG_DST, st->dst},
                                     {DNNL_ARG_WORKSPACE, st->workspace}};
        KB_ONEDNN_TRY(kb_onednn_execute(&st->dnnl, st->forward, 3, a));
    }
    KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->diff_dst, args->tensor[KB_ARG_DIFF_DST]));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->diff_src, args->tensor[KB_ARG_DIFF_SRC]));
    {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_DIFF_DST, st->diff_dst.prim},
                                     {DNNL_ARG_DIFF_SRC, st->diff_src.prim},
                                     {DNNL_ARG_WORKSPACE, st->workspace}};
        KB_ONEDNN_TRY(kb_onednn_execute(&st->dnnl, st->backward, st->workspace ? 3 : 2, a));
    }
    KB_ONEDNN_TRY(kb_onednn_tensor_out(&st->dnnl, &st->diff_src));
    KB_DNNL_TRY(dnnl_stream_wait(st->dnnl.stream));
fail:
    (void)problem;
    return status;
}

const kb_variant kb_pool2d_bwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_POOL2D,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN 2.x pooling backward; max runs forward_training first for the workspace",
    .supports = kb_onednn_pool_supports,
    .prepare = bwd_prepare,
    .run = bwd_run,
    .release = bwd_release,
    .isa_used = kb_onednn_isa_used, /* the state starts with its kb_onednn */
};
