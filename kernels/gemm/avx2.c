/* AVX2 + FMA SGEMM, BLIS-style (see gemm_avx2.h for the contract).
 *
 * Loop nest (the five BLIS loops around a register microkernel):
 *   jc: NC-wide column blocks of C
 *     pc: KC-deep slices of the reduction: pack op(B) (kc x nc) into NR-wide
 *         column slivers, each kc x NR contiguous, zero-padded to NR columns
 *       ic: MC-tall row blocks: pack op(A) (mc x kc) into MR-tall row slivers,
 *           each kc x MR contiguous (column-major inside), zero-padded to MR
 *         jr: one B sliver (stays in L1 for the whole ir loop)
 *           ir: one A sliver (streamed from L2): the microkernel.
 * Microkernel: a 6 x 16 tile of C in 12 ymm accumulators; per reduction step
 * 2 B vector loads, 6 A broadcasts and 12 FMAs (16 of the 16 ymm registers
 * with the broadcast), so the FMA pipes, not the loads, set the pace, and 12
 * independent chains cover the FMA latency (4 cycles x 2 pipes = 8 needed).
 * Full tiles are written straight from the registers; edge tiles (m % 6,
 * n % 16) compute on the zero padding into a 6 x 16 temporary and copy the
 * valid part, so padding never reaches C (edges at most 8 wide run a 6 x 8
 * kernel: half the FMAs).
 *
 * Block sizes (Zen 5: 48 KiB L1D, 1 MiB L2 per core, 32 MiB L3 per CCD):
 *   KC = 256: one B sliver (16 KiB) plus one A sliver (6 KiB) stay in L1
 *     with room for the C tile; deep enough that the tile's load/store
 *     once per slice is noise (2 x 96 floats per 256 x 12 FMAs).
 *   MC = 144: the packed A block (144 KiB) stays in L2 next to the B
 *     slivers streaming through; larger MC measured no faster (the ir loop is
 *     bound by the FMAs, not by L2), and a small block keeps the A panel warm
 *     for the short-n calls of the convolutions.
 *   NC = 3072: the packed B panel (3 MiB) lives in L3 and is reused by every
 *     MC block; per-thread pack buffers stay moderate (3.1 MiB).
 * Each dimension is cut into equal blocks (<= the maximum, rounded up to the
 * sliver size) so k = 257 runs as 136 + 121, not 256 + 1.
 *
 * alpha is applied when the tile is written (not folded into the packing);
 * beta applies on the first reduction slice only, later slices add. ISA:
 * AVX2 + FMA3 (this file is compiled with -mavx2 -mfma). */
#include "gemm_avx2.h"

#include <assert.h>
#include <immintrin.h>

#include "gemm_blocked.h"

enum {
    MR = 6,   /* C tile rows: A broadcasts per step */
    NR = 16,  /* C tile columns: two ymm vectors */
    KC = 256, /* reduction depth of one packed slice */
    MC = 144, /* rows of op(A) packed at once */
    NC = 3072 /* columns of op(B) packed at once */
};
_Static_assert(MC % MR == 0 && NC % NR == 0 && KC % 8 == 0, "blocks are whole slivers");

size_t kb_gemm_avx2_pack_bytes(void) {
    return ((size_t)KC * NC + (size_t)MC * KC) * sizeof(float);
}

static inline int64_t min_i64(int64_t x, int64_t y) { return x < y ? x : y; }

/* The step that cuts `total` into ceil(total / max) equal blocks, rounded up
 * to a multiple of `multiple` (max is one too, so the step never exceeds it). */
static int64_t block_step(int64_t total, int64_t max, int64_t multiple) {
    const int64_t blocks = (total + max - 1) / max;
    const int64_t step = (total + blocks - 1) / blocks;
    return (step + multiple - 1) / multiple * multiple;
}

/* --- packing ------------------------------------------------------------------ */

/* In-place transpose of the 8 x 8 block held in r[0..7]. */
static inline void transpose8(__m256 r[8]) {
    __m256 t[8], s[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);     /* a0 b0 a1 b1 | a4 b4 a5 b5 */
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]); /* a2 b2 a3 b3 | a6 b6 a7 b7 */
    }
    for (int i = 0; i < 8; i += 4) {
        s[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));     /* col 0 | 4 */
        s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2)); /* col 1 | 5 */
        s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
    }
}

/* Writes the first `lanes` (6 or 8) floats of v. */
static inline void store_lanes(float *dst, __m256 v, int lanes) {
    if (lanes == 8) {
        _mm256_storeu_ps(dst, v);
    } else {
        assert(lanes == 6);
        _mm_storeu_ps(dst, _mm256_castps256_ps128(v));
        _mm_storel_pi((__m64 *)(dst + 4), _mm256_extractf128_ps(v, 1));
    }
}

/* Packs a panel of op(X) of `lines` lines (rows of op(A), or columns of
 * op(B)) by `depth` reduction steps, element (l, p) at
 * src[l * line_stride + p * depth_stride], into slivers of `width` lines:
 * sliver s holds, step after step, the `width` values of its lines
 * (dst[s * width * depth + p * width + l % width]); missing lines are 0.
 * One of the strides is 1. When it is line_stride, each step is a contiguous
 * copy; when it is depth_stride, each line is contiguous and 8 x 8 register
 * transposes turn 8 line reads into 8 sliver rows (a column walk would read
 * `width` cache lines per step). Always inlined so `width` is a constant. */
