/* conv2d backward weights, AVX2 + FMA direct convolution (intrinsics).
 *
 * Algorithm: diff_w[k,c,r,q] is the dot product, over every image and output
 * pixel, of diff_dst plane k with the src samples tap (r, q) of channel c
 * reads. run() copies src into the zero-padded, column-phase-split layout of
 * padded_input.h (the forward's), where those samples are contiguous in ow for
 * any stride and dilation, and diff_dst into rows padded with zeros to a
 * multiple of 8 (when out_width is not one already), so every vector load is
 * full width and tail lanes multiply by zero: no masks. Register blocks are
 * up to 4 output channels x 3 (input channel, tap) columns: per 8 pixels the
 * block loads 4 diff_dst vectors and 3 src vectors and issues 12 FMAs into 12
 * ymm partial sums. The columns of a block are consecutive (c, r, q)
 * indices, so 1x1 kernels block over 3 input channels and larger kernels over
 * 3 taps of one channel. Over a band of output rows, a task's blocks of
 * output channels each walk all of its column blocks, so the band of
 * diff_dst stays in L1 and the group's src band in L2; the partial sums are
 * reduced horizontally at the end of each band and added into diff_w (the
 * first band stores: diff_w is fully overwritten, never read first).
 * Small output planes (at most SMALL_PLANE_PIXELS pixels: 7x7, 14x14) use
 * vectors over output channels instead (run_task_kvec): no lanes wasted on a
 * 7-wide row, no horizontal sums.
 * diff_bias is a separate vectorised pass over diff_dst (K * N * P * Q adds,
 * negligible beside the C * KH * KW times larger main pass).
 *
 * Limits: any size, stride, padding and dilation. Parallel over (group of 32
 * output channels) x (group of input channels) with ctx->threads OpenMP
 * threads: each task owns distinct diff_w elements, so there are no races and
 * no cross-thread reductions; the result does not depend on the thread
 * count. ISA: AVX2 + FMA3 (file compiled with -mavx2 -mfma). */
/* Numerical edge departure (kernels/conv2d/problem.c): padding taps are
 * multiplied as explicit zeros, so a NaN or Inf partner of a padding tap
 * (a diff_dst meeting padded src) gives NaN where the policy leaves padding out of the reduction. */
#include <assert.h>
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>

#include "conv2d/padded_input.h"
#include "core/buffer.h"
#include "kernbench/variant.h"

enum {
    VEC_WIDTH = 8, /* floats per ymm */
    MAX_OC = 4,    /* output channels per register block */
    MAX_COLS = 3,  /* (input channel, tap) columns per register block */
};

typedef struct bwd_weights_plan {
    const kb_conv2d_shape *shape;
    kb_padded_input_layout layout; /* of the padded src */
    const float *padded;           /* padded src */
    const float *diff_dst;         /* rows of `pitch` floats, zero tails */
    int64_t pitch;                 /* round_up(out_width, 8) */
    float *diff_weights;
    const ptrdiff_t *tap_offsets;  /* per (r, q): offset of the tap in a padded plane */
    int64_t taps;
    int64_t group_channels;        /* input channels per task */
    const float *diff_dst_t;       /* small planes: [n][oh][ow][k_pitch], else NULL */
    int64_t k_pitch;               /* round_up(out_channels, 8) */
} bwd_weights_plan;

typedef struct block_args {
    const float *diff_dst;       /* (image, first output channel, first row of the band) */
    const float *src[MAX_COLS];  /* padded src at (image, column's channel, band's first row) + tap */
    ptrdiff_t dd_k_stride;       /* floats between output channels of diff_dst */
    ptrdiff_t src_row_step;      /* floats between the src rows of consecutive output rows */
    int64_t rows, vectors_per_row, pitch;
    float *out;                  /* diff_w (first output channel, first column) */
    ptrdiff_t out_k_stride;      /* C * KH * KW */
    bool accumulate;             /* add to diff_w (not the first band) instead of storing */
} block_args;

/* Horizontal sums of 8 vectors at once: lane i of the result is the sum of
 * v[i]. Six hadds and a cross-lane fold instead of eight separate reductions. */
