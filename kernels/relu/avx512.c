/* relu fwd and bwd, AVX-512: 16 floats per vector, four vectors per
 * iteration, the tail under a lane mask (no scalar epilogue), split over
 * ctx->threads threads (core/parallel.h).
 *
 * The select keeps x (fwd) or dy (bwd) where x compares "not <= 0, or
 * unordered" (_CMP_NLE_UQ): exactly the book's mask x <= 0 negated, so NaN x
 * passes through like in the book, and 0 and -0 give 0. */
#include <assert.h>
#include <immintrin.h>

#include "core/parallel.h"
#include "kernbench/variant.h"

static inline __mmask16 keep(__m512 x) {
    return _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NLE_UQ);
}

static void fwd_range(const void *data, int64_t begin, int64_t end) {
    const kb_args *args = data;
    const float *src = args->tensor[KB_ARG_SRC];
    float *dst = args->tensor[KB_ARG_DST];
    int64_t i = begin;
    for (; i + 64 <= end; i += 64) {
        const __m512 x0 = _mm512_loadu_ps(src + i), x1 = _mm512_loadu_ps(src + i + 16);
        const __m512 x2 = _mm512_loadu_ps(src + i + 32), x3 = _mm512_loadu_ps(src + i + 48);
        _mm512_storeu_ps(dst + i, _mm512_maskz_mov_ps(keep(x0), x0));
        _mm512_storeu_ps(dst + i + 16, _mm512_maskz_mov_ps(keep(x1), x1));
        _mm512_storeu_ps(dst + i + 32, _mm512_maskz_mov_ps(keep(x2), x2));
        _mm512_storeu_ps(dst + i + 48, _mm512_maskz_mov_ps(keep(x3), x3));
    }
    for (; i < end; i += 16) {
        const __mmask16 lanes = end - i >= 16 ? 0xffff : (__mmask16)((1u << (end - i)) - 1);
        const __m512 x = _mm512_maskz_loadu_ps(lanes, src + i);
        _mm512_mask_storeu_ps(dst + i, lanes, _mm512_maskz_mov_ps(keep(x), x));
    }
}

static void bwd_range(const void *data, int64_t begin, int64_t end) {
    const kb_args *args = data;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    int64_t i = begin;
    for (; i + 64 <= end; i += 64) {
        for (int j = 0; j < 64; j += 16) {
            const __mmask16 k = keep(_mm512_loadu_ps(src + i + j));
            _mm512_storeu_ps(diff_src + i + j, _mm512_maskz_loadu_ps(k, diff_dst + i + j));
        }
    }
    for (; i < end; i += 16) {
        const __mmask16 lanes = end - i >= 16 ? 0xffff : (__mmask16)((1u << (end - i)) - 1);
        const __mmask16 k = keep(_mm512_maskz_loadu_ps(lanes, src + i)) & lanes;
        _mm512_mask_storeu_ps(diff_src + i, lanes, _mm512_maskz_loadu_ps(k, diff_dst + i));
    }
}

kb_status kb_relu_fwd__avx512(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                              void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_RELU && problem->direction == KB_DIR_FWD);
    assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_DST]);
    kb_parallel_ranges(problem->eltwise.elems, ctx->threads, fwd_range, args);
    return KB_OK;
}

kb_status kb_relu_bwd__avx512(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                              void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_RELU && problem->direction == KB_DIR_BWD);
    assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_DIFF_DST] &&
           args->tensor[KB_ARG_DIFF_SRC]);
    kb_parallel_ranges(problem->eltwise.elems, ctx->threads, bwd_range, args);
    return KB_OK;
}

const kb_variant kb_relu_fwd__avx512_variant = {
    .name = "avx512",
    .kernel = KB_KERNEL_RELU,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX512,
    .summary = "AVX-512 masked select, 4x16 floats per step, masked tail",
    .run = kb_relu_fwd__avx512,
};

const kb_variant kb_relu_bwd__avx512_variant = {
    .name = "avx512",
    .kernel = KB_KERNEL_RELU,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_AVX512,
    .summary = "AVX-512 masked load of dy where x > 0, masked tail",
    .run = kb_relu_bwd__avx512,
};
