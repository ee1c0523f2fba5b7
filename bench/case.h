/* A checked case: one problem with its inputs, the reference outputs, and the
 * life cycle of one variant on it (workspace, prepare, run, compare, release).
 * bench and the tests drive variants only through this file. */
#ifndef KB_CASE_H
#define KB_CASE_H

#include "check.h"
#include "kernbench/kernbench.h"
#include "reference.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kb_case {
    kb_problem problem;
    kb_fill fill;
    size_t elems[KB_ARG_COUNT];
    kb_args args;                 /* inputs + the variant's outputs */
    float *ref_outputs[KB_ARG_COUNT];
    float *initial[KB_ARG_COUNT]; /* in-out tensors: their values before a run */
    kb_ref_magnitudes magnitudes;
} kb_case;

/* Bytes kb_case_init would allocate (inputs, outputs, reference outputs and
 * their magnitudes), saturating at SIZE_MAX. */
size_t kb_case_bytes(const kb_problem *problem);
/* KB_ERR_NOMEM with one line in `why` when those bytes exceed half of the
 * machine's physical memory (a request that would thrash or be OOM-killed). */
kb_status kb_case_check_memory(const kb_problem *problem, char *why, size_t why_len);

/* Allocates every tensor, fills the inputs, runs the reference. The problem
 * must be valid. Fails with one line in `why` when memory is short: the
 * request is checked against the machine's physical memory before allocating. */
kb_status kb_case_init(kb_case *c, const kb_problem *problem, kb_fill fill, uint64_t seed,
                       char *why, size_t why_len);
void kb_case_free(kb_case *c);
/* A copy of the case's tensors for cold-cache timing: inputs (and in-out
 * tensors) with the same values, outputs allocated; no reference. Free with
 * kb_case_free. */
kb_status kb_case_clone_io(const kb_case *c, kb_case *copy);
/* Bytes of one such copy. */
size_t kb_case_io_bytes(const kb_case *c);

/* Recomputes the reference outputs from the case's current inputs (and the
 * initial values of in-out tensors), after a caller changed them. */
kb_status kb_case_recompute_reference(kb_case *c, char *why, size_t why_len);

/* Replaces the inputs (and initial values of in-out tensors) of an initialised
 * case with `inputs[arg]` (same element counts; NULL entries are kept) and
 * recomputes the reference. */
kb_status kb_case_set_inputs(kb_case *c, float *const *inputs, char *why, size_t why_len);

typedef struct kb_prepared {
    const kb_variant *variant;
    kb_context ctx;
    void *state;
    void *workspace;
    double prepare_ms;
} kb_prepared;

/* Allocates the workspace and calls prepare (timed with a wall clock). */
kb_status kb_prepared_init(kb_prepared *p, const kb_variant *variant, const kb_case *c,
                           int threads);
kb_status kb_prepared_run(kb_prepared *p, const kb_case *c);
void kb_prepared_release(kb_prepared *p);

/* Poisons the outputs with NaN (so an element a variant forgets to write is
 * caught) and restores the in-out tensors to their initial values, runs once
 * and compares every output with the reference. The timed loop that follows
 * updates in-out tensors again and again (an optimizer's steps): their values
 * drift, their cost does not. */
kb_status kb_case_run_and_check(kb_prepared *p, const kb_case *c, kb_check_result *result);

/* Determinism checks: a copy of the case's current outputs, and whether the
 * outputs now are bitwise equal to such a copy. */
typedef struct kb_output_copy {
    float *tensor[KB_ARG_COUNT];
} kb_output_copy;
kb_status kb_case_copy_outputs(const kb_case *c, kb_output_copy *copy);
bool kb_case_outputs_equal(const kb_case *c, const kb_output_copy *copy);
void kb_output_copy_free(kb_output_copy *copy);

/* "ISA the variant used": oneDNN's implementation string or the required ISA. */
const char *kb_prepared_isa(const kb_prepared *p);

#ifdef __cplusplus
}
#endif
#endif
