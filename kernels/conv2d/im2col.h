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
 * its rows. Also here: the small index helpers the conv2d variants share. */
#ifndef KB_CONV2D_IM2COL_H
#define KB_CONV2D_IM2COL_H

#include <stdint.h>

#include "kernbench/problem.h"

/* Columns of col (the forward GEMM's reduction length). */
static inline int64_t kb_conv2d_im2col_cols(const kb_conv2d_shape *shape) {
    return shape->in_channels * shape->kernel_h * shape->kernel_w;
}

/* Tap rows of col: in_channels * kernel_h. */
static inline int64_t kb_conv2d_im2col_tap_rows(const kb_conv2d_shape *shape) {
    return shape->in_channels * shape->kernel_h;
}

/* --- index helpers ---------------------------------------------------------- */

/* floor(numerator / denominator) for denominator > 0 and any sign of numerator. */
static inline int64_t kb_floor_div_i64(int64_t numerator, int64_t denominator) {
    const int64_t quotient = numerator / denominator;
    return quotient * denominator > numerator ? quotient - 1 : quotient;
}

/* ceil(numerator / denominator) for denominator > 0 and any sign of numerator. */
static inline int64_t kb_ceil_div_i64(int64_t numerator, int64_t denominator) {
    return -kb_floor_div_i64(-numerator, denominator);
}

/* Start of part `part` of 0 .. total-1 cut into `parts` near-equal contiguous
 * parts (part == parts gives total): floor(total * part / parts) without
 * forming the product. */
static inline int64_t kb_split_start(int64_t total, int64_t part, int64_t parts) {
    return total / parts * part + total % parts * part / parts;
}

/* Output positions o in [out_begin, out_end) whose input position
 * o * stride + offset lies in [0, in_size) form one range; returns it in
 * [*inside_begin, *inside_end) (both out_end when it is empty). Any sign of
 * offset; stride >= 1. */
static inline void kb_conv2d_inside_range(int64_t offset, int64_t stride, int64_t in_size,
                                          int64_t out_begin, int64_t out_end,
                                          int64_t *inside_begin, int64_t *inside_end) {
    int64_t begin = kb_ceil_div_i64(-offset, stride);
    int64_t end = kb_ceil_div_i64(in_size - offset, stride);
    begin = begin < out_begin ? out_begin : begin > out_end ? out_end : begin;
    end = end < begin ? begin : end > out_end ? out_end : end;
    if (begin == end) begin = end = out_end;
    *inside_begin = begin, *inside_end = end;
}

/* acc[j] += scale[0] * row[0][j] + ... + scale[count-1] * row[count-1][j] for
 * j < width. Four rows are fused per pass (each acc element loaded and stored
 * once per four multiply-adds); the fused sum is evaluated left to right, so
 * it rounds exactly like `count` separate updates. An elementwise update, so
 * it vectorises without -ffast-math. The loop kernel of the direct variants. */
static inline void kb_conv2d_accumulate_rows(int64_t width, int count, const float *const *row,
                                             const float *scale, float *restrict acc) {
    int g = 0;
    for (; g + 4 <= count; g += 4) {
        const float *restrict in0 = row[g], *restrict in1 = row[g + 1];
        const float *restrict in2 = row[g + 2], *restrict in3 = row[g + 3];
        const float w0 = scale[g], w1 = scale[g + 1], w2 = scale[g + 2], w3 = scale[g + 3];
        for (int64_t j = 0; j < width; j++)
            acc[j] = acc[j] + w0 * in0[j] + w1 * in1[j] + w2 * in2[j] + w3 * in3[j];
    }
    for (; g < count; g++) {
        const float *restrict in = row[g];
        const float w = scale[g];
        for (int64_t j = 0; j < width; j++) acc[j] += w * in[j];
    }
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
