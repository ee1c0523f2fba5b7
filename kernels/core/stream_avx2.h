/* The AVX2 store of core/stream.h: one vector, streaming or not. Include only
 * from files compiled with -mavx2. `stream` is loop-invariant in every
 * caller, so the compiler unswitches the loop around it (-O3). */
#ifndef KB_CORE_STREAM_AVX2_H
#define KB_CORE_STREAM_AVX2_H

#include <immintrin.h>

#include "core/stream.h"

/* p must be 32-byte aligned when `stream` is set. */
static inline void kb_store8(float *p, __m256 v, bool stream) {
    if (stream)
        _mm256_stream_ps(p, v);
    else
        _mm256_storeu_ps(p, v);
}

#endif
