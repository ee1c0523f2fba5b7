/* conv2d forward, im2col + GEMM: per image, the input patches become a matrix
 * col (one row per output pixel, im2col.h) and the convolution is
 *   dst_image (out_channels x pixels) = W (out_channels x C*KH*KW) * col^T,
 * so the GEMM (kb_gemm, trans_b: the AVX2 microkernel GEMM where the CPU has
 * it, else the portable one; gemm.h) writes NCHW output directly. For a 1x1
 * kernel with stride 1 and no padding, col^T IS the NCHW image (C x pixels),
 * so the GEMM reads src in place (no trans_b) and no col is built.
 *
 * The bias is written into dst first and the GEMM runs with beta = 1: that is
 * one write pass, where beta = 0 plus a bias pass would cost the GEMM's zero
 * fill and then a read-modify-write over dst.
 *
 * Parallelism: normally the batch * pixels output columns are cut into one
 * contiguous, 16-pixel-aligned range per thread (so large batches split by
 * images and batch 1 splits each image's pixels). Each thread walks its range
 * in blocks of at most PIXEL_BLOCK pixels of one image, building only those
 * col rows in its own buffer and multiplying them with its own pack buffer:
 * threads share nothing but the read-only inputs, and no barrier is needed.
 * Cost: the weights are re-read and re-packed per block, and im2col's copy is
 * C*KH*KW floats per pixel, against out_channels times that many
 * multiply-adds. When there are fewer than MIN_THREAD_PIXELS output columns
 * per thread (batch 1 at 7x7: 49 pixels would split 16 + 33 and leave the
 * GEMM too narrow), the threads split the output CHANNELS instead: each
 * builds the col of every pixel (duplicated im2col, out_channels / threads
 * multiply-adds per copied float) and computes its own rows of dst.
 *
 * Any stride, padding and dilation (im2col handles them all). */
#include <assert.h>
#include <omp.h>

#include "conv2d/im2col.h"
#include "core/buffer.h"
#include "gemm/gemm.h"
#include "kernbench/variant.h"

/* Pixels per im2col block: keeps a thread's col buffer bounded (a few hundred
 * KiB to a few MiB) however large the image, and makes each GEMM call one or
 * two of its column blocks. */
enum { PIXEL_BLOCK = 256 };
/* Thread ranges start on a multiple of this many pixels (one cache line of
 * dst when the row length allows), so threads rarely write the same line. */
enum { RANGE_ALIGN = 16 };
/* Below this many output columns per thread, threads split output channels. */
enum { MIN_THREAD_PIXELS = 64 };

static inline int64_t min_i64(int64_t x, int64_t y) { return x < y ? x : y; }

static int64_t col_block_pixels(const kb_conv2d_shape *s) {
    return min_i64(PIXEL_BLOCK, s->out_height * s->out_width);
}

static size_t col_block_bytes(const kb_conv2d_shape *s) {
    if (kb_conv2d_col_is_image(s)) return 0;
    return kb_align_up((size_t)col_block_pixels(s) * (size_t)kb_conv2d_im2col_cols(s) *
                       sizeof(float));
}

static size_t per_thread_bytes(const kb_conv2d_shape *s) {
    return col_block_bytes(s) + kb_align_up(kb_gemm_pack_bytes());
}

static size_t im2col_gemm_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    assert(problem->kernel == KB_KERNEL_CONV2D && ctx->threads >= 1);
    return (size_t)ctx->threads * per_thread_bytes(&problem->conv2d);
}

/* Start of thread `thread`'s range of the flattened (image, pixel) index. */
static int64_t range_start(int64_t total, int thread, int threads) {
    if (thread == threads) return total;
    /* floor(total * thread / threads), without forming the product. */
    const int64_t even = total / threads * thread + total % threads * thread / threads;
    return even / RANGE_ALIGN * RANGE_ALIGN;
}

kb_status kb_conv2d_fwd__im2col_gemm(const kb_problem *problem, const kb_args *args,
                                     const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_FWD);
    assert(ctx->threads >= 1 && workspace);
    const kb_conv2d_shape *s = &problem->conv2d;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    const float *bias = args->tensor[KB_ARG_BIAS];
    float *dst = args->tensor[KB_ARG_DST];
    assert(src && weights && bias && dst);

    const int64_t pixels = s->out_height * s->out_width;
    const int64_t taps = kb_conv2d_im2col_cols(s);
    const int64_t src_image_elems = s->in_channels * s->in_height * s->in_width;
    const int64_t dst_image_elems = s->out_channels * pixels;
    const int64_t total = s->batch * pixels;
    const size_t thread_bytes = per_thread_bytes(s);
    const size_t col_bytes = col_block_bytes(s);
    const bool direct = kb_conv2d_col_is_image(s);
    /* Decided on ctx->threads, not on what the runtime grants, so it is fixed per problem. */
    const bool split_channels = total < (int64_t)ctx->threads * MIN_THREAD_PIXELS;

#pragma omp parallel num_threads(ctx->threads)
    {
        /* The runtime may grant fewer threads than asked; split by what it gave. */
        const int thread = omp_get_thread_num(), threads = omp_get_num_threads();
        assert(threads <= ctx->threads);
        char *mine = (char *)workspace + (size_t)thread * thread_bytes;
        float *col = (float *)mine;
        float *pack = (float *)(mine + col_bytes);
        /* This thread's output columns [g, end) and output channels [k_begin, k_end). */
        int64_t g = 0, end = total, k_begin = 0, k_end = s->out_channels;
        if (split_channels) {
            k_begin = kb_split_start(s->out_channels, thread, threads);
            k_end = kb_split_start(s->out_channels, thread + 1, threads);
        } else {
            g = range_start(total, thread, threads);
            end = range_start(total, thread + 1, threads);
        }
        const int64_t rows = k_end - k_begin;

        while (g < end && rows > 0) {
            const int64_t image = g / pixels, first_pixel = g % pixels;
            const int64_t count = min_i64(min_i64(PIXEL_BLOCK, pixels - first_pixel), end - g);
            const float *src_image = src + image * src_image_elems;
            float *dst_block = dst + image * dst_image_elems + k_begin * pixels + first_pixel;
            for (int64_t k = 0; k < rows; k++)
                for (int64_t j = 0; j < count; j++) dst_block[k * pixels + j] = bias[k_begin + k];
            if (direct) {
                kb_gemm(false, false, rows, count, taps, 1.0f, weights + k_begin * taps, taps,
                        src_image + first_pixel, pixels, 1.0f, dst_block, pixels, pack);
            } else {
                kb_conv2d_im2col_rows(s, src_image, first_pixel, count, col);
                kb_gemm(false, true, rows, count, taps, 1.0f, weights + k_begin * taps, taps, col,
                        taps, 1.0f, dst_block, pixels, pack);
            }
            g += count;
        }
    }
    return KB_OK;
}

const kb_variant kb_conv2d_fwd__im2col_gemm_variant = {
    .name = "im2col_gemm",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "im2col per image + SGEMM (AVX2 microkernel or portable), OpenMP over pixels",
    .workspace_bytes = im2col_gemm_workspace_bytes,
    .run = kb_conv2d_fwd__im2col_gemm,
    .isa_used = kb_gemm_isa_used,
};
