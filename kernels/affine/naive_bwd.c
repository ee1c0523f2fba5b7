/* affine backward, naive: the three gradients as textbook loops, one thread,
 * float accumulation in index order:
 *   dx[n,d] = sum_m dout[n,m] W[d,m];  dW[d,m] = sum_n x[n,d] dout[n,m];
 *   db[m] = sum_n dout[n,m].
 * The baseline every other variant is measured against; any size. */
#include <assert.h>

#include "kernbench/variant.h"

kb_status kb_affine_bwd__naive(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_BWD);
    const kb_affine_shape *s = &problem->affine;
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    const float *src = args->tensor[KB_ARG_SRC];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    float *diff_weights = args->tensor[KB_ARG_DIFF_WEIGHTS];
    float *diff_bias = args->tensor[KB_ARG_DIFF_BIAS];
    assert(diff_dst && src && weights && diff_src && diff_weights && diff_bias);

    const int64_t batch = s->batch, in = s->in_features, out = s->out_features;
    for (int64_t n = 0; n < batch; n++)
        for (int64_t d = 0; d < in; d++) {
            float sum = 0.0f;
            for (int64_t m = 0; m < out; m++) sum += diff_dst[n * out + m] * weights[d * out + m];
            diff_src[n * in + d] = sum;
        }
    for (int64_t d = 0; d < in; d++)
        for (int64_t m = 0; m < out; m++) {
            float sum = 0.0f;
            for (int64_t n = 0; n < batch; n++) sum += src[n * in + d] * diff_dst[n * out + m];
            diff_weights[d * out + m] = sum;
        }
    for (int64_t m = 0; m < out; m++) {
        float sum = 0.0f;
        for (int64_t n = 0; n < batch; n++) sum += diff_dst[n * out + m];
        diff_bias[m] = sum;
    }
    return KB_OK;
}

const kb_variant kb_affine_bwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_AFFINE,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "textbook loops for dx = dout W^T, dW = x^T dout, db = column sums, one thread",
    .single_threaded = true,
    .run = kb_affine_bwd__naive,
};
