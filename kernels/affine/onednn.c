/* affine forward, oneDNN: the library's inner-product primitive (oneDNN 2.6
 * C API), y = x W + b, the peer every hand-written variant is measured
 * against.
 *
 * prepare() (untimed) builds the engine, the stream and a forward_inference
 * inner product on plain nc activations with weights in the layout the
 * primitive chooses (format_tag_any), and repacks W into it once: the
 * weights are constant in inference, as for conv2d's oneDNN variant. Our W
 * is D x M, which oneDNN sees as OI weights in io order (onednn_common.h),
 * so the repack is a reorder from that view, never a transpose by hand.
 * run() (timed) binds x, b and y, and executes.
 *
 * Weights "any" (brgemm:avx512_core here) or our io buffer as it is (then
 * oneDNN 2.6 runs x64:gemm:jit), 1 thread, best ms of 3 rounds on a shared,
 * busy 2-core AMD EPYC (Zen 5), so only a rough guide:
 *   layer                 any (brgemm)   io as is (gemm:jit)
 *   mb100ic784oc50          0.105          0.158
 *   mb100ic50oc10           0.0027         0.0050
 *   mb100ic4320oc100        1.02           1.31
 *   mb100ic100oc10          0.0044         0.0070
 *   mb1024ic1024oc1024     21.8           16.6
 *   mb256ic4096oc4096     123            101
 *   mb1ic2048oc1000         0.26           0.18
 * "any" for every problem: it is oneDNN's intended use for constant
 * weights and wins on the book's layers, the point of this kernel; the
 * large layers' difference is left to a quiet measurement.
 *
 * Any size kernbench accepts. ISA: whatever oneDNN dispatches at run time;
 * isa_used() reports the implementation it chose. Threads: oneDNN's OpenMP
 * runtime uses omp_get_max_threads(), which the caller sets. */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "affine/onednn_common.h"
#include "kernbench/variant.h"

typedef struct onednn_state {
    kb_onednn dnnl; /* engine, stream, steps, scratchpad, impl string */
    int ip;         /* the inner product's step */
    kb_onednn_tensor src, bias, dst;
    dnnl_memory_t weights; /* repacked once, owned by the state */
} onednn_state;
/* kb_onednn_isa_used reads the state as its leading kb_onednn. */
_Static_assert(offsetof(onednn_state, dnnl) == 0, "kb_onednn must lead the state");

static void onednn_release(void *state) {
    onednn_state *st = state;
    if (!st) return;
    kb_onednn_tensor_destroy(&st->src);
    kb_onednn_tensor_destroy(&st->bias);
    kb_onednn_tensor_destroy(&st->dst);
    if (st->weights) dnnl_memory_destroy(st->weights);
    kb_onednn_destroy(&st->dnnl);
    free(st);
}

static kb_status onednn_prepare(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void **state_out) {
    (void)ctx; /* threads come from omp_get_max_threads(), set by the caller */
    assert(problem && args && state_out);
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_FWD);
    assert(args->tensor[KB_ARG_WEIGHTS]);
    *state_out = NULL;

    onednn_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    kb_status status = KB_OK;
    dnnl_primitive_desc_t pd = NULL; /* prepare-only */

    kb_affine_onednn_mds md;
    KB_ONEDNN_TRY(kb_affine_onednn_mds_init(&problem->affine, &md));
    KB_ONEDNN_TRY(kb_onednn_init(&st->dnnl));
    KB_ONEDNN_TRY(kb_affine_onednn_fwd_pd(st->dnnl.engine, dnnl_forward_inference, &md,
                                          &md.any_weights, st->dnnl.attr, &pd));
    kb_onednn_set_impl(&st->dnnl, pd);

    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->src, &md.src,
                                        dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0),
                                        false));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, pd, &st->ip));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->dst, &md.dst,
                                        dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0),
                                        true));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->bias, &md.bias, &md.bias, false));
    KB_ONEDNN_TRY(kb_onednn_commit(&st->dnnl));
    /* Weight repacking, once: our D x M (OI dims, io order) -> the
     * primitive's layout. */
    KB_ONEDNN_TRY(kb_onednn_repack(&st->dnnl, &md.weights, args->tensor[KB_ARG_WEIGHTS],
                                   dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0),
                                   &st->weights));

fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (status != KB_OK) {
        onednn_release(st);
        return status;
    }
    *state_out = st;
    return KB_OK;
}

kb_status kb_affine_fwd__onednn(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void *state, void *workspace) {
    (void)problem, (void)ctx, (void)workspace;
    assert(problem && args && state);
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_FWD);
    onednn_state *st = state;
    return kb_onednn_run_forward(&st->dnnl, st->ip, &st->src, st->weights, &st->bias, &st->dst,
                                 args);
}

const kb_variant kb_affine_fwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_AFFINE,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN 2.x inner product, weights repacked in prepare",
    .prepare = onednn_prepare,
    .run = kb_affine_fwd__onednn,
    .release = onednn_release,
    .isa_used = kb_onednn_isa_used, /* the state starts with its kb_onednn */
};
