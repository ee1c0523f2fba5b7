/* im2col and col2im (see im2col.h). The requested pixels are taken in runs
 * that share an output row; for each tap (c, r, q) of a run the in-bounds
 * output columns are computed once, so the copy loops carry no bounds checks:
 * the run's column of col is walked with a stride of one col row while the
 * input row is walked sequentially (stride_w apart). A run's rows (at most one
 * output row of col) stay in L1 until every tap has visited them. Padding of
 * any size, even negative trailing padding, falls out of the column ranges.
 * col2im is the same walk with the copy reversed into an add. */
/* Numerical edge departure (kernels/conv2d/problem.c): padding taps are
 * multiplied as explicit zeros, so a NaN or Inf partner of a padding tap
 * (a weight, or diff_dst in bwd_weights) gives NaN where the policy leaves padding out of the reduction. */
#include "im2col.h"

#include <assert.h>
#include <stdbool.h>

/* The input row that kernel row r of output row oh reads, or -1 when it lies
 * in the padding. */
static inline int64_t input_row(const kb_conv2d_shape *s, int64_t oh, int64_t r) {
    const int64_t ih = oh * s->stride_h - s->pad_top + r * (s->dilation_h + 1);
    return ih >= 0 && ih < s->in_height ? ih : -1;
}

/* Input column of output column ow for kernel column q is ow * stride_w + this. */
static inline int64_t column_offset(const kb_conv2d_shape *s, int64_t q) {
    return q * (s->dilation_w + 1) - s->pad_left;
}

/* Pixels (oh, ow_begin .. ow_begin + run - 1) x tap rows [tap_row_begin,
 * tap_row_end) into `rows` (run rows of col, row stride col_stride). */
static void im2col_run(const kb_conv2d_shape *s, const float *src_image, int64_t oh,
                       int64_t ow_begin, int64_t run, int64_t tap_row_begin, int64_t tap_row_end,
                       float *rows, int64_t col_stride) {
    const int64_t ow_end = ow_begin + run;
    for (int64_t tap_row = tap_row_begin; tap_row < tap_row_end; tap_row++) {
        const int64_t c = tap_row / s->kernel_h, ih = input_row(s, oh, tap_row % s->kernel_h);
        const float *in_row = ih >= 0 ? src_image + (c * s->in_height + ih) * s->in_width : NULL;
        for (int64_t q = 0; q < s->kernel_w; q++) {
            float *out = rows + (tap_row - tap_row_begin) * s->kernel_w + q;
            const int64_t offset = column_offset(s, q);
            int64_t inside_begin = ow_end, inside_end = ow_end;
            if (in_row)
                kb_conv2d_inside_range(offset, s->stride_w, s->in_width, ow_begin, ow_end,
                                       &inside_begin, &inside_end);
            for (int64_t ow = ow_begin; ow < inside_begin; ow++)
                out[(ow - ow_begin) * col_stride] = 0.0f;
            for (int64_t ow = inside_begin; ow < inside_end; ow++)
                out[(ow - ow_begin) * col_stride] = in_row[ow * s->stride_w + offset];
            for (int64_t ow = inside_end; ow < ow_end; ow++)
                out[(ow - ow_begin) * col_stride] = 0.0f;
        }
    }
}

/* The transpose of im2col_run: adds the run's entries back into the input. */
static void col2im_run(const kb_conv2d_shape *s, const float *rows, int64_t col_stride,
                       int64_t oh, int64_t ow_begin, int64_t run, int64_t tap_row_begin,
                       int64_t tap_row_end, float *diff_src_image) {
    const int64_t ow_end = ow_begin + run;
    for (int64_t tap_row = tap_row_begin; tap_row < tap_row_end; tap_row++) {
        const int64_t c = tap_row / s->kernel_h, ih = input_row(s, oh, tap_row % s->kernel_h);
        if (ih < 0) continue; /* padding rows: their entries are dropped */
        float *in_row = diff_src_image + (c * s->in_height + ih) * s->in_width;
        for (int64_t q = 0; q < s->kernel_w; q++) {
            const float *from = rows + (tap_row - tap_row_begin) * s->kernel_w + q;
            const int64_t offset = column_offset(s, q);
            int64_t inside_begin, inside_end;
            kb_conv2d_inside_range(offset, s->stride_w, s->in_width, ow_begin, ow_end,
                                   &inside_begin, &inside_end);
            for (int64_t ow = inside_begin; ow < inside_end; ow++)
                in_row[ow * s->stride_w + offset] += from[(ow - ow_begin) * col_stride];
        }
    }
}

