/* sigmoid fwd and bwd, AVX2: 8 floats per vector, two vectors per iteration
 * (fwd: independent exp chains to fill the FMA pipes), the tail through
 * vmaskmovps, split over ctx->threads threads (core/parallel.h), outputs
 * through streaming stores when a call touches over 32 MiB (core/stream.h).
 * fwd is the
 * overflow-free form with the project's polynomial exp (sigmoid_avx2.h); bwd
 * is dy * (1 - y) * y in the book's order. */
#include <assert.h>
#include <immintrin.h>

#include "core/parallel.h"
#include "core/stream_avx2.h"
#include "eltwise/eltwise.h"
#include "kernbench/variant.h"
#include "sigmoid/sigmoid_avx2.h"

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
    for (; i + 16 <= end; i += 16) {
        const __m256 y0 = kb_sigmoid_avx2(_mm256_loadu_ps(src + i));
        const __m256 y1 = kb_sigmoid_avx2(_mm256_loadu_ps(src + i + 8));
        kb_store8(dst + i, y0, stream);
        kb_store8(dst + i + 8, y1, stream);
    }
    for (; i + 8 <= end; i += 8)
        kb_store8(dst + i, kb_sigmoid_avx2(_mm256_loadu_ps(src + i)), stream);
    if (i < end) {
        const __m256i lanes = tail_lanes(end - i);
        _mm256_maskstore_ps(dst + i, lanes, kb_sigmoid_avx2(_mm256_maskload_ps(src + i, lanes)));
    }
    if (stream) _mm_sfence();
}

static void bwd_range(const void *data, int64_t begin, int64_t end) {
    const kb_eltwise_job *job = data;
    const kb_args *args = job->args;
    const float *dst = args->tensor[KB_ARG_DST];
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    const bool stream = job->stream && kb_aligned32(diff_src + begin);
    int64_t i = begin;
    for (; i + 32 <= end; i += 32) {
        for (int j = 0; j < 32; j += 8)
            kb_store8(diff_src + i + j,
                      kb_sigmoid_bwd_avx2(_mm256_loadu_ps(dst + i + j),
                                          _mm256_loadu_ps(diff_dst + i + j)),
                      stream);
    }
    for (; i + 8 <= end; i += 8)
        kb_store8(diff_src + i,
                  kb_sigmoid_bwd_avx2(_mm256_loadu_ps(dst + i), _mm256_loadu_ps(diff_dst + i)),
                  stream);
    if (i < end) {
        const __m256i lanes = tail_lanes(end - i);
        _mm256_maskstore_ps(diff_src + i, lanes,
                            kb_sigmoid_bwd_avx2(_mm256_maskload_ps(dst + i, lanes),
                                                _mm256_maskload_ps(diff_dst + i, lanes)));
    }
    if (stream) _mm_sfence();
}

kb_status kb_sigmoid_fwd__avx2(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_SIGMOID && problem->direction == KB_DIR_FWD);
    assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_DST]);
    const kb_eltwise_job job = kb_eltwise_job_of(problem, args);
    kb_parallel_ranges(problem->eltwise.elems, ctx->threads, fwd_range, &job);
    return KB_OK;
}

kb_status kb_sigmoid_bwd__avx2(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_SIGMOID && problem->direction == KB_DIR_BWD);
    assert(args->tensor[KB_ARG_DST] && args->tensor[KB_ARG_DIFF_DST] &&
           args->tensor[KB_ARG_DIFF_SRC]);
    const kb_eltwise_job job = kb_eltwise_job_of(problem, args);
    kb_parallel_ranges(problem->eltwise.elems, ctx->threads, bwd_range, &job);
    return KB_OK;
}

const kb_variant kb_sigmoid_fwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_SIGMOID,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2 polynomial exp(-|x|), vdivps, NT stores over 32 MiB",
    .run = kb_sigmoid_fwd__avx2,
};

const kb_variant kb_sigmoid_bwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_SIGMOID,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2 dy * (1 - y) * y, 4x8 floats per step, NT stores over 32 MiB",
    .run = kb_sigmoid_bwd__avx2,
};
