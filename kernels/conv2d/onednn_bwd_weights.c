/* conv2d backward weights, oneDNN: the library's convolution backward-weights
 * primitive (oneDNN 2.6 C API), diff_weights = src (*) diff_dst summed over
 * the batch and output pixels, diff_bias = diff_dst summed likewise.
 *
 * prepare() (untimed) builds a forward_training direct convolution as the
 * hint oneDNN requires, the backward-weights primitive and the reorders
 * between the user's tensors and the primitive's layouts. run() (timed)
 * reorders src and diff_dst in, runs, and reorders diff_weights back to OIHW:
 * diff_weights is an output, so unlike forward's weights its conversion is
 * timed. diff_bias is always plain.
 *
 * Layouts, per problem (measured at batch 1, 1 thread / 2 threads, GFLOP/s,
 * median run(), AMD EPYC with AVX-512, 2 cores; "any" = format_tag_any for
 * src, diff_dst and diff_weights + reorders in run, "plain" = NCHW/OIHW):
 *   layer                           any (jit*:avx512)   plain (x64:gemm:jit)
 *   mb1ic64ih56oc64oh56kh3ph1       147 / 255            49 / 99
 *   mb1ic128ih28oc128oh28kh3ph1     151 / 322            91 / 159
 *   mb1ic256ih14oc256oh14kh3ph1     142 / 260           112 / 216
 *   mb1ic512ih7oc512oh7kh3ph1        77 / 158           129 / 258
 *   mb1ic3ih224oc64oh112kh7sh2ph3   152 / 226            62 / 88
 *   mb1ic256ih56oc64oh56kh1ph0      142 / 167           103 / 195
 *   mb1ic64ih56oc256oh56kh1ph0      132 / 167           123 / 176
 *   mb1ic256ih14oc1024oh14kh1ph0    148 / 267           149 / 310
 *   mb1ic256ih56oc512oh28kh1sh2ph0  146 / 224           143 / 253
 *   mb1ic1024ih14oc2048oh7kh1sh2ph0  35 / 44            178 / 294
 *   mb1ic512ih7oc2048oh7kh1ph0      113 / 192           173 / 312
 * So "any" except for 1x1 kernels and for reductions over fewer than 14x14
 * pixels (see bwd_weights_prepare). The 1x1 rule is a trade: at 56x56 plain
 * loses at 1 thread (103 vs 142) and wins at 2 (195 vs 167); on the other
 * 1x1 layers it ties or wins. Mixed layouts are no option: any plain tensor
 * (activations or OIHW diff_weights) sends oneDNN 2.6 to gemm:jit (measured).
 *
 * Algorithm: dnnl_convolution_direct, never winograd: kernbench compares
 * direct sums. Any size, stride, padding and dilation kernbench accepts; a
 * problem oneDNN has no implementation for is KB_ERR_UNSUPPORTED. isa_used()
 * reports the implementation oneDNN chose. Threads: oneDNN's OpenMP runtime
 * uses omp_get_max_threads(), which the caller sets. */
/* Numerical edge departure (kernels/conv2d/problem.c): padding taps are
 * multiplied as explicit zeros, so a NaN or Inf partner of a padding tap
 * (a diff_dst meeting padded src, inside oneDNN) gives NaN where the policy leaves padding out of the reduction. */
#include <assert.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>

#include "conv2d/onednn_common.h"
#include "kernbench/variant.h"

/* Reductions over at least this many pixels run on blocked layouts (see
 * bwd_weights_prepare). */
#define BLOCKED_MIN_PIXELS (14 * 14)

typedef struct bwd_weights_state {
    kb_onednn dnnl; /* engine, stream, steps, scratchpad, impl string */
    int conv;       /* the backward-weights primitive's step */
    kb_onednn_tensor src, diff_dst;           /* reordered in when blocked */
    kb_onednn_tensor diff_weights, diff_bias; /* reordered out when blocked */
} bwd_weights_state;
/* kb_onednn_isa_used reads the state as its leading kb_onednn. */
_Static_assert(offsetof(bwd_weights_state, dnnl) == 0, "kb_onednn must lead the state");

static void bwd_weights_release(void *state) {
    bwd_weights_state *st = state;
    if (!st) return;
    kb_onednn_tensor_destroy(&st->src);
    kb_onednn_tensor_destroy(&st->diff_dst);
    kb_onednn_tensor_destroy(&st->diff_weights);
    kb_onednn_tensor_destroy(&st->diff_bias);
    kb_onednn_destroy(&st->dnnl);
    free(st);
}

