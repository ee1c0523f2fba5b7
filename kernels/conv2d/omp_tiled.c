/* conv2d forward, omp_tiled: portable-C direct convolution with cache tiling,
 * parallel with OpenMP. Any stride, padding and dilation.
 *
 * 1. The input is copied once into the zero-padded, column-phase-split layout
 *    of padded_input.h (parallel), so every kernel tap of a run of output
 *    columns is a contiguous input segment, for any stride, with no bounds
 *    checks in the hot loop. A problem without padding and with stride_w 1
 *    (the stride-1 1x1 layers) already has that layout, so it reads the input
 *    in place and skips the copy, a memory-bound pass over the whole input.
 * 2. Work items are (image, output row, block of CHANNEL_BLOCK output
 *    channels), channel block fastest, a flat index split statically into one
 *    contiguous range per thread: ResNet layers at batch 1 give hundreds of
 *    equal-cost items (the padded input makes border rows cost the same), and
 *    the input rows an output row needs (tens of KiB) are reused from cache by
 *    every channel block, so each thread streams only its share of the input
 *    once while the weights stay in L2.
 * 3. An item computes its output row in segments of WIDTH_TILE columns: the
 *    CHANNEL_BLOCK x WIDTH_TILE accumulators (2 KiB) stay in L1 while the
 *    whole reduction (c, r, q) runs over them, then are stored once. Threads
 *    write disjoint rows only at the end of an item, so false sharing is
 *    limited to the row-boundary lines of a few stores.
 * The reduction walks the flattened (c, r, q) index in groups of four taps,
 * so each accumulator is loaded and stored once per four multiply-adds; the
 * innermost loop is an elementwise update over the output columns
 * (vectorisable without -ffast-math). Taps are added in (c, r, q) order after
 * the bias, the same order as the naive variant. */
#include <assert.h>

#include "conv2d/loops.h"
#include "conv2d/padded_input.h"
#include "kernbench/variant.h"

enum {
    CHANNEL_BLOCK = 8, /* output channels per work item */
    WIDTH_TILE = 64,   /* output columns per accumulator tile */
    TAP_GROUP = 4,     /* taps fused per pass over the accumulators */
    /* Granule of the padded rows: one SSE vector, so sub-rows start aligned. */
    PADDED_VECTOR_WIDTH = 4,
};

static inline int64_t min_i64(int64_t x, int64_t y) { return x < y ? x : y; }

/* True when the NCHW input itself is a valid padded layout: no zero rows or
 * columns are needed on any side and one phase per row. The loops below read
 * exactly out_width floats per tap, never the padded layout's vector slack. */
static bool input_needs_no_copy(const kb_conv2d_shape *s, kb_padded_input_layout *in_place) {
    const int64_t rows_read = (s->out_height - 1) * s->stride_h +
                              kb_conv2d_effective_kernel(s->kernel_h, s->dilation_h);
    const int64_t cols_read = s->out_width - 1 + kb_conv2d_effective_kernel(s->kernel_w,
                                                                            s->dilation_w);
    if (s->pad_top != 0 || s->pad_left != 0 || s->stride_w != 1 || rows_read > s->in_height ||
        cols_read > s->in_width)
        return false;
    *in_place = (kb_padded_input_layout){
        .planes = s->batch * s->in_channels,
        .rows = s->in_height,
        .phases = 1,
        .phase_len = s->in_width,
        .row_stride = s->in_width,
        .plane_stride = s->in_height * s->in_width,
    };
    return true;
}

static size_t omp_tiled_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    (void)ctx;
    assert(problem->kernel == KB_KERNEL_CONV2D);
    kb_padded_input_layout layout;
    if (input_needs_no_copy(&problem->conv2d, &layout)) return 0;
    kb_padded_input_layout_init(&problem->conv2d, PADDED_VECTOR_WIDTH, &layout);
    return kb_padded_input_bytes(&layout);
}

/* One work item's segment: output channels [first_channel, +channels) of
 * output row oh, columns [ow0, ow0 + width), image `image`. */