static inline __m256 sum8(const __m256 v[8]) {
    const __m256 a = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
    const __m256 b = _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
    /* a = [s0 s1 s2 s3 | s0' s1' s2' s3'] (low and high halves of v0..v3). */
    return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
}

static inline float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* The micro-kernel; M and N are compile-time constants at every call site.
 * The explicit unroll keeps GCC from spilling acc[][] (as in avx2.c). */
#define UNROLL _Pragma("GCC unroll 4")
#define UNROLL_ALL _Pragma("GCC unroll 16")
static inline __attribute__((always_inline)) void block_kernel(const int M, const int N,
                                                               const block_args *a) {
    __m256 acc[MAX_OC * MAX_COLS]; /* [m * N + j] */
    UNROLL_ALL for (int i = 0; i < M * N; i++) acc[i] = _mm256_setzero_ps();

    const float *s[MAX_COLS];
    UNROLL for (int j = 0; j < N; j++) s[j] = a->src[j];
    const float *d = a->diff_dst;
    for (int64_t oh = 0; oh < a->rows; oh++) {
        for (int64_t v = 0; v < a->vectors_per_row; v++) {
            __m256 x[MAX_COLS];
            UNROLL for (int j = 0; j < N; j++) x[j] = _mm256_loadu_ps(s[j] + v * VEC_WIDTH);
            UNROLL for (int m = 0; m < M; m++) {
                const __m256 g = _mm256_loadu_ps(d + m * a->dd_k_stride + v * VEC_WIDTH);
                UNROLL for (int j = 0; j < N; j++)
                    acc[m * N + j] = _mm256_fmadd_ps(g, x[j], acc[m * N + j]);
            }
        }
        d += a->pitch;
        UNROLL for (int j = 0; j < N; j++) s[j] += a->src_row_step;
    }

    /* Fold in groups of 8, padded with zero vectors (all compile-time). */
    float sums[16];
    __m256 group[8];
    UNROLL_ALL for (int i = 0; i < 8; i++) group[i] = i < M * N ? acc[i] : _mm256_setzero_ps();
    _mm256_storeu_ps(sums, sum8(group));
    if (M * N > 8) {
        UNROLL_ALL for (int i = 0; i < 8; i++)
            group[i] = 8 + i < M * N ? acc[8 + i] : _mm256_setzero_ps();
        _mm256_storeu_ps(sums + 8, sum8(group));
    }
    UNROLL for (int m = 0; m < M; m++)
        UNROLL for (int j = 0; j < N; j++) {
            float *out = a->out + m * a->out_k_stride + j;
            *out = a->accumulate ? *out + sums[m * N + j] : sums[m * N + j];
        }
}
#undef UNROLL
#undef UNROLL_ALL

#define DEFINE_BLOCK(M, N) \
    static void block_##M##x##N(const block_args *a) { block_kernel(M, N, a); }
DEFINE_BLOCK(1, 1) DEFINE_BLOCK(1, 2) DEFINE_BLOCK(1, 3)
DEFINE_BLOCK(2, 1) DEFINE_BLOCK(2, 2) DEFINE_BLOCK(2, 3)
DEFINE_BLOCK(3, 1) DEFINE_BLOCK(3, 2) DEFINE_BLOCK(3, 3)
DEFINE_BLOCK(4, 1) DEFINE_BLOCK(4, 2) DEFINE_BLOCK(4, 3)
#undef DEFINE_BLOCK

static void (*const block_kernels[MAX_OC][MAX_COLS])(const block_args *) = {
    {block_1x1, block_1x2, block_1x3},
    {block_2x1, block_2x2, block_2x3},
    {block_3x1, block_3x2, block_3x3},
    {block_4x1, block_4x2, block_4x3},
};

/* Output rows per band: the band's diff_dst rows of one block of output
 * channels stay in L1 while every column block of the task reads them. */
#define BAND_L1_BYTES (16 * 1024)
/* Output planes up to this many pixels use channel vectors (see below). */
#define SMALL_PLANE_PIXELS 256
/* Output channels per task: 8 register blocks reuse the task's src band. */
#define K_GROUP (8 * MAX_OC)

/* One task: output channels k_begin .. k_end-1, input channels c0 .. c1-1.
 * Per band of rows, each block of output channels walks every column block:
 * its diff_dst band stays in L1, the group's src band in L2 across blocks. */
