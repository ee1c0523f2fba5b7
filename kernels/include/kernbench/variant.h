/* A variant is one implementation of one kernel direction: one entry in the
 * dispatch table. Lifecycle, driven by bench and the tests:
 *   supports -> workspace_bytes -> prepare (untimed) -> run (timed, repeated) -> release
 * Only `name`, `kernel`, `direction`, `required_isa` and `run` are mandatory; a
 * NULL hook means "supports everything", "no workspace", "nothing to prepare". */
#ifndef KERNBENCH_VARIANT_H
#define KERNBENCH_VARIANT_H

#include <stdbool.h>
#include <stddef.h>

#include "kernbench/isa.h"
#include "kernbench/problem.h"
#include "kernbench/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The run configuration. Variants parallelise with OpenMP using exactly
 * `threads` threads (num_threads clause) and never call omp_set_num_threads:
 * the caller owns the OpenMP runtime and thread placement. */
typedef struct kb_context {
    int threads;
} kb_context;

typedef struct kb_variant {
    const char *name; /* the word used in tests, CSV rows and --variant */
    kb_kernel kernel;
    kb_direction direction;
    kb_isa required_isa;
    const char *summary;  /* one line for --list */
    bool single_threaded; /* ignores ctx->threads; bench times it at 1 thread only */
    /* NULL: two runs at the same thread count give bitwise-equal outputs (the
     * tests hold every variant to it). Otherwise why they may not (atomics,
     * dynamic scheduling, a library that does not promise it). */
    const char *nondeterministic;

    /* Declines a problem it cannot compute, with a reason; NULL = all. */
    bool (*supports)(const kb_problem *problem, const char **why_not);
    /* Scratch memory `run` needs (allocated by the caller, 64-byte aligned). */
    size_t (*workspace_bytes)(const kb_problem *problem, const kb_context *ctx);
    /* Untimed: primitive creation, weight repacking. May read input tensors
     * (weights) of `args`; must not keep pointers to activations. */
    kb_status (*prepare)(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                         void **state);
    /* Timed: reads the inputs of `args`, overwrites its outputs. */
    kb_status (*run)(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                     void *state, void *workspace);
    void (*release)(void *state);
    /* What actually ran, when the variant knows better than required_isa
     * (oneDNN reports the ISA it dispatched; a variant that dispatches inside
     * says which path it took). Called after prepare; `state` may be NULL.
     * NULL hook = kb_isa_name(required_isa). */
    const char *(*isa_used)(void *state);
} kb_variant;

#ifdef __cplusplus
}
#endif
#endif
