/* Reference pool2d: the definitions of kernbench/problem.h, in double on
 * double arrays, one output at a time with bounds checks on every tap.
 *
 * Every direction walks the taps of each window that land inside the input,
 * in row-major order:
 *   max fwd   dst = the first tap x with no earlier tap >= x (NaN: the first
 *             NaN); -inf when no tap lands inside; magnitude 0 (a selection:
 *             the checker then demands the exact value);
 *   max bwd   diff_src[that tap] += diff_dst, magnitude += |diff_dst|;
 *   avg fwd   dst = sum(taps) / divisor, magnitude = sum|taps| / divisor,
 *             0 when the divisor is 0 (an empty window, padding excluded);
 *   avg bwd   diff_src[tap] += diff_dst / divisor for every tap inside,
 *             magnitude += |diff_dst / divisor|.
 * The divisor counts the taps inside (avg, padding excluded) or kh*kw
 * (avg_incl). The max scan mirrors kb_pool_max_replaces in double: the float
 * inputs are exact in double, so the same comparisons pick the same tap. */
#include <math.h>
#include <string.h>

#include "reference.h"

/* [*first, *end): the inputs window `o` reads along one axis. */
static void window(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t in,
                   int64_t *first, int64_t *end) {
    *first = *end = 0;
    for (int64_t k = 0; k < kernel; k++) {
        const int64_t i = o * stride - pad + k;
        if (i < 0 || i >= in) continue;
        if (*end == *first) *first = i; /* nothing yet */
        *end = i + 1;
    }
}

static double divisor(const kb_pool2d_shape *s, int64_t rows, int64_t cols) {
    return s->algorithm == KB_POOL_AVG_INCLUDE_PAD ? (double)(s->kernel_h * s->kernel_w)
                                                   : (double)(rows * cols);
}

/* The plane offset of the window's first maximum, -1 when it has no tap. */
static int64_t argmax(const kb_pool2d_shape *s, const double *plane, int64_t h0, int64_t h1,
                      int64_t w0, int64_t w1) {
    int64_t best = -1;
    for (int64_t ih = h0; ih < h1; ih++)
        for (int64_t iw = w0; iw < w1; iw++) {
            const int64_t at = ih * s->in_width + iw;
            if (best < 0) {
                best = at;
                continue;
            }
            const double x = plane[at], b = plane[best];
            if (x > b || (isnan(x) && !isnan(b))) best = at;
        }
    return best;
}

void kb_ref_pool2d_fwd_f64(const kb_pool2d_shape *s, const double *src, double *dst,
                           double *magnitude) {
    const int64_t planes = s->batch * s->channels;
    const int64_t in_plane = s->in_height * s->in_width, out_plane = s->out_height * s->out_width;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t oh = 0; oh < s->out_height; oh++)
            for (int64_t ow = 0; ow < s->out_width; ow++) {
                const double *x = src + p * in_plane;
                const int64_t o = p * out_plane + oh * s->out_width + ow;
                int64_t h0, h1, w0, w1;
                window(oh, s->stride_h, s->pad_top, s->kernel_h, s->in_height, &h0, &h1);
                window(ow, s->stride_w, s->pad_left, s->kernel_w, s->in_width, &w0, &w1);
                if (s->algorithm == KB_POOL_MAX) {
                    const int64_t at = argmax(s, x, h0, h1, w0, w1);
                    dst[o] = at < 0 ? -INFINITY : x[at];
                    magnitude[o] = 0.0;
                    continue;
                }
                const double d = divisor(s, h1 - h0, w1 - w0);
                double sum = 0.0, mag = 0.0;
                for (int64_t ih = h0; ih < h1; ih++)
                    for (int64_t iw = w0; iw < w1; iw++) {
                        sum += x[ih * s->in_width + iw];
                        mag += fabs(x[ih * s->in_width + iw]);
                    }
                dst[o] = d > 0 ? sum / d : 0.0;
                magnitude[o] = d > 0 ? mag / d : 0.0;
            }
}

void kb_ref_pool2d_bwd_f64(const kb_pool2d_shape *s, const double *src, const double *diff_dst,
                           double *diff_src, double *magnitude) {
    const int64_t planes = s->batch * s->channels;
    const int64_t in_plane = s->in_height * s->in_width, out_plane = s->out_height * s->out_width;
    memset(diff_src, 0, (size_t)(planes * in_plane) * sizeof *diff_src);
    memset(magnitude, 0, (size_t)(planes * in_plane) * sizeof *magnitude);
    for (int64_t p = 0; p < planes; p++)
        for (int64_t oh = 0; oh < s->out_height; oh++)
            for (int64_t ow = 0; ow < s->out_width; ow++) {
                const double g = diff_dst[p * out_plane + oh * s->out_width + ow];
                double *dx = diff_src + p * in_plane, *mag = magnitude + p * in_plane;
                int64_t h0, h1, w0, w1;
                window(oh, s->stride_h, s->pad_top, s->kernel_h, s->in_height, &h0, &h1);
                window(ow, s->stride_w, s->pad_left, s->kernel_w, s->in_width, &w0, &w1);
                if (s->algorithm == KB_POOL_MAX) {
                    const int64_t at = argmax(s, src + p * in_plane, h0, h1, w0, w1);
                    if (at >= 0) dx[at] += g, mag[at] += fabs(g);
                    continue;
                }
                const double d = divisor(s, h1 - h0, w1 - w0);
                if (d == 0) continue;
                for (int64_t ih = h0; ih < h1; ih++)
                    for (int64_t iw = w0; iw < w1; iw++) {
                        dx[ih * s->in_width + iw] += g / d;
                        mag[ih * s->in_width + iw] += fabs(g / d);
                    }
            }
}

kb_status kb_ref_pool2d(const kb_problem *p, double *const *t, double *const *mag) {
    switch (p->direction) {
    case KB_DIR_FWD:
        kb_ref_pool2d_fwd_f64(&p->pool2d, t[KB_ARG_SRC], t[KB_ARG_DST], mag[KB_ARG_DST]);
        return KB_OK;
    case KB_DIR_BWD: /* src is NULL for avg, which never reads it */
        kb_ref_pool2d_bwd_f64(&p->pool2d, t[KB_ARG_SRC], t[KB_ARG_DIFF_DST], t[KB_ARG_DIFF_SRC],
                              mag[KB_ARG_DIFF_SRC]);
        return KB_OK;
    default:
        return KB_ERR_UNSUPPORTED;
    }
}
