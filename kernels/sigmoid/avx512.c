/* sigmoid fwd and bwd, AVX-512: 16 floats per vector, two vectors per
 * iteration (fwd: independent exp chains to fill the FMA pipes), the tail
 * under a lane mask, split over ctx->threads threads (core/parallel.h). fwd is
 * the overflow-free form with the project's polynomial exp
 * (sigmoid_avx512.h); bwd is dy * (1 - y) * y in the book's order. */
#include <assert.h>
#include <immintrin.h>

#include "core/parallel.h"
#include "kernbench/variant.h"
#include "sigmoid/sigmoid_avx512.h"

static inline __mmask16 tail_lanes(int64_t count) {
    return count >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << count) - 1);
}

static void fwd_range(const void *data, int64_t begin, int64_t end) {
    const kb_args *args = data;
    const float *src = args->tensor[KB_ARG_SRC];
    float *dst = args->tensor[KB_ARG_DST];
    int64_t i = begin;
    for (; i + 32 <= end; i += 32) {
        const __m512 y0 = kb_sigmoid_avx512(_mm512_loadu_ps(src + i));
        const __m512 y1 = kb_sigmoid_avx512(_mm512_loadu_ps(src + i + 16));
        _mm512_storeu_ps(dst + i, y0);
        _mm512_storeu_ps(dst + i + 16, y1);
    }
    for (; i < end; i += 16) {
        const __mmask16 lanes = tail_lanes(end - i);
        _mm512_mask_storeu_ps(dst + i, lanes,
                              kb_sigmoid_avx512(_mm512_maskz_loadu_ps(lanes, src + i)));
    }
}

static void bwd_range(const void *data, int64_t begin, int64_t end) {
    const kb_args *args = data;
    const float *dst = args->tensor[KB_ARG_DST];
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    int64_t i = begin;
    for (; i + 64 <= end; i += 64) {
        for (int j = 0; j < 64; j += 16)
            _mm512_storeu_ps(diff_src + i + j,
                             kb_sigmoid_bwd_avx512(_mm512_loadu_ps(dst + i + j),
                                                   _mm512_loadu_ps(diff_dst + i + j)));
    }
    for (; i < end; i += 16) {
        const __mmask16 lanes = tail_lanes(end - i);
        _mm512_mask_storeu_ps(diff_src + i, lanes,
                              kb_sigmoid_bwd_avx512(_mm512_maskz_loadu_ps(lanes, dst + i),
                                                    _mm512_maskz_loadu_ps(lanes, diff_dst + i)));
    }
}

kb_status kb_sigmoid_fwd__avx512(const kb_problem *problem, const kb_args *args,
                                 const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_SIGMOID && problem->direction == KB_DIR_FWD);
    assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_DST]);
    kb_parallel_ranges(problem->eltwise.elems, ctx->threads, fwd_range, args);
    return KB_OK;
}

kb_status kb_sigmoid_bwd__avx512(const kb_problem *problem, const kb_args *args,
                                 const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_SIGMOID && problem->direction == KB_DIR_BWD);
    assert(args->tensor[KB_ARG_DST] && args->tensor[KB_ARG_DIFF_DST] &&
           args->tensor[KB_ARG_DIFF_SRC]);
    kb_parallel_ranges(problem->eltwise.elems, ctx->threads, bwd_range, args);
    return KB_OK;
}

const kb_variant kb_sigmoid_fwd__avx512_variant = {
    .name = "avx512",
    .kernel = KB_KERNEL_SIGMOID,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX512,
    .summary = "AVX-512 polynomial exp(-|x|) with vscalefps, vdivps, masked tail",
    .run = kb_sigmoid_fwd__avx512,
};

const kb_variant kb_sigmoid_bwd__avx512_variant = {
    .name = "avx512",
    .kernel = KB_KERNEL_SIGMOID,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_AVX512,
    .summary = "AVX-512 dy * (1 - y) * y, 4x16 floats per step, masked tail",
    .run = kb_sigmoid_bwd__avx512,
};