static inline __attribute__((always_inline)) void
pack_panel(int width, int64_t lines, int64_t depth, const float *src, int64_t line_stride,
           int64_t depth_stride, float *restrict dst) {
    assert(line_stride == 1 || depth_stride == 1);
    for (int64_t l0 = 0; l0 < lines; l0 += width, dst += width * depth) {
        const int64_t count = min_i64(width, lines - l0);
        const float *from = src + l0 * line_stride;
        int64_t p = 0;
        if (count == width && line_stride == 1) {
            for (; p < depth; p++)
                for (int l = 0; l < width; l++) dst[p * width + l] = from[p * depth_stride + l];
        } else if (count == width && depth_stride == 1) {
            for (; p + 8 <= depth; p += 8) {
                /* Groups of 8 lines; a 6-line sliver pads its group with zeros. */
                for (int g = 0; g < width; g += 8) {
                    const int group = width - g < 8 ? width - g : 8;
                    __m256 r[8];
                    for (int l = 0; l < 8; l++)
                        r[l] = l < group ? _mm256_loadu_ps(from + (g + l) * line_stride + p)
                                         : _mm256_setzero_ps();
                    transpose8(r);
                    for (int q = 0; q < 8; q++) store_lanes(dst + (p + q) * width + g, r[q], group);
                }
            }
        }
        /* Edge slivers and the last depth % 8 steps of transposed ones. */
        for (; p < depth; p++)
            for (int l = 0; l < width; l++)
                dst[p * width + l] = l < count ? from[l * line_stride + p * depth_stride] : 0.0f;
    }
}

static void pack_a(int64_t rows, int64_t depth, const float *src, int64_t line_stride,
                   int64_t depth_stride, float *restrict dst) {
    pack_panel(MR, rows, depth, src, line_stride, depth_stride, dst);
}

static void pack_b(int64_t cols, int64_t depth, const float *src, int64_t line_stride,
                   int64_t depth_stride, float *restrict dst) {
    pack_panel(NR, cols, depth, src, line_stride, depth_stride, dst);
}

/* --- microkernel ----------------------------------------------------------------- */

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
    /* The C tile is only touched after the loop; start its lines on the way. */
    if (beta != 0.0f)
        for (int i = 0; i < MR; i++) {
            _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
            _mm_prefetch((const char *)(c + i * ldc + 8 * vectors - 1), _MM_HINT_T0);
        }

#pragma GCC unroll 4
    for (int64_t p = 0; p < depth; p++) {
        const __m256 b0 = _mm256_load_ps(b + p * NR);
        const __m256 b1 = vectors == 2 ? _mm256_load_ps(b + p * NR + 8) : b0;
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            const __m256 ai = _mm256_broadcast_ss(a + p * MR + i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            if (vectors == 2) acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
    }

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

void kb_gemm_avx2(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                  int64_t ldc, float *pack_buffer) {
    assert(m >= 0 && n >= 0 && k >= 0);
    assert(ldc >= n && lda >= (trans_a ? m : k) && ldb >= (trans_b ? k : n));
    if (m == 0 || n == 0) return;
    if (k == 0 || alpha == 0.0f) {
        /* Only C = beta * C: the portable GEMM's path (it touches no buffer). */
        kb_gemm_blocked(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                        pack_buffer);
        return;
    }
    assert(a && b && c && pack_buffer && (uintptr_t)pack_buffer % 64 == 0);
    float *packed_b = pack_buffer;
    float *packed_a = pack_buffer + (size_t)KC * NC;
    /* Element (line, step) strides of op(A) (lines = rows) and op(B) (lines = columns). */
    const int64_t a_line = trans_a ? 1 : lda, a_depth = trans_a ? lda : 1;
    const int64_t b_line = trans_b ? ldb : 1, b_depth = trans_b ? 1 : ldb;
    const int64_t nc_step = block_step(n, NC, NR);
    const int64_t kc_step = block_step(k, KC, 8);
    const int64_t mc_step = block_step(m, MC, MR);

    for (int64_t jc = 0; jc < n; jc += nc_step) {
        const int64_t cols = min_i64(nc_step, n - jc);
        for (int64_t pc = 0; pc < k; pc += kc_step) {
            const int64_t depth = min_i64(kc_step, k - pc);
            pack_b(cols, depth, b + jc * b_line + pc * b_depth, b_line, b_depth, packed_b);
            const float beta_now = pc == 0 ? beta : 1.0f;
            for (int64_t ic = 0; ic < m; ic += mc_step) {
                const int64_t rows = min_i64(mc_step, m - ic);
                pack_a(rows, depth, a + ic * a_line + pc * a_depth, a_line, a_depth, packed_a);
                macro_kernel(rows, cols, depth, packed_a, packed_b, alpha, beta_now,
                             c + ic * ldc + jc, ldc);
            }
        }
    }
}
