/* conv2d backward data, AVX2 + FMA direct convolution (intrinsics).
 *
 * Algorithm: the transpose of the forward, as a scatter-add. Every kernel tap
 * (r, q) moves output pixel (oh, ow) to padded input position
 * (oh * stride_h + r * (dh + 1), ow * stride_w + q * (dw + 1)); in the padded,
 * column-phase-split layout of padded_input.h that position is contiguous in
 * ow for any stride and dilation. So diff_src is accumulated in that layout:
 *   padded_diff_src[c][tap (r, q) of pixel vector] += sum_k W[k,c,r,q] * diff_dst[k][vector]
 * in register blocks of up to 4 input channels x 3 vectors of 8 pixels
 * (12 ymm accumulators): the sum over k (one chunk of output channels at a
 * time) stays in registers, each diff_dst vector feeds 4 FMAs, each broadcast
 * weight 3, and the block is added to the padded buffer once per (tap, chunk).
 * diff_dst is read with a row pitch rounded up to 8 (copied into the
 * workspace, zero-filled, when out_width is not a multiple of 8), so vectors of
 * a block may span output rows (7x7 outputs still fill the accumulators) and
 * tail lanes add zeros into the layout's slack: no masks anywhere. Finally the
 * padded buffer is cropped into NCHW diff_src (kb_padded_input_crop), which
 * also zero-fills input pixels no tap reaches. When the padded layout is
 * plain NCHW (stride_w 1, no padding, width a multiple of 8) the blocks
 * accumulate in diff_src itself. A 1x1 kernel stores its first chunk instead
 * of zeroing and adding (each destination element has one source pixel).
 *
 * Each task copies the weights of its input channels, [k][c][KH][KW], into
 * per-thread workspace (see pack_weights for why). Tasks take one block of 4
 * input channels, or 8 blocks for 1x1 kernels (see task_channels).
 *
 * Limits: any size, stride, padding and dilation. Parallel over (image, group
 * of input channels) with ctx->threads OpenMP threads: each task owns its
 * diff_src planes, so nothing races and nothing is reduced; the result does
 * not depend on the thread count. Few input channels (the RGB stem) therefore
 * run on one thread. ISA: AVX2 + FMA3 (file compiled with -mavx2 -mfma). */
/* Numerical edge departure (kernels/conv2d/problem.c): padding taps are
 * multiplied as explicit zeros, so a NaN or Inf partner of a padding tap
 * (a weight meeting diff_dst outside the output) gives NaN where the policy leaves padding out of the reduction. */
#include <assert.h>
#include <immintrin.h>
#include <omp.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "conv2d/padded_input.h"
#include "core/buffer.h"
#include "kernbench/variant.h"

enum {
    VEC_WIDTH = 8,   /* floats per ymm */
    MAX_IC = 4,      /* input channels per register block */
    MAX_VECTORS = 3, /* pixel vectors per register block */
};

/* One chunk's repacked weights plus the diff_dst vectors of one block stay in
 * L1 while the block walks every tap. */
#define CHUNK_L1_BYTES (32 * 1024)

typedef struct bwd_data_plan {
    const kb_conv2d_shape *shape;
    kb_padded_input_layout layout; /* of the padded diff_src */
    bool direct;                   /* layout == NCHW planes: accumulate in diff_src */
    bool zero_first;               /* destination must start at zero */
    bool store_first;              /* first chunk overwrites (1x1: one tap per element) */
    const float *diff_dst;         /* rows of `pitch` floats, zero tails */
    int64_t pitch;                 /* round_up(out_width, 8) */
    int64_t vectors;               /* pixel vectors per output plane: out_height * pitch / 8 */
    const float *weights;          /* OIHW, caller's */
    float *diff_src;
    const ptrdiff_t *tap_offsets;  /* per (r, q): offset of the tap in a padded plane */
    int64_t taps;
    int64_t chunk;                 /* output channels per chunk */
    char *thread_space;            /* per thread: padded planes, then packed weights */
    size_t thread_bytes;
    size_t thread_planes_bytes;
} bwd_data_plan;

typedef struct block_args {
    const float *diff_dst;  /* (first channel of chunk, first vector); vectors are contiguous */
    ptrdiff_t dd_k_stride;  /* floats between output channels of diff_dst */
    const float *weights;   /* packed weight (first channel of chunk, first input channel, tap) */
    ptrdiff_t w_k_stride;   /* floats between output channels of the packed weights */
    ptrdiff_t w_c_stride;   /* floats between input channels: KH * KW */
    int64_t k_count;
    float *out[MAX_VECTORS]; /* tap's destination of each vector, first input channel */
    ptrdiff_t out_c_stride;  /* floats between input channels of the destination */
    bool store;              /* overwrite instead of accumulate */
} block_args;

