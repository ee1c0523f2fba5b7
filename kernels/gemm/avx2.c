/* AVX2 + FMA SGEMM kit (see gemm_avx2.h for the contract, gemm/packed.h for
 * the five loops and the run-time cache blocking around it).
 *
 * Microkernel: a 6 x 16 tile of C in 12 ymm accumulators; per reduction step
 * 2 B vector loads, 6 A broadcasts and 12 FMAs (16 of the 16 ymm registers
 * with the broadcast), so the FMA pipes, not the loads, set the pace, and 12
 * independent chains cover the FMA latency (4 cycles x 2 pipes = 8 needed).
 * Full tiles are written straight from the registers; edge tiles (m % 6,
 * n % 16) compute on the zero padding into a 6 x 16 temporary and copy the
 * valid part, so padding never reaches C (edges at most 8 wide run a 6 x 8
 * kernel: half the FMAs).
 *
 * Block sizes come from packed.c's rule (on a 48 KiB 12-way L1, 1 MiB L2:
 * KC = 512, MC = 252, NC = 2048; it ran with fixed 256, 144, 3072 before, at
 * the same speed).
 *
 * alpha is applied when the tile is written (not folded into the packing);
 * beta applies on the first reduction slice only, later slices add. ISA:
 * AVX2 + FMA3 (this file is compiled with -mavx2 -mfma). */
#include "gemm_avx2.h"

#include <assert.h>
#include <immintrin.h>

#include "gemm/pack_simd.h"
#include "gemm/packed.h"

enum {
    MR = 6,  /* C tile rows: A broadcasts per step */
    NR = 16, /* C tile columns: two ymm vectors */
};

static inline int64_t min_i64(int64_t x, int64_t y) { return x < y ? x : y; }

static void pack_a(int64_t rows, int64_t depth, const float *src, int64_t line_stride,
                   int64_t depth_stride, float *restrict dst) {
    kb_pack_panel(MR, rows, depth, src, line_stride, depth_stride, dst);
}

static void pack_b(int64_t cols, int64_t depth, const float *src, int64_t line_stride,
                   int64_t depth_stride, float *restrict dst) {
    kb_pack_panel(NR, cols, depth, src, line_stride, depth_stride, dst);
}

/* --- microkernel ----------------------------------------------------------------- */

/* Reduction steps [begin, end) of the tile: acc += a_sliver * b_sliver. */
static inline __attribute__((always_inline)) void
fma_steps(int vectors, int64_t begin, int64_t end, const float *restrict a,
          const float *restrict b, __m256 acc[MR][2]) {
#pragma GCC unroll 4
    for (int64_t p = begin; p < end; p++) {
        const __m256 b0 = _mm256_load_ps(b + p * NR);
        const __m256 b1 = vectors == 2 ? _mm256_load_ps(b + p * NR + 8) : b0;
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            const __m256 ai = _mm256_broadcast_ss(a + p * MR + i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            if (vectors == 2) acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
}

/* The MR x (8 * vectors) tile at c (row stride ldc) = alpha * a_sliver *
 * b_sliver + beta * tile, with beta == 0 never reading c. vectors is 2 (the
 * full tile) or 1: the left half, for edge tiles at most 8 columns wide, which
 * then skip half the FMAs (7x7 images give n = 49 = 3 * 16 + 1). Always
 * inlined so `vectors` is a constant and the accumulators stay in registers. */
static inline __attribute__((always_inline)) void
tile_kernel(int vectors, int64_t depth, const float *restrict a, const float *restrict b,
            float alpha, float beta, float *restrict c, int64_t ldc) {
    __m256 acc[MR][2];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    /* The C tile is only touched after the loop. Its rows are often a
     * power-of-two stride apart (n = 1024, 2048) and then share L1 sets:
     * fetched into L1 at the start they would be evicted by the A and B
     * slivers before use. So: into L2 at the start, into L1 a few steps
     * before the end (for reading, or for writing when beta == 0). */
    for (int i = 0; i < MR; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T1);
        _mm_prefetch((const char *)(c + i * ldc + 8 * vectors - 1), _MM_HINT_T1);
    }
    const int64_t body = depth > KB_GEMM_C_TAIL ? depth - KB_GEMM_C_TAIL : 0;
    fma_steps(vectors, 0, body, a, b, acc);
    for (int i = 0; i < MR; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 8 * vectors - 1), _MM_HINT_T0);
    }
    fma_steps(vectors, body, depth, a, b, acc);

    const __m256 alpha_v = _mm256_set1_ps(alpha), beta_v = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 2
        for (int h = 0; h < vectors; h++) {
            float *to = c + i * ldc + 8 * h;
            __m256 v;
            if (beta == 0.0f)
                v = _mm256_mul_ps(alpha_v, acc[i][h]);
            else if (beta == 1.0f)
                v = _mm256_fmadd_ps(alpha_v, acc[i][h], _mm256_loadu_ps(to));
            else
                v = _mm256_fmadd_ps(alpha_v, acc[i][h], _mm256_mul_ps(beta_v, _mm256_loadu_ps(to)));
            _mm256_storeu_ps(to, v);
        }
}

