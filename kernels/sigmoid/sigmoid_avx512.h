/* sigmoid on one AVX-512 vector (16 floats): the formulation and the exp
 * polynomial of sigmoid.h, with FMA for the reduction and Horner's rule and
 * vscalefps for the 2^n scaling (one rounding, subnormals included). Include
 * only from files built with the AVX-512 flags. */
#ifndef KB_SIGMOID_AVX512_H
#define KB_SIGMOID_AVX512_H

#include <immintrin.h>

#include "sigmoid/sigmoid.h"

/* exp(z) for z <= 0 (NaN comes out finite: the caller restores it). */
static inline __m512 kb_exp_nonpositive_avx512(__m512 z) {
    z = _mm512_max_ps(z, _mm512_set1_ps(KB_SIGMOID_EXP_MIN_ARG));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(z, _mm512_set1_ps(KB_SIGMOID_EXP_LOG2E)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(KB_SIGMOID_EXP_LN2_HI), z);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(KB_SIGMOID_EXP_LN2_LO), r);
    __m512 p =
        _mm512_fmadd_ps(_mm512_set1_ps(KB_SIGMOID_EXP_C6), r, _mm512_set1_ps(KB_SIGMOID_EXP_C5));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(KB_SIGMOID_EXP_C4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(KB_SIGMOID_EXP_C3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(KB_SIGMOID_EXP_C2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

static inline __m512 kb_sigmoid_avx512(__m512 x) {
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 t = kb_exp_nonpositive_avx512(_mm512_or_ps(x, _mm512_set1_ps(-0.0f)));
    const __mmask16 positive = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
    const __m512 y = _mm512_div_ps(_mm512_mask_mov_ps(t, positive, one), _mm512_add_ps(one, t));
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

/* dx = dy * (1 - y) * y, in the book's order. */
static inline __m512 kb_sigmoid_bwd_avx512(__m512 y, __m512 dy) {
    return _mm512_mul_ps(_mm512_mul_ps(dy, _mm512_sub_ps(_mm512_set1_ps(1.0f), y)), y);
}

#endif
