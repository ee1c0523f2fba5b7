/* affine forward, naive: y = x W + b as the textbook triple loop, one thread,
 * float accumulation starting from the bias and adding the D products in
 * order. The baseline every other variant is measured against; any size. */
#include <assert.h>

#include "kernbench/variant.h"

kb_status kb_affine_fwd__naive(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_FWD);
    const kb_affine_shape *s = &problem->affine;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    const float *bias = args->tensor[KB_ARG_BIAS];
    float *dst = args->tensor[KB_ARG_DST];
    assert(src && weights && bias && dst);

    const int64_t in = s->in_features, out = s->out_features;
    for (int64_t n = 0; n < s->batch; n++)
        for (int64_t m = 0; m < out; m++) {
            float sum = bias[m];
            for (int64_t d = 0; d < in; d++) sum += src[n * in + d] * weights[d * out + m];
            dst[n * out + m] = sum;
        }
    return KB_OK;
}

const kb_variant kb_affine_fwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_AFFINE,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "textbook triple loop y = xW + b, one thread",
    .single_threaded = true,
    .run = kb_affine_fwd__naive,
};