static void microkernel(int64_t depth, const float *restrict a, const float *restrict b,
                        float alpha, float beta, float *restrict c, int64_t ldc) {
    tile_kernel(2, depth, a, b, alpha, beta, c, ldc);
}

static void half_microkernel(int64_t depth, const float *restrict a, const float *restrict b,
                             float alpha, float beta, float *restrict c, int64_t ldc) {
    tile_kernel(1, depth, a, b, alpha, beta, c, ldc);
}

/* A rows x cols corner (rows <= MR, cols <= NR) of a tile: a kernel writes the
 * padded tile (or its left half) to a temporary, the valid part goes to C. */
static void edge_tile(int64_t depth, const float *a, const float *b, float alpha, float beta,
                      int64_t rows, int64_t cols, float *c, int64_t ldc) {
    _Alignas(32) float tile[MR * NR];
    if (cols <= 8)
        half_microkernel(depth, a, b, alpha, 0.0f, tile, NR);
    else
        microkernel(depth, a, b, alpha, 0.0f, tile, NR);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            c[i * ldc + j] =
                beta == 0.0f ? tile[i * NR + j] : tile[i * NR + j] + beta * c[i * ldc + j];
}

/* C block (rows x cols) = alpha * packed A block * packed B panel + beta * C. */
static void macro_kernel(int64_t rows, int64_t cols, int64_t depth, const float *packed_a,
                         const float *packed_b, float alpha, float beta, float *c, int64_t ldc) {
    for (int64_t jr = 0; jr < cols; jr += NR) {
        const float *b_sliver = packed_b + jr * depth;
        const int64_t tile_cols = min_i64(NR, cols - jr);
        for (int64_t ir = 0; ir < rows; ir += MR) {
            const float *a_sliver = packed_a + ir * depth;
            const int64_t tile_rows = min_i64(MR, rows - ir);
            float *tile = c + ir * ldc + jr;
            if (tile_rows == MR && tile_cols == NR)
                microkernel(depth, a_sliver, b_sliver, alpha, beta, tile, ldc);
            else
                edge_tile(depth, a_sliver, b_sliver, alpha, beta, tile_rows, tile_cols, tile, ldc);
        }
    }
}

const kb_gemm_kit kb_gemm_avx2_kit = {
    .isa = "avx2",
    .mr = MR,
    .nr = NR,
    .pack_a = pack_a,
    .pack_b = pack_b,
    .macro_kernel = macro_kernel,
};

size_t kb_gemm_avx2_pack_bytes(void) { return kb_gemm_packed_bytes(&kb_gemm_avx2_kit); }

void kb_gemm_avx2(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                  int64_t ldc, float *pack_buffer) {
    kb_gemm_packed(&kb_gemm_avx2_kit, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                   ldc, pack_buffer);
}
