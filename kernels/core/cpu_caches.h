/* Data cache sizes of this CPU, detected once at run time, for the kernels
 * that size their blocking from them (the packed GEMMs). */
#ifndef KB_CORE_CPU_CACHES_H
#define KB_CORE_CPU_CACHES_H

#include <stddef.h>

typedef struct kb_cpu_caches {
    size_t l1d, l2, l3; /* bytes */
    int l1d_ways;       /* L1D associativity */
} kb_cpu_caches;

/* The sizes glibc reports (sysconf _SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL2_CACHE_SIZE,
 * _SC_LEVEL3_CACHE_SIZE), each replaced by a fallback (32 KiB, 512 KiB, 8 MiB)
 * when the system does not know it (0 or -1), and the L1D associativity
 * (_SC_LEVEL1_DCACHE_ASSOC, fallback 8). The L3 figure is what the CPU
 * reports: on chiplet CPUs and in VMs it may be the whole socket's (for
 * example 508 MiB on an EPYC whose cores each see one 32 MiB CCD slice), so
 * users cap what they take from it. Cached after the first call; thread safe. */
const kb_cpu_caches *kb_cpu_caches_get(void);

#endif
