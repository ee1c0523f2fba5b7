#include "buffer.h"

#include <stdlib.h>

void *kb_aligned_alloc(size_t bytes) {
    if (bytes == 0) return NULL;
    size_t rounded = kb_align_up(bytes);
    if (rounded < bytes) return NULL; /* overflow */
    return aligned_alloc(KB_ALIGNMENT, rounded);
}

void kb_aligned_free(void *ptr) { free(ptr); }