static void compute_segment(const kb_conv2d_shape *s, const kb_padded_input_layout *layout,
                            const float *padded, const float *weights, const float *bias,
                            float *dst, int64_t image, int64_t first_channel, int64_t channels,
                            int64_t oh, int64_t ow0, int64_t width) {
    _Alignas(64) float acc[CHANNEL_BLOCK][WIDTH_TILE];
    const int64_t taps_per_channel = s->kernel_h * s->kernel_w;
    const int64_t reduction = s->in_channels * taps_per_channel;
    const float *image_planes = padded + image * s->in_channels * layout->plane_stride;

    for (int64_t kk = 0; kk < channels; kk++)
        for (int64_t j = 0; j < width; j++) acc[kk][j] = bias[first_channel + kk];

    for (int64_t tap0 = 0; tap0 < reduction; tap0 += TAP_GROUP) {
        const int taps = (int)min_i64(TAP_GROUP, reduction - tap0);
        const float *tap[TAP_GROUP];
        for (int g = 0; g < taps; g++) {
            const int64_t flat = tap0 + g;
            const int64_t c = flat / taps_per_channel;
            const int64_t r = flat % taps_per_channel / s->kernel_w;
            const int64_t q = flat % s->kernel_w;
            const int64_t y = oh * s->stride_h + r * (s->dilation_h + 1);
            const int64_t t = q * (s->dilation_w + 1);
            tap[g] = image_planes + c * layout->plane_stride + y * layout->row_stride +
                     t % s->stride_w * layout->phase_len + t / s->stride_w + ow0;
        }
        for (int64_t kk = 0; kk < channels; kk++)
            kb_conv2d_accumulate_rows(width, taps, tap,
                                      weights + (first_channel + kk) * reduction + tap0, acc[kk]);
    }

    for (int64_t kk = 0; kk < channels; kk++) {
        float *out = dst + ((image * s->out_channels + first_channel + kk) * s->out_height + oh) *
                               s->out_width + ow0;
        for (int64_t j = 0; j < width; j++) out[j] = acc[kk][j];
    }
}

kb_status kb_conv2d_fwd__omp_tiled(const kb_problem *problem, const kb_args *args,
                                   const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_FWD);
    assert(ctx->threads >= 1);
    const kb_conv2d_shape *s = &problem->conv2d;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    const float *bias = args->tensor[KB_ARG_BIAS];
    float *dst = args->tensor[KB_ARG_DST];
    assert(src && weights && bias && dst);

    kb_padded_input_layout layout;
    const float *padded = src;
    if (!input_needs_no_copy(s, &layout)) {
        assert(workspace);
        kb_padded_input_layout_init(s, PADDED_VECTOR_WIDTH, &layout);
        kb_padded_input_pack(s, &layout, src, workspace, ctx->threads);
        padded = workspace;
    }

    const int64_t channel_blocks = (s->out_channels + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK;
    const int64_t items = s->batch * channel_blocks * s->out_height;
#pragma omp parallel for num_threads(ctx->threads) schedule(static)
    for (int64_t item = 0; item < items; item++) {
        const int64_t block = item % channel_blocks;
        const int64_t oh = item / channel_blocks % s->out_height;
        const int64_t image = item / channel_blocks / s->out_height;
        const int64_t first_channel = block * CHANNEL_BLOCK;
        const int64_t channels = min_i64(CHANNEL_BLOCK, s->out_channels - first_channel);
        for (int64_t ow0 = 0; ow0 < s->out_width; ow0 += WIDTH_TILE)
            compute_segment(s, &layout, padded, weights, bias, dst, image, first_channel,
                            channels, oh, ow0, min_i64(WIDTH_TILE, s->out_width - ow0));
    }
    return KB_OK;
}

const kb_variant kb_conv2d_fwd__omp_tiled_variant = {
    .name = "omp_tiled",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "direct convolution, padded input, 8-channel x 64-column L1 tiles, OpenMP",
    .workspace_bytes = omp_tiled_workspace_bytes,
    .run = kb_conv2d_fwd__omp_tiled,
};
