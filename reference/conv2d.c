/* Reference conv2d: the textbook definition, NCHW x OIHW + bias, any stride,
 * padding and dilation per axis, computed in double on double arrays.
 *
 * All three directions walk the same set of (output pixel, input pixel, tap)
 * triples, the ones where the dilated kernel tap lands inside the input:
 *   fwd          dst[n,k,oh,ow]     += src[n,c,ih,iw] * w[k,c,r,q]   (+ bias[k])
 *   bwd_data     diff_src[n,c,ih,iw] += diff_dst[n,k,oh,ow] * w[k,c,r,q]
 *   bwd_weights  diff_w[k,c,r,q]    += diff_dst[n,k,oh,ow] * src[n,c,ih,iw]
 *                diff_bias[k]       += diff_dst[n,k,oh,ow]
 * so one loop nest serves all of them. Each output also gets the sum of the
 * absolute values of its terms (the scale the checker's tolerance uses). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"

typedef enum { FWD, BWD_DATA, BWD_WEIGHTS } mode;

static void walk(const kb_conv2d_shape *s, mode m, const double *src, const double *weights,
                 const double *diff_dst, double *out, double *out_magnitude) {
    for (int64_t n = 0; n < s->batch; n++)
        for (int64_t k = 0; k < s->out_channels; k++)
            for (int64_t oh = 0; oh < s->out_height; oh++)
                for (int64_t ow = 0; ow < s->out_width; ow++) {
                    const int64_t d = ((n * s->out_channels + k) * s->out_height + oh) *
                                          s->out_width + ow;
                    for (int64_t c = 0; c < s->in_channels; c++)
                        for (int64_t r = 0; r < s->kernel_h; r++) {
                            const int64_t ih =
                                oh * s->stride_h - s->pad_top + r * (s->dilation_h + 1);
                            if (ih < 0 || ih >= s->in_height) continue;
                            for (int64_t q = 0; q < s->kernel_w; q++) {
                                const int64_t iw =
                                    ow * s->stride_w - s->pad_left + q * (s->dilation_w + 1);
                                if (iw < 0 || iw >= s->in_width) continue;
                                const int64_t x =
                                    ((n * s->in_channels + c) * s->in_height + ih) * s->in_width +
                                    iw;
                                const int64_t w =
                                    ((k * s->in_channels + c) * s->kernel_h + r) * s->kernel_w + q;
                                int64_t at;
                                double term;
                                switch (m) {
                                case FWD: at = d, term = src[x] * weights[w]; break;
                                case BWD_DATA: at = x, term = diff_dst[d] * weights[w]; break;
                                default: at = w, term = diff_dst[d] * src[x]; break;
                                }
                                out[at] += term;
                                out_magnitude[at] += fabs(term);
                            }
                        }
                }
}

void kb_ref_conv2d_fwd_f64(const kb_conv2d_shape *s, const double *src, const double *weights,
                           const double *bias, double *dst, double *magnitude) {
    const int64_t pixels = s->out_height * s->out_width;
    for (int64_t n = 0; n < s->batch; n++)
        for (int64_t k = 0; k < s->out_channels; k++)
            for (int64_t p = 0; p < pixels; p++) {
                dst[(n * s->out_channels + k) * pixels + p] = bias[k];
                magnitude[(n * s->out_channels + k) * pixels + p] = fabs(bias[k]);
            }
    walk(s, FWD, src, weights, NULL, dst, magnitude);
}

void kb_ref_conv2d_bwd_data_f64(const kb_conv2d_shape *s, const double *diff_dst,
                                const double *weights, double *diff_src, double *magnitude) {
    const size_t count = (size_t)(s->batch * s->in_channels * s->in_height * s->in_width);
    memset(diff_src, 0, count * sizeof *diff_src);
    memset(magnitude, 0, count * sizeof *magnitude);
    walk(s, BWD_DATA, NULL, weights, diff_dst, diff_src, magnitude);
}

void kb_ref_conv2d_bwd_weights_f64(const kb_conv2d_shape *s, const double *src,
                                   const double *diff_dst, double *diff_weights,
                                   double *diff_bias, double *magnitude_weights,
                                   double *magnitude_bias) {
    const size_t count = (size_t)(s->out_channels * s->in_channels * s->kernel_h * s->kernel_w);
    memset(diff_weights, 0, count * sizeof *diff_weights);
    memset(magnitude_weights, 0, count * sizeof *magnitude_weights);
    walk(s, BWD_WEIGHTS, src, NULL, diff_dst, diff_weights, magnitude_weights);
    const int64_t pixels = s->out_height * s->out_width;
    for (int64_t k = 0; k < s->out_channels; k++) {
        diff_bias[k] = magnitude_bias[k] = 0;
        for (int64_t n = 0; n < s->batch; n++)
            for (int64_t p = 0; p < pixels; p++) {
                const double g = diff_dst[(n * s->out_channels + k) * pixels + p];
                diff_bias[k] += g;
                magnitude_bias[k] += fabs(g);
            }
    }
}

kb_status kb_ref_conv2d(const kb_problem *p, double *const *t, double *const *mag) {
    const kb_conv2d_shape *s = &p->conv2d;
    switch (p->direction) {
    case KB_DIR_FWD:
        kb_ref_conv2d_fwd_f64(s, t[KB_ARG_SRC], t[KB_ARG_WEIGHTS], t[KB_ARG_BIAS], t[KB_ARG_DST],
                              mag[KB_ARG_DST]);
        return KB_OK;
    case KB_DIR_BWD_DATA:
        kb_ref_conv2d_bwd_data_f64(s, t[KB_ARG_DIFF_DST], t[KB_ARG_WEIGHTS], t[KB_ARG_DIFF_SRC],
                                   mag[KB_ARG_DIFF_SRC]);
        return KB_OK;
    case KB_DIR_BWD_WEIGHTS:
        kb_ref_conv2d_bwd_weights_f64(s, t[KB_ARG_SRC], t[KB_ARG_DIFF_DST], t[KB_ARG_DIFF_WEIGHTS],
                                      t[KB_ARG_DIFF_BIAS], mag[KB_ARG_DIFF_WEIGHTS],
                                      mag[KB_ARG_DIFF_BIAS]);
        return KB_OK;
    default: return KB_ERR_UNSUPPORTED;
    }
}
