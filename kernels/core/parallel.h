/* Elementwise kernels over flat arrays (relu, sigmoid, the optimizer
 * updates): one parallel region that gives each thread one contiguous block
 * of the array. */
#ifndef KB_CORE_PARALLEL_H
#define KB_CORE_PARALLEL_H

#include <stdint.h>

/* Computes elements [begin, end) of one call; `data` is the caller's. */
typedef void kb_range_fn(const void *data, int64_t begin, int64_t end);

/* Thread `thread` of `threads` gets elements [*begin, *end): contiguous
 * blocks whose boundaries are multiples of 16 floats (one cache line when the
 * arrays are 64-byte aligned), so no two threads write the same line and every
 * thread but the last runs whole vectors. Threads may get nothing when the
 * array is small. */
void kb_thread_range(int64_t elems, int threads, int thread, int64_t *begin, int64_t *end);

/* Runs `fn` over [0, elems) on exactly `threads` OpenMP threads (the caller's
 * ctx->threads; one thread calls `fn` directly, without a parallel region). */
void kb_parallel_ranges(int64_t elems, int threads, kb_range_fn *fn, const void *data);

#endif
