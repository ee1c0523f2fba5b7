/* Sliding-window geometry along one axis, shared by the windowed kernels
 * (conv2d, pool2d): both follow oneDNN's convention that the caller gives the
 * leading padding and the trailing padding is whatever the output size needs. */
#ifndef KB_CORE_WINDOW_H
#define KB_CORE_WINDOW_H

#include <stdint.h>

/* The output size of the standard formula with `pad` on both sides (floor
 * division, what benchdnn infers); <= 0 when a window of `extent` taps does
 * not fit the padded input. */
static inline int64_t kb_window_out_size(int64_t in, int64_t extent, int64_t stride, int64_t pad) {
    const int64_t span = in + 2 * pad - extent;
    return span < 0 ? 0 : span / stride + 1;
}

/* The trailing padding `out` windows need after an input of `in` with
 * `pad_before` ahead of it: the last window ends at (out-1)*stride + extent
 * in padded coordinates. May be smaller than pad_before, or negative (trailing
 * inputs that no window reads). */
static inline int64_t kb_window_pad_after(int64_t in, int64_t out, int64_t extent, int64_t stride,
                                          int64_t pad_before) {
    return (out - 1) * stride + extent - in - pad_before;
}

#endif
