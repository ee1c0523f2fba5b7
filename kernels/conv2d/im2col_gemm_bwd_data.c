/* conv2d backward data, im2col + GEMM (the textbook method): per image, the
 * gradient of the im2col matrix is one GEMM,
 *   dcol (pixels x C*KH*KW) = diff_dst_image^T (pixels x K) * W (K x C*KH*KW),
 * read straight from NCHW diff_dst with trans_a (the image is K x pixels) by
 * kb_gemm (the AVX2 microkernel GEMM where the CPU has it, else the portable
 * one; gemm.h), and col2im (im2col.h, the transpose of im2col) scatter-adds
 * dcol into diff_src, which is zeroed first.
 *
 * Parallelism without races: each thread owns a contiguous range of INPUT
 * CHANNELS. It computes only the dcol columns of its channels (the GEMM's
 * columns are split, B = its slice of W) and col2ims them into its own
 * diff_src planes, so no two threads ever add into the same element and no
 * barrier is needed; the pixel loop runs in blocks of at most PIXEL_BLOCK so
 * its dcol block stays bounded and warm for the col2im. Splitting by pixels
 * instead would need a barrier between the GEMM and a channel-split col2im
 * (overlapping kernel windows make pixel ranges collide in diff_src), or
 * per-thread copies of diff_src. Cost: every thread reads all of diff_dst and
 * packs its transposed blocks (K floats per pixel, against K*C*KH*KW/threads
 * multiply-adds). Balanced when in_channels is a multiple of the thread count
 * or much larger (ResNet layers: >= 64); fewer channels than threads leaves
 * threads idle.
 *
 * For a 1x1 kernel with stride 1 and no padding, col2im is a plain transpose,
 * so the thread's diff_src planes are one GEMM straight from NCHW:
 *   diff_src_image (C x pixels) = W^T (C x K) * diff_dst_image (K x pixels),
 * with beta = 0: no dcol, no col2im, no zeroing. Only from MIN_DIRECT_PIXELS
 * pixels on: that GEMM's n is the pixel count, and a 7x7 image (49 = 3 x 16
 * + 1) would waste most of a 16-wide tile column, where the dcol GEMM has
 * the pixels on its 6-row side.
 *
 * Any stride, padding and dilation (col2im handles them all). */
#include <assert.h>
#include <omp.h>
#include <string.h>

#include "conv2d/im2col.h"
#include "core/buffer.h"
#include "gemm/gemm.h"
#include "kernbench/variant.h"

/* Pixels per GEMM + col2im block: bounds a thread's dcol buffer and keeps it
 * in L2 between the GEMM that writes it and the col2im that reads it. */
enum { PIXEL_BLOCK = 256 };
/* Smallest image (pixels) for the 1x1 direct path; see the header. */
enum { MIN_DIRECT_PIXELS = 64 };

static inline int64_t min_i64(int64_t x, int64_t y) { return x < y ? x : y; }

static bool direct_path(const kb_conv2d_shape *s) {
    return kb_conv2d_col_is_image(s) && s->out_height * s->out_width >= MIN_DIRECT_PIXELS;
}

static int64_t block_pixels(const kb_conv2d_shape *s) {
    return min_i64(PIXEL_BLOCK, s->out_height * s->out_width);
}

/* dcol columns of the thread with the most channels. */
static int64_t max_thread_cols(const kb_conv2d_shape *s, int threads) {
    return (s->in_channels + threads - 1) / threads * s->kernel_h * s->kernel_w;
}

static size_t dcol_block_bytes(const kb_conv2d_shape *s, int threads) {
    if (direct_path(s)) return 0;
    return kb_align_up((size_t)block_pixels(s) * (size_t)max_thread_cols(s, threads) *
                       sizeof(float));
}

static size_t per_thread_bytes(const kb_conv2d_shape *s, int threads) {
    return dcol_block_bytes(s, threads) + kb_align_up(kb_gemm_pack_bytes());
}

static size_t workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    assert(problem->kernel == KB_KERNEL_CONV2D && ctx->threads >= 1);
    return (size_t)ctx->threads * per_thread_bytes(&problem->conv2d, ctx->threads);
}

kb_status kb_conv2d_bwd_data__im2col_gemm(const kb_problem *problem, const kb_args *args,
                                          const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_BWD_DATA);
    assert(ctx->threads >= 1 && workspace);
    const kb_conv2d_shape *s = &problem->conv2d;
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    assert(diff_dst && weights && diff_src);

    const int64_t pixels = s->out_height * s->out_width;
    const int64_t taps_per_channel = s->kernel_h * s->kernel_w;
    const int64_t cols = kb_conv2d_im2col_cols(s);
    const int64_t plane = s->in_height * s->in_width;
    const size_t thread_bytes = per_thread_bytes(s, ctx->threads);
    const size_t dcol_bytes = dcol_block_bytes(s, ctx->threads);
    const bool direct = direct_path(s);

#pragma omp parallel num_threads(ctx->threads)
    {
        /* Channels are cut into ctx->threads parts (the workspace holds one
         * part's dcol block per thread); if the runtime grants fewer threads,
         * each takes every threads-th part, so nothing overflows. */
        const int thread = omp_get_thread_num(), threads = omp_get_num_threads();
        assert(threads <= ctx->threads);
        char *mine = (char *)workspace + (size_t)thread * thread_bytes;
        float *dcol = (float *)mine;
        float *pack = (float *)(mine + dcol_bytes);

        for (int part = thread; part < ctx->threads; part += threads) {
            const int64_t c_begin = kb_split_start(s->in_channels, part, ctx->threads);
            const int64_t c_end = kb_split_start(s->in_channels, part + 1, ctx->threads);
            const int64_t my_cols = (c_end - c_begin) * taps_per_channel;
            for (int64_t n = 0; n < s->batch && my_cols > 0; n++) {
                float *diff_src_image = diff_src + n * s->in_channels * plane;
                const float *diff_dst_image = diff_dst + n * s->out_channels * pixels;
                if (direct) {
                    kb_gemm(true, false, c_end - c_begin, pixels, s->out_channels, 1.0f,
                            weights + c_begin, cols, diff_dst_image, pixels, 0.0f,
                            diff_src_image + c_begin * plane, plane, pack);
                    continue;
                }
                memset(diff_src_image + c_begin * plane, 0,
                       (size_t)((c_end - c_begin) * plane) * sizeof(float));
                for (int64_t first_pixel = 0; first_pixel < pixels; first_pixel += PIXEL_BLOCK) {
                    const int64_t count = min_i64(PIXEL_BLOCK, pixels - first_pixel);
                    kb_gemm(true, false, count, my_cols, s->out_channels, 1.0f,
                            diff_dst_image + first_pixel, pixels,
                            weights + c_begin * taps_per_channel, cols, 0.0f, dcol, my_cols, pack);
                    kb_conv2d_col2im_block(s, dcol, my_cols, first_pixel, count,
                                           c_begin * s->kernel_h,
                                           (c_end - c_begin) * s->kernel_h, diff_src_image);
                }
            }
        }
    }
    return KB_OK;
}

const kb_variant kb_conv2d_bwd_data__im2col_gemm_variant = {
    .name = "im2col_gemm",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_BWD_DATA,
    .required_isa = KB_ISA_SCALAR,
    .summary = "dcol = diff_dst^T * W (AVX2/portable SGEMM) + col2im, OpenMP over input channels",
    .workspace_bytes = workspace_bytes,
    .run = kb_conv2d_bwd_data__im2col_gemm,
    .isa_used = kb_gemm_isa_used,
};
