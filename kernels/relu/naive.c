/* relu fwd and bwd, naive: the book's mask (x <= 0) as a scalar loop, one
 * thread. The baseline the other variants are measured against. */
#include <assert.h>

#include "kernbench/variant.h"

kb_status kb_relu_fwd__naive(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                             void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_RELU && problem->direction == KB_DIR_FWD);
    const float *src = args->tensor[KB_ARG_SRC];
    float *dst = args->tensor[KB_ARG_DST];
    assert(src && dst);
    for (int64_t i = 0; i < problem->eltwise.elems; i++) dst[i] = src[i] <= 0 ? 0.0f : src[i];
    return KB_OK;
}

kb_status kb_relu_bwd__naive(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                             void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_RELU && problem->direction == KB_DIR_BWD);
    const float *src = args->tensor[KB_ARG_SRC];
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    assert(src && diff_dst && diff_src);
    for (int64_t i = 0; i < problem->eltwise.elems; i++)
        diff_src[i] = src[i] <= 0 ? 0.0f : diff_dst[i];
    return KB_OK;
}

const kb_variant kb_relu_fwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_RELU,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "scalar loop, x <= 0 ? 0 : x, one thread",
    .single_threaded = true,
    .run = kb_relu_fwd__naive,
};

const kb_variant kb_relu_bwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_RELU,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "scalar loop, x <= 0 ? 0 : dy, one thread",
    .single_threaded = true,
    .run = kb_relu_bwd__naive,
};
