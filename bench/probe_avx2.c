/* AVX2 FMA peak loop (see probe.h). 12 independent ymm accumulators: with a
 * 4-cycle FMA latency and two FMA pipes, 8 chains are needed to keep both
 * busy; 12 leaves margin and still fits the 16 registers. */
#include <immintrin.h>

#include "probe.h"

double kb_probe_fma_avx2(long iterations) {
    __m256 acc[12];
    const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < iterations; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
    }
    __m256 sum = acc[0];
    for (int i = 1; i < 12; i++) sum = _mm256_add_ps(sum, acc[i]);
    volatile float sink = _mm256_cvtss_f32(sum);
    (void)sink;
    return 2.0 * 8 * 12 * (double)iterations;
}
