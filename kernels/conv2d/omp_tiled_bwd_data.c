/* conv2d backward data, omp_tiled: portable-C direct gradient with cache
 * tiling, parallel with OpenMP. Any stride, padding and dilation.
 *
 * Gather form: each diff_src element is the sum over the taps (k, r, q) whose
 * output pixel exists, diff_dst[n,k,oh,ow] * w[k,c,r,q]. For a fixed input
 * row ih and kernel row r there is at most one output row oh (ih + pad_top -
 * r * (dilation_h + 1) must be a multiple of stride_h). Along a row, the input
 * columns of one phase (iw = phase + m * stride_w) are fed by the taps q with
 * q * (dilation_w + 1) - pad_left = phase (mod stride_w), and for such a tap
 * input column index m reads output column ow = m - shift: contiguous in both
 * tensors for any stride. So the hot loop is kb_conv2d_accumulate_rows, an
 * elementwise update of CHANNEL_BLOCK x WIDTH_TILE accumulators (2 KiB, in
 * L1) from four diff_dst rows (four output channels) at a time, with the
 * in-range output columns computed once per tap: no bounds checks, no padded
 * copy, no workspace.
 *
 * Work items are (image, input row, block of CHANNEL_BLOCK input channels),
 * split statically into one contiguous range per thread. Each item writes its
 * own diff_src rows (every element exactly once, zeros where no tap lands), so
 * threads never write the same element and need no zeroing pass or barrier.
 * Item order keeps the larger operand in cache: when the weights are smaller
 * than a diff_dst image (large images), channel blocks go fastest, so
 * consecutive items reuse the same diff_dst rows (K * kernel_h rows) and the
 * weights stay in L2; otherwise (deep 7x7 layers: 9 MiB of weights against a
 * 100 KiB image) input rows go fastest, so one channel block's weight slice
 * is reused from L2 by every row instead of all weights streaming per row.
 * Taps are added in (r, q, k) order. */
#include <assert.h>
#include <stdbool.h>

#include "conv2d/loops.h"
#include "kernbench/variant.h"

enum {
    CHANNEL_BLOCK = 8, /* input channels per work item */
    WIDTH_TILE = 64,   /* input columns of one phase per accumulator tile */
    TAP_GROUP = 4,     /* output channels fused per pass over the accumulators */
};

static inline int64_t min_i64(int64_t x, int64_t y) { return x < y ? x : y; }
static inline int64_t max_i64(int64_t x, int64_t y) { return x > y ? x : y; }

/* The output row fed by input row ih through kernel row r, or -1. */
static inline int64_t output_row(const kb_conv2d_shape *s, int64_t ih, int64_t r) {
    const int64_t scaled = ih + s->pad_top - r * (s->dilation_h + 1);
    if (scaled < 0 || scaled % s->stride_h != 0 || scaled / s->stride_h >= s->out_height)
        return -1;
    return scaled / s->stride_h;
}

/* acc[cc][m - m0] += every tap landing on input columns phase + m * stride_w,
 * m in [m0, m0 + width), of input row ih, channels first_channel + cc. */
static void accumulate_tile(const kb_conv2d_shape *s, const float *diff_dst,
                            const float *weights, int64_t image, int64_t ih,
                            int64_t first_channel, int64_t channels, int64_t phase, int64_t m0,
                            int64_t width, float acc[CHANNEL_BLOCK][WIDTH_TILE]) {
    const int64_t taps_per_channel = s->kernel_h * s->kernel_w;
    const int64_t weight_k_stride = s->in_channels * taps_per_channel;
    for (int64_t r = 0; r < s->kernel_h; r++) {
        const int64_t oh = output_row(s, ih, r);
        if (oh < 0) continue;
        for (int64_t q = 0; q < s->kernel_w; q++) {
            /* Input column ow * stride_w + t; its phase and index m = ow + shift. */
            const int64_t t = q * (s->dilation_w + 1) - s->pad_left;
            const int64_t shift = kb_floor_div_i64(t, s->stride_w);
            if (t - shift * s->stride_w != phase) continue;
            /* m in [m0, m0 + width) already lies inside the input row; the
             * output column must exist too. */
            const int64_t ow_begin = max_i64(0, m0 - shift);
            const int64_t ow_end = min_i64(s->out_width, m0 + width - shift);
            if (ow_begin >= ow_end) continue;
            const float *weight_tap = weights + first_channel * taps_per_channel +
                                      r * s->kernel_w + q;
            for (int64_t k0 = 0; k0 < s->out_channels; k0 += TAP_GROUP) {
                const int taps = (int)min_i64(TAP_GROUP, s->out_channels - k0);
                const float *rows[TAP_GROUP];
                for (int g = 0; g < taps; g++)
                    rows[g] = diff_dst +
                              ((image * s->out_channels + k0 + g) * s->out_height + oh) *
                                  s->out_width + ow_begin;
                for (int64_t cc = 0; cc < channels; cc++) {
                    float scales[TAP_GROUP];
                    for (int g = 0; g < taps; g++)
                        scales[g] = weight_tap[(k0 + g) * weight_k_stride + cc * taps_per_channel];
                    kb_conv2d_accumulate_rows(ow_end - ow_begin, taps, rows, scales,
                                              acc[cc] + ow_begin + shift - m0);
                }
            }
        }
    }
}

