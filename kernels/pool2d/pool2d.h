/* pool2d internals shared by its problem code and its variants: window
 * geometry, the divisor, the max policy and the one-output scalar loops that
 * naive runs everywhere and the vector variants run on the border windows. */
#ifndef KB_POOL2D_H
#define KB_POOL2D_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/window.h"
#include "kernbench/problem.h"

/* The inputs [*first, *end) that window `o` reads along one axis: its taps
 * clipped to the input, empty when the window lies in the padding. */
static inline void kb_pool_window(int64_t o, int64_t stride, int64_t pad, int64_t kernel,
                                  int64_t in, int64_t *first, int64_t *end) {
    const int64_t start = o * stride - pad;
    *first = start < 0 ? 0 : start;
    *end = start + kernel > in ? in : start + kernel;
    if (*end < *first) *end = *first;
}

/* The outputs [*first, *end) of one axis whose window lies wholly inside the
 * input (no clipping): the vector variants' interior. Outputs before it and
 * after it are the border, [0, first) and [end, out). */
static inline void kb_pool_interior(int64_t out, int64_t in, int64_t kernel, int64_t stride,
                                    int64_t pad, int64_t *first, int64_t *end) {
    int64_t lo = (pad + stride - 1) / stride; /* o * stride - pad >= 0 */
    int64_t hi = in - kernel + pad < 0 ? 0 : (in - kernel + pad) / stride + 1; /* fits */
    if (hi > out) hi = out;
    if (lo > hi) lo = hi = (lo < out ? lo : out); /* empty: the border is everything */
    *first = lo;
    *end = hi;
}

/* The divisor of an average window with rows x cols taps inside the input;
 * 0 only for a window entirely in padding with padding excluded. */
static inline int64_t kb_pool_divisor(const kb_pool2d_shape *s, int64_t rows, int64_t cols) {
    return s->algorithm == KB_POOL_AVG_INCLUDE_PAD ? s->kernel_h * s->kernel_w : rows * cols;
}

/* The max policy as one step of a row-major scan: whether `candidate`
 * replaces the best so far. Strictly greater keeps the first of equal values;
 * a NaN replaces a number and is never replaced, so the first NaN wins. */
static inline bool kb_pool_max_replaces(float candidate, float best) {
    return candidate > best || (candidate != candidate && best == best);
}

/* The largest number of windows that cover one input element:
 * ceil(kernel/stride) per axis. Each backward output is a sum of at most that
 * many terms (the checker's L for bwd). */
static inline int64_t kb_pool2d_coverage(const kb_pool2d_shape *s) {
    return ((s->kernel_h + s->stride_h - 1) / s->stride_h) *
           ((s->kernel_w + s->stride_w - 1) / s->stride_w);
}

/* Forward of output (oh, ow) of one NCHW plane, scanning the window in
 * row-major order: the max policy above (-inf for an empty window), or the
 * float sum of the taps divided by the divisor (0 for an empty window). */
static inline float kb_pool2d_fwd_one(const kb_pool2d_shape *s, const float *plane, int64_t oh,
                                      int64_t ow) {
    int64_t h0, h1, w0, w1;
    kb_pool_window(oh, s->stride_h, s->pad_top, s->kernel_h, s->in_height, &h0, &h1);
    kb_pool_window(ow, s->stride_w, s->pad_left, s->kernel_w, s->in_width, &w0, &w1);
    if (s->algorithm == KB_POOL_MAX) {
        if (h0 == h1 || w0 == w1) return -INFINITY;
        float best = plane[h0 * s->in_width + w0];
        for (int64_t ih = h0; ih < h1; ih++)
            for (int64_t iw = w0; iw < w1; iw++) {
                const float x = plane[ih * s->in_width + iw];
                if (kb_pool_max_replaces(x, best)) best = x;
            }
        return best;
    }
    const int64_t divisor = kb_pool_divisor(s, h1 - h0, w1 - w0);
    if (divisor == 0) return 0.0f;
    float sum = 0.0f;
    for (int64_t ih = h0; ih < h1; ih++)
        for (int64_t iw = w0; iw < w1; iw++) sum += plane[ih * s->in_width + iw];
    return sum / (float)divisor;
}

/* The plane offset of the first maximum of window (oh, ow) under the max
 * policy; -1 for a window entirely in padding. */
static inline int64_t kb_pool2d_argmax_one(const kb_pool2d_shape *s, const float *plane, int64_t oh,
                                           int64_t ow) {
    int64_t h0, h1, w0, w1;
    kb_pool_window(oh, s->stride_h, s->pad_top, s->kernel_h, s->in_height, &h0, &h1);
    kb_pool_window(ow, s->stride_w, s->pad_left, s->kernel_w, s->in_width, &w0, &w1);
    if (h0 == h1 || w0 == w1) return -1;
    int64_t at = h0 * s->in_width + w0;
    for (int64_t ih = h0; ih < h1; ih++)
        for (int64_t iw = w0; iw < w1; iw++)
            if (kb_pool_max_replaces(plane[ih * s->in_width + iw], plane[at]))
                at = ih * s->in_width + iw;
    return at;
}

/* Backward of output (oh, ow) into one zero-initialised diff_src plane: max
 * adds `grad` at the first maximum of the window of `src_plane`; avg adds
 * grad / divisor to every tap inside the input. */
static inline void kb_pool2d_bwd_one(const kb_pool2d_shape *s, const float *src_plane,
                                     float *diff_src_plane, int64_t oh, int64_t ow, float grad) {
    if (s->algorithm == KB_POOL_MAX) {
        const int64_t at = kb_pool2d_argmax_one(s, src_plane, oh, ow);
        if (at >= 0) diff_src_plane[at] += grad;
        return;
    }
    int64_t h0, h1, w0, w1;
    kb_pool_window(oh, s->stride_h, s->pad_top, s->kernel_h, s->in_height, &h0, &h1);
    kb_pool_window(ow, s->stride_w, s->pad_left, s->kernel_w, s->in_width, &w0, &w1);
    const int64_t divisor = kb_pool_divisor(s, h1 - h0, w1 - w0);
    if (divisor == 0) return;
    const float share = grad / (float)divisor;
    for (int64_t ih = h0; ih < h1; ih++)
        for (int64_t iw = w0; iw < w1; iw++) diff_src_plane[ih * s->in_width + iw] += share;
}

#endif
