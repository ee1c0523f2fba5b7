/* Aligned scratch buffers shared by the variants (internal to kernels/). */
#ifndef KB_CORE_BUFFER_H
#define KB_CORE_BUFFER_H

#include <stddef.h>

#define KB_ALIGNMENT 64

/* 64-byte aligned (one cache line, one AVX-512 vector); NULL on failure or
 * when `bytes` is 0. Release with kb_aligned_free. */
void *kb_aligned_alloc(size_t bytes);
void kb_aligned_free(void *ptr);

/* Rounds `bytes` up to a multiple of KB_ALIGNMENT, for carving one workspace
 * into several aligned pieces. */
static inline size_t kb_align_up(size_t bytes) {
    return (bytes + KB_ALIGNMENT - 1) / KB_ALIGNMENT * KB_ALIGNMENT;
}

#endif
