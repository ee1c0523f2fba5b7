/* relu fwd and bwd, AVX2: 8 floats per vector, four vectors per iteration,
 * the tail through vmaskmovps (no scalar epilogue), split over ctx->threads
 * threads (core/parallel.h); outputs go out through streaming stores when a
 * call touches over 32 MiB (core/stream.h).
 *
 * The select ANDs x (fwd) or dy (bwd) with the mask "x not <= 0, or
 * unordered" (_CMP_NLE_UQ): the book's mask x <= 0 negated, so NaN x passes
 * through like in the book, and 0 and -0 give +0. */
#include <assert.h>
#include <immintrin.h>

#include "core/parallel.h"
#include "core/stream_avx2.h"
#include "eltwise/eltwise.h"
#include "kernbench/variant.h"

static inline __m256 keep(__m256 x) {
    return _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NLE_UQ);
}

/* Lane mask for the last `count` (< 8) elements: lane j is on when j < count. */
static inline __m256i tail_lanes(int64_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static void fwd_range(const void *data, int64_t begin, int64_t end) {
    const kb_eltwise_job *job = data;
    const kb_args *args = job->args;
    const float *src = args->tensor[KB_ARG_SRC];
    float *dst = args->tensor[KB_ARG_DST];
    const bool stream = job->stream && kb_aligned32(dst + begin);
    int64_t i = begin;
    for (; i + 32 <= end; i += 32) {
        for (int j = 0; j < 32; j += 8) {
            const __m256 x = _mm256_loadu_ps(src + i + j);
            kb_store8(dst + i + j, _mm256_and_ps(keep(x), x), stream);
        }
    }
    for (; i + 8 <= end; i += 8) {
        const __m256 x = _mm256_loadu_ps(src + i);
        kb_store8(dst + i, _mm256_and_ps(keep(x), x), stream);
    }
    if (i < end) {
        const __m256i lanes = tail_lanes(end - i);
        const __m256 x = _mm256_maskload_ps(src + i, lanes);
        _mm256_maskstore_ps(dst + i, lanes, _mm256_and_ps(keep(x), x));
    }
    if (stream) _mm_sfence();
}

static void bwd_range(const void *data, int64_t begin, int64_t end) {
    const kb_eltwise_job *job = data;
    const kb_args *args = job->args;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    const bool stream = job->stream && kb_aligned32(diff_src + begin);
    int64_t i = begin;
    for (; i + 32 <= end; i += 32) {
        for (int j = 0; j < 32; j += 8) {
            const __m256 k = keep(_mm256_loadu_ps(src + i + j));
            kb_store8(diff_src + i + j, _mm256_and_ps(k, _mm256_loadu_ps(diff_dst + i + j)),
                      stream);
        }
    }
    for (; i + 8 <= end; i += 8) {
        const __m256 k = keep(_mm256_loadu_ps(src + i));
        kb_store8(diff_src + i, _mm256_and_ps(k, _mm256_loadu_ps(diff_dst + i)), stream);
    }
    if (i < end) {
        const __m256i lanes = tail_lanes(end - i);
        const __m256 k = keep(_mm256_maskload_ps(src + i, lanes));
        _mm256_maskstore_ps(diff_src + i, lanes,
                            _mm256_and_ps(k, _mm256_maskload_ps(diff_dst + i, lanes)));
    }
    if (stream) _mm_sfence();
}

kb_status kb_relu_fwd__avx2(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                            void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_RELU && problem->direction == KB_DIR_FWD);
    assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_DST]);
    const kb_eltwise_job job = kb_eltwise_job_of(problem, args);
    kb_parallel_ranges(problem->eltwise.elems, ctx->threads, fwd_range, &job);
    return KB_OK;
}

kb_status kb_relu_bwd__avx2(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                            void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_RELU && problem->direction == KB_DIR_BWD);
    assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_DIFF_DST] &&
           args->tensor[KB_ARG_DIFF_SRC]);
    const kb_eltwise_job job = kb_eltwise_job_of(problem, args);
    kb_parallel_ranges(problem->eltwise.elems, ctx->threads, bwd_range, &job);
    return KB_OK;
}

const kb_variant kb_relu_fwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_RELU,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2 compare-and-mask, 4x8 floats per step, NT stores over 32 MiB",
    .run = kb_relu_fwd__avx2,
};

const kb_variant kb_relu_bwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_RELU,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2 compare-and-mask of dy, 4x8 floats per step, NT stores over 32 MiB",
    .run = kb_relu_bwd__avx2,
};
