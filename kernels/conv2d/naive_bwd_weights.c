/* conv2d backward weights, naive: the textbook gradient, one thread, float
 * accumulation. Each weight gradient is one sum over the batch and the output
 * pixels,
 *   diff_w[k,c,r,q] = sum over n, oh, ow of diff_dst[n,k,oh,ow] * src[n,c,ih,iw]
 * with ih = oh * stride_h - pad_top + r * (dilation_h + 1) (likewise iw),
 * skipping taps in the padding, and diff_bias[k] = sum over n, oh, ow of
 * diff_dst[n,k,oh,ow]. The baseline the other bwd_weights variants are
 * measured against; any size, stride, padding and dilation. */
#include <assert.h>

#include "kernbench/variant.h"

kb_status kb_conv2d_bwd_weights__naive(const kb_problem *problem, const kb_args *args,
                                       const kb_context *ctx, void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_BWD_WEIGHTS);
    const kb_conv2d_shape *s = &problem->conv2d;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *diff_weights = args->tensor[KB_ARG_DIFF_WEIGHTS];
    float *diff_bias = args->tensor[KB_ARG_DIFF_BIAS];
    assert(src && diff_dst && diff_weights && diff_bias);
    const int64_t pixels = s->out_height * s->out_width;

    for (int64_t k = 0; k < s->out_channels; k++)
        for (int64_t c = 0; c < s->in_channels; c++)
            for (int64_t r = 0; r < s->kernel_h; r++)
                for (int64_t q = 0; q < s->kernel_w; q++) {
                    float sum = 0.0f;
                    for (int64_t n = 0; n < s->batch; n++)
                        for (int64_t oh = 0; oh < s->out_height; oh++) {
                            const int64_t ih =
                                oh * s->stride_h - s->pad_top + r * (s->dilation_h + 1);
                            if (ih < 0 || ih >= s->in_height) continue;
                            for (int64_t ow = 0; ow < s->out_width; ow++) {
                                const int64_t iw =
                                    ow * s->stride_w - s->pad_left + q * (s->dilation_w + 1);
                                if (iw < 0 || iw >= s->in_width) continue;
                                sum += diff_dst[(n * s->out_channels + k) * pixels +
                                                oh * s->out_width + ow] *
                                       src[((n * s->in_channels + c) * s->in_height + ih) *
                                               s->in_width + iw];
                            }
                        }
                    diff_weights[((k * s->in_channels + c) * s->kernel_h + r) * s->kernel_w + q] =
                        sum;
                }

    for (int64_t k = 0; k < s->out_channels; k++) {
        float sum = 0.0f;
        for (int64_t n = 0; n < s->batch; n++)
            for (int64_t p = 0; p < pixels; p++)
                sum += diff_dst[(n * s->out_channels + k) * pixels + p];
        diff_bias[k] = sum;
    }
    return KB_OK;
}

const kb_variant kb_conv2d_bwd_weights__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_BWD_WEIGHTS,
    .required_isa = KB_ISA_SCALAR,
    .summary = "direct gradient loops (one sum per weight), one thread",
    .single_threaded = true,
    .run = kb_conv2d_bwd_weights__naive,
};
