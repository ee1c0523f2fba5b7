/* sigmoid on one AVX2 vector (8 floats): the formulation and the exp
 * polynomial of sigmoid.h, with FMA for the reduction and Horner's rule.
 * Include only from files built with -mavx2 -mfma. */
#ifndef KB_SIGMOID_AVX2_H
#define KB_SIGMOID_AVX2_H

#include <immintrin.h>

#include "sigmoid/sigmoid.h"

/* exp(z) for z <= 0 (NaN comes out finite: the caller restores it). */
static inline __m256 kb_exp_nonpositive_avx2(__m256 z) {
    z = _mm256_max_ps(z, _mm256_set1_ps(KB_SIGMOID_EXP_MIN_ARG));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(z, _mm256_set1_ps(KB_SIGMOID_EXP_LOG2E)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(KB_SIGMOID_EXP_LN2_HI), z);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(KB_SIGMOID_EXP_LN2_LO), r);
    __m256 p =
        _mm256_fmadd_ps(_mm256_set1_ps(KB_SIGMOID_EXP_C6), r, _mm256_set1_ps(KB_SIGMOID_EXP_C5));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(KB_SIGMOID_EXP_C4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(KB_SIGMOID_EXP_C3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(KB_SIGMOID_EXP_C2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    /* 2^n in two halves, each >= 2^-75, so subnormal results scale right. */
    const __m256i k = _mm256_cvtps_epi32(n);
    const __m256i k1 = _mm256_srai_epi32(k, 1), k2 = _mm256_sub_epi32(k, k1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

static inline __m256 kb_sigmoid_avx2(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 t = kb_exp_nonpositive_avx2(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
    const __m256 positive = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    const __m256 y = _mm256_div_ps(_mm256_blendv_ps(t, one, positive), _mm256_add_ps(one, t));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/* dx = dy * (1 - y) * y, in the book's order. */
static inline __m256 kb_sigmoid_bwd_avx2(__m256 y, __m256 dy) {
    return _mm256_mul_ps(_mm256_mul_ps(dy, _mm256_sub_ps(_mm256_set1_ps(1.0f), y)), y);
}

#endif
