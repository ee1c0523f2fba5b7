/* im2col (see im2col.h): each output pixel's receptive field copied into one
 * contiguous row, tap by tap in (c, r, q) order. Rows are written
 * sequentially; for a fixed pixel the reads walk the input rows the patch
 * covers, and neighbouring pixels reuse the same cache lines. Bounds are
 * checked per input row (r) and per tap (q), so padding of any size, even
 * negative trailing padding, needs no special case. */
#include "im2col.h"

#include <assert.h>
#include <string.h>

void kb_conv2d_im2col_rows(const kb_conv2d_shape *shape, const float *src_image,
                           int64_t first_pixel, int64_t pixel_count, float *col) {
    const int64_t out_pixels = shape->out_height * shape->out_width;
    assert(first_pixel >= 0 && pixel_count >= 0 && first_pixel + pixel_count <= out_pixels);
    assert(src_image && (col || pixel_count == 0));
    (void)out_pixels;
    const int64_t row_step_h = shape->dilation_h + 1, tap_step_w = shape->dilation_w + 1;
    const int64_t cols = kb_conv2d_im2col_cols(shape);

    for (int64_t pixel = first_pixel; pixel < first_pixel + pixel_count; pixel++) {
        const int64_t oh = pixel / shape->out_width, ow = pixel % shape->out_width;
        const int64_t ih0 = oh * shape->stride_h - shape->pad_top;
        const int64_t iw0 = ow * shape->stride_w - shape->pad_left;
        float *out = col + (pixel - first_pixel) * cols;
        for (int64_t c = 0; c < shape->in_channels; c++) {
            const float *channel = src_image + c * shape->in_height * shape->in_width;
            for (int64_t r = 0; r < shape->kernel_h; r++, out += shape->kernel_w) {
                const int64_t ih = ih0 + r * row_step_h;
                if (ih < 0 || ih >= shape->in_height) {
                    memset(out, 0, (size_t)shape->kernel_w * sizeof(float));
                    continue;
                }
                const float *in_row = channel + ih * shape->in_width;
                for (int64_t q = 0; q < shape->kernel_w; q++) {
                    const int64_t iw = iw0 + q * tap_step_w;
                    out[q] = iw >= 0 && iw < shape->in_width ? in_row[iw] : 0.0f;
                }
            }
        }
    }
}

void kb_conv2d_im2col(const kb_conv2d_shape *shape, const float *src_image, float *col) {
    kb_conv2d_im2col_rows(shape, src_image, 0, shape->out_height * shape->out_width, col);
}
