/* sigmoid fwd and bwd, naive: scalar loops, one thread. fwd is the
 * overflow-free form with libm's expf (sigmoid.h), bwd the book's
 * dy * (1 - y) * y. The baseline the other variants are measured against. */
#include <assert.h>

#include "kernbench/variant.h"
#include "sigmoid/sigmoid.h"

kb_status kb_sigmoid_fwd__naive(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_SIGMOID && problem->direction == KB_DIR_FWD);
    const float *src = args->tensor[KB_ARG_SRC];
    float *dst = args->tensor[KB_ARG_DST];
    assert(src && dst);
    for (int64_t i = 0; i < problem->eltwise.elems; i++) dst[i] = kb_sigmoid_libm(src[i]);
    return KB_OK;
}

kb_status kb_sigmoid_bwd__naive(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_SIGMOID && problem->direction == KB_DIR_BWD);
    const float *dst = args->tensor[KB_ARG_DST];
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    assert(dst && diff_dst && diff_src);
    for (int64_t i = 0; i < problem->eltwise.elems; i++)
        diff_src[i] = diff_dst[i] * (1.0f - dst[i]) * dst[i];
    return KB_OK;
}

const kb_variant kb_sigmoid_fwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_SIGMOID,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "scalar loop with libm expf(-|x|), one thread",
    .single_threaded = true,
    .run = kb_sigmoid_fwd__naive,
};

const kb_variant kb_sigmoid_bwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_SIGMOID,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "scalar loop dy * (1 - y) * y, one thread",
    .single_threaded = true,
    .run = kb_sigmoid_bwd__naive,
};
