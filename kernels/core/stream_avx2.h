/* The AVX2 store of core/stream.h: one vector, streaming or not. Include only
 * from files compiled with -mavx2. `stream` is loop-invariant in every
 * caller, so the compiler unswitches the loop around it (-O3). */
#ifndef KB_CORE_STREAM_AVX2_H
#define KB_CORE_STREAM_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#include "core/stream.h"

/* Lanes [0, count) of v to p, count in [0, 8], lanes past count untouched:
 * a 16-, 8- and 4-byte store cascade. A vmaskmovps store is microcoded on
 * AMD Zen (a dozen or more cycles each); short rows end in one per row (the
 * book's 10-class softmax backward, 1 thread, Zen 3: 3.4-4.1 GB/s with it,
 * 3.7-4.6 without; on Zen 4 the 3x3 stride-2 max pool backward spent a
 * sixth of its time in the masked stores of its edge copies). */
static inline void kb_store_first(float *p, __m256 v, int64_t count) {
    if (count >= 8) {
        _mm256_storeu_ps(p, v);
        return;
    }
    __m128 part = _mm256_castps256_ps128(v);
    if (count >= 4) {
        _mm_storeu_ps(p, part);
        part = _mm256_extractf128_ps(v, 1);
        p += 4;
        count -= 4;
    }
    if (count >= 2) {
        _mm_storel_pi((__m64 *)p, part);
        part = _mm_movehl_ps(part, part);
        p += 2;
        count -= 2;
    }
    if (count >= 1) _mm_store_ss(p, part);
}

/* p must be 32-byte aligned when `stream` is set. */
static inline void kb_store8(float *p, __m256 v, bool stream) {
    if (stream)
        _mm256_stream_ps(p, v);
    else
        _mm256_storeu_ps(p, v);
}

#endif
