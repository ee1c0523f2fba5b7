/* pool2d forward, oneDNN: the library's pooling primitive (oneDNN 2.6 C API,
 * forward_inference, so max keeps no workspace), the peer the hand-written
 * variants are measured against.
 *
 * prepare() (untimed) builds the engine, the stream, the primitive and the
 * reorders between the user's NCHW tensors and the primitive's layout; run() (timed) reorders src
 * in, pools, reorders dst back: the boundary contract is NCHW in and out, so layout conversions
 * count.
 *
 * Layout: src reordered to nChw16c (nChw8c where oneDNN has its JIT pooling
 * only for that: AVX2 CPUs; onednn_common.c), dst in the primitive's choice
 * (the same), always. Given plain NCHW, oneDNN 2.6 runs a jit kernel that transposes
 * internally for some problems and its scalar simple_nchw for others (3x3
 * stride-1 padded averages). Measured once, 1 thread, GB/s from min_bytes,
 * on a shared and heavily loaded 2-core AMD EPYC (noisy, +-30%):
 *   shape                 NCHW given            nChw16c + reorders
 *   resnet_50:pool1       3.7 (jit)             8.0 (jit)
 *   resnet_50:pool5       4.6 (jit)             7.2
 *   l2:max2x2s2           6.0 (jit)            12.2
 *   l3:avg3x3s1           0.1 (simple_nchw)     2.6
 *   dram:max3x3s2         2.5 (jit)             2.6
 *   dram:avg3x3s1         0.1 (simple_nchw)     2.8
 * So the blocked layout, with its reorders timed, everywhere.
 *
 * Policies: oneDNN's max takes the first maximum in row-major order like
 * kernbench (checked by the integer-input agreement tests, which are full of
 * ties), but it skips NaN where kernbench propagates it, and gives -FLT_MAX
 * for a window entirely in padding and for a window of -inf: supports()
 * declines the shapes with such windows, NaN and infinities are inputs the
 * agreement tests never give (tests/test_pool2d_policies.c documents it).
 * ISA: whatever oneDNN dispatches; isa_used() reports its implementation.
 * Threads: oneDNN's OpenMP runtime uses omp_get_max_threads(), which the
 * caller sets. */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

#include "kernbench/variant.h"
#include "pool2d/onednn_common.h"

typedef struct fwd_state {
    kb_onednn dnnl;            /* engine, stream, steps, scratchpad, impl string */
    int pool;                  /* the pooling primitive's step */
    kb_onednn_tensor src, dst; /* reordered in / out on the blocked layout */
} fwd_state;
/* kb_onednn_isa_used reads the state as its leading kb_onednn. */
_Static_assert(offsetof(fwd_state, dnnl) == 0, "kb_onednn must lead the state");

static void fwd_release(void *state) {
    fwd_state *st = state;
    if (!st) return;
    kb_onednn_tensor_destroy(&st->src);
    kb_onednn_tensor_destroy(&st->dst);
    kb_onednn_destroy(&st->dnnl);
    free(st);
}

static kb_status fwd_prepare(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                             void **state_out) {
    (void)args, (void)ctx; /* threads come from omp_get_max_threads(), set by the caller */
    assert(problem && state_out);
    assert(problem->kernel == KB_KERNEL_POOL2D && problem->direction == KB_DIR_FWD);
    *state_out = NULL;
    fwd_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    kb_status status = KB_OK;
    dnnl_primitive_desc_t pd = NULL; /* prepare-only */
    kb_onednn_pool d;
    KB_ONEDNN_TRY(kb_onednn_pool_init(&problem->pool2d, &d));
    KB_ONEDNN_TRY(kb_onednn_init(&st->dnnl));
    KB_ONEDNN_TRY(
        kb_onednn_pool_fwd_pd(st->dnnl.engine, &d, dnnl_forward_inference, st->dnnl.attr, &pd));
    kb_onednn_set_impl(&st->dnnl, pd);
    /* Step order is run order: src reorder, pooling, dst reorder. */
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->src, &d.src,
                                        dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0),
                                        false));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, pd, &st->pool));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->dst, &d.dst, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), true));
    KB_ONEDNN_TRY(kb_onednn_commit(&st->dnnl));
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (status != KB_OK) {
        fwd_release(st);
        return status;
    }
    *state_out = st;
    return KB_OK;
}

static kb_status fwd_run(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                         void *state, void *workspace) {
    (void)problem, (void)ctx, (void)workspace;
    assert(args && state && args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_DST]);
    fwd_state *st = state;
    kb_status status = KB_OK;
    /* The args' buffers may move between calls: rebind every time. */
    KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->src, args->tensor[KB_ARG_SRC]));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->dst, args->tensor[KB_ARG_DST]));
    {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, st->src.prim}, {DNNL_ARG_DST, st->dst.prim}};
        KB_ONEDNN_TRY(kb_onednn_execute(&st->dnnl, st->pool, 2, a));
    }
    KB_ONEDNN_TRY(kb_onednn_tensor_out(&st->dnnl, &st->dst));
    KB_DNNL_TRY(dnnl_stream_wait(st->dnnl.stream));
fail:
    return status;
}

const kb_variant kb_pool2d_fwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_POOL2D,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN 2.x pooling primitive (forward_inference), NCHW reorders timed",
    .supports = kb_onednn_pool_supports,
    .prepare = fwd_prepare,
    .run = fwd_run,
    .release = fwd_release,
    .isa_used = kb_onednn_isa_used, /* the state starts with its kb_onednn */
};
