/* conv2d backward weights, im2col + GEMM (the textbook method): the weight
 * gradient is a sum of one GEMM per image,
 *   dW (K x C*KH*KW) += diff_dst_image (K x pixels) * col (pixels x C*KH*KW),
 * taken in blocks of at most PIXEL_BLOCK pixels (kb_gemm: the AVX2 microkernel
 * GEMM where the CPU has it, else the portable one, gemm.h; beta = 0 on the
 * first block, then beta = 1 to accumulate across blocks and images);
 * diff_bias holds the row sums of diff_dst.
 *
 * Parallelism without races: the COLUMNS of dW are split, in whole tap rows
 * (c, r) (kernel_w columns each), into one contiguous range per thread. A
 * thread builds only its columns of each col block (kb_conv2d_im2col_block)
 * and multiplies them into its own columns of dW, so every dW element has one
 * writer, there is no reduction pass and no per-thread copy of dW (which
 * would be threads x 9.4 MiB for a 512x512x3x3 layer), and no barrier. The
 * im2col work is split, not duplicated; each thread reads all of diff_dst and
 * packs its blocks (K floats per pixel, against K*C*KH*KW/threads
 * multiply-adds). Splitting tap rows rather than channels keeps the
 * 3-channel stem balanced (21 tap rows of a 7x7 kernel). Splitting the rows
 * of dW (output channels) would instead make every thread build the whole
 * col. diff_bias rows are split the same way over output channels.
 *
 * For a 1x1 kernel with stride 1 and no padding, col is the transposed NCHW
 * image, so the GEMM reads the thread's channel rows of src in place
 * (trans_b) and no col is built.
 *
 * Any stride, padding and dilation (im2col handles them all). */
#include <assert.h>
#include <omp.h>

#include "conv2d/im2col.h"
#include "core/buffer.h"
#include "gemm/gemm.h"
#include "kernbench/variant.h"

/* Pixels per im2col block: bounds a thread's col buffer, and is the GEMM's
 * reduction depth per call (one packed slice of either GEMM: KC = 256). */
enum { PIXEL_BLOCK = 256 };

static inline int64_t min_i64(int64_t x, int64_t y) { return x < y ? x : y; }

/* col columns of the part with the most tap rows. */
static int64_t max_part_cols(const kb_conv2d_shape *s, int parts) {
    return (kb_conv2d_im2col_tap_rows(s) + parts - 1) / parts * s->kernel_w;
}

static size_t col_block_bytes(const kb_conv2d_shape *s, int parts) {
    if (kb_conv2d_col_is_image(s)) return 0;
    const int64_t block_pixels = min_i64(PIXEL_BLOCK, s->out_height * s->out_width);
    return kb_align_up((size_t)block_pixels * (size_t)max_part_cols(s, parts) * sizeof(float));
}

static size_t per_thread_bytes(const kb_conv2d_shape *s, int parts) {
    return col_block_bytes(s, parts) + kb_align_up(kb_gemm_pack_bytes());
}

static size_t workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    assert(problem->kernel == KB_KERNEL_CONV2D && ctx->threads >= 1);
    return (size_t)ctx->threads * per_thread_bytes(&problem->conv2d, ctx->threads);
}

/* diff_bias[k] = sum of diff_dst over images and pixels, k in [k_begin, k_end). */
static void bias_rows(const kb_conv2d_shape *s, const float *diff_dst, int64_t k_begin,
                      int64_t k_end, float *diff_bias) {
    const int64_t pixels = s->out_height * s->out_width;
    for (int64_t k = k_begin; k < k_end; k++) {
        float sum = 0.0f;
        for (int64_t n = 0; n < s->batch; n++) {
            const float *row = diff_dst + (n * s->out_channels + k) * pixels;
            for (int64_t p = 0; p < pixels; p++) sum += row[p];
        }
        diff_bias[k] = sum;
    }
}