/* The micro-kernel; M and N are compile-time constants at every call site.
 * The explicit unroll keeps GCC from spilling acc[][] (as in avx2.c). */
#define UNROLL _Pragma("GCC unroll 4")
static inline __attribute__((always_inline)) void block_kernel(const int M, const int N,
                                                               const block_args *a) {
    __m256 acc[MAX_IC][MAX_VECTORS];
    UNROLL for (int m = 0; m < M; m++)
        UNROLL for (int v = 0; v < N; v++) acc[m][v] = _mm256_setzero_ps();

    const float *x = a->diff_dst;
    const float *w = a->weights;
    for (int64_t k = 0; k < a->k_count; k++) {
        __m256 xv[MAX_VECTORS];
        UNROLL for (int v = 0; v < N; v++) xv[v] = _mm256_loadu_ps(x + v * VEC_WIDTH);
        UNROLL for (int m = 0; m < M; m++) {
            const __m256 wm = _mm256_broadcast_ss(w + m * a->w_c_stride);
            UNROLL for (int v = 0; v < N; v++) acc[m][v] = _mm256_fmadd_ps(wm, xv[v], acc[m][v]);
        }
        x += a->dd_k_stride;
        w += a->w_k_stride;
    }

    UNROLL for (int m = 0; m < M; m++)
        UNROLL for (int v = 0; v < N; v++) {
            float *out = a->out[v] + m * a->out_c_stride;
            if (a->store)
                _mm256_storeu_ps(out, acc[m][v]);
            else
                _mm256_storeu_ps(out, _mm256_add_ps(_mm256_loadu_ps(out), acc[m][v]));
        }
}
#undef UNROLL

#define DEFINE_BLOCK(M, N) \
    static void block_##M##x##N(const block_args *a) { block_kernel(M, N, a); }
DEFINE_BLOCK(1, 1) DEFINE_BLOCK(1, 2) DEFINE_BLOCK(1, 3)
DEFINE_BLOCK(2, 1) DEFINE_BLOCK(2, 2) DEFINE_BLOCK(2, 3)
DEFINE_BLOCK(3, 1) DEFINE_BLOCK(3, 2) DEFINE_BLOCK(3, 3)
DEFINE_BLOCK(4, 1) DEFINE_BLOCK(4, 2) DEFINE_BLOCK(4, 3)
#undef DEFINE_BLOCK

static void (*const block_kernels[MAX_IC][MAX_VECTORS])(const block_args *) = {
    {block_1x1, block_1x2, block_1x3},
    {block_2x1, block_2x2, block_2x3},
    {block_3x1, block_3x2, block_3x3},
    {block_4x1, block_4x2, block_4x3},
};

/* Weights of input channels c0 .. c0+ic-1 as [k][ic * taps]: one contiguous
 * copy of ic * taps floats per output channel (OIHW already holds them in
 * that order). The copy exists because in place the rows of consecutive k are
 * C * KH * KW floats apart, a stride that maps a chunk's weights onto a few
 * L1 sets (C = 512, 3x3: two sets). The rows are prefetched PREFETCH_AHEAD
 * output channels ahead: with few pixels per weight (7x7 outputs) the
 * weights are most of the memory traffic, and their stride defeats the
 * hardware prefetcher. */
#define PREFETCH_AHEAD 48
static void pack_weights(const kb_conv2d_shape *s, const float *weights, int64_t c0, int ic,
                         int64_t taps, float *packed) {
    const int64_t K = s->out_channels, row = ic * taps;
    const size_t bytes = (size_t)row * sizeof(float);
    for (int64_t k = 0; k < K; k++) {
        if (k + PREFETCH_AHEAD < K) {
            const char *ahead = (const char *)(weights + ((k + PREFETCH_AHEAD) * s->in_channels + c0) * taps);
            for (size_t b = 0; b < bytes; b += 64) _mm_prefetch(ahead + b, _MM_HINT_T0);
            _mm_prefetch(ahead + bytes - 1, _MM_HINT_T0);
        }
        /* Inline vector copy: a memcpy call per row costs as much as the
         * copy for 3x3 rows of 4 channels (36 floats). */
        const float *from = weights + (k * s->in_channels + c0) * taps;
        float *to = packed + k * row;
        int64_t i = 0;
        for (; i + VEC_WIDTH <= row; i += VEC_WIDTH)
            _mm256_storeu_ps(to + i, _mm256_loadu_ps(from + i));
        for (; i < row; i++) to[i] = from[i];
    }
}

