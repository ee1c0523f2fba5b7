/* The AVX-512 exp of simd_avx512.h on arrays, for
 * tests/test_softmax_exp_accuracy.c (the variants inline it). */
#include <stddef.h>

#include "softmax/simd_avx512.h"

void kb_softmax_exp_avx512(const float *x, float *y, size_t count) {
    for (size_t i = 0; i < count; i += 16) {
        const __mmask16 valid = kb_mask16((int64_t)(count - i));
        _mm512_mask_storeu_ps(y + i, valid, kb_exp512(_mm512_maskz_loadu_ps(valid, x + i)));
    }
}

void kb_softmax_exp_pn_avx512(const float *x, float *p, float *n, size_t count) {
    for (size_t i = 0; i < count; i += 16) {
        const __mmask16 valid = kb_mask16((int64_t)(count - i));
        __m512 k;
        const __m512 e = kb_exp512_pn(_mm512_maskz_loadu_ps(valid, x + i), &k);
        _mm512_mask_storeu_ps(p + i, valid, e);
        _mm512_mask_storeu_ps(n + i, valid, k);
    }
}
