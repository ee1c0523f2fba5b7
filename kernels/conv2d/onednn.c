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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

#include "core/buffer.h"
#include "kernbench/variant.h"

/* 1x1 convolutions with at least this many output pixels per image run on
 * plain NCHW (see onednn_prepare). */
#define PLAIN_1X1_MIN_PIXELS (14 * 14)

/* The three primitives run() may execute, in order. */
enum { STEP_SRC_REORDER, STEP_CONV, STEP_DST_REORDER, STEP_COUNT };

typedef struct onednn_state {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_t step[STEP_COUNT]; /* a NULL reorder is not needed */
    /* The user's tensors, rebound to the args' pointers on every run. */
    dnnl_memory_t user_src, user_dst, bias;
    /* The convolution's own operands. conv_src/conv_dst alias user_src/user_dst
     * when the primitive works on NCHW directly (then never destroyed twice). */
    dnnl_memory_t conv_src, conv_dst, weights;
    /* One buffer serves every primitive's scratchpad (they run one after the
     * other); each primitive needs its own memory object for its descriptor. */
    void *scratch_buffer;
    dnnl_memory_t scratch[STEP_COUNT];
    char impl[96]; /* isa_used(): e.g. "brgconv:avx512_core" */
} onednn_state;

static kb_status backend_status(dnnl_status_t st) {
    return st == dnnl_out_of_memory ? KB_ERR_NOMEM : KB_ERR_BACKEND;
}