static void run_task(const bwd_weights_plan *p, int64_t k_begin, int64_t k_end, int64_t c0,
                     int64_t c1) {
    const kb_conv2d_shape *s = p->shape;
    const int64_t columns = (c1 - c0) * p->taps;
    /* Columns in as few blocks of at most MAX_COLS as possible, sizes
     * differing by at most one (49 taps: 15 x 3 + 2 x 2). */
    const int64_t blocks = (columns + MAX_COLS - 1) / MAX_COLS;
    const int64_t base_size = columns / blocks, larger_blocks = columns % blocks;
    int64_t band_rows = BAND_L1_BYTES / (MAX_OC * p->pitch * (int64_t)sizeof(float));
    if (band_rows < 1) band_rows = 1;

    block_args a = {
        .dd_k_stride = s->out_height * p->pitch,
        .src_row_step = s->stride_h * p->layout.row_stride,
        .vectors_per_row = p->pitch / VEC_WIDTH,
        .pitch = p->pitch,
        .out_k_stride = s->in_channels * p->taps,
    };
    for (int64_t n = 0; n < s->batch; n++)
        for (int64_t oh0 = 0; oh0 < s->out_height; oh0 += band_rows) {
            a.rows = s->out_height - oh0 < band_rows ? s->out_height - oh0 : band_rows;
            a.accumulate = n > 0 || oh0 > 0;
            const float *src_band = p->padded + n * s->in_channels * p->layout.plane_stride +
                                    oh0 * a.src_row_step;
            for (int64_t k0 = k_begin; k0 < k_end; k0 += MAX_OC) {
                const int oc = k_end - k0 < MAX_OC ? (int)(k_end - k0) : MAX_OC;
                a.diff_dst =
                    p->diff_dst + ((n * s->out_channels + k0) * s->out_height + oh0) * p->pitch;
                /* Column (c, t) walks the taps of c, then the next channel;
                 * its index c * taps + t is also diff_w's inner offset. */
                int64_t c = c0, t = 0;
                float *out = p->diff_weights + k0 * a.out_k_stride + c0 * p->taps;
                for (int64_t b = 0; b < blocks; b++) {
                    const int count = (int)(base_size + (b < larger_blocks));
                    for (int j = 0; j < count; j++) {
                        a.src[j] = src_band + c * p->layout.plane_stride + p->tap_offsets[t];
                        if (++t == p->taps) t = 0, c++;
                    }
                    a.out = out;
                    block_kernels[oc - 1][count - 1](&a);
                    out += count;
                }
            }
        }
}

/* Small output planes (see use_channel_vectors): vectors run over 8 output
 * channels instead of 8 pixels, so a 7x7 plane wastes no lanes and the sums
 * need no horizontal reduction. diff_dst is transposed to [n][oh][ow][k] (k
 * zero-padded to k_pitch); per pixel a block loads KV vectors of output
 * channels, broadcasts KCOLS src samples (one per column) and issues
 * KV x KCOLS FMAs. The block's results are columns of diff_w (one vector of
 * 8 output channels per column), written out through a small transpose. */
enum {
    KV = 2,    /* vectors of 8 output channels per block */
    KCOLS = 6, /* (input channel, tap) columns per block */
};

typedef struct kvec_args {
    const float *diff_dst_t;      /* (image 0, pixel 0, first output channel) */
    ptrdiff_t k_pitch;            /* floats between pixels of diff_dst_t */
    const float *src[KCOLS];      /* padded src (image 0, column's channel) + the column's tap */
    ptrdiff_t src_n_stride;       /* floats between images of the padded src */
    ptrdiff_t src_row_step;       /* floats between the src rows of consecutive output rows */
    int64_t batch, rows, cols;    /* N, P, Q */
    float *out;                   /* diff_w (first output channel, first column) */
    ptrdiff_t out_k_stride;       /* C * KH * KW */
    int k_valid;                  /* output channels of the block that exist */
} kvec_args;

