/* Peak and bandwidth probes: see probe.h. */
#include "probe.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double kb_probe_peak_gflops(kb_isa isa, int threads) {
    if (isa == KB_ISA_SCALAR || !kb_cpu_has(isa)) return 0.0;
    double (*loop)(long) = isa == KB_ISA_AVX512 ? kb_probe_fma_avx512 : kb_probe_fma_avx2;
    /* ~20 ms per trial at a few GHz; the best of 5 trials is the peak (noise
     * only ever slows a trial down). */
    const long iterations = 2000000;
    double best = 0.0;
    for (int trial = 0; trial < 5; trial++) {
        double flops = 0.0;
        const double start = now_s();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
        flops += loop(iterations);
        const double rate = flops / (now_s() - start) * 1e-9;
        if (rate > best) best = rate;
    }
    return best;
}

/* The L3 the triad must overflow. Unknown: assume 32 MiB. Capped at 128 MiB:
 * virtual machines report the host's whole L3 as one cache (508 MiB on this
 * project's VM, against 32 MiB per Zen 5 CCD), and no single L3 domain of
 * today's x86 parts is larger (AMD's stacked-cache CCDs have 96 MiB). */
size_t kb_llc_bytes(void) {
    const size_t cap = (size_t)128 << 20;
    /* KB_LLC_BYTES overrides what the OS says (a VM that hides the real L3). */
    const char *forced = getenv("KB_LLC_BYTES");
    if (forced && strtoull(forced, NULL, 10) > 0) return (size_t)strtoull(forced, NULL, 10);
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l3 <= 0) return (size_t)32 << 20;
    return (size_t)l3 < cap ? (size_t)l3 : cap;
}

static float *alloc_stream_array(size_t n) {
    const size_t bytes = (n * sizeof(float) + (2u << 20) - 1) / (2u << 20) * (2u << 20);
    float *p = aligned_alloc(2u << 20, bytes);
    /* Huge pages where the kernel allows them: fewer faults on first touch
     * and fewer TLB misses in the triad. */
    if (p) madvise(p, bytes, MADV_HUGEPAGE);
    return p;
}

double kb_probe_stream_gbps(int threads, size_t *array_bytes) {
    const size_t n = kb_llc_bytes() * 4 / 3 / sizeof(float);
    float *a = alloc_stream_array(n), *b = alloc_stream_array(n), *c = alloc_stream_array(n);
    double best = 0.0;
    if (a && b && c) {
        /* First touch by the same threads and split as the triad. */
#pragma omp parallel for num_threads(threads) schedule(static)
        for (size_t i = 0; i < n; i++) a[i] = 0.0f, b[i] = 1.0f, c[i] = 2.0f;
        const float s = 3.0f;
        for (int trial = 0; trial < 6; trial++) {
            const double start = now_s();
#pragma omp parallel for num_threads(threads) schedule(static)
            for (size_t i = 0; i < n; i++) a[i] = b[i] + s * c[i];
            const double rate = 3.0 * (double)n * sizeof(float) / (now_s() - start) * 1e-9;
            if (trial > 0 && rate > best) best = rate; /* trial 0 warms up */
        }
    }
    free(a);
    free(b);
    free(c);
    if (array_bytes) *array_bytes = n * sizeof(float);
    return best;
}

void kb_probe_run(int threads, kb_probe *probe) {
    memset(probe, 0, sizeof *probe);
    probe->peak_avx2_gflops = kb_probe_peak_gflops(KB_ISA_AVX2, threads);
    probe->peak_avx512_gflops = kb_probe_peak_gflops(KB_ISA_AVX512, threads);
    probe->stream_gbps = kb_probe_stream_gbps(threads, &probe->stream_array_bytes);
}