/* Input channels per task, in register blocks of MAX_IC. A 1x1 kernel uses
 * each diff_dst vector for one tap only, so reusing it across several input
 * channel blocks is what keeps it in L1 (1x1 stride 2, K = 512: otherwise the
 * whole diff_dst streams from L3 once per block). Larger kernels reuse it
 * across their taps and keep one block per task (its weights fit L1). */
static int64_t task_channels(const kb_conv2d_shape *s) {
    return s->kernel_h * s->kernel_w == 1 ? 8 * MAX_IC : MAX_IC;
}

/* One task: image n, input channels c0 .. c0+gc-1. */
static void run_task(const bwd_data_plan *p, int64_t n, int64_t c0, int64_t gc, char *space) {
    const kb_conv2d_shape *s = p->shape;
    const int64_t K = s->out_channels;
    const int64_t in_plane = s->in_height * s->in_width;
    float *dst_nchw = p->diff_src + (n * s->in_channels + c0) * in_plane;
    float *dst = p->direct ? dst_nchw : (float *)space;
    const ptrdiff_t dst_c_stride = p->direct ? in_plane : p->layout.plane_stride;
    float *packed = (float *)(space + p->thread_planes_bytes);

    pack_weights(s, p->weights, c0, (int)gc, p->taps, packed);
    if (p->zero_first) memset(dst, 0, (size_t)(gc * dst_c_stride) * sizeof(float));

    /* Pixel vectors in as few blocks of at most MAX_VECTORS as possible, sizes
     * differing by at most one (7 vectors: 3 + 2 + 2). */
    const int64_t blocks = (p->vectors + MAX_VECTORS - 1) / MAX_VECTORS;
    const int64_t base_size = p->vectors / blocks, larger_blocks = p->vectors % blocks;
    const int64_t vectors_per_row = p->pitch / VEC_WIDTH;
    const ptrdiff_t dd_k_stride = s->out_height * p->pitch;

    block_args a = {
        .dd_k_stride = dd_k_stride,
        .w_k_stride = gc * p->taps,
        .w_c_stride = p->taps,
        .out_c_stride = dst_c_stride,
    };
    for (int64_t k0 = 0; k0 < K; k0 += p->chunk) {
        a.k_count = K - k0 < p->chunk ? K - k0 : p->chunk;
        a.store = p->store_first && k0 == 0;
        const float *dd_chunk = p->diff_dst + (n * K + k0) * dd_k_stride;
        int64_t vector = 0;
        for (int64_t b = 0; b < blocks; b++) {
            const int count = (int)(base_size + (b < larger_blocks));
            float *base[MAX_VECTORS];
            for (int v = 0; v < count; v++) {
                const int64_t oh = (vector + v) / vectors_per_row;
                const int64_t ow = (vector + v) % vectors_per_row * VEC_WIDTH;
                base[v] = dst + oh * s->stride_h * p->layout.row_stride + ow;
            }
            a.diff_dst = dd_chunk + vector * VEC_WIDTH;
            for (int64_t cb = 0; cb < gc; cb += MAX_IC) {
                const int ic = gc - cb < MAX_IC ? (int)(gc - cb) : MAX_IC;
                for (int64_t t = 0; t < p->taps; t++) {
                    for (int v = 0; v < count; v++)
                        a.out[v] = base[v] + cb * dst_c_stride + p->tap_offsets[t];
                    a.weights = packed + k0 * a.w_k_stride + cb * p->taps + t;
                    block_kernels[ic - 1][count - 1](&a);
                }
            }
            vector += count;
        }
    }
    if (!p->direct) kb_padded_input_crop(s, &p->layout, dst, dst_nchw, gc);
}

/* Workspace: pitched diff_dst copy (when needed), tap offsets, per-thread
 * space. One function computes the pieces for both workspace_bytes and run. */
typedef struct workspace_map {
    size_t diff_dst_bytes, tap_bytes, thread_planes_bytes, thread_bytes, total;
} workspace_map;

static void map_workspace(const kb_conv2d_shape *s, const kb_padded_input_layout *layout,
                          int threads, workspace_map *w) {
    const int64_t pitch = (s->out_width + VEC_WIDTH - 1) / VEC_WIDTH * VEC_WIDTH;
    w->diff_dst_bytes =
        pitch == s->out_width
            ? 0
            : kb_align_up((size_t)(s->batch * s->out_channels * s->out_height * pitch) *
                          sizeof(float));
    w->tap_bytes = kb_align_up((size_t)(s->kernel_h * s->kernel_w) * sizeof(ptrdiff_t));
    const int64_t channels = task_channels(s);
    w->thread_planes_bytes =
        kb_align_up((size_t)(channels * layout->plane_stride) * sizeof(float));
    w->thread_bytes = w->thread_planes_bytes +
                      kb_align_up((size_t)(s->kernel_h * s->kernel_w * s->out_channels * channels) *
                                  sizeof(float));
    w->total = w->diff_dst_bytes + w->tap_bytes + (size_t)threads * w->thread_bytes;
}

