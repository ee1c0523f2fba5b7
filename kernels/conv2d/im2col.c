/* im2col (see im2col.h). The requested pixels are taken in runs that share an
 * output row; for each tap (c, r, q) of a run the in-bounds output columns are
 * computed once, so the copy loops carry no bounds checks: the run's column of
 * col is written with a stride of one col row while the input row is read
 * sequentially (stride_w apart). A run's rows (at most one output row of col)
 * stay in L1 until every tap has filled them. Padding of any size, even
 * negative trailing padding, falls out of the column ranges. */
#include "im2col.h"

#include <assert.h>

/* ceil(numerator / denominator) for denominator > 0 and any sign of numerator. */
static inline int64_t ceil_div(int64_t numerator, int64_t denominator) {
    return numerator >= 0 ? (numerator + denominator - 1) / denominator
                          : -(-numerator / denominator);
}

static inline int64_t clamp_i64(int64_t x, int64_t lo, int64_t hi) {
    return x < lo ? lo : x > hi ? hi : x;
}

/* Pixels (oh, ow_begin .. ow_begin + run - 1) into `rows` (run rows of col). */
static void im2col_run(const kb_conv2d_shape *s, const float *src_image, int64_t oh,
                       int64_t ow_begin, int64_t run, float *rows) {
    const int64_t cols = kb_conv2d_im2col_cols(s);
    const int64_t ow_end = ow_begin + run;
    for (int64_t c = 0; c < s->in_channels; c++) {
        const float *channel = src_image + c * s->in_height * s->in_width;
        for (int64_t r = 0; r < s->kernel_h; r++) {
            const int64_t ih = oh * s->stride_h - s->pad_top + r * (s->dilation_h + 1);
            const bool row_inside = ih >= 0 && ih < s->in_height;
            const float *in_row = row_inside ? channel + ih * s->in_width : NULL;
            for (int64_t q = 0; q < s->kernel_w; q++) {
                float *out = rows + (c * s->kernel_h + r) * s->kernel_w + q;
                /* Output column ow reads input column ow * stride_w + offset. */
                const int64_t offset = q * (s->dilation_w + 1) - s->pad_left;
                int64_t inside_begin = ow_end, inside_end = ow_end;
                if (row_inside) {
                    inside_begin = clamp_i64(ceil_div(-offset, s->stride_w), ow_begin, ow_end);
                    inside_end = clamp_i64(ceil_div(s->in_width - offset, s->stride_w),
                                           inside_begin, ow_end);
                }
                for (int64_t ow = ow_begin; ow < inside_begin; ow++)
                    out[(ow - ow_begin) * cols] = 0.0f;
                for (int64_t ow = inside_begin; ow < inside_end; ow++)
                    out[(ow - ow_begin) * cols] = in_row[ow * s->stride_w + offset];
                for (int64_t ow = inside_end; ow < ow_end; ow++)
                    out[(ow - ow_begin) * cols] = 0.0f;
            }
        }
    }
}

void kb_conv2d_im2col_rows(const kb_conv2d_shape *shape, const float *src_image,
                           int64_t first_pixel, int64_t pixel_count, float *col) {
    const int64_t out_pixels = shape->out_height * shape->out_width;
    assert(first_pixel >= 0 && pixel_count >= 0 && first_pixel + pixel_count <= out_pixels);
    assert(src_image && (col || pixel_count == 0));
    (void)out_pixels;
    const int64_t cols = kb_conv2d_im2col_cols(shape);
    const int64_t end = first_pixel + pixel_count;
    for (int64_t pixel = first_pixel; pixel < end;) {
        const int64_t oh = pixel / shape->out_width, ow = pixel % shape->out_width;
        const int64_t run = shape->out_width - ow < end - pixel ? shape->out_width - ow
                                                                : end - pixel;
        im2col_run(shape, src_image, oh, ow, run, col + (pixel - first_pixel) * cols);
        pixel += run;
    }
}

void kb_conv2d_im2col(const kb_conv2d_shape *shape, const float *src_image, float *col) {
    kb_conv2d_im2col_rows(shape, src_image, 0, shape->out_height * shape->out_width, col);
}
