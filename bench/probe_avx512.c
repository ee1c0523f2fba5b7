/* AVX-512 FMA peak loop (see probe.h). 24 independent zmm accumulators: two
 * 512-bit FMA pipes at 4-cycle latency need 8 chains; 24 covers cores with a
 * longer latency or more pipes and leaves 8 of the 32 registers free. */
#include <immintrin.h>

#include "probe.h"

double kb_probe_fma_avx512(long iterations) {
    __m512 acc[24];
    const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iterations; it++) {
#pragma GCC unroll 24
        for (int i = 0; i < 24; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
    }
    __m512 sum = acc[0];
    for (int i = 1; i < 24; i++) sum = _mm512_add_ps(sum, acc[i]);
    volatile float sink = _mm512_reduce_add_ps(sum);
    (void)sink;
    return 2.0 * 16 * 24 * (double)iterations;
}
