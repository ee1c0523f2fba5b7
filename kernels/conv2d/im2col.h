/* im2col for one NCHW image: the convolution's input patches as a matrix, so
 * the convolution becomes one GEMM with the OIHW weights viewed as
 * out_channels x (in_channels * kernel_h * kernel_w).
 *
 * col is row-major with one ROW per output pixel (out_height * out_width rows,
 * pixel = oh * out_width + ow) and one COLUMN per kernel tap
 * (in_channels * kernel_h * kernel_w columns, tap = (c * kernel_h + r) *
 * kernel_w + q, the weights' own order). Taps that fall in the padding are 0.
 * Any stride, padding (pad_bottom/right may be negative) and dilation. */
#ifndef KB_CONV2D_IM2COL_H
#define KB_CONV2D_IM2COL_H

#include <stdint.h>

#include "kernbench/problem.h"

/* Columns of col (the GEMM's reduction length). */
static inline int64_t kb_conv2d_im2col_cols(const kb_conv2d_shape *shape) {
    return shape->in_channels * shape->kernel_h * shape->kernel_w;
}

void kb_conv2d_im2col(const kb_conv2d_shape *shape, const float *src_image, float *col);

/* Rows first_pixel .. first_pixel + pixel_count - 1 of the full matrix, written
 * to col (row 0 of col = pixel first_pixel): lets threads or cache-sized
 * blocks each build only the rows they multiply. */
void kb_conv2d_im2col_rows(const kb_conv2d_shape *shape, const float *src_image,
                           int64_t first_pixel, int64_t pixel_count, float *col);

#endif
