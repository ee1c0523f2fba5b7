/* Zero-padded, column-phase-split conv2d input (layout in padded_input.h).
 * Plain C, no intrinsics; the pack is parallel over (plane, padded row), rows
 * and phase sub-rows that no output reads are left unwritten. Also its inverse
 * (crop back to NCHW) and a row-pitch padding copy. */
/* Numerical edge departure (kernels/conv2d/problem.c): padding taps are
 * multiplied as explicit zeros, so a NaN or Inf partner of a padding tap
 * (a weight of the avx2 and omp_tiled fwd) gives NaN where the policy leaves padding out of the reduction. */
#include "padded_input.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

void kb_padded_input_layout_init(const kb_conv2d_shape *s, int64_t vector_width,
                                 kb_padded_input_layout *layout) {
    assert(s && layout && vector_width >= 1);
    assert(s->stride_w >= 1 && s->out_width >= 1 && s->out_height >= 1);
    const int64_t eff_kh = kb_conv2d_effective_kernel(s->kernel_h, s->dilation_h);
    const int64_t eff_kw = kb_conv2d_effective_kernel(s->kernel_w, s->dilation_w);
    /* Output columns are processed in whole vectors, so loads start below
     * round_up(out_width) and reach at most (eff_kw - 1) / stride_w further. */
    const int64_t widest_out =
        (s->out_width + vector_width - 1) / vector_width * vector_width;
    const int64_t needed = widest_out + (eff_kw - 1) / s->stride_w;
    layout->planes = s->batch * s->in_channels;
    layout->rows = (s->out_height - 1) * s->stride_h + eff_kh;
    layout->phases = s->stride_w;
    layout->phase_len = (needed + vector_width - 1) / vector_width * vector_width;
    layout->row_stride = layout->phases * layout->phase_len;
    layout->plane_stride = layout->rows * layout->row_stride;
}

size_t kb_padded_input_bytes(const kb_padded_input_layout *layout) {
    return (size_t)layout->planes * (size_t)layout->plane_stride * sizeof(float);
}

/* Whether some output reads padded row y: y = oh * stride_h + r * (dh + 1)
 * for an output row oh and a kernel row r. Strided kernels smaller than their
 * stride (1x1 stride 2) skip whole rows, which then need no packing. */
static bool row_is_read(const kb_conv2d_shape *s, int64_t y) {
    for (int64_t r = 0; r < s->kernel_h; r++) {
        const int64_t start = y - r * (s->dilation_h + 1);
        if (start >= 0 && start % s->stride_h == 0 && start / s->stride_h < s->out_height)
            return true;
    }
    return false;
}

/* Whether some kernel column q reads phase sub-row `phase`:
 * q * (dw + 1) % stride_w == phase. */
static bool phase_is_read(const kb_conv2d_shape *s, int64_t phase) {
    for (int64_t q = 0; q < s->kernel_w; q++)
        if (q * (s->dilation_w + 1) % s->stride_w == phase) return true;
    return false;
}

/* One padded row: every phase sub-row some tap reads, slack included, so all
 * that a kernel loads is defined (it reads the slack into lanes it discards). */
static void pack_row(const kb_conv2d_shape *s, const kb_padded_input_layout *layout,
                     const float *src_row, float *dst_row) {
    const int64_t stride = s->stride_w;
    for (int64_t phase = 0; phase < layout->phases; phase++) {
        if (!phase_is_read(s, phase)) continue;
        float *sub_row = dst_row + phase * layout->phase_len;
        /* Index j holds input column phase + j * stride - pad_left; find the
         * j range that lands inside the input, the rest is zero. */
        const int64_t first_col = phase - s->pad_left;
        int64_t j_begin = 0;
        if (first_col < 0) j_begin = (-first_col + stride - 1) / stride;
        int64_t j_end = 0; /* exclusive */
        if (first_col < s->in_width) j_end = (s->in_width - first_col + stride - 1) / stride;
        if (j_begin > layout->phase_len) j_begin = layout->phase_len;
        if (j_end > layout->phase_len) j_end = layout->phase_len;
        if (j_end < j_begin) j_end = j_begin;

        memset(sub_row, 0, (size_t)j_begin * sizeof(float));
        if (j_end > j_begin) {
            const float *src_col = src_row + first_col + j_begin * stride;
            if (stride == 1) {
                memcpy(sub_row + j_begin, src_col, (size_t)(j_end - j_begin) * sizeof(float));
            } else {
                for (int64_t j = j_begin; j < j_end; j++)
                    sub_row[j] = src_col[(j - j_begin) * stride];
            }
        }
        memset(sub_row + j_end, 0, (size_t)(layout->phase_len - j_end) * sizeof(float));
    }
}