/* Jumps to `fail` with `status` set when a oneDNN call fails. */
#define DNNL_TRY(call)                                                                             \
    do {                                                                                           \
        dnnl_status_t st_ = (call);                                                                \
        if (st_ != dnnl_success) {                                                                 \
            status = backend_status(st_);                                                          \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

static const char *cpu_isa_name(dnnl_cpu_isa_t isa) {
    switch (isa) {
    case dnnl_cpu_isa_sse41:
        return "sse41";
    case dnnl_cpu_isa_avx:
        return "avx";
    case dnnl_cpu_isa_avx2:
        return "avx2";
    case dnnl_cpu_isa_avx2_vnni:
        return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic:
        return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops:
        return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core:
        return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni:
        return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16:
        return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx:
        return "avx512_core_amx";
    default:
        return "unknown";
    }
}

static void onednn_release(void *state) {
    onednn_state *st = state;
    if (!st) return;
    for (int i = 0; i < STEP_COUNT; i++) {
        if (st->step[i]) dnnl_primitive_destroy(st->step[i]);
        if (st->scratch[i]) dnnl_memory_destroy(st->scratch[i]);
    }
    if (st->conv_src && st->conv_src != st->user_src) dnnl_memory_destroy(st->conv_src);
    if (st->conv_dst && st->conv_dst != st->user_dst) dnnl_memory_destroy(st->conv_dst);
    if (st->user_src) dnnl_memory_destroy(st->user_src);
    if (st->user_dst) dnnl_memory_destroy(st->user_dst);
    if (st->bias) dnnl_memory_destroy(st->bias);
    if (st->weights) dnnl_memory_destroy(st->weights);
    kb_aligned_free(st->scratch_buffer);
    if (st->stream) dnnl_stream_destroy(st->stream);
    if (st->engine) dnnl_engine_destroy(st->engine);
    free(st);
}

/* A reorder primitive from `from` to `to` under `attr` (NULL = defaults). */
static dnnl_status_t create_reorder(dnnl_engine_t engine, const dnnl_memory_desc_t *from,
                                    const dnnl_memory_desc_t *to, const_dnnl_primitive_attr_t attr,
                                    dnnl_primitive_desc_t *pd, dnnl_primitive_t *prim) {
    dnnl_status_t st = dnnl_reorder_primitive_desc_create(pd, from, engine, to, engine, attr);
    if (st != dnnl_success) return st;
    return dnnl_primitive_create(prim, *pd);
}

static kb_status onednn_prepare_with(const kb_problem *problem, const kb_args *args,
                                     dnnl_alg_kind_t alg, bool plain_activations,
                                     void **state_out) {
    assert(problem && args && state_out);
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_FWD);
    const kb_conv2d_shape *s = &problem->conv2d;
    assert(args->tensor[KB_ARG_WEIGHTS]);
    *state_out = NULL;

    onednn_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    kb_status status = KB_OK;
    /* Prepare-only objects, destroyed on every exit path. */
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd[STEP_COUNT] = {NULL, NULL, NULL};
    dnnl_primitive_desc_t weights_pd = NULL;
    dnnl_primitive_t weights_reorder = NULL;
    dnnl_memory_t user_weights = NULL;

    DNNL_TRY(dnnl_engine_create(&st->engine, dnnl_cpu, 0));
    DNNL_TRY(dnnl_stream_create(&st->stream, st->engine, dnnl_stream_default_flags));
    /* User-mode scratchpad: the state owns every buffer run() touches, so a
     * timed run never allocates and nothing outlives release(). */
    DNNL_TRY(dnnl_primitive_attr_create(&attr));
    DNNL_TRY(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));

    const dnnl_dims_t src_dims = {s->batch, s->in_channels, s->in_height, s->in_width};
    const dnnl_dims_t weights_dims = {s->out_channels, s->in_channels, s->kernel_h, s->kernel_w};
    const dnnl_dims_t bias_dims = {s->out_channels};
    const dnnl_dims_t dst_dims = {s->batch, s->out_channels, s->out_height, s->out_width};
    const dnnl_dims_t strides = {s->stride_h, s->stride_w};
    const dnnl_dims_t dilates = {s->dilation_h, s->dilation_w};
    const dnnl_dims_t pad_l = {s->pad_top, s->pad_left};
    /* What benchdnn passes: the trailing padding the output size implies, which
     * may be smaller than the leading one or negative (unused trailing rows). */
    const dnnl_dims_t pad_r = {
        (s->out_height - 1) * s->stride_h + kb_conv2d_effective_kernel(s->kernel_h, s->dilation_h) -
            s->in_height - s->pad_top,
        (s->out_width - 1) * s->stride_w + kb_conv2d_effective_kernel(s->kernel_w, s->dilation_w) -
            s->in_width - s->pad_left};

    dnnl_memory_desc_t user_src_md, user_weights_md, bias_md, user_dst_md;
    dnnl_memory_desc_t any_src_md, any_weights_md, any_dst_md;
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&user_src_md, 4, src_dims, dnnl_f32, dnnl_nchw));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&user_weights_md, 4, weights_dims, dnnl_f32, dnnl_oihw));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&bias_md, 1, bias_dims, dnnl_f32, dnnl_x));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&user_dst_md, 4, dst_dims, dnnl_f32, dnnl_nchw));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&any_src_md, 4, src_dims, dnnl_f32, dnnl_format_tag_any));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&any_weights_md, 4, weights_dims, dnnl_f32,
                                          dnnl_format_tag_any));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&any_dst_md, 4, dst_dims, dnnl_f32, dnnl_format_tag_any));

    /* Weights are always "any": they are repacked once, outside the timing. */
    const dnnl_memory_desc_t *want_src_md = plain_activations ? &user_src_md : &any_src_md;
    const dnnl_memory_desc_t *want_dst_md = plain_activations ? &user_dst_md : &any_dst_md;
    dnnl_convolution_desc_t conv_desc;
    DNNL_TRY(dnnl_dilated_convolution_forward_desc_init(
        &conv_desc, dnnl_forward_inference, alg, want_src_md, &any_weights_md, &bias_md,
        want_dst_md, strides, dilates, pad_l, pad_r));
    {
        dnnl_status_t cst =
            dnnl_primitive_desc_create(&pd[STEP_CONV], &conv_desc, attr, st->engine, NULL);
        if (cst == dnnl_unimplemented) {
            status = KB_ERR_UNSUPPORTED;
            goto fail;
        }
        DNNL_TRY(cst);
    }
    DNNL_TRY(dnnl_primitive_create(&st->step[STEP_CONV], pd[STEP_CONV]));
    const char *impl = NULL;
    DNNL_TRY(dnnl_primitive_desc_query(pd[STEP_CONV], dnnl_query_impl_info_str, 0, &impl));
    if (!impl) impl = "unknown";
    /* "x64:gemm:jit" does not say which sgemm kernel runs: oneDNN's jit gemm
     * takes the best one for the effective ISA, so name that. */
    if (strstr(impl, "gemm:jit"))
        snprintf(st->impl, sizeof st->impl, "%s/%s", impl,
                 cpu_isa_name(dnnl_get_effective_cpu_isa()));
    else
        snprintf(st->impl, sizeof st->impl, "%s", impl);

    const dnnl_memory_desc_t *conv_src_md =
        dnnl_primitive_desc_query_md(pd[STEP_CONV], dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *conv_weights_md =
        dnnl_primitive_desc_query_md(pd[STEP_CONV], dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *conv_dst_md =
        dnnl_primitive_desc_query_md(pd[STEP_CONV], dnnl_query_dst_md, 0);

    /* The user tensors get a NULL handle now and the args' pointers in run(). */
    DNNL_TRY(dnnl_memory_create(&st->user_src, &user_src_md, st->engine, DNNL_MEMORY_NONE));
    DNNL_TRY(dnnl_memory_create(&st->user_dst, &user_dst_md, st->engine, DNNL_MEMORY_NONE));
    DNNL_TRY(dnnl_memory_create(&st->bias, &bias_md, st->engine, DNNL_MEMORY_NONE));

    if (dnnl_memory_desc_equal(conv_src_md, &user_src_md)) {
        st->conv_src = st->user_src;
    } else {
        DNNL_TRY(dnnl_memory_create(&st->conv_src, conv_src_md, st->engine, DNNL_MEMORY_ALLOCATE));
        DNNL_TRY(create_reorder(st->engine, &user_src_md, conv_src_md, attr, &pd[STEP_SRC_REORDER],
                                &st->step[STEP_SRC_REORDER]));
    }
    if (dnnl_memory_desc_equal(conv_dst_md, &user_dst_md)) {
        st->conv_dst = st->user_dst;
    } else {
        DNNL_TRY(dnnl_memory_create(&st->conv_dst, conv_dst_md, st->engine, DNNL_MEMORY_ALLOCATE));
        DNNL_TRY(create_reorder(st->engine, conv_dst_md, &user_dst_md, attr, &pd[STEP_DST_REORDER],
                                &st->step[STEP_DST_REORDER]));
    }

    /* Scratchpads: one shared buffer of the largest size. */
    size_t scratch_bytes = 0;
    for (int i = 0; i < STEP_COUNT; i++) {
        if (!pd[i]) continue;
        size_t bytes = dnnl_memory_desc_get_size(
            dnnl_primitive_desc_query_md(pd[i], dnnl_query_scratchpad_md, 0));
        if (bytes > scratch_bytes) scratch_bytes = bytes;
    }
    if (scratch_bytes > 0) {
        st->scratch_buffer = kb_aligned_alloc(scratch_bytes);
        if (!st->scratch_buffer) {
            status = KB_ERR_NOMEM;
            goto fail;
        }
        for (int i = 0; i < STEP_COUNT; i++) {
            if (!pd[i]) continue;
            const dnnl_memory_desc_t *md =
                dnnl_primitive_desc_query_md(pd[i], dnnl_query_scratchpad_md, 0);
            if (dnnl_memory_desc_get_size(md) == 0) continue;
            DNNL_TRY(dnnl_memory_create(&st->scratch[i], md, st->engine, st->scratch_buffer));
        }
    }

    /* Weight repacking, once: OIHW -> the primitive's layout, into memory the
     * state owns (no pointer to the caller's weights is kept). */
    DNNL_TRY(dnnl_memory_create(&st->weights, conv_weights_md, st->engine, DNNL_MEMORY_ALLOCATE));
    DNNL_TRY(dnnl_memory_create(&user_weights, &user_weights_md, st->engine,
                                args->tensor[KB_ARG_WEIGHTS]));
    /* Default attr: this reorder runs once, outside the state's scratchpad. */
    DNNL_TRY(create_reorder(st->engine, &user_weights_md, conv_weights_md, NULL, &weights_pd,
                            &weights_reorder));
    {
        const dnnl_exec_arg_t wargs[] = {{DNNL_ARG_FROM, user_weights}, {DNNL_ARG_TO, st->weights}};
        DNNL_TRY(dnnl_primitive_execute(weights_reorder, st->stream, 2, wargs));
        DNNL_TRY(dnnl_stream_wait(st->stream));
    }

fail:
    if (weights_reorder) dnnl_primitive_destroy(weights_reorder);
    if (weights_pd) dnnl_primitive_desc_destroy(weights_pd);
    if (user_weights) dnnl_memory_destroy(user_weights);
    for (int i = 0; i < STEP_COUNT; i++)
        if (pd[i]) dnnl_primitive_desc_destroy(pd[i]);
    if (attr) dnnl_primitive_attr_destroy(attr);
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
    return onednn_prepare_with(problem, args, dnnl_convolution_direct, plain, state);
}

kb_status kb_conv2d_fwd__onednn(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void *state, void *workspace) {
    (void)problem, (void)ctx, (void)workspace;
    assert(problem && args && state);
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_FWD);
    onednn_state *st = state;
    assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_BIAS] && args->tensor[KB_ARG_DST]);
    kb_status status = KB_OK;

    /* The args' buffers may move between calls: rebind every time (cheap for
     * plain layouts, which have no padding to zero). */
    DNNL_TRY(dnnl_memory_set_data_handle(st->user_src, args->tensor[KB_ARG_SRC]));
    DNNL_TRY(dnnl_memory_set_data_handle(st->user_dst, args->tensor[KB_ARG_DST]));
    DNNL_TRY(dnnl_memory_set_data_handle(st->bias, args->tensor[KB_ARG_BIAS]));

    if (st->step[STEP_SRC_REORDER]) {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_FROM, st->user_src},
                                     {DNNL_ARG_TO, st->conv_src},
                                     {DNNL_ARG_SCRATCHPAD, st->scratch[STEP_SRC_REORDER]}};
        DNNL_TRY(dnnl_primitive_execute(st->step[STEP_SRC_REORDER], st->stream,
                                        st->scratch[STEP_SRC_REORDER] ? 3 : 2, a));
    }
    {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, st->conv_src},
                                     {DNNL_ARG_WEIGHTS, st->weights},
                                     {DNNL_ARG_BIAS, st->bias},
                                     {DNNL_ARG_DST, st->conv_dst},
                                     {DNNL_ARG_SCRATCHPAD, st->scratch[STEP_CONV]}};
        DNNL_TRY(dnnl_primitive_execute(st->step[STEP_CONV], st->stream,
                                        st->scratch[STEP_CONV] ? 5 : 4, a));
    }
    if (st->step[STEP_DST_REORDER]) {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_FROM, st->conv_dst},
                                     {DNNL_ARG_TO, st->user_dst},
                                     {DNNL_ARG_SCRATCHPAD, st->scratch[STEP_DST_REORDER]}};
        DNNL_TRY(dnnl_primitive_execute(st->step[STEP_DST_REORDER], st->stream,
                                        st->scratch[STEP_DST_REORDER] ? 3 : 2, a));
    }
    DNNL_TRY(dnnl_stream_wait(st->stream));
fail:
    return status;
}

/* The implementation oneDNN picked for the convolution, e.g. "jit:avx512_core"
 * (kind:ISA); without a state, the highest ISA oneDNN may dispatch to. */
static const char *onednn_isa_used(void *state) {
    const onednn_state *st = state;
    return st ? st->impl : cpu_isa_name(dnnl_get_effective_cpu_isa());
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
    .isa_used = onednn_isa_used,
};
