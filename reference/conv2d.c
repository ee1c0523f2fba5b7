/* Reference conv2d forward: the textbook definition, NCHW x OIHW + bias,
 * any stride, padding and dilation per axis, double accumulation. */
#include "reference.h"

void kb_ref_conv2d_fwd(const kb_conv2d_shape *s, const float *src, const float *weights,
                       const float *bias, float *dst, double *magnitude) {
    for (int64_t n = 0; n < s->batch; n++)
        for (int64_t k = 0; k < s->out_channels; k++)
            for (int64_t oh = 0; oh < s->out_height; oh++)
                for (int64_t ow = 0; ow < s->out_width; ow++) {
                    double sum = bias[k];
                    double abs_sum = bias[k] < 0 ? -(double)bias[k] : bias[k];
                    for (int64_t c = 0; c < s->in_channels; c++)
                        for (int64_t r = 0; r < s->kernel_h; r++) {
                            const int64_t ih = oh * s->stride_h - s->pad_top + r * (s->dilation_h + 1);
                            if (ih < 0 || ih >= s->in_height) continue;
                            for (int64_t q = 0; q < s->kernel_w; q++) {
                                const int64_t iw =
                                    ow * s->stride_w - s->pad_left + q * (s->dilation_w + 1);
                                if (iw < 0 || iw >= s->in_width) continue;
                                const double term =
                                    (double)src[((n * s->in_channels + c) * s->in_height + ih) *
                                                    s->in_width + iw] *
                                    (double)weights[((k * s->in_channels + c) * s->kernel_h + r) *
                                                        s->kernel_w + q];
                                sum += term;
                                abs_sum += term < 0 ? -term : term;
                            }
                        }
                    const int64_t at =
                        ((n * s->out_channels + k) * s->out_height + oh) * s->out_width + ow;
                    dst[at] = (float)sum;
                    if (magnitude) magnitude[at] = abs_sum;
                }
}
