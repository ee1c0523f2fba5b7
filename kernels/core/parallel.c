/* See parallel.h. */
#include "core/parallel.h"

#include <assert.h>
#include <omp.h>

void kb_thread_range(int64_t elems, int threads, int thread, int64_t *begin, int64_t *end) {
    assert(elems >= 0 && threads >= 1 && thread >= 0 && thread < threads);
    const int64_t line = 16;
    const int64_t lines = (elems + line - 1) / line;
    const int64_t per_thread = lines / threads, extra = lines % threads;
    const int64_t first = thread * per_thread + (thread < extra ? thread : extra);
    const int64_t count = per_thread + (thread < extra ? 1 : 0);
    *begin = first * line < elems ? first * line : elems;
    *end = (first + count) * line < elems ? (first + count) * line : elems;
}

void kb_parallel_ranges(int64_t elems, int threads, kb_range_fn *fn, const void *data) {
    assert(elems >= 0 && threads >= 1 && fn);
    if (threads == 1) {
        fn(data, 0, elems);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        int64_t begin, end;
        kb_thread_range(elems, omp_get_num_threads(), omp_get_thread_num(), &begin, &end);
        if (begin < end) fn(data, begin, end);
    }
}
