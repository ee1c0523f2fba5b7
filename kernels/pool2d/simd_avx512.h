/* The vector abstraction of pool2d/rows.h at 16 lanes (AVX-512 F/BW/DQ/VL):
 * tails are masked loads and stores, so nothing past a row is touched. Only
 * for files compiled with the AVX-512 flags (names containing "avx512"). */
#ifndef KB_POOL2D_SIMD_AVX512_H
#define KB_POOL2D_SIMD_AVX512_H

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define SIMD_WIDTH 16
#define SIMD_ISA KB_ISA_AVX512
typedef __m512 simd_vec;
typedef __m512i simd_ivec;
typedef __mmask16 simd_mask;

/* The first n lanes, 1 <= n <= 16. */
static inline __mmask16 simd_lanes(int n) {
    return (__mmask16)((1u << n) - 1u);
}

#define SIMD_ZERO() _mm512_setzero_ps()
#define SIMD_SET1(x) _mm512_set1_ps(x)
#define SIMD_LOAD(p) _mm512_loadu_ps(p)
#define SIMD_LOADN(p, n) _mm512_maskz_loadu_ps(simd_lanes(n), p)
#define SIMD_STORE(p, v) _mm512_storeu_ps(p, v)
#define SIMD_STOREN(p, v, n) _mm512_mask_storeu_ps(p, simd_lanes(n), v)
/* Non-temporal store (p 64-byte aligned) and the fence that orders them. */
#define SIMD_STREAM(p, v) _mm512_stream_ps(p, v)
#define SIMD_FENCE() _mm_sfence()
#define SIMD_ALIGNED(p) (((uintptr_t)(p) & 63) == 0)
#define SIMD_ADD(a, b) _mm512_add_ps(a, b)
#define SIMD_ADDN(a, b, n) _mm512_mask_add_ps(a, simd_lanes(n), a, b)
#define SIMD_MUL(a, b) _mm512_mul_ps(a, b)
#define SIMD_DIV(a, b) _mm512_div_ps(a, b)
/* x86 max: b when a == b or either is NaN (so the earlier tap b stays). */
#define SIMD_MAX(a, b) _mm512_max_ps(a, b)
#define SIMD_ISNAN(v) _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q)
/* kb_pool_max_replaces per lane: !(x <= best) where best is not NaN. */
#define SIMD_REPLACES(x, best)                                                                     \
    _mm512_mask_cmp_ps_mask(_mm512_cmp_ps_mask(best, best, _CMP_ORD_Q), x, best, _CMP_NLE_UQ)
#define SIMD_MASK_OR(a, b) ((simd_mask)((a) | (b)))
#define SIMD_SELECT(m, a, b) _mm512_mask_mov_ps(a, m, b) /* m ? b : a */
#define SIMD_NAN() _mm512_set1_ps(NAN)
#define SIMD_HSUM(v) _mm512_reduce_add_ps(v)

/* Lanes 0, 2, 4, ... of the 32-lane concatenation lo:hi (stride-2 loads). */
static inline __m512 simd_evens(__m512 lo, __m512 hi) {
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(lo, even, hi);
}
/* Lanes 0, 2, 4, ... and 1, 3, 5, ... of lo:hi, already in order (so
 * SIMD_RAW_TO_LANES is the identity). */
static inline void simd_deinterleave(__m512 lo, __m512 hi, __m512 *even, __m512 *odd) {
    const __m512i evens =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odds =
        _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    *even = _mm512_permutex2var_ps(lo, evens, hi);
    *odd = _mm512_permutex2var_ps(lo, odds, hi);
}
/* The inverse of simd_deinterleave. */
static inline void simd_interleave(__m512 even, __m512 odd, __m512 *lo, __m512 *hi) {
    const __m512i first = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i second =
        _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    *lo = _mm512_permutex2var_ps(even, first, odd);
    *hi = _mm512_permutex2var_ps(even, second, odd);
}
/* v0 0 v1 0 ... v15 0 over 32 lanes (stride-2 spreads). */
static inline void simd_interleave_zero(__m512 v, __m512 *lo, __m512 *hi) {
    const __m512i first = _mm512_setr_epi32(0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16);
    const __m512i second =
        _mm512_setr_epi32(8, 16, 9, 16, 10, 16, 11, 16, 12, 16, 13, 16, 14, 16, 15, 16);
    *lo = _mm512_permutex2var_ps(v, first, _mm512_setzero_ps());
    *hi = _mm512_permutex2var_ps(v, second, _mm512_setzero_ps());
}
static inline __m512i simd_iota_times(int64_t k) {
    return _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32((int32_t)k));
}
/* p[0], p[stride], ... for the first n lanes (stride * 15 fits int32: strides
 * are at most KB_MAX_DIM = 2^24). */