static kb_status bwd_weights_prepare_with(const kb_problem *problem, bool plain, void **state_out) {
    assert(problem && state_out);
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_BWD_WEIGHTS);
    *state_out = NULL;

    bwd_weights_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    kb_status status = KB_OK;
    dnnl_primitive_desc_t hint = NULL, pd = NULL; /* prepare-only */

    kb_onednn_conv_dims dims;
    kb_onednn_conv_mds md;
    kb_onednn_conv_dims_init(&problem->conv2d, &dims);
    KB_ONEDNN_TRY(kb_onednn_conv_mds_init(&dims, &md));
    KB_ONEDNN_TRY(kb_onednn_init(&st->dnnl));

    /* All plain or all "any": oneDNN 2.6's jit kernels want every tensor
     * blocked, and any plain one sends it to gemm:jit anyway (measured). */
    const dnnl_memory_desc_t *src_md = plain ? &md.src : &md.any_src;
    const dnnl_memory_desc_t *dst_md = plain ? &md.dst : &md.any_dst;
    const dnnl_memory_desc_t *weights_md = plain ? &md.weights : &md.any_weights;
    /* The hint only steers oneDNN's choice; it never runs, so it needs no
     * scratchpad attr. */
    KB_ONEDNN_TRY(kb_onednn_conv_fwd_pd(st->dnnl.engine, &dims, dnnl_forward_training, src_md,
                                        weights_md, &md.bias, dst_md, NULL, &hint));
    {
        dnnl_convolution_desc_t desc;
        KB_DNNL_TRY(dnnl_dilated_convolution_backward_weights_desc_init(
            &desc, dnnl_convolution_direct, src_md, weights_md, &md.bias, dst_md, dims.strides,
            dims.dilates, dims.pad_l, dims.pad_r));
        KB_ONEDNN_TRY(kb_onednn_pd_create(&desc, st->dnnl.attr, st->dnnl.engine, hint, &pd));
    }
    kb_onednn_set_impl(&st->dnnl, pd);

    /* Step order is run order: src and diff_dst reorders, convolution,
     * diff_weights reorder (diff_bias is plain: no step). */
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->src, &md.src,
                                        dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0),
                                        false));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->diff_dst, &md.dst,
        dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0), false));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, pd, &st->conv));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->diff_weights, &md.weights,
        dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 0), true));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->diff_bias, &md.bias,
        dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 1), true));
    KB_ONEDNN_TRY(kb_onednn_commit(&st->dnnl));

fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (hint) dnnl_primitive_desc_destroy(hint);
    if (status != KB_OK) {
        bwd_weights_release(st);
        return status;
    }
    *state_out = st;
    return KB_OK;
}

static kb_status bwd_weights_prepare(const kb_problem *problem, const kb_args *args,
                                     const kb_context *ctx, void **state) {
    (void)args; /* nothing constant to repack: every tensor is read in run() */
    (void)ctx;  /* threads come from omp_get_max_threads(), set by the caller */
    assert(problem && problem->kernel == KB_KERNEL_CONV2D);
    const kb_conv2d_shape *s = &problem->conv2d;
    /* Blocked diff_weights cost a reorder back to OIHW on every run, of the
     * whole weight tensor: against a reduction over fewer than 14x14 pixels
     * (batch included) it is not amortised. A 1x1 convolution on plain
     * layouts is one GEMM per image with no im2col, while the blocked path
     * pays three reorders (numbers above). */
    const bool plain = (s->kernel_h == 1 && s->kernel_w == 1) ||
                       s->batch * s->out_height * s->out_width < BLOCKED_MIN_PIXELS;
    return bwd_weights_prepare_with(problem, plain, state);
}

kb_status kb_conv2d_bwd_weights__onednn(const kb_problem *problem, const kb_args *args,
                                        const kb_context *ctx, void *state, void *workspace) {
    (void)problem, (void)ctx, (void)workspace;
    assert(problem && args && state);
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_BWD_WEIGHTS);
    bwd_weights_state *st = state;
    assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_DIFF_DST] &&
           args->tensor[KB_ARG_DIFF_WEIGHTS] && args->tensor[KB_ARG_DIFF_BIAS]);
    kb_status status = KB_OK;

    /* The args' buffers may move between calls: rebind every time. */
    KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->src, args->tensor[KB_ARG_SRC]));
    KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->diff_dst, args->tensor[KB_ARG_DIFF_DST]));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->diff_weights, args->tensor[KB_ARG_DIFF_WEIGHTS]));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->diff_bias, args->tensor[KB_ARG_DIFF_BIAS]));
    {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, st->src.prim},
                                     {DNNL_ARG_DIFF_DST, st->diff_dst.prim},
                                     {DNNL_ARG_DIFF_WEIGHTS, st->diff_weights.prim},
                                     {DNNL_ARG_DIFF_BIAS, st->diff_bias.prim}};
        KB_ONEDNN_TRY(kb_onednn_execute(&st->dnnl, st->conv, 4, a));
    }
    KB_ONEDNN_TRY(kb_onednn_tensor_out(&st->dnnl, &st->diff_weights));
    KB_ONEDNN_TRY(kb_onednn_tensor_out(&st->dnnl, &st->diff_bias));
    KB_DNNL_TRY(dnnl_stream_wait(st->dnnl.stream));
fail:
    return status;
}

const kb_variant kb_conv2d_bwd_weights__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_BWD_WEIGHTS,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN 2.x convolution backward-weights primitive, NCHW/OIHW reorders timed",
    .prepare = bwd_weights_prepare,
    .run = kb_conv2d_bwd_weights__onednn,
    .release = bwd_weights_release,
    .isa_used = kb_onednn_isa_used, /* the state starts with its kb_onednn */
};
