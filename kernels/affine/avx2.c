/* affine forward, avx2: the bias is broadcast into every row of y with AVX2
 * stores, then the project's packed AVX2 + FMA GEMM (kb_gemm_avx2, 6 x 16
 * microkernel, gemm_avx2.h) adds x W onto it with beta = 1. Starting from the
 * bias costs no extra pass: the GEMM reads C on its first reduction slice
 * either way once D exceeds one slice, and y is written once by the
 * broadcast instead of being read back for a separate bias pass.
 *
 * One thread (the GEMM is single-threaded; omp_tiled is the parallel one).
 * Any size. Workspace: the GEMM's pack buffer. ISA: AVX2 + FMA3 (this file
 * is compiled with -mavx2 -mfma). */
#include <assert.h>
#include <immintrin.h>

#include "affine/affine_avx2.h"
#include "gemm/gemm_avx2.h"
#include "kernbench/variant.h"

/* dst[i][j] = bias[j] for every row: bias vectors stay in L1 (at most
 * M floats), the stores stream through y. */
static void broadcast_bias(const kb_affine_shape *s, const float *bias, float *dst) {
    const int64_t out = s->out_features;
    const int64_t full = out / 8 * 8;
    const __m256i mask = kb_affine_avx2_tail_mask(out - full);
    for (int64_t i = 0; i < s->batch; i++) {
        float *row = dst + i * out;
        for (int64_t j = 0; j < full; j += 8) _mm256_storeu_ps(row + j, _mm256_loadu_ps(bias + j));
        if (full < out)
            _mm256_maskstore_ps(row + full, mask, _mm256_maskload_ps(bias + full, mask));
    }
}

static size_t avx2_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    (void)problem, (void)ctx;
    return kb_gemm_avx2_pack_bytes();
}

kb_status kb_affine_fwd__avx2(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                              void *state, void *workspace) {
    (void)ctx, (void)state;
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_FWD);
    assert(workspace);
    const kb_affine_shape *s = &problem->affine;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    const float *bias = args->tensor[KB_ARG_BIAS];
    float *dst = args->tensor[KB_ARG_DST];
    assert(src && weights && bias && dst);

    broadcast_bias(s, bias, dst);
    kb_gemm_avx2(false, false, s->batch, s->out_features, s->in_features, 1.0f, src, s->in_features,
                 weights, s->out_features, 1.0f, dst, s->out_features, workspace);
    return KB_OK;
}

const kb_variant kb_affine_fwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_AFFINE,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2 bias broadcast + packed 6x16 AVX2/FMA GEMM (beta = 1), one thread",
    .single_threaded = true,
    .workspace_bytes = avx2_workspace_bytes,
    .run = kb_affine_fwd__avx2,
};
