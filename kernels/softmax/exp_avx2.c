/* The AVX2 exp of simd_avx2.h on arrays, for tests/test_softmax_exp_accuracy.c
 * (the variants inline it). */
#include <stddef.h>

#include "softmax/simd_avx2.h"

void kb_softmax_exp_avx2(const float *x, float *y, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, kb_exp256(_mm256_loadu_ps(x + i)));
    if (i < count) {
        const __m256i valid = kb_mask8((int64_t)(count - i));
        _mm256_maskstore_ps(y + i, valid, kb_exp256(_mm256_maskload_ps(x + i, valid)));
    }
}
