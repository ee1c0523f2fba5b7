/* Runs one variant once on tensors the test made itself (edge values the
 * case fillers never produce, several optimizer steps in a row): workspace,
 * prepare, run, release, at `threads` threads (oneDNN reads
 * omp_get_max_threads(), so that is set too, as the agreement sweep does). */
#ifndef KB_TEST_DIRECT_RUN_H
#define KB_TEST_DIRECT_RUN_H

#include <omp.h>
#include <stdlib.h>

#include "kernbench/variant.h"

static inline kb_status kb_run_variant_once(const kb_variant *variant, const kb_problem *problem,
                                            const kb_args *args, int threads) {
    omp_set_num_threads(threads);
    const kb_context ctx = {.threads = threads};
    const size_t bytes = variant->workspace_bytes ? variant->workspace_bytes(problem, &ctx) : 0;
    void *workspace = bytes ? aligned_alloc(64, (bytes + 63) / 64 * 64) : NULL;
    if (bytes && !workspace) return KB_ERR_NOMEM;
    void *state = NULL;
    kb_status status = variant->prepare ? variant->prepare(problem, args, &ctx, &state) : KB_OK;
    if (status == KB_OK) {
        status = variant->run(problem, args, &ctx, state, workspace);
        if (variant->release) variant->release(state);
    }
    free(workspace);
    return status;
}

#endif
