/* conv2d forward, oneDNN: the library's own convolution primitive (oneDNN 2.6
 * C API), the peer every hand-written variant is measured against.
 *
 * prepare() (untimed) builds the engine, the stream and a forward_inference
 * direct convolution, repacks the user's OIHW weights into the layout the
 * primitive chose, and creates the reorders between the user's NCHW tensors
 * and the primitive's activation layouts. run() (timed) reorders src NCHW ->
 * blocked if needed, convolves, reorders dst back to NCHW if needed: layout
 * conversions count, since the boundary contract is NCHW in and out.
 *
 * Activation layouts, per problem (measured at batch 1, 1 thread / 2 threads,
 * GFLOP/s, AMD EPYC with AVX-512, 2 cores; "any" = format_tag_any + reorders
 * in run, "nchw" = plain NCHW src/dst given to the primitive):
 *   layer                          any (brgconv*)      nchw (x64:gemm:jit)
 *   mb1ic64ih56oc64oh56kh3ph1      177 / 333           121 / 202
 *   mb1ic128ih28oc128oh28kh3ph1    192 / 358           139 / 238
 *   mb1ic256ih14oc256oh14kh3ph1    211 / 386           131 / 241
 *   mb1ic512ih7oc512oh7kh3ph1      216 / 410           152 / 240
 *   mb1ic3ih224oc64oh112kh7sh2ph3  154 / 303            92 / 177
 *   mb1ic256ih56oc64oh56kh1ph0     116 / 209           183 / 363
 *   mb1ic64ih56oc256oh56kh1ph0     117 / 227           167 / 260
 *   mb1ic256ih14oc1024oh14kh1ph0    98 / 187           174 / 354
 *   mb1ic256ih56oc512oh28kh1sh2ph0  92 / 273           118 / 276
 *   mb1ic1024ih14oc2048oh7kh1sh2ph0 166 / 322           98 / 252
 *   mb1ic512ih7oc2048oh7kh1ph0     180 / 347           135 / 258
 * So "any" for every kernel but 1x1, and plain NCHW for 1x1 kernels with at
 * least a 14x14 output (see onednn_prepare for why); the 7x7-output 1x1
 * layers go back to "any".
 *
 * Algorithm: dnnl_convolution_direct. convolution_auto picks the same
 * implementation (brgconv) at batch 1 here, within noise (178 vs 177 GFLOP/s on
 * mb1ic64ih56oc64oh56kh3ph1); naming direct keeps that independent of oneDNN's
 * heuristics. Winograd is faster on 3x3 (351 GFLOP/s-equivalent there, 474 on
 * ic128ih28) but is another algorithm with other rounding: its 4x3 variant is
 * not exact on small-integer inputs, and kernbench compares direct sums.
 *
 * Any size, stride, padding and dilation kernbench accepts (dilation already
 * uses oneDNN's convention, 0 = dense). ISA: whatever oneDNN dispatches at run
 * time (it does its own CPUID); isa_used() reports the implementation it chose.
 * Threads: oneDNN's OpenMP runtime uses omp_get_max_threads(), which the caller
 * sets; this file never touches the OpenMP settings. */
#include <assert.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>

#include "conv2d/onednn_common.h"
#include "kernbench/variant.h"

/* 1x1 convolutions with at least this many output pixels per image run on
 * plain NCHW (see onednn_prepare). */
#define PLAIN_1X1_MIN_PIXELS (14 * 14)

typedef struct onednn_state {
    kb_onednn dnnl; /* engine, stream, steps, scratchpad, impl string */
    int conv;       /* the convolution's step */
    /* Activations at the boundary (src reordered in, dst reordered out when
     * the primitive works on a blocked layout); bias is always plain. */
    kb_onednn_tensor src, dst, bias;
    dnnl_memory_t weights; /* repacked once, owned by the state */
} onednn_state;
/* kb_onednn_isa_used reads the state as its leading kb_onednn. */
_Static_assert(offsetof(onednn_state, dnnl) == 0, "kb_onednn must lead the state");

static void onednn_release(void *state) {
    onednn_state *st = state;
    if (!st) return;
    kb_onednn_tensor_destroy(&st->src);
    kb_onednn_tensor_destroy(&st->dst);
    kb_onednn_tensor_destroy(&st->bias);
    if (st->weights) dnnl_memory_destroy(st->weights);
    kb_onednn_destroy(&st->dnnl);
    free(st);
}

static kb_status onednn_prepare_with(const kb_problem *problem, const kb_args *args,
                                     bool plain_activations, void **state_out) {
    assert(problem && args && state_out);
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_FWD);
    assert(args->tensor[KB_ARG_WEIGHTS]);
    *state_out = NULL;

    onednn_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    kb_status status = KB_OK;
    dnnl_primitive_desc_t pd = NULL; /* prepare-only */

    kb_onednn_conv_dims dims;
    kb_onednn_conv_mds md;
    kb_onednn_conv_dims_init(&problem->conv2d, &dims);
    KB_ONEDNN_TRY(kb_onednn_conv_mds_init(&dims, &md));
    KB_ONEDNN_TRY(kb_onednn_init(&st->dnnl));

    /* Weights are always "any": they are repacked once, outside the timing. */
    KB_ONEDNN_TRY(kb_onednn_conv_fwd_pd(
        st->dnnl.engine, &dims, dnnl_forward_inference,
        plain_activations ? &md.src : &md.any_src, &md.any_weights, &md.bias,
        plain_activations ? &md.dst : &md.any_dst, st->dnnl.attr, &pd));
    kb_onednn_set_impl(&st->dnnl, pd);

    /* Step order is run order: src reorder, convolution, dst reorder. */
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->src, &md.src,
                                        dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0),
                                        false));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, pd, &st->conv));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->dst, &md.dst,
                                        dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0),
                                        true));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->bias, &md.bias, &md.bias, false));
    KB_ONEDNN_TRY(kb_onednn_commit(&st->dnnl));

    /* Weight repacking, once: OIHW -> the primitive's layout. */
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

static kb_status onednn_prepare(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void **state) {
    (void)ctx; /* threads come from omp_get_max_threads(), set by the caller */
    assert(problem && problem->kernel == KB_KERNEL_CONV2D);
    const kb_conv2d_shape *s = &problem->conv2d;
    /* A 1x1 convolution on NCHW is one GEMM per image, W[K x C] * X[C x HW]:
     * oneDNN's gemm:jit does it in place, while brgconv_1x1 pays two activation
     * reorders as costly as the arithmetic. Below a 14x14 output the GEMM's HW
     * side is too narrow and the blocked kernel wins again (numbers above). */
    const bool plain = s->kernel_h == 1 && s->kernel_w == 1 &&
                       s->out_height * s->out_width >= PLAIN_1X1_MIN_PIXELS;
    return onednn_prepare_with(problem, args, plain, state);
}

kb_status kb_conv2d_fwd__onednn(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void *state, void *workspace) {
    (void)problem, (void)ctx, (void)workspace;
    assert(problem && args && state);
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_FWD);
    onednn_state *st = state;
    return kb_onednn_run_forward(&st->dnnl, st->conv, &st->src, st->weights, &st->bias, &st->dst,
                                 args);
}

const kb_variant kb_conv2d_fwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN 2.x convolution primitive, blocked layouts, NCHW reorders timed",
    .prepare = onednn_prepare,
    .run = kb_conv2d_fwd__onednn,
    .release = onednn_release,
    .isa_used = kb_onednn_isa_used, /* the state starts with its kb_onednn */
};
