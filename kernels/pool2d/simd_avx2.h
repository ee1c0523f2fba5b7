/* The vector abstraction of pool2d/rows.h at 8 lanes (AVX2): tails are
 * vmaskmovps loads and kb_store_first stores (no masked store: microcoded on
 * Zen), which never touch the lanes masked off. Only
 * for files compiled with -mavx2 (names containing "avx2"). */
#ifndef KB_POOL2D_SIMD_AVX2_H
#define KB_POOL2D_SIMD_AVX2_H

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "core/stream_avx2.h"

#define SIMD_WIDTH 8
#define SIMD_ISA KB_ISA_AVX2
typedef __m256 simd_vec;
typedef __m256i simd_ivec;
typedef __m256 simd_mask; /* all-ones lanes */

/* The first n lanes, 1 <= n <= 8, as an integer mask. */
static inline __m256i simd_lanes(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#define SIMD_ZERO() _mm256_setzero_ps()
#define SIMD_SET1(x) _mm256_set1_ps(x)
#define SIMD_LOAD(p) _mm256_loadu_ps(p)
#define SIMD_LOADN(p, n) _mm256_maskload_ps(p, simd_lanes(n))
#define SIMD_STORE(p, v) _mm256_storeu_ps(p, v)
#define SIMD_STOREN(p, v, n) kb_store_first(p, v, n)
/* Non-temporal store (p 32-byte aligned) and the fence that orders them. */
#define SIMD_STREAM(p, v) _mm256_stream_ps(p, v)
#define SIMD_FENCE() _mm_sfence()
#define SIMD_ALIGNED(p) (((uintptr_t)(p) & 31) == 0)
#define SIMD_ADD(a, b) _mm256_add_ps(a, b)
#define SIMD_ADDN(a, b, n) _mm256_add_ps(a, _mm256_and_ps(b, _mm256_castsi256_ps(simd_lanes(n))))
#define SIMD_MUL(a, b) _mm256_mul_ps(a, b)
#define SIMD_DIV(a, b) _mm256_div_ps(a, b)
/* x86 max: b when a == b or either is NaN (so the earlier tap b stays). */
#define SIMD_MAX(a, b) _mm256_max_ps(a, b)
#define SIMD_ISNAN(v) _mm256_cmp_ps(v, v, _CMP_UNORD_Q)
/* kb_pool_max_replaces per lane: !(x <= best) where best is not NaN. */
#define SIMD_REPLACES(x, best)                                                                     \
    _mm256_and_ps(_mm256_cmp_ps(x, best, _CMP_NLE_UQ), _mm256_cmp_ps(best, best, _CMP_ORD_Q))
#define SIMD_MASK_OR(a, b) _mm256_or_ps(a, b)
#define SIMD_SELECT(m, a, b) _mm256_blendv_ps(a, b, m) /* m ? b : a */
#define SIMD_NAN() _mm256_set1_ps(NAN)

static inline float simd_hsum(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}
/* Lanes 0, 2, 4, ... of the 16-lane concatenation lo:hi (stride-2 loads). */
static inline __m256 simd_evens(__m256 lo, __m256 hi) {
    /* lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6, then the 64-bit pairs reordered 0 2 1 3. */
    const __m256 t = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}
/* Lanes 0, 2, 4, ... and 1, 3, 5, ... of lo:hi in the in-lane order
 * 0 2 8 10 | 4 6 12 14 (and 1 3 9 11 | 5 7 13 15): two shuffles and no
 * lane-crossing permute, for lane-wise work that SIMD_RAW_TO_LANES puts in
 * order once at the end. */
static inline void simd_deinterleave(__m256 lo, __m256 hi, __m256 *even, __m256 *odd) {
    *even = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    *odd = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
}
static inline __m256 simd_raw_to_lanes(__m256 v) {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
}
/* Lane i into lane i + 1 and `fill` into lane 0, in simd_deinterleave's
 * order: its positions hold lanes 0 1 4 5 | 2 3 6 7, so position p takes
 * position 0 5 2 1 4 3 6 of lane(p) - 1, then the fill. */
static inline __m256 simd_raw_shift_up1(__m256 v, float fill) {
    const __m256 moved = _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(0, 0, 5, 2, 1, 4, 3, 6));
    return _mm256_blend_ps(moved, _mm256_set1_ps(fill), 0x01);
}
/* The inverse of simd_deinterleave: lo:hi from even and odd lanes in its
 * in-lane order (unpacking within 128-bit lanes undoes the shuffles). */