/* Preconditions shared by the _block entry points. */
static void assert_block(const kb_conv2d_shape *s, int64_t first_pixel, int64_t pixel_count,
                         int64_t first_tap_row, int64_t tap_row_count, int64_t col_stride) {
    assert(first_pixel >= 0 && pixel_count >= 0 &&
           first_pixel + pixel_count <= s->out_height * s->out_width);
    assert(first_tap_row >= 0 && tap_row_count >= 0 &&
           first_tap_row + tap_row_count <= kb_conv2d_im2col_tap_rows(s));
    assert(col_stride >= tap_row_count * s->kernel_w);
    (void)s, (void)first_pixel, (void)pixel_count, (void)first_tap_row, (void)tap_row_count,
        (void)col_stride;
}

/* Length of the run of pixels starting at `pixel` that shares its output row
 * and ends before `end`. */
static inline int64_t run_length(const kb_conv2d_shape *s, int64_t pixel, int64_t end) {
    const int64_t to_row_end = s->out_width - pixel % s->out_width;
    return to_row_end < end - pixel ? to_row_end : end - pixel;
}

void kb_conv2d_im2col_block(const kb_conv2d_shape *shape, const float *src_image,
                            int64_t first_pixel, int64_t pixel_count, int64_t first_tap_row,
                            int64_t tap_row_count, float *col, int64_t col_stride) {
    assert_block(shape, first_pixel, pixel_count, first_tap_row, tap_row_count, col_stride);
    assert(src_image && (col || pixel_count == 0));
    const int64_t end = first_pixel + pixel_count;
    for (int64_t pixel = first_pixel; pixel < end;) {
        const int64_t run = run_length(shape, pixel, end);
        im2col_run(shape, src_image, pixel / shape->out_width, pixel % shape->out_width, run,
                   first_tap_row, first_tap_row + tap_row_count,
                   col + (pixel - first_pixel) * col_stride, col_stride);
        pixel += run;
    }
}

void kb_conv2d_im2col_rows(const kb_conv2d_shape *shape, const float *src_image,
                           int64_t first_pixel, int64_t pixel_count, float *col) {
    kb_conv2d_im2col_block(shape, src_image, first_pixel, pixel_count, 0,
                           kb_conv2d_im2col_tap_rows(shape), col, kb_conv2d_im2col_cols(shape));
}

void kb_conv2d_im2col(const kb_conv2d_shape *shape, const float *src_image, float *col) {
    kb_conv2d_im2col_rows(shape, src_image, 0, shape->out_height * shape->out_width, col);
}

void kb_conv2d_col2im_block(const kb_conv2d_shape *shape, const float *col, int64_t col_stride,
                            int64_t first_pixel, int64_t pixel_count, int64_t first_tap_row,
                            int64_t tap_row_count, float *diff_src_image) {
    assert_block(shape, first_pixel, pixel_count, first_tap_row, tap_row_count, col_stride);
    assert(diff_src_image && (col || pixel_count == 0));
    const int64_t end = first_pixel + pixel_count;
    for (int64_t pixel = first_pixel; pixel < end;) {
        const int64_t run = run_length(shape, pixel, end);
        col2im_run(shape, col + (pixel - first_pixel) * col_stride, col_stride,
                   pixel / shape->out_width, pixel % shape->out_width, run, first_tap_row,
                   first_tap_row + tap_row_count, diff_src_image);
        pixel += run;
    }
}

void kb_conv2d_col2im_rows(const kb_conv2d_shape *shape, const float *col, int64_t first_pixel,
                           int64_t pixel_count, float *diff_src_image) {
    kb_conv2d_col2im_block(shape, col, kb_conv2d_im2col_cols(shape), first_pixel, pixel_count, 0,
                           kb_conv2d_im2col_tap_rows(shape), diff_src_image);
}

void kb_conv2d_col2im(const kb_conv2d_shape *shape, const float *col, float *diff_src_image) {
    kb_conv2d_col2im_rows(shape, col, 0, shape->out_height * shape->out_width, diff_src_image);
}
