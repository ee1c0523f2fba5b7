/* conv2d backward data, oneDNN: the library's convolution backward-data
 * primitive (oneDNN 2.6 C API), diff_src = diff_dst (*) weights transposed.
 *
 * prepare() (untimed) builds a forward_training direct convolution as the
 * hint oneDNN requires, the backward-data primitive, the reorders between the
 * user's NCHW tensors and the primitive's activation layouts, and repacks the
 * OIHW weights (constant across runs) into the primitive's layout. run()
 * (timed) reorders diff_dst in, runs, reorders diff_src back to NCHW: layout
 * conversions of activations count, as in forward.
 *
 * Activation layouts, per problem (measured at batch 1, 1 thread / 2 threads,
 * GFLOP/s, median run(), AMD EPYC with AVX-512, 2 cores; "any" =
 * format_tag_any + reorders in run, "nchw" = plain NCHW diff_src/diff_dst):
 *   layer                           any (jit*:avx512)   nchw (x64:gemm:jit)
 *   mb1ic64ih56oc64oh56kh3ph1       198 / 321            56 / 134
 *   mb1ic128ih28oc128oh28kh3ph1     193 / 323           132 / 208
 *   mb1ic256ih14oc256oh14kh3ph1     195 / 335           146 / 247
 *   mb1ic512ih7oc512oh7kh3ph1       181 / 336           119 / 223
 *   mb1ic3ih224oc64oh112kh7sh2ph3    32 / 55         59-94 / 98-160 (noisy)
 *   mb1ic8ih56oc64oh56kh3ph1         54 / 88             71 / 130
 *   mb1ic15ih56oc64oh56kh3ph1        98 / 161            68 / 128
 *   mb1ic256ih56oc64oh56kh1ph0      164 / 240           191 / 390
 *   mb1ic64ih56oc256oh56kh1ph0      159 / 202           203 / 413
 *   mb1ic256ih14oc1024oh14kh1ph0    189 / 284           180 / 377
 *   mb1ic256ih56oc512oh28kh1sh2ph0  168 / 250           173 / 320
 *   mb1ic1024ih14oc2048oh7kh1sh2ph0 163 / 315            82 / 174
 *   mb1ic512ih7oc2048oh7kh1ph0      180 / 331           124 / 252
 * So "any" except for 1x1 kernels with at least a 14x14 output (forward's
 * rule, for the same reason) and for at most 8 input channels (see
 * bwd_data_prepare). Mixed layouts (one tensor plain, the other "any") are
 * no option: oneDNN 2.6 then always picks gemm:jit (measured). The weights
 * are always "any", repacked in prepare().
 *
 * Algorithm: dnnl_convolution_direct, never winograd: kernbench compares
 * direct sums. Any size, stride, padding and dilation kernbench accepts; a
 * problem oneDNN has no implementation for is KB_ERR_UNSUPPORTED. isa_used()
 * reports the implementation oneDNN chose. Threads: oneDNN's OpenMP runtime
 * uses omp_get_max_threads(), which the caller sets. */
#include <assert.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>

#include "conv2d/onednn_common.h"
#include "kernbench/variant.h"

/* Problems that run on plain NCHW (see bwd_data_prepare). */
#define PLAIN_1X1_MIN_PIXELS (14 * 14)
#define PLAIN_MAX_IN_CHANNELS 8

typedef struct bwd_data_state {
    kb_onednn dnnl; /* engine, stream, steps, scratchpad, impl string */
    int conv;       /* the backward-data primitive's step */
    kb_onednn_tensor diff_dst, diff_src; /* reordered in / out when blocked */
    dnnl_memory_t weights;               /* repacked once, owned by the state */
} bwd_data_state;
/* kb_onednn_isa_used reads the state as its leading kb_onednn. */
_Static_assert(offsetof(bwd_data_state, dnnl) == 0, "kb_onednn must lead the state");

static void bwd_data_release(void *state) {
    bwd_data_state *st = state;
    if (!st) return;
    kb_onednn_tensor_destroy(&st->diff_dst);
    kb_onednn_tensor_destroy(&st->diff_src);
    if (st->weights) dnnl_memory_destroy(st->weights);
    kb_onednn_destroy(&st->dnnl);
    free(st);
}

