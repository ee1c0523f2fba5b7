/* affine backward, avx2: two calls of the project's packed AVX2 + FMA GEMM
 * (kb_gemm_avx2, gemm_avx2.h) and an AVX2 column sum:
 *   dx = dout W^T   GEMM with op(B) = B^T: W (D x M) is read as stored, the
 *                   packing transposes it, no copy of W^T;
 *   dW = x^T dout   GEMM with op(A) = A^T: x (N x D) read as stored;
 *   db             column sums of dout, 32 columns (4 ymm accumulators) at a
 *                   time over every row, rows added in order.
 * One thread. Any size. Workspace: the GEMM's pack buffer, shared by the two
 * calls (one after the other). ISA: AVX2 + FMA3 (compiled with -mavx2 -mfma). */
#include <assert.h>
#include <immintrin.h>

#include "affine/affine_avx2.h"
#include "gemm/gemm_avx2.h"
#include "kernbench/variant.h"

/* db[j] = sum_i dout[i][j], i in order: 4 independent accumulators per
 * 32-column block keep the adds from waiting on each other; the 8-column
 * blocks and the masked tail do the rest. */
static void column_sums(const kb_affine_shape *s, const float *diff_dst, float *diff_bias) {
    const int64_t rows = s->batch, out = s->out_features;
    int64_t j = 0;
    for (; j + 32 <= out; j += 32) {
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
        __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
        for (int64_t i = 0; i < rows; i++) {
            const float *row = diff_dst + i * out + j;
            acc0 = _mm256_add_ps(acc0, _mm256_loadu_ps(row));
            acc1 = _mm256_add_ps(acc1, _mm256_loadu_ps(row + 8));
            acc2 = _mm256_add_ps(acc2, _mm256_loadu_ps(row + 16));
            acc3 = _mm256_add_ps(acc3, _mm256_loadu_ps(row + 24));
        }
        _mm256_storeu_ps(diff_bias + j, acc0);
        _mm256_storeu_ps(diff_bias + j + 8, acc1);
        _mm256_storeu_ps(diff_bias + j + 16, acc2);
        _mm256_storeu_ps(diff_bias + j + 24, acc3);
    }
    for (; j + 8 <= out; j += 8) {
        __m256 acc = _mm256_setzero_ps();
        for (int64_t i = 0; i < rows; i++)
            acc = _mm256_add_ps(acc, _mm256_loadu_ps(diff_dst + i * out + j));
        _mm256_storeu_ps(diff_bias + j, acc);
    }
    if (j < out) {
        const __m256i mask = kb_affine_avx2_tail_mask(out - j);
        __m256 acc = _mm256_setzero_ps();
        for (int64_t i = 0; i < rows; i++)
            acc = _mm256_add_ps(acc, _mm256_maskload_ps(diff_dst + i * out + j, mask));
        _mm256_maskstore_ps(diff_bias + j, mask, acc);
    }
}

static size_t avx2_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    (void)problem, (void)ctx;
    return kb_gemm_avx2_pack_bytes();
}

kb_status kb_affine_bwd__avx2(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                              void *state, void *workspace) {
    (void)ctx, (void)state;
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_BWD);
    assert(workspace);
    const kb_affine_shape *s = &problem->affine;
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    const float *src = args->tensor[KB_ARG_SRC];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    float *diff_weights = args->tensor[KB_ARG_DIFF_WEIGHTS];
    float *diff_bias = args->tensor[KB_ARG_DIFF_BIAS];
    assert(diff_dst && src && weights && diff_src && diff_weights && diff_bias);

    const int64_t batch = s->batch, in = s->in_features, out = s->out_features;
    /* dx (N x D) = dout (N x M) * W^T, W stored D x M = n x k. */
    kb_gemm_avx2(false, true, batch, in, out, 1.0f, diff_dst, out, weights, out, 0.0f, diff_src, in,
                 workspace);
    /* dW (D x M) = x^T * dout, x stored N x D = k x m. */
    kb_gemm_avx2(true, false, in, out, batch, 1.0f, src, in, diff_dst, out, 0.0f, diff_weights, out,
                 workspace);
    column_sums(s, diff_dst, diff_bias);
    return KB_OK;
}

const kb_variant kb_affine_bwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_AFFINE,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_AVX2,
    .summary = "packed 6x16 AVX2/FMA GEMM for dx and dW, AVX2 column sums for db, one thread",
    .single_threaded = true,
    .workspace_bytes = avx2_workspace_bytes,
    .run = kb_affine_bwd__avx2,
};