static inline __m512 simd_gathern(const float *p, int64_t stride, int n) {
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), simd_lanes(n), simd_iota_times(stride), p,
                                    4);
}
#define SIMD_DEINTERLEAVE(lo, hi, even, odd) simd_deinterleave(lo, hi, even, odd)
#define SIMD_RAW_TO_LANES(v) (v)
/* Lanes first .. 15 of v into lanes 0 .. 15 - first (the others unused). */
#define SIMD_LANES_FROM(v, first)                                                                  \
    _mm512_permutexvar_ps(                                                                         \
        _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),  \
                         _mm512_set1_epi32((int32_t)(first))),                                     \
        v)
/* Lane i of v into lane i + 1, `fill` into lane 0 (lanes in SIMD_DEINTERLEAVE
 * order, which is lane order here). */
#define SIMD_RAW_SHIFT_UP1(v, fill)                                                                \
    _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(v),                                \
                                            _mm512_castps_si512(_mm512_set1_ps(fill)), 15))
#define SIMD_UNORD(a, b) _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q) /* a or b is NaN */
#define SIMD_INTERLEAVE(even, odd, lo, hi) simd_interleave(even, odd, lo, hi)
#define SIMD_LANES_TO_RAW(v) (v)
#define SIMD_GT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ) /* ordered a > b */
/* row[col .. col + 15], `fill` outside columns [0, width) (masked load;
 * the address formed as an integer: col may be negative). */
static inline __m512 simd_load_within(const float *row, int64_t col, int64_t width, float fill) {
    const __m512i c = _mm512_add_epi32(_mm512_set1_epi32((int32_t)col), simd_iota_times(1));
    const __mmask16 in = (__mmask16)(_mm512_cmpge_epi32_mask(c, _mm512_setzero_si512()) &
                                     _mm512_cmplt_epi32_mask(c, _mm512_set1_epi32((int32_t)width)));
    const float *p = (const float *)((uintptr_t)row + (uintptr_t)(col * (int64_t)sizeof(float)));
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), in, p);
}
#define SIMD_LOAD_WITHIN(row, col, width, fill) simd_load_within(row, col, width, fill)
/* Lanes [0, n) of v, `fill` in the others. */
#define SIMD_FIRSTN(v, n, fill) _mm512_mask_mov_ps(_mm512_set1_ps(fill), simd_lanes(n), v)
#define SIMD_KEEP(m, v) _mm512_maskz_mov_ps(m, v) /* m ? v : +0 per lane */
#define SIMD_CMPEQ(a, b) _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ)
#define SIMD_BITS(m) ((int)(m)) /* lane i set: bit i */
#define SIMD_ANY(m) ((m) != 0) /* any lane set */
#define SIMD_EVENS(lo, hi) simd_evens(lo, hi)
#define SIMD_INTERLEAVE_ZERO(v, lo, hi) simd_interleave_zero(v, lo, hi)
#define SIMD_GATHERN(p, stride, n) simd_gathern(p, stride, n)
#define SIMD_IOTA_TIMES(k) simd_iota_times(k)
#define SIMD_ISET1(x) _mm512_set1_epi32((int32_t)(x))
#define SIMD_IADD(a, b) _mm512_add_epi32(a, b)
#define SIMD_ISELECT(m, a, b) _mm512_mask_mov_epi32(a, m, b) /* m ? b : a */
#define SIMD_IRAW_TO_LANES(v) (v)
#define SIMD_ISTORE(p, v) _mm512_storeu_si512((void *)(p), v)

#endif
