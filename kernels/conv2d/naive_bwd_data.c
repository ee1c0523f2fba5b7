/* conv2d backward data, naive: the textbook gradient, one thread, float
 * accumulation. Each diff_src element is computed on its own, in gather form:
 *   diff_src[n,c,ih,iw] = sum over k, r, q of diff_dst[n,k,oh,ow] * w[k,c,r,q]
 * over the taps whose output pixel (oh, ow) exists, i.e.
 *   oh * stride_h = ih + pad_top - r * (dilation_h + 1)  (exact division),
 * and likewise for ow. Every element is written once (no zeroing pass). The
 * baseline the other bwd_data variants are measured against; any size,
 * stride, padding and dilation. */
#include <assert.h>

#include "kernbench/variant.h"

/* The output position that kernel tap `tap` maps input position `in` to, or -1
 * when there is none (between strides or outside the output). */
static inline int64_t output_position(int64_t in, int64_t tap, int64_t stride, int64_t pad,
                                      int64_t dilation, int64_t out_size) {
    const int64_t scaled = in + pad - tap * (dilation + 1);
    if (scaled < 0 || scaled % stride != 0 || scaled / stride >= out_size) return -1;
    return scaled / stride;
}

kb_status kb_conv2d_bwd_data__naive(const kb_problem *problem, const kb_args *args,
                                    const kb_context *ctx, void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_BWD_DATA);
    const kb_conv2d_shape *s = &problem->conv2d;
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    assert(diff_dst && weights && diff_src);

    for (int64_t n = 0; n < s->batch; n++)
        for (int64_t c = 0; c < s->in_channels; c++)
            for (int64_t ih = 0; ih < s->in_height; ih++)
                for (int64_t iw = 0; iw < s->in_width; iw++) {
                    float sum = 0.0f;
                    for (int64_t k = 0; k < s->out_channels; k++)
                        for (int64_t r = 0; r < s->kernel_h; r++) {
                            const int64_t oh = output_position(ih, r, s->stride_h, s->pad_top,
                                                               s->dilation_h, s->out_height);
                            if (oh < 0) continue;
                            for (int64_t q = 0; q < s->kernel_w; q++) {
                                const int64_t ow = output_position(
                                    iw, q, s->stride_w, s->pad_left, s->dilation_w, s->out_width);
                                if (ow < 0) continue;
                                sum += diff_dst[((n * s->out_channels + k) * s->out_height + oh) *
                                                    s->out_width + ow] *
                                       weights[((k * s->in_channels + c) * s->kernel_h + r) *
                                                   s->kernel_w + q];
                            }
                        }
                    diff_src[((n * s->in_channels + c) * s->in_height + ih) * s->in_width + iw] =
                        sum;
                }
    return KB_OK;
}

const kb_variant kb_conv2d_bwd_data__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_BWD_DATA,
    .required_isa = KB_ISA_SCALAR,
    .summary = "direct gather-form gradient loops, one thread",
    .single_threaded = true,
    .run = kb_conv2d_bwd_data__naive,
};
