/* conv2d forward, naive: the direct seven-loop convolution, one thread, float
 * accumulation in the textbook loop order. The baseline every other variant is
 * measured against; any size, stride, padding and dilation. */
#include <assert.h>

#include "kernbench/variant.h"

kb_status kb_conv2d_fwd__naive(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_FWD);
    const kb_conv2d_shape *s = &problem->conv2d;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    const float *bias = args->tensor[KB_ARG_BIAS];
    float *dst = args->tensor[KB_ARG_DST];
    assert(src && weights && bias && dst);

    for (int64_t n = 0; n < s->batch; n++)
        for (int64_t k = 0; k < s->out_channels; k++)
            for (int64_t oh = 0; oh < s->out_height; oh++)
                for (int64_t ow = 0; ow < s->out_width; ow++) {
                    float sum = bias[k];
                    for (int64_t c = 0; c < s->in_channels; c++)
                        for (int64_t r = 0; r < s->kernel_h; r++) {
                            const int64_t ih = oh * s->stride_h - s->pad_top + r * (s->dilation_h + 1);
                            if (ih < 0 || ih >= s->in_height) continue;
                            for (int64_t q = 0; q < s->kernel_w; q++) {
                                const int64_t iw =
                                    ow * s->stride_w - s->pad_left + q * (s->dilation_w + 1);
                                if (iw < 0 || iw >= s->in_width) continue;
                                sum += src[((n * s->in_channels + c) * s->in_height + ih) *
                                               s->in_width + iw] *
                                       weights[((k * s->in_channels + c) * s->kernel_h + r) *
                                                   s->kernel_w + q];
                            }
                        }
                    dst[((n * s->out_channels + k) * s->out_height + oh) * s->out_width + ow] = sum;
                }
    return KB_OK;
}

const kb_variant kb_conv2d_fwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "direct seven-loop convolution, one thread",
    .single_threaded = true,
    .run = kb_conv2d_fwd__naive,
};
