/* Zero-padded, column-phase-split copy of a conv2d forward input, shared by the
 * direct-convolution variants (internal to kernels/). Plain portable C. The
 * backward-data variants accumulate diff_src in the same layout and crop it
 * back to NCHW (kb_padded_input_crop); row-pitch padding of plain tensors
 * (kb_pitched_rows_copy) lets a kernel read whole vectors past a row's end.
 *
 * Why: with the padding materialised and each padded row split by column
 * phase, the input a direct convolution needs for consecutive output columns
 * is contiguous for every stride and dilation, so a kernel can read it with
 * plain full-width vector loads and no bounds checks.
 *
 * Layout, per (image n, channel c) plane, planes in NCHW order:
 *   rows:   padded rows y = 0 .. rows-1, where padded row y is input row
 *           y - pad_top (zeros outside the input); rows covers exactly what
 *           the output needs, (out_height - 1) * stride_h + effective_kernel_h
 *           (a negative bottom padding simply leaves trailing input rows out);
 *   phases: each padded row is stored as stride_w sub-rows; sub-row p holds
 *           padded columns p, p + stride_w, p + 2 * stride_w, ... where padded
 *           column x is input column x - pad_left (zeros outside the input);
 *   slack:  every sub-row is phase_len floats, enough that a load of
 *           `vector_width` floats starting at any output column below
 *           round_up(out_width, vector_width), for any kernel tap, stays in
 *           its sub-row; the extra entries are zeros.
 * Output column ow, kernel tap q (tap offset t = q * (dilation_w + 1)) reads
 * sub-row t % stride_w at index ow + t / stride_w: contiguous in ow. */
#ifndef KB_CONV2D_PADDED_INPUT_H
#define KB_CONV2D_PADDED_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "kernbench/problem.h"

typedef struct kb_padded_input_layout {
    int64_t planes;       /* batch * in_channels */
    int64_t rows;         /* padded rows per plane */
    int64_t phases;       /* stride_w sub-rows per padded row */
    int64_t phase_len;    /* floats per sub-row, a multiple of vector_width */
    int64_t row_stride;   /* floats per padded row: phases * phase_len */
    int64_t plane_stride; /* floats per plane: rows * row_stride */
} kb_padded_input_layout;

/* Fills `layout` for `shape`; `vector_width` (>= 1, floats) is the widest load
 * the caller will issue and the alignment granule of sub-row lengths. */
void kb_padded_input_layout_init(const kb_conv2d_shape *shape, int64_t vector_width,
                                 kb_padded_input_layout *layout);

/* Exact bytes of the padded copy: planes * plane_stride floats. */
size_t kb_padded_input_bytes(const kb_padded_input_layout *layout);

/* Writes the padded copy of `src` (NCHW) into `padded`, using `threads`
 * OpenMP threads (num_threads clause). Every float a convolution of `shape`
 * can read is written (slack included); rows and phase sub-rows no kernel tap
 * reads (kernels smaller than their stride, e.g. 1x1 stride 2) are skipped and
 * keep whatever the buffer held. */
void kb_padded_input_pack(const kb_conv2d_shape *shape, const kb_padded_input_layout *layout,
                          const float *src, float *padded, int threads);

/* The inverse of the pack: writes `planes` consecutive NCHW planes of `dst`
 * (in_height x in_width each) from the padded planes starting at `padded`.
 * Only the rows and phase sub-rows some kernel tap reaches are read (the ones
 * the pack writes); input pixels elsewhere (skipped rows and phases of
 * strided kernels smaller than their stride, columns or rows past what the
 * output reaches: negative bottom/right padding) are written as zero, so
 * `dst` is fully overwritten. Serial: the caller parallelises over planes. */
void kb_padded_input_crop(const kb_conv2d_shape *shape, const kb_padded_input_layout *layout,
                          const float *padded, float *dst, int64_t planes);

/* Copies `rows` rows of `width` floats (contiguous, NCHW-style) into rows of
 * `pitch` >= width floats, zero-filling columns width .. pitch-1, so a kernel
 * can load whole vectors up to the pitch whose tail lanes add nothing. Uses
 * `threads` OpenMP threads (num_threads clause). */
void kb_pitched_rows_copy(const float *src, int64_t rows, int64_t width, int64_t pitch,
                          float *dst, int threads);

#endif