/* One work item: input row ih of channels [first_channel, +channels), image. */
static void compute_item(const kb_conv2d_shape *s, const float *diff_dst, const float *weights,
                         float *diff_src, int64_t image, int64_t ih, int64_t first_channel,
                         int64_t channels) {
    _Alignas(64) float acc[CHANNEL_BLOCK][WIDTH_TILE];
    const int64_t phases = min_i64(s->stride_w, s->in_width);
    for (int64_t phase = 0; phase < phases; phase++) {
        const int64_t phase_columns = kb_ceil_div_i64(s->in_width - phase, s->stride_w);
        for (int64_t m0 = 0; m0 < phase_columns; m0 += WIDTH_TILE) {
            const int64_t width = min_i64(WIDTH_TILE, phase_columns - m0);
            for (int64_t cc = 0; cc < channels; cc++)
                for (int64_t j = 0; j < width; j++) acc[cc][j] = 0.0f;
            accumulate_tile(s, diff_dst, weights, image, ih, first_channel, channels, phase, m0,
                            width, acc);
            for (int64_t cc = 0; cc < channels; cc++) {
                float *out = diff_src +
                             ((image * s->in_channels + first_channel + cc) * s->in_height + ih) *
                                 s->in_width + phase + m0 * s->stride_w;
                for (int64_t j = 0; j < width; j++) out[j * s->stride_w] = acc[cc][j];
            }
        }
    }
}

kb_status kb_conv2d_bwd_data__omp_tiled(const kb_problem *problem, const kb_args *args,
                                        const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_BWD_DATA);
    assert(ctx->threads >= 1);
    const kb_conv2d_shape *s = &problem->conv2d;
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    assert(diff_dst && weights && diff_src);

    const int64_t channel_blocks = (s->in_channels + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK;
    const int64_t items = s->batch * s->in_height * channel_blocks;
    /* Weights (K * C * KH * KW) vs one diff_dst image (K * OH * OW). */
    const bool rows_fastest =
        s->in_channels * s->kernel_h * s->kernel_w > s->out_height * s->out_width;
#pragma omp parallel for num_threads(ctx->threads) schedule(static)
    for (int64_t item = 0; item < items; item++) {
        const int64_t image = item / (channel_blocks * s->in_height);
        const int64_t within = item % (channel_blocks * s->in_height);
        const int64_t block = rows_fastest ? within / s->in_height : within % channel_blocks;
        const int64_t ih = rows_fastest ? within % s->in_height : within / channel_blocks;
        const int64_t first_channel = block * CHANNEL_BLOCK;
        compute_item(s, diff_dst, weights, diff_src, image, ih, first_channel,
                     min_i64(CHANNEL_BLOCK, s->in_channels - first_channel));
    }
    return KB_OK;
}

const kb_variant kb_conv2d_bwd_data__omp_tiled_variant = {
    .name = "omp_tiled",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_BWD_DATA,
    .required_isa = KB_ISA_SCALAR,
    .summary = "direct gather-form gradient, phase-split 8-channel x 64-column tiles, OpenMP",
    .run = kb_conv2d_bwd_data__omp_tiled,
};
