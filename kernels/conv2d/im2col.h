/* im2col and col2im for one NCHW image: the convolution's input patches as a
 * matrix, so each direction becomes one GEMM with the OIHW weights viewed as
 * out_channels x (in_channels * kernel_h * kernel_w).
 *
 * col is row-major with one ROW per output pixel (out_height * out_width rows,
 * pixel = oh * out_width + ow) and one COLUMN per kernel tap
 * (in_channels * kernel_h * kernel_w columns, tap = (c * kernel_h + r) *
 * kernel_w + q, the weights' own order). Taps that fall in the padding are 0.
 * Any stride, padding (pad_bottom/right may be negative) and dilation.
 *
 * A "tap row" is one (c, r) pair, index c * kernel_h + r: kernel_w adjacent
 * columns of col. The _block functions work on a sub-matrix (a pixel range x
 * a tap-row range), so threads can split the columns of the GEMM as well as
 * its rows. */
#ifndef KB_CONV2D_IM2COL_H
#define KB_CONV2D_IM2COL_H

#include <stdbool.h>
#include <stdint.h>

#include "conv2d/loops.h"
#include "kernbench/problem.h"

/* Columns of col (the forward GEMM's reduction length). */
static inline int64_t kb_conv2d_im2col_cols(const kb_conv2d_shape *shape) {
    return shape->in_channels * shape->kernel_h * shape->kernel_w;
}

/* Tap rows of col: in_channels * kernel_h. */
static inline int64_t kb_conv2d_im2col_tap_rows(const kb_conv2d_shape *shape) {
    return shape->in_channels * shape->kernel_h;
}

/* True when col is the NCHW image itself, transposed (1x1 kernel, stride 1, no
 * padding): a GEMM can then read src or diff_src directly, with no col buffer. */
static inline bool kb_conv2d_col_is_image(const kb_conv2d_shape *s) {
    return s->kernel_h == 1 && s->kernel_w == 1 && s->stride_h == 1 && s->stride_w == 1 &&
           s->pad_top == 0 && s->pad_left == 0 && s->out_height == s->in_height &&
           s->out_width == s->in_width;
}

/* --- im2col ----------------------------------------------------------------- */

void kb_conv2d_im2col(const kb_conv2d_shape *shape, const float *src_image, float *col);

/* Rows first_pixel .. first_pixel + pixel_count - 1 of the full matrix, written
 * to col (row 0 of col = pixel first_pixel): lets threads or cache-sized
 * blocks each build only the rows they multiply. */
void kb_conv2d_im2col_rows(const kb_conv2d_shape *shape, const float *src_image,
                           int64_t first_pixel, int64_t pixel_count, float *col);

/* The sub-matrix pixels [first_pixel, +pixel_count) x tap rows
 * [first_tap_row, +tap_row_count) (tap_row_count * kernel_w columns), written
 * to col with row stride col_stride: col[0] = pixel first_pixel, tap
 * (first_tap_row, q = 0). */
void kb_conv2d_im2col_block(const kb_conv2d_shape *shape, const float *src_image,
                            int64_t first_pixel, int64_t pixel_count, int64_t first_tap_row,
                            int64_t tap_row_count, float *col, int64_t col_stride);

/* --- col2im: the exact transpose of im2col ----------------------------------- */

/* Adds every entry of col to the input element im2col copied it from:
 * diff_src_image[c, ih, iw] += col[pixel, tap] for each in-bounds tap; entries
 * of padding taps are dropped. ADDS: the caller zeroes diff_src_image first.
 * Pixels of one channel overlap in diff_src whenever kernel windows do, so
 * concurrent calls on one image are race-free only on disjoint CHANNEL ranges
 * (tap-row ranges that are multiples of kernel_h). */
void kb_conv2d_col2im(const kb_conv2d_shape *shape, const float *col, float *diff_src_image);

/* Rows first_pixel .. first_pixel + pixel_count - 1 (row 0 of col = pixel
 * first_pixel), every tap: the transpose of kb_conv2d_im2col_rows. */
void kb_conv2d_col2im_rows(const kb_conv2d_shape *shape, const float *col, int64_t first_pixel,
                           int64_t pixel_count, float *diff_src_image);

/* The transpose of kb_conv2d_im2col_block (same sub-matrix arguments). */
void kb_conv2d_col2im_block(const kb_conv2d_shape *shape, const float *col, int64_t col_stride,
                            int64_t first_pixel, int64_t pixel_count, int64_t first_tap_row,
                            int64_t tap_row_count, float *diff_src_image);

#endif