#define UNROLL _Pragma("GCC unroll 8")
static inline __attribute__((always_inline)) void kvec_kernel(const int M, const int N,
                                                              const kvec_args *a) {
    __m256 acc[KV][KCOLS];
    UNROLL for (int m = 0; m < M; m++)
        UNROLL for (int j = 0; j < N; j++) acc[m][j] = _mm256_setzero_ps();

    const float *d = a->diff_dst_t;
    for (int64_t n = 0; n < a->batch; n++)
        for (int64_t oh = 0; oh < a->rows; oh++) {
            const ptrdiff_t row = n * a->src_n_stride + oh * a->src_row_step;
            const float *s[KCOLS];
            UNROLL for (int j = 0; j < N; j++) s[j] = a->src[j] + row;
            for (int64_t ow = 0; ow < a->cols; ow++, d += a->k_pitch) {
                __m256 g[KV];
                UNROLL for (int m = 0; m < M; m++) g[m] = _mm256_loadu_ps(d + m * VEC_WIDTH);
                UNROLL for (int j = 0; j < N; j++) {
                    const __m256 x = _mm256_broadcast_ss(s[j] + ow);
                    UNROLL for (int m = 0; m < M; m++) acc[m][j] = _mm256_fmadd_ps(g[m], x, acc[m][j]);
                }
            }
        }

    float t[KCOLS][KV * VEC_WIDTH];
    UNROLL for (int m = 0; m < M; m++)
        UNROLL for (int j = 0; j < N; j++) _mm256_storeu_ps(&t[j][m * VEC_WIDTH], acc[m][j]);
    const int k_valid = a->k_valid < M * VEC_WIDTH ? a->k_valid : M * VEC_WIDTH;
    for (int i = 0; i < k_valid; i++)
        UNROLL for (int j = 0; j < N; j++) a->out[i * a->out_k_stride + j] = t[j][i];
}
#undef UNROLL

#define DEFINE_KVEC(M, N) \
    static void kvec_##M##x##N(const kvec_args *a) { kvec_kernel(M, N, a); }
DEFINE_KVEC(1, 1) DEFINE_KVEC(1, 2) DEFINE_KVEC(1, 3) DEFINE_KVEC(1, 4) DEFINE_KVEC(1, 5)
DEFINE_KVEC(1, 6) DEFINE_KVEC(2, 1) DEFINE_KVEC(2, 2) DEFINE_KVEC(2, 3) DEFINE_KVEC(2, 4)
DEFINE_KVEC(2, 5) DEFINE_KVEC(2, 6)
#undef DEFINE_KVEC

static void (*const kvec_kernels[KV][KCOLS])(const kvec_args *) = {
    {kvec_1x1, kvec_1x2, kvec_1x3, kvec_1x4, kvec_1x5, kvec_1x6},
    {kvec_2x1, kvec_2x2, kvec_2x3, kvec_2x4, kvec_2x5, kvec_2x6},
};

/* The channel-vector form of run_task. */
static void run_task_kvec(const bwd_weights_plan *p, int64_t k_begin, int64_t k_end, int64_t c0,
                          int64_t c1) {
    const kb_conv2d_shape *s = p->shape;
    const int64_t columns = (c1 - c0) * p->taps;
    const int64_t blocks = (columns + KCOLS - 1) / KCOLS;
    const int64_t base_size = columns / blocks, larger_blocks = columns % blocks;
    kvec_args a = {
        .k_pitch = p->k_pitch,
        .src_n_stride = s->in_channels * p->layout.plane_stride,
        .src_row_step = s->stride_h * p->layout.row_stride,
        .batch = s->batch,
        .rows = s->out_height,
        .cols = s->out_width,
        .out_k_stride = s->in_channels * p->taps,
    };
    for (int64_t k0 = k_begin; k0 < k_end; k0 += KV * VEC_WIDTH) {
        a.k_valid = k_end - k0 < KV * VEC_WIDTH ? (int)(k_end - k0) : KV * VEC_WIDTH;
        const int kv = (a.k_valid + VEC_WIDTH - 1) / VEC_WIDTH;
        a.diff_dst_t = p->diff_dst_t + k0;
        int64_t c = c0, t = 0;
        float *out = p->diff_weights + k0 * a.out_k_stride + c0 * p->taps;
        for (int64_t b = 0; b < blocks; b++) {
            const int count = (int)(base_size + (b < larger_blocks));
            for (int j = 0; j < count; j++) {
                a.src[j] = p->padded + c * p->layout.plane_stride + p->tap_offsets[t];
                if (++t == p->taps) t = 0, c++;
            }
            a.out = out;
            kvec_kernels[kv - 1][count - 1](&a);
            out += count;
        }
    }
}

