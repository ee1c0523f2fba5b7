/* AVX-512 SGEMM kit (see gemm_avx512.h for the contract, gemm/packed.h for
 * the five loops and the run-time cache blocking around it).
 *
 * Microkernel: a 12 x 32 tile of C in 24 zmm accumulators; per reduction step
 * 2 B vector loads, 12 A broadcast loads and 24 FMAs. Two FMA pipes with a
 * 4-cycle latency need 8 independent chains; 24 leave slack, and 24 + 2 B vectors fit the 32 zmm
 * registers without spills. Per step: 12 cycles of FMAs against 14 loads,
 * within the two loads a cycle the core sustains. 12 rather than 14 rows:
 * same FMA share, fewer registers pressed, and the A sliver (48 bytes a step)
 * leaves more of L1 to the B sliver.
 *
 * Edge tiles write C directly: an edge sliver of 1-4 or 5-8 rows runs a 4- or
 * 8-row kernel on the first rows of its (zero-padded) A sliver, and rows past
 * the edge are not stored; columns past the edge are masked off in the loads
 * and stores of C (masked lanes never fault), and a tile at most 16 columns
 * wide runs one vector per row (half the FMAs). Channel counts 64, 128, 256,
 * 512 leave 4 or 8 rows past the last full sliver.
 *
 * alpha is applied when the tile is written; beta applies on the first
 * reduction slice only, later slices add. ISA: AVX-512 F (this file is
 * compiled with the AVX-512 F/BW/DQ/VL flags; packing uses AVX2). */
#include "gemm_avx512.h"

#include <assert.h>
#include <immintrin.h>
#include <stdbool.h>

#include "gemm/pack_simd.h"
#include "gemm/packed.h"

enum {
    MR = 12, /* C tile rows: A broadcasts per step */
    NR = 32, /* C tile columns: two zmm vectors */
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

/* Reduction steps [begin, end) of the first `height` rows of the tile:
 * acc += a_sliver * b_sliver (the A sliver keeps its MR-row layout). */
static inline __attribute__((always_inline)) void
fma_steps(int height, int vectors, int64_t begin, int64_t end, const float *restrict a,
          const float *restrict b, __m512 acc[MR][2]) {
#pragma GCC unroll 4
    for (int64_t p = begin; p < end; p++) {
        const __m512 b0 = _mm512_load_ps(b + p * NR);
        const __m512 b1 = vectors == 2 ? _mm512_load_ps(b + p * NR + 16) : b0;
#pragma GCC unroll 12
        for (int i = 0; i < height; i++) {
            const __m512 ai = _mm512_set1_ps(a[p * MR + i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            if (vectors == 2) acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
}

/* The tile at c (row stride ldc) = alpha * a_sliver * b_sliver + beta * tile,
 * beta == 0 never reading c. height: the rows computed (4, 8 or MR: an edge
 * sliver of 1-4 rows costs a third of a full one). vectors: 2 (32 columns)
 * or 1 (the left 16). edge: only `rows` (<= height) rows are stored, and the
 * columns of vector h through mask[h]; without it every row and lane is.
 * Always inlined so `height`, `vectors` and `edge` are constants and the
 * accumulators stay in registers. */
static inline __attribute__((always_inline)) void
tile_kernel(int height, int vectors, bool edge, int64_t depth, const float *restrict a,
            const float *restrict b, float alpha, float beta, float *restrict c, int64_t ldc,
            int64_t rows, const __mmask16 mask[2]) {
    __m512 acc[MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < height; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    /* The C tile is only touched after the loop. Its rows are often a
     * power-of-two stride apart (n = 1024, 2048) and then share L1 sets:
     * fetched into L1 at the start they would be evicted by the A and B
     * slivers before use. So: into L2 at the start, into L1 a few steps
     * before the end (for reading, or for writing when beta == 0). */
    const int64_t tile_rows = edge ? rows : MR;
    for (int64_t i = 0; i < tile_rows; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T1);
        if (vectors == 2) _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T1);
    }
    const int64_t body = depth > KB_GEMM_C_TAIL ? depth - KB_GEMM_C_TAIL : 0;
    fma_steps(height, vectors, 0, body, a, b, acc);
    for (int64_t i = 0; i < tile_rows; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        if (vectors == 2) _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
    }
    fma_steps(height, vectors, body, depth, a, b, acc);

    const __m512 alpha_v = _mm512_set1_ps(alpha), beta_v = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int i = 0; i < height; i++) {
        if (edge && i >= rows) break;
#pragma GCC unroll 2
        for (int h = 0; h < vectors; h++) {
            float *to = c + i * ldc + 16 * h;
            __m512 v = _mm512_mul_ps(alpha_v, acc[i][h]);
            if (beta != 0.0f) {
                const __m512 old = edge ? _mm512_maskz_loadu_ps(mask[h], to) : _mm512_loadu_ps(to);
                v = beta == 1.0f ? _mm512_add_ps(v, old) : _mm512_fmadd_ps(beta_v, old, v);
            }
            if (edge)
                _mm512_mask_storeu_ps(to, mask[h], v);
            else
                _mm512_storeu_ps(to, v);
        }
    }
}

static void full_tile(int64_t depth, const float *restrict a, const float *restrict b,
                      float alpha, float beta, float *restrict c, int64_t ldc) {
    tile_kernel(MR, 2, false, depth, a, b, alpha, beta, c, ldc, MR, NULL);
}

/* rows x cols corner (rows <= MR, cols <= NR). */
static void edge_tile(int64_t depth, const float *restrict a, const float *restrict b,
                      float alpha, float beta, float *restrict c, int64_t ldc, int64_t rows,
                      int64_t cols) {
    __mmask16 mask[2];
    mask[0] = (__mmask16)(cols >= 16 ? 0xffff : (1u << cols) - 1);
    mask[1] = (__mmask16)(cols >= 32 ? 0xffff : cols > 16 ? (1u << (cols - 16)) - 1 : 0);
    /* One instance per (height, vectors) pair: six small kernels. */
#define KB_EDGE_TILE(height)                                                                       \
    do {                                                                                           \
        if (cols <= 16)                                                                            \
            tile_kernel(height, 1, true, depth, a, b, alpha, beta, c, ldc, rows, mask);            \
        else                                                                                       \
            tile_kernel(height, 2, true, depth, a, b, alpha, beta, c, ldc, rows, mask);            \
    } while (0)
    if (rows <= 4)
        KB_EDGE_TILE(4);
    else if (rows <= 8)
        KB_EDGE_TILE(8);
    else
        KB_EDGE_TILE(MR);
#undef KB_EDGE_TILE
}

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
                full_tile(depth, a_sliver, b_sliver, alpha, beta, tile, ldc);
            else
                edge_tile(depth, a_sliver, b_sliver, alpha, beta, tile, ldc, tile_rows, tile_cols);
        }
    }
}

const kb_gemm_kit kb_gemm_avx512_kit = {
    .isa = "avx512",
    .mr = MR,
    .nr = NR,
    .pack_a = pack_a,
    .pack_b = pack_b,
    .macro_kernel = macro_kernel,
};

size_t kb_gemm_avx512_pack_bytes(void) { return kb_gemm_packed_bytes(&kb_gemm_avx512_kit); }

void kb_gemm_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                    int64_t ldc, float *pack_buffer) {
    kb_gemm_packed(&kb_gemm_avx512_kit, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta,
                   c, ldc, pack_buffer);
}