void kb_padded_input_pack(const kb_conv2d_shape *s, const kb_padded_input_layout *layout,
                          const float *src, float *padded, int threads) {
    assert(s && layout && src && padded && threads >= 1);
    const int64_t total_rows = layout->planes * layout->rows;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < total_rows; i++) {
        const int64_t plane = i / layout->rows;
        const int64_t y = i % layout->rows;
        float *dst_row = padded + plane * layout->plane_stride + y * layout->row_stride;
        if (!row_is_read(s, y)) continue;
        const int64_t ih = y - s->pad_top;
        if (ih < 0 || ih >= s->in_height) {
            memset(dst_row, 0, (size_t)layout->row_stride * sizeof(float));
            continue;
        }
        const float *src_row = src + (plane * s->in_height + ih) * s->in_width;
        pack_row(s, layout, src_row, dst_row);
    }
}

void kb_padded_input_crop(const kb_conv2d_shape *s, const kb_padded_input_layout *layout,
                          const float *padded, float *dst, int64_t planes) {
    assert(s && layout && padded && dst && planes >= 0);
    const int64_t stride = s->stride_w;
    /* Input column iw sits at padded column x = iw + pad_left, which the
     * layout holds when 0 <= x < phase_len * stride; the rest reads zero. */
    int64_t iw_begin = -s->pad_left, iw_end = layout->phase_len * stride - s->pad_left;
    if (iw_begin < 0) iw_begin = 0;
    if (iw_begin > s->in_width) iw_begin = s->in_width;
    if (iw_end > s->in_width) iw_end = s->in_width;
    if (iw_end < iw_begin) iw_end = iw_begin;
    for (int64_t plane = 0; plane < planes; plane++) {
        const float *in_plane = padded + plane * layout->plane_stride;
        for (int64_t ih = 0; ih < s->in_height; ih++) {
            float *dst_row = dst + (plane * s->in_height + ih) * s->in_width;
            const int64_t y = ih + s->pad_top;
            if (y < 0 || y >= layout->rows || !row_is_read(s, y)) {
                memset(dst_row, 0, (size_t)s->in_width * sizeof(float));
                continue;
            }
            const float *row = in_plane + y * layout->row_stride;
            memset(dst_row, 0, (size_t)iw_begin * sizeof(float));
            if (stride == 1) {
                memcpy(dst_row + iw_begin, row + iw_begin + s->pad_left,
                       (size_t)(iw_end - iw_begin) * sizeof(float));
            } else {
                /* Phase by phase: columns iw, iw + stride, ... of one phase
                 * are consecutive entries of its sub-row (no division per
                 * element). */
                bool all_phases = true;
                for (int64_t phase = 0; phase < stride; phase++)
                    all_phases = all_phases && phase_is_read(s, phase);
                /* Columns of unread phases (1x1 stride 2) are zero: one
                 * memset beats a strided store loop. */
                if (!all_phases)
                    memset(dst_row + iw_begin, 0, (size_t)(iw_end - iw_begin) * sizeof(float));
                for (int64_t iw0 = iw_begin; iw0 < iw_begin + stride && iw0 < iw_end; iw0++) {
                    const int64_t x0 = iw0 + s->pad_left;
                    if (!phase_is_read(s, x0 % stride)) continue;
                    const float *sub_row = row + x0 % stride * layout->phase_len + x0 / stride;
                    for (int64_t iw = iw0, j = 0; iw < iw_end; iw += stride, j++)
                        dst_row[iw] = sub_row[j];
                }
            }
            memset(dst_row + iw_end, 0, (size_t)(s->in_width - iw_end) * sizeof(float));
        }
    }
}

void kb_pitched_rows_copy(const float *src, int64_t rows, int64_t width, int64_t pitch,
                          float *dst, int threads) {
    assert(src && dst && rows >= 0 && width >= 1 && pitch >= width && threads >= 1);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < rows; i++) {
        memcpy(dst + i * pitch, src + i * width, (size_t)width * sizeof(float));
        memset(dst + i * pitch + width, 0, (size_t)(pitch - width) * sizeof(float));
    }
}
