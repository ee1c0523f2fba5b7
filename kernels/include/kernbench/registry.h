/* The single dispatch table: every variant of every kernel and direction, in
 * registration order (the order of the kernels' variants.inc list files). */
#ifndef KERNBENCH_REGISTRY_H
#define KERNBENCH_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "kernbench/variant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A variant that exists in the source but is not in this build, and why
 * (for example: built with -DKB_WITH_ONEDNN=OFF). */
typedef struct kb_absent_variant {
    const char *name;
    kb_kernel kernel;
    kb_direction direction;
    const char *why;
} kb_absent_variant;

size_t kb_registry_size(void);
const kb_variant *kb_registry_get(size_t index);
size_t kb_registry_absent_size(void);
const kb_absent_variant *kb_registry_absent_get(size_t index);

/* NULL when no variant of that kernel/direction has that name. */
const kb_variant *kb_registry_find(kb_kernel kernel, kb_direction direction, const char *name);

/* Fills `out` with the variants of kernel/direction whose name is in `names`
 * (all of them when n_names is 0), in registration order; returns how many.
 * Never returns more than `capacity`. */
size_t kb_registry_select(kb_kernel kernel, kb_direction direction, const char *const *names,
                          size_t n_names, const kb_variant **out, size_t capacity);

/* Whether the variant can run `problem` on this CPU: its ISA first, then its
 * supports() hook. On false, *why_not says why in a short phrase. */
bool kb_variant_usable(const kb_variant *variant, const kb_problem *problem,
                       const char **why_not);

#ifdef __cplusplus
}
#endif
#endif