static inline void simd_interleave(__m256 even, __m256 odd, __m256 *lo, __m256 *hi) {
    *lo = _mm256_unpacklo_ps(even, odd);
    *hi = _mm256_unpackhi_ps(even, odd);
}
/* v0 0 v1 0 ... v7 0 over 16 lanes (stride-2 spreads). */
static inline void simd_interleave_zero(__m256 v, __m256 *lo, __m256 *hi) {
    const __m256 a = _mm256_unpacklo_ps(v, _mm256_setzero_ps()); /* v0 0 v1 0 | v4 0 v5 0 */
    const __m256 b = _mm256_unpackhi_ps(v, _mm256_setzero_ps()); /* v2 0 v3 0 | v6 0 v7 0 */
    *lo = _mm256_permute2f128_ps(a, b, 0x20);
    *hi = _mm256_permute2f128_ps(a, b, 0x31);
}
static inline __m256i simd_iota_times(int64_t k) {
    return _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                              _mm256_set1_epi32((int32_t)k));
}
/* p[0], p[stride], ... for the first n lanes. */
static inline __m256 simd_gathern(const float *p, int64_t stride, int n) {
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), p, simd_iota_times(stride),
                                    _mm256_castsi256_ps(simd_lanes(n)), 4);
}
/* row[col .. col + 7], `fill` in the lanes outside columns [0, width): a
 * masked load (which never touches the lanes masked off; cheap on Zen,
 * unlike the masked store) instead of a padded copy of the row's edge. The
 * address is formed as an integer: col may be negative. */
static inline __m256 simd_load_within(const float *row, int64_t col, int64_t width, float fill) {
    const __m256i c = _mm256_add_epi32(_mm256_set1_epi32((int32_t)col),
                                       _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i below = _mm256_cmpgt_epi32(_mm256_setzero_si256(), c);
    const __m256i before_end = _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)width), c);
    const __m256i in = _mm256_andnot_si256(below, before_end);
    const float *p = (const float *)((uintptr_t)row + (uintptr_t)(col * (int64_t)sizeof(float)));
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, in),
                            _mm256_castsi256_ps(in));
}
#define SIMD_DEINTERLEAVE(lo, hi, even, odd) simd_deinterleave(lo, hi, even, odd)
#define SIMD_RAW_TO_LANES(v) simd_raw_to_lanes(v)
#define SIMD_RAW_SHIFT_UP1(v, fill) simd_raw_shift_up1(v, fill)
/* Lanes first .. 7 of v into lanes 0 .. 7 - first (the others unused). */
#define SIMD_LANES_FROM(v, first)                                                                  \
    _mm256_permutevar8x32_ps(v, _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),        \
                                                 _mm256_set1_epi32((int32_t)(first))))
#define SIMD_UNORD(a, b) _mm256_cmp_ps(a, b, _CMP_UNORD_Q) /* a or b is NaN */
#define SIMD_INTERLEAVE(even, odd, lo, hi) simd_interleave(even, odd, lo, hi)
#define SIMD_LANES_TO_RAW(v) simd_raw_to_lanes(v) /* the permutation is its own inverse */
#define SIMD_GT(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ) /* ordered a > b */
#define SIMD_LOAD_WITHIN(row, col, width, fill) simd_load_within(row, col, width, fill)
/* Lanes [0, n) of v, `fill` in the others. */
#define SIMD_FIRSTN(v, n, fill)                                                                    \
    _mm256_blendv_ps(_mm256_set1_ps(fill), v, _mm256_castsi256_ps(simd_lanes(n)))
#define SIMD_KEEP(m, v) _mm256_and_ps(m, v) /* m ? v : +0 per lane */
#define SIMD_CMPEQ(a, b) _mm256_cmp_ps(a, b, _CMP_EQ_OQ)
#define SIMD_BITS(m) _mm256_movemask_ps(m) /* lane i set: bit i */
#define SIMD_ANY(m) (_mm256_movemask_ps(m) != 0) /* any lane set */
#define SIMD_HSUM(v) simd_hsum(v)
#define SIMD_EVENS(lo, hi) simd_evens(lo, hi)
#define SIMD_INTERLEAVE_ZERO(v, lo, hi) simd_interleave_zero(v, lo, hi)
#define SIMD_GATHERN(p, stride, n) simd_gathern(p, stride, n)
#define SIMD_IOTA_TIMES(k) simd_iota_times(k)
#define SIMD_ISET1(x) _mm256_set1_epi32((int32_t)(x))
#define SIMD_IADD(a, b) _mm256_add_epi32(a, b)
#define SIMD_ISELECT(m, a, b)                                                                      \
    _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), m))
#define SIMD_IRAW_TO_LANES(v) _mm256_permute4x64_epi64(v, _MM_SHUFFLE(3, 1, 2, 0))
#define SIMD_ISTORE(p, v) _mm256_storeu_si256((__m256i *)(p), v)

#endif