/* diff_dst as [n][oh][ow][k], k zero-padded to k_pitch. */
static void transpose_diff_dst(const kb_conv2d_shape *s, const float *diff_dst, int64_t k_pitch,
                               float *t, int threads) {
    const int64_t plane = s->out_height * s->out_width;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t pixel = 0; pixel < s->batch * plane; pixel++) {
        const int64_t n = pixel / plane, i = pixel % plane;
        float *to = t + pixel * k_pitch;
        const float *from = diff_dst + n * s->out_channels * plane + i;
        for (int64_t k = 0; k < s->out_channels; k++) to[k] = from[k * plane];
        for (int64_t k = s->out_channels; k < k_pitch; k++) to[k] = 0.0f;
    }
}

/* Channel vectors pay off where pixel vectors waste lanes or reduce too
 * little per horizontal sum: small planes (7x7, 14x14 outputs). */
static bool use_channel_vectors(const kb_conv2d_shape *s) {
    return s->out_height * s->out_width <= SMALL_PLANE_PIXELS;
}

/* diff_bias[k]: sum of diff_dst plane k over images; the pitched planes are
 * whole vectors, their zero tails add nothing. */
static void bias_pass(const bwd_weights_plan *p, float *diff_bias, int threads) {
    const kb_conv2d_shape *s = p->shape;
    const int64_t plane = s->out_height * p->pitch;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t k = 0; k < s->out_channels; k++) {
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                         _mm256_setzero_ps()};
        for (int64_t n = 0; n < s->batch; n++) {
            const float *d = p->diff_dst + (n * s->out_channels + k) * plane;
            for (int64_t i = 0; i < plane; i += VEC_WIDTH)
                acc[i / VEC_WIDTH % 4] = _mm256_add_ps(acc[i / VEC_WIDTH % 4], _mm256_loadu_ps(d + i));
        }
        diff_bias[k] = horizontal_sum(
            _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    }
}

/* Workspace: padded src, pitched diff_dst copy (when needed), tap offsets. */
/* Workspace: padded src, pitched diff_dst copy (when needed), transposed
 * diff_dst (small planes), tap offsets. */
typedef struct workspace_map {
    size_t padded_bytes, diff_dst_bytes, transposed_bytes, tap_bytes, total;
} workspace_map;

static void map_workspace(const kb_conv2d_shape *s, const kb_padded_input_layout *layout,
                          workspace_map *w) {
    const int64_t pitch = (s->out_width + VEC_WIDTH - 1) / VEC_WIDTH * VEC_WIDTH;
    const int64_t k_pitch = (s->out_channels + VEC_WIDTH - 1) / VEC_WIDTH * VEC_WIDTH;
    w->padded_bytes = kb_align_up(kb_padded_input_bytes(layout));
    w->diff_dst_bytes =
        pitch == s->out_width
            ? 0
            : kb_align_up((size_t)(s->batch * s->out_channels * s->out_height * pitch) *
                          sizeof(float));
    w->transposed_bytes =
        use_channel_vectors(s)
            ? kb_align_up((size_t)(s->batch * s->out_height * s->out_width * k_pitch) *
                          sizeof(float))
            : 0;
    w->tap_bytes = kb_align_up((size_t)(s->kernel_h * s->kernel_w) * sizeof(ptrdiff_t));
    w->total = w->padded_bytes + w->diff_dst_bytes + w->transposed_bytes + w->tap_bytes;
}

static size_t bwd_weights_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    (void)ctx;
    kb_padded_input_layout layout;
    kb_padded_input_layout_init(&problem->conv2d, VEC_WIDTH, &layout);
    workspace_map w;
    map_workspace(&problem->conv2d, &layout, &w);
    return w.total;
}