static size_t bwd_data_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    kb_padded_input_layout layout;
    kb_padded_input_layout_init(&problem->conv2d, VEC_WIDTH, &layout);
    workspace_map w;
    map_workspace(&problem->conv2d, &layout, ctx->threads, &w);
    return w.total;
}

kb_status kb_conv2d_bwd_data__avx2(const kb_problem *problem, const kb_args *args,
                                   const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_BWD_DATA);
    assert(ctx && ctx->threads >= 1 && workspace);
    const kb_conv2d_shape *s = &problem->conv2d;
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    bwd_data_plan p = {
        .shape = s,
        .weights = args->tensor[KB_ARG_WEIGHTS],
        .diff_src = args->tensor[KB_ARG_DIFF_SRC],
        .taps = s->kernel_h * s->kernel_w,
        .pitch = (s->out_width + VEC_WIDTH - 1) / VEC_WIDTH * VEC_WIDTH,
    };
    assert(diff_dst && p.weights && p.diff_src);
    p.vectors = s->out_height * p.pitch / VEC_WIDTH;

    kb_padded_input_layout_init(s, VEC_WIDTH, &p.layout);
    workspace_map w;
    map_workspace(s, &p.layout, ctx->threads, &w);
    char *ws = workspace;
    ptrdiff_t *tap_offsets = (ptrdiff_t *)(ws + w.diff_dst_bytes);
    p.thread_space = ws + w.diff_dst_bytes + w.tap_bytes;
    p.thread_bytes = w.thread_bytes;
    p.thread_planes_bytes = w.thread_planes_bytes;

    /* Tap (r, q) lands r * (dh + 1) padded rows below the pixel's first row,
     * in phase sub-row t % stride_w at index t / stride_w, t = q * (dw + 1). */
    for (int64_t r = 0; r < s->kernel_h; r++)
        for (int64_t q = 0; q < s->kernel_w; q++) {
            const int64_t col = q * (s->dilation_w + 1);
            tap_offsets[r * s->kernel_w + q] = r * (s->dilation_h + 1) * p.layout.row_stride +
                                               col % s->stride_w * p.layout.phase_len +
                                               col / s->stride_w;
        }
    p.tap_offsets = tap_offsets;

    p.direct = s->stride_w == 1 && s->pad_top == 0 && s->pad_left == 0 &&
               p.layout.phase_len == s->in_width && p.layout.rows <= s->in_height;
    /* With one tap every destination element some vector reaches is stored
     * by exactly one pixel, so the first chunk stores and nothing needs
     * zeroing: the crop reads only rows and phases a tap reaches. In place,
     * rows no tap reaches (stride_h > 1, or fewer output than input rows)
     * must still be zeroed. */
    p.store_first = p.taps == 1;
    p.zero_first = p.taps != 1 ||
                   (p.direct && !(s->stride_h == 1 && p.layout.rows == s->in_height));

    int64_t chunk = CHUNK_L1_BYTES / (p.taps * task_channels(s) * (int64_t)sizeof(float) +
                                      MAX_VECTORS * VEC_WIDTH * (int64_t)sizeof(float));
    if (chunk < 8) chunk = 8;
    p.chunk = chunk < s->out_channels ? chunk : s->out_channels;

    if (p.pitch == s->out_width) {
        p.diff_dst = diff_dst;
    } else {
        float *pitched = (float *)ws;
        kb_pitched_rows_copy(diff_dst, s->batch * s->out_channels * s->out_height, s->out_width,
                             p.pitch, pitched, ctx->threads);
        p.diff_dst = pitched;
    }

    const int64_t group = task_channels(s);
    const int64_t c_groups = (s->in_channels + group - 1) / group;
    const int64_t tasks = s->batch * c_groups;
#pragma omp parallel num_threads(ctx->threads)
    {
        char *space = p.thread_space + (size_t)omp_get_thread_num() * p.thread_bytes;
        /* Tasks cost the same: static ranges, no scheduling traffic. */
#pragma omp for schedule(static)
        for (int64_t task = 0; task < tasks; task++) {
            const int64_t n = task / c_groups, c0 = task % c_groups * group;
            run_task(&p, n, c0, s->in_channels - c0 < group ? s->in_channels - c0 : group, space);
        }
    }
    return KB_OK;
}

const kb_variant kb_conv2d_bwd_data__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_BWD_DATA,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2+FMA direct scatter-add, 4 ic x 24 px register blocks, padded diff_src",
    .workspace_bytes = bwd_data_workspace_bytes,
    .run = kb_conv2d_bwd_data__avx2,
};
