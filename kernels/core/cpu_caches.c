/* See cpu_caches.h. */
#include "core/cpu_caches.h"

#include <pthread.h>
#include <unistd.h>

static kb_cpu_caches caches;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static size_t cache_size(int name, size_t fallback) {
    const long bytes = sysconf(name);
    return bytes > 0 ? (size_t)bytes : fallback;
}

static void detect(void) {
    caches.l1d = cache_size(_SC_LEVEL1_DCACHE_SIZE, (size_t)32 << 10);
    caches.l2 = cache_size(_SC_LEVEL2_CACHE_SIZE, (size_t)512 << 10);
    caches.l3 = cache_size(_SC_LEVEL3_CACHE_SIZE, (size_t)8 << 20);
    const long ways = sysconf(_SC_LEVEL1_DCACHE_ASSOC);
    caches.l1d_ways = ways > 0 && ways <= 64 ? (int)ways : 8;
}

const kb_cpu_caches *kb_cpu_caches_get(void) {
    pthread_once(&once, detect);
    return &caches;
}
