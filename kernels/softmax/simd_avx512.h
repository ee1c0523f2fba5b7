/* AVX-512 pieces of the softmax variants: the polynomial exp of softmax.h,
 * the first-maximum argmax of a one-hot row and the three-pass row. Include
 * only from files compiled with the AVX-512 flags (*avx512*.c). */
#ifndef KB_SOFTMAX_SIMD_AVX512_H
#define KB_SOFTMAX_SIMD_AVX512_H

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "softmax/softmax.h"

/* Lanes [0, count) of a 16-lane mask, count in [0, 16]. */
static inline __mmask16 kb_mask16(int64_t count) {
    return (__mmask16)(count >= 16 ? 0xffff : (1u << count) - 1u);
}

/* e^x = p * 2^n with p = e^r in [0.70, 1.42]: the reduction and polynomial
 * of softmax.h. Valid for |x| < 2^23 (n exact); callers bound x. */
static inline __m512 kb_exp512_pn(__m512 x, __m512 *n) {
    const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(KB_EXP_LOG2E)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(KB_EXP_LN2_HI), x);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(KB_EXP_LN2_LO), r);
    __m512 q = _mm512_set1_ps(KB_EXP_C6);
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(KB_EXP_C5));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(KB_EXP_C4));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(KB_EXP_C3));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(KB_EXP_C2));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f));
    *n = k;
    return _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f));
}

/* e^x for x <= 88 (the three-pass rows pass x - max <= 0). vscalefps scales
 * by 2^n with correctly rounded subnormals and 0 below them; the clamp keeps
 * n small for any input (e^-110 is 0 in float), and max(c, x) passes NaN. */
static inline __m512 kb_exp512(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(KB_EXP_MIN_ARG), x);
    __m512 n;
    const __m512 p = kb_exp512_pn(x, &n);
    return _mm512_scalef_ps(p, n);
}

/* First index of the row maximum (NaN never wins; an all-NaN row gives 0). */
static inline int64_t kb_argmax_avx512(const float *row, int64_t classes) {
    __m512 best = _mm512_set1_ps(-INFINITY);
    __m512i best_index = _mm512_setzero_si512();
    __m512i index = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i step = _mm512_set1_epi32(16);
    for (int64_t j = 0; j < classes; j += 16) {
        const __mmask16 valid = kb_mask16(classes - j);
        const __m512 v = _mm512_maskz_loadu_ps(valid, row + j);
        /* Strictly greater: each lane keeps its first maximum. */
        const __mmask16 greater = _mm512_mask_cmp_ps_mask(valid, v, best, _CMP_GT_OQ);
        best = _mm512_mask_mov_ps(best, greater, v);
        best_index = _mm512_mask_mov_epi32(best_index, greater, index);
        index = _mm512_add_epi32(index, step);
    }
    const float max = _mm512_reduce_max_ps(best);
    const __mmask16 at_max = _mm512_cmp_ps_mask(best, _mm512_set1_ps(max), _CMP_EQ_OQ);
    /* The lanes' first maxima are in increasing index order per lane: the
     * smallest index among the lanes holding the maximum is the first. */
    return at_max ? _mm512_mask_reduce_min_epi32(at_max, best_index) : 0;
}

/* The three-pass softmax of one row: max; e = exp(x - max) stored in y and
 * summed; y *= 1/sum. Four accumulators hide the add and max latencies. */
static inline void kb_softmax_row_avx512(const float *x, float *y, int64_t classes,
                                         float *max_out, float *sum_out) {
    __m512 m0 = _mm512_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    int64_t j = 0;
    for (; j + 64 <= classes; j += 64) {
        m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + j));
        m1 = _mm512_max_ps(m1, _mm512_loadu_ps(x + j + 16));
        m2 = _mm512_max_ps(m2, _mm512_loadu_ps(x + j + 32));
        m3 = _mm512_max_ps(m3, _mm512_loadu_ps(x + j + 48));
    }
    for (; j < classes; j += 16) {
        const __mmask16 valid = kb_mask16(classes - j);
        m0 = _mm512_mask_max_ps(m0, valid, m0, _mm512_maskz_loadu_ps(valid, x + j));
    }
    const float max = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1),
                                                         _mm512_max_ps(m2, m3)));
    const __m512 vmax = _mm512_set1_ps(max);
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (j = 0; j + 64 <= classes; j += 64) {
        const __m512 e0 = kb_exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j), vmax));
        const __m512 e1 = kb_exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j + 16), vmax));
        const __m512 e2 = kb_exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j + 32), vmax));
        const __m512 e3 = kb_exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j + 48), vmax));
        _mm512_storeu_ps(y + j, e0);
        _mm512_storeu_ps(y + j + 16, e1);
        _mm512_storeu_ps(y + j + 32, e2);
        _mm512_storeu_ps(y + j + 48, e3);
        s0 = _mm512_add_ps(s0, e0);
        s1 = _mm512_add_ps(s1, e1);
        s2 = _mm512_add_ps(s2, e2);
        s3 = _mm512_add_ps(s3, e3);
    }
    for (; j < classes; j += 16) {
        const __mmask16 valid = kb_mask16(classes - j);
        const __m512 e = kb_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(valid, x + j), vmax));
        _mm512_mask_storeu_ps(y + j, valid, e);
        s0 = _mm512_mask_add_ps(s0, valid, s0, e);
    }
    const float sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1),
                                                         _mm512_add_ps(s2, s3)));
    const __m512 inv = _mm512_set1_ps(1.0f / sum);
    for (j = 0; j + 16 <= classes; j += 16)
        _mm512_storeu_ps(y + j, _mm512_mul_ps(_mm512_loadu_ps(y + j), inv));
    if (j < classes) {
        const __mmask16 valid = kb_mask16(classes - j);
        _mm512_mask_storeu_ps(y + j, valid,
                              _mm512_mul_ps(_mm512_maskz_loadu_ps(valid, y + j), inv));
    }
    *max_out = max;
    *sum_out = sum;
}

#endif
