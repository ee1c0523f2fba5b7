/* Packing of GEMM operands into microkernel slivers with AVX2 (8 x 8 register
 * transposes), shared by the AVX2 and AVX-512 GEMMs. Include it only from
 * files compiled with AVX2 enabled (gemm/avx2.c, gemm/avx512.c: the AVX-512
 * flags imply AVX2). */
#ifndef KB_GEMM_PACK_SIMD_H
#define KB_GEMM_PACK_SIMD_H

#include <assert.h>
#include <immintrin.h>
#include <stdint.h>

/* In-place transpose of the 8 x 8 block held in r[0..7]. */
static inline void kb_transpose8(__m256 r[8]) {
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

/* Writes the first `lanes` (1..8, a constant after inlining) floats of v. */
static inline __attribute__((always_inline)) void kb_store_lanes(float *dst, __m256 v, int lanes) {
    const __m128 low = _mm256_castps256_ps128(v);
    if (lanes == 8) {
        _mm256_storeu_ps(dst, v);
    } else if (lanes == 4) {
        _mm_storeu_ps(dst, low);
    } else if (lanes == 6) {
        _mm_storeu_ps(dst, low);
        _mm_storel_pi((__m64 *)(dst + 4), _mm256_extractf128_ps(v, 1));
    } else {
        _Alignas(32) float lane[8];
        _mm256_store_ps(lane, v);
        for (int l = 0; l < lanes; l++) dst[l] = lane[l];
    }
}

static inline int64_t kb_pack_min(int64_t x, int64_t y) { return x < y ? x : y; }

/* The kb_gemm_pack_fn contract (gemm/packed.h) for slivers of `width`
 * lines: dst[s * width * depth + p * width + l % width] = element (l, p).
 * When line_stride is 1, each step is a contiguous copy; when depth_stride
 * is 1, each line is contiguous and 8 x 8 register transposes turn 8 line
 * reads into 8 sliver rows (a column walk would read `width` cache lines per
 * step). Always inlined so `width` is a constant. */
static inline __attribute__((always_inline)) void
kb_pack_panel(int width, int64_t lines, int64_t depth, const float *src, int64_t line_stride,
              int64_t depth_stride, float *restrict dst) {
    assert(line_stride == 1 || depth_stride == 1);
    for (int64_t l0 = 0; l0 < lines; l0 += width, dst += width * depth) {
        const int64_t count = kb_pack_min(width, lines - l0);
        const float *from = src + l0 * line_stride;
        int64_t p = 0;
        if (count == width && line_stride == 1) {
            for (; p < depth; p++)
                for (int l = 0; l < width; l++) dst[p * width + l] = from[p * depth_stride + l];
        } else if (count == width && depth_stride == 1) {
            for (; p + 8 <= depth; p += 8) {
                /* Groups of 8 lines; a shorter last group pads with zeros. */
                for (int g = 0; g < width; g += 8) {
                    const int group = width - g < 8 ? width - g : 8;
                    __m256 r[8];
                    for (int l = 0; l < 8; l++)
                        r[l] = l < group ? _mm256_loadu_ps(from + (g + l) * line_stride + p)
                                         : _mm256_setzero_ps();
                    kb_transpose8(r);
                    for (int q = 0; q < 8; q++)
                        kb_store_lanes(dst + (p + q) * width + g, r[q], group);
                }
            }
        }
        /* Edge slivers and the last depth % 8 steps of transposed ones. */
        for (; p < depth; p++)
            for (int l = 0; l < width; l++)
                dst[p * width + l] = l < count ? from[l * line_stride + p * depth_stride] : 0.0f;
    }
}

#endif
