/* sigmoid on one AVX2 vector (8 floats): the formulation and the exp
 * polynomial of sigmoid.h, with FMA for the reduction and Horner's rule.
 * Include only from files built with -mavx2 -mfma. */
#ifndef KB_SIGMOID_AVX2_H
#define KB_SIGMOID_AVX2_H

#include <immintrin.h>

#include "sigmoid/sigmoid.h"

/* n = round(z / ln 2) is taken by adding this in the FMA that scales z: the
 * sum's low mantissa bits are then n + 127 + 64, so one shift makes
 * 2^(n + 64), a normal float for every n >= -190 (z >= -104 gives n >= -150). */
#define KB_SIGMOID_EXP_ROUND_AVX2 (0x1.8p23f + 127.0f + 64.0f)

/* exp(z) for z <= 0; NaN passes through (max(c, z) returns z when
 * unordered, and every later step keeps it). p * 2^(n + 64) is exact, and
 * the product with 2^-64 rounds once, so results below FLT_MIN are
 * correctly rounded subnormals (the two-halves scaling of sigmoid.h, in 14
 * vector operations instead of 21: this exp is most of sigmoid's work). */
static inline __m256 kb_exp_nonpositive_avx2(__m256 z) {
    z = _mm256_max_ps(_mm256_set1_ps(KB_SIGMOID_EXP_MIN_ARG), z);
    const __m256 biased = _mm256_fmadd_ps(z, _mm256_set1_ps(KB_SIGMOID_EXP_LOG2E),
                                          _mm256_set1_ps(KB_SIGMOID_EXP_ROUND_AVX2));
    const __m256 n = _mm256_sub_ps(biased, _mm256_set1_ps(KB_SIGMOID_EXP_ROUND_AVX2));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(KB_SIGMOID_EXP_LN2_HI), z);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(KB_SIGMOID_EXP_LN2_LO), r);
    __m256 p =
        _mm256_fmadd_ps(_mm256_set1_ps(KB_SIGMOID_EXP_C6), r, _mm256_set1_ps(KB_SIGMOID_EXP_C5));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(KB_SIGMOID_EXP_C4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(KB_SIGMOID_EXP_C3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(KB_SIGMOID_EXP_C2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(biased), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, scale), _mm256_set1_ps(0x1p-64f));
}

/* sigmoid.h's formulation; NaN x gives NaN (t is NaN and x >= 0 is false). */
static inline __m256 kb_sigmoid_avx2(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 t = kb_exp_nonpositive_avx2(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
    const __m256 positive = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    return _mm256_div_ps(_mm256_blendv_ps(t, one, positive), _mm256_add_ps(one, t));
}

/* dx = dy * (1 - y) * y, in the book's order. */
static inline __m256 kb_sigmoid_bwd_avx2(__m256 y, __m256 dy) {
    return _mm256_mul_ps(_mm256_mul_ps(dy, _mm256_sub_ps(_mm256_set1_ps(1.0f), y)), y);
}

#endif