static kb_status bwd_data_prepare_with(const kb_problem *problem, const kb_args *args,
                                       bool plain_activations, void **state_out) {
    assert(problem && args && state_out);
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_BWD_DATA);
    assert(args->tensor[KB_ARG_WEIGHTS]);
    *state_out = NULL;

    bwd_data_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    kb_status status = KB_OK;
    dnnl_primitive_desc_t hint = NULL, pd = NULL; /* prepare-only */

    kb_onednn_conv_dims dims;
    kb_onednn_conv_mds md;
    kb_onednn_conv_dims_init(&problem->conv2d, &dims);
    KB_ONEDNN_TRY(kb_onednn_conv_mds_init(&dims, &md));
    KB_ONEDNN_TRY(kb_onednn_init(&st->dnnl));

    /* Weights are always "any": they are an input constant across runs,
     * repacked once outside the timing. */
    const dnnl_memory_desc_t *src_md = plain_activations ? &md.src : &md.any_src;
    const dnnl_memory_desc_t *dst_md = plain_activations ? &md.dst : &md.any_dst;
    /* The hint only steers oneDNN's choice; it never runs, so it needs no
     * scratchpad attr. */
    KB_ONEDNN_TRY(kb_onednn_conv_fwd_pd(st->dnnl.engine, &dims, dnnl_forward_training, src_md,
                                        &md.any_weights, &md.bias, dst_md, NULL, &hint));
    {
        dnnl_convolution_desc_t desc;
        KB_DNNL_TRY(dnnl_dilated_convolution_backward_data_desc_init(
            &desc, dnnl_convolution_direct, src_md, &md.any_weights, dst_md, dims.strides,
            dims.dilates, dims.pad_l, dims.pad_r));
        KB_ONEDNN_TRY(kb_onednn_pd_create(&desc, st->dnnl.attr, st->dnnl.engine, hint, &pd));
    }
    kb_onednn_set_impl(&st->dnnl, pd);

    /* Step order is run order: diff_dst reorder, convolution, diff_src reorder. */
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->diff_dst, &md.dst,
        dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0), false));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, pd, &st->conv));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->diff_src, &md.src,
        dnnl_primitive_desc_query_md(pd, dnnl_query_diff_src_md, 0), true));
    KB_ONEDNN_TRY(kb_onednn_commit(&st->dnnl));

    KB_ONEDNN_TRY(kb_onednn_repack(&st->dnnl, &md.weights, args->tensor[KB_ARG_WEIGHTS],
                                   dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0),
                                   &st->weights));

fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (hint) dnnl_primitive_desc_destroy(hint);
    if (status != KB_OK) {
        bwd_data_release(st);
        return status;
    }
    *state_out = st;
    return KB_OK;
}

static kb_status bwd_data_prepare(const kb_problem *problem, const kb_args *args,
                                  const kb_context *ctx, void **state) {
    (void)ctx; /* threads come from omp_get_max_threads(), set by the caller */
    assert(problem && problem->kernel == KB_KERNEL_CONV2D);
    const kb_conv2d_shape *s = &problem->conv2d;
    /* Plain NCHW runs oneDNN's gemm:jit (col2im for the non-1x1 cases).
     * 1x1 with a large enough output: one GEMM per image with no reorders, as
     * in forward. Few input channels: the blocked diff_src pads them to a
     * 16-channel block the jit kernel computes in full (numbers above). */
    const bool plain = (s->kernel_h == 1 && s->kernel_w == 1 &&
                        s->out_height * s->out_width >= PLAIN_1X1_MIN_PIXELS) ||
                       s->in_channels <= PLAIN_MAX_IN_CHANNELS;
    return bwd_data_prepare_with(problem, args, plain, state);
}

kb_status kb_conv2d_bwd_data__onednn(const kb_problem *problem, const kb_args *args,
                                     const kb_context *ctx, void *state, void *workspace) {
    (void)problem, (void)ctx, (void)workspace;
    assert(problem && args && state);
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_BWD_DATA);
    bwd_data_state *st = state;
    assert(args->tensor[KB_ARG_DIFF_DST] && args->tensor[KB_ARG_DIFF_SRC]);
    kb_status status = KB_OK;

    /* The args' buffers may move between calls: rebind every time. */
    KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->diff_dst, args->tensor[KB_ARG_DIFF_DST]));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->diff_src, args->tensor[KB_ARG_DIFF_SRC]));
    {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_DIFF_DST, st->diff_dst.prim},
                                     {DNNL_ARG_WEIGHTS, st->weights},
                                     {DNNL_ARG_DIFF_SRC, st->diff_src.prim}};
        KB_ONEDNN_TRY(kb_onednn_execute(&st->dnnl, st->conv, 3, a));
    }
    KB_ONEDNN_TRY(kb_onednn_tensor_out(&st->dnnl, &st->diff_src));
    KB_DNNL_TRY(dnnl_stream_wait(st->dnnl.stream));
fail:
    return status;
}

const kb_variant kb_conv2d_bwd_data__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_BWD_DATA,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN 2.x convolution backward-data primitive, NCHW reorders timed",
    .prepare = bwd_data_prepare,
    .run = kb_conv2d_bwd_data__onednn,
    .release = bwd_data_release,
    .isa_used = kb_onednn_isa_used, /* the state starts with its kb_onednn */
};
