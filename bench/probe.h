/* The machine's limits, measured at the start of a run so every row can be
 * read against them (a roofline):
 *   peak FMA throughput  every thread runs chains of independent vector FMAs
 *                        (enough accumulators to cover latency on two pipes),
 *                        best of several short trials;
 *   streaming bandwidth  a STREAM-style triad a[i] = b[i] + s*c[i] over three
 *                        arrays of 4/3 x L3 each (together 4 x L3, so nothing
 *                        stays cached; L3 as sysconf reports it, capped at
 *                        128 MiB, see probe.c), OpenMP static split, best of several
 *                        trials. Bytes counted as STREAM does: 2 reads + 1
 *                        write per element (the write-allocate read of a[] is
 *                        not counted, so the figure is what a kernel that
 *                        reads two and writes one stream can reach).
 * Both take `threads` OpenMP threads. 0 means not measured (ISA missing). */
#ifndef KB_PROBE_H
#define KB_PROBE_H

#include <stddef.h>

#include "kernbench/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kb_probe {
    double peak_avx2_gflops, peak_avx512_gflops; /* 0 when the CPU lacks the ISA */
    double stream_gbps;
    size_t stream_array_bytes; /* size of each triad array */
} kb_probe;

/* Peak single-precision FMA GFLOP/s at `isa` (AVX2 or AVX512) with `threads`. */
double kb_probe_peak_gflops(kb_isa isa, int threads);
/* Triad GB/s with `threads`; `array_bytes` receives the size of each array. */
double kb_probe_stream_gbps(int threads, size_t *array_bytes);
/* The last-level cache to overflow: sysconf's L3, capped at 128 MiB (see
 * probe.c), 32 MiB when unknown; the environment variable KB_LLC_BYTES
 * overrides it (virtual machines often report the host's whole L3). */
size_t kb_llc_bytes(void);

/* Both, for one thread count (about 0.5 s). */
void kb_probe_run(int threads, kb_probe *probe);

/* The per-ISA loops (probe_avx2.c, probe_avx512.c): `iterations` rounds of the
 * accumulator chains on the calling thread; returns the flops executed. */
double kb_probe_fma_avx2(long iterations);
double kb_probe_fma_avx512(long iterations);

#ifdef __cplusplus
}
#endif
#endif
