/* AVX2 helpers shared by the affine avx2 variants. Include only from files
 * compiled with -mavx2 (named *avx2*.c). */
#ifndef KB_AFFINE_AVX2_H
#define KB_AFFINE_AVX2_H

#include <immintrin.h>
#include <stdint.h>

/* Lanes j < count (0 <= count <= 8) of an 8-float maskload/maskstore mask:
 * the column tail of a row. */
static inline __m256i kb_affine_avx2_tail_mask(int64_t count) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), lanes);
}

#endif