kb_status kb_conv2d_bwd_weights__avx2(const kb_problem *problem, const kb_args *args,
                                      const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_BWD_WEIGHTS);
    assert(ctx && ctx->threads >= 1 && workspace);
    const kb_conv2d_shape *s = &problem->conv2d;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *diff_bias = args->tensor[KB_ARG_DIFF_BIAS];
    bwd_weights_plan p = {
        .shape = s,
        .diff_weights = args->tensor[KB_ARG_DIFF_WEIGHTS],
        .taps = s->kernel_h * s->kernel_w,
        .pitch = (s->out_width + VEC_WIDTH - 1) / VEC_WIDTH * VEC_WIDTH,
    };
    assert(src && diff_dst && diff_bias && p.diff_weights);

    kb_padded_input_layout_init(s, VEC_WIDTH, &p.layout);
    workspace_map w;
    map_workspace(s, &p.layout, &w);
    char *ws = workspace;
    float *padded = (float *)ws;
    ptrdiff_t *tap_offsets =
        (ptrdiff_t *)(ws + w.padded_bytes + w.diff_dst_bytes + w.transposed_bytes);
    /* Tap (r, q) reads padded row r * (dh + 1) below the output row's first
     * one, in phase sub-row t % stride_w at index t / stride_w, t = q * (dw + 1). */
    for (int64_t r = 0; r < s->kernel_h; r++)
        for (int64_t q = 0; q < s->kernel_w; q++) {
            const int64_t col = q * (s->dilation_w + 1);
            tap_offsets[r * s->kernel_w + q] = r * (s->dilation_h + 1) * p.layout.row_stride +
                                               col % s->stride_w * p.layout.phase_len +
                                               col / s->stride_w;
        }
    p.tap_offsets = tap_offsets;
    /* Enough input channels per task for about 8 column blocks, which reuse
     * the band of diff_dst from L1. */
    p.group_channels = (8 * MAX_COLS + p.taps - 1) / p.taps;

    kb_padded_input_pack(s, &p.layout, src, padded, ctx->threads);
    p.padded = padded;
    if (p.pitch == s->out_width) {
        p.diff_dst = diff_dst;
    } else {
        float *pitched = (float *)(ws + w.padded_bytes);
        kb_pitched_rows_copy(diff_dst, s->batch * s->out_channels * s->out_height, s->out_width,
                             p.pitch, pitched, ctx->threads);
        p.diff_dst = pitched;
    }

    bias_pass(&p, diff_bias, ctx->threads);
    const bool channel_vectors = use_channel_vectors(s);
    if (channel_vectors) {
        float *transposed = (float *)(ws + w.padded_bytes + w.diff_dst_bytes);
        p.k_pitch = (s->out_channels + VEC_WIDTH - 1) / VEC_WIDTH * VEC_WIDTH;
        transpose_diff_dst(s, diff_dst, p.k_pitch, transposed, ctx->threads);
        p.diff_dst_t = transposed;
    }

    const int64_t k_groups = (s->out_channels + K_GROUP - 1) / K_GROUP;
    const int64_t c_groups = (s->in_channels + p.group_channels - 1) / p.group_channels;
    const int64_t tasks = k_groups * c_groups;
    /* Consecutive tasks share a group of output channels, so its diff_dst
     * stays in cache while the input channels stream by. Tasks cost about
     * the same (the last groups may be smaller): static ranges. */
#pragma omp parallel for num_threads(ctx->threads) schedule(static)
    for (int64_t task = 0; task < tasks; task++) {
        const int64_t k0 = task / c_groups * K_GROUP, c0 = task % c_groups * p.group_channels;
        const int64_t k1 = k0 + K_GROUP < s->out_channels ? k0 + K_GROUP : s->out_channels;
        const int64_t c1 = c0 + p.group_channels < s->in_channels ? c0 + p.group_channels
                                                                  : s->in_channels;
        if (channel_vectors)
            run_task_kvec(&p, k0, k1, c0, c1);
        else
            run_task(&p, k0, k1, c0, c1);
    }
    return KB_OK;
}

const kb_variant kb_conv2d_bwd_weights__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_BWD_WEIGHTS,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2+FMA direct dot products, 4 oc x 3 taps register blocks, padded src",
    .workspace_bytes = bwd_weights_workspace_bytes,
    .run = kb_conv2d_bwd_weights__avx2,
};