kb_status kb_conv2d_bwd_weights__im2col_gemm(const kb_problem *problem, const kb_args *args,
                                             const kb_context *ctx, void *state,
                                             void *workspace) {
    (void)state;
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_BWD_WEIGHTS);
    assert(ctx->threads >= 1 && workspace);
    const kb_conv2d_shape *s = &problem->conv2d;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *diff_weights = args->tensor[KB_ARG_DIFF_WEIGHTS];
    float *diff_bias = args->tensor[KB_ARG_DIFF_BIAS];
    assert(src && diff_dst && diff_weights && diff_bias);

    const int64_t pixels = s->out_height * s->out_width;
    const int64_t cols = kb_conv2d_im2col_cols(s);
    const int64_t tap_rows = kb_conv2d_im2col_tap_rows(s);
    const int64_t src_image_elems = s->in_channels * s->in_height * s->in_width;
    const size_t thread_bytes = per_thread_bytes(s, ctx->threads);
    const size_t col_bytes = col_block_bytes(s, ctx->threads);
    const bool direct = kb_conv2d_col_is_image(s);

#pragma omp parallel num_threads(ctx->threads)
    {
        /* Work is cut into ctx->threads parts (the workspace holds one part's
         * col block per thread); if the runtime grants fewer threads, each
         * takes every threads-th part, so nothing overflows. */
        const int thread = omp_get_thread_num(), threads = omp_get_num_threads();
        assert(threads <= ctx->threads);
        char *mine = (char *)workspace + (size_t)thread * thread_bytes;
        float *col = (float *)mine;
        float *pack = (float *)(mine + col_bytes);

        for (int part = thread; part < ctx->threads; part += threads) {
            bias_rows(s, diff_dst, kb_split_start(s->out_channels, part, ctx->threads),
                      kb_split_start(s->out_channels, part + 1, ctx->threads), diff_bias);

            const int64_t row_begin = kb_split_start(tap_rows, part, ctx->threads);
            const int64_t row_count = kb_split_start(tap_rows, part + 1, ctx->threads) - row_begin;
            const int64_t my_cols = row_count * s->kernel_w;
            float *my_diff_weights = diff_weights + row_begin * s->kernel_w;
            for (int64_t n = 0; n < s->batch && my_cols > 0; n++) {
                const float *diff_dst_image = diff_dst + n * s->out_channels * pixels;
                for (int64_t first_pixel = 0; first_pixel < pixels; first_pixel += PIXEL_BLOCK) {
                    const int64_t count = min_i64(PIXEL_BLOCK, pixels - first_pixel);
                    /* The first block overwrites dW (NaN-safe: beta = 0 never
                     * reads C); later ones accumulate. */
                    const float beta = n == 0 && first_pixel == 0 ? 0.0f : 1.0f;
                    const float *src_image = src + n * src_image_elems;
                    if (direct) {
                        /* Tap rows are channels; their src rows are col's columns. */
                        kb_gemm(false, true, s->out_channels, my_cols, count, 1.0f,
                                diff_dst_image + first_pixel, pixels,
                                src_image + row_begin * pixels + first_pixel, pixels, beta,
                                my_diff_weights, cols, pack);
                        continue;
                    }
                    kb_conv2d_im2col_block(s, src_image, first_pixel, count, row_begin,
                                           row_count, col, my_cols);
                    kb_gemm(false, false, s->out_channels, my_cols, count, 1.0f,
                            diff_dst_image + first_pixel, pixels, col, my_cols, beta,
                            my_diff_weights, cols, pack);
                }
            }
        }
    }
    return KB_OK;
}

const kb_variant kb_conv2d_bwd_weights__im2col_gemm_variant = {
    .name = "im2col_gemm",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_BWD_WEIGHTS,
    .required_isa = KB_ISA_SCALAR,
    .summary = "dW += diff_dst * col per image (AVX2 or portable SGEMM), OpenMP over dW columns",
    .workspace_bytes = workspace_bytes,
    .run = kb_conv2d_bwd_weights__im2col_gemm,
    .isa_used = kb_gemm_isa_used,
};
