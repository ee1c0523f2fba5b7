/* conv2d forward, AVX2 + FMA direct convolution (intrinsics).
 *
 * Algorithm: run() first copies the input into the zero-padded, column-phase
 * split layout of padded_input.h (timed, parallel), so the input of 8
 * consecutive output columns for any kernel tap is one contiguous unaligned
 * load, for any stride, padding and dilation. The output is then computed in
 * register blocks of up to 4 output channels x 3 vectors of 8 output columns
 * (12 ymm accumulators): per (input channel, tap) the block loads its input
 * vectors once, broadcasts one OIHW weight per output channel and issues
 * 4 x 3 FMAs. Input channels are processed in chunks so one chunk of weights
 * stays in L1 and one band of input rows stays in L2; the accumulators start
 * from the bias on the first chunk and from the partial output after it.
 * Vectors of a block may come from different output rows, so narrow outputs
 * (7x7) still fill the accumulators. Output tails are masked stores; the
 * lanes past the output width compute on the layout's zero slack.
 *
 * Limits: any size, stride, padding, dilation. Weights are read in place
 * (OIHW, broadcast from memory), nothing is prepared. Parallel over
 * (image, band of output rows, group of output channels) with ctx->threads
 * OpenMP threads. ISA: AVX2 + FMA3 (file compiled with -mavx2 -mfma). */
#include <assert.h>
#include <immintrin.h>
#include <stddef.h>

#include "conv2d/padded_input.h"
#include "core/buffer.h"
#include "kernbench/variant.h"

enum {
    VEC_WIDTH = 8,   /* floats per ymm */
    MAX_OC = 4,      /* output channels per register block */
    MAX_VECTORS = 3, /* output vectors per register block */
};

/* Cache budgets that size the input-channel chunk and the row bands. */
#define WEIGHT_CHUNK_BYTES (16 * 1024)  /* one block's weights of one chunk: L1 */
#define INPUT_BAND_BYTES (384 * 1024)   /* one band's input of one chunk: L2 */

/* Everything a task needs, computed once per run. */
typedef struct conv_plan {
    const kb_conv2d_shape *shape;
    kb_padded_input_layout layout;
    const float *padded;
    const float *weights;
    const float *bias;
    float *dst;
    const ptrdiff_t *tap_offsets; /* per (r, q): offset of the tap in a padded plane */
    int64_t taps;                 /* kernel_h * kernel_w */
    int64_t vectors_per_row;      /* ceil(out_width / 8) */
    int64_t chunk_channels;       /* input channels per chunk */
    int64_t band_rows, bands;     /* output rows per task, and how many bands */
    int64_t oc_group, oc_groups;  /* output channels per task, and how many groups */
} conv_plan;

/* One register block: up to MAX_OC output channels x MAX_VECTORS vectors. */
typedef struct block_args {
    const float *in[MAX_VECTORS]; /* padded input at (first channel of chunk, row, column) */
    float *out[MAX_VECTORS];      /* output of the block's first channel */
    int lanes[MAX_VECTORS];       /* valid output columns of each vector, 1..8 */
    const ptrdiff_t *tap_offsets;
    int64_t taps;
    int64_t channels;             /* input channels of this chunk */
    ptrdiff_t plane_stride;       /* floats between input channels in the padded copy */
    const float *weights;         /* weight (k0, c0, 0, 0) */
    int64_t weight_oc_stride;     /* floats between output channels: C * KH * KW */
    ptrdiff_t out_oc_stride;      /* floats between output channels: P * Q */
    const float *bias;            /* bias + k0 on the first chunk, else NULL: accumulate */
} block_args;

static inline __m256i lane_mask(int lanes) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* The micro-kernel. M and N are compile-time constants at every call site.
 * The loops over them carry an explicit unroll pragma: without it GCC 12
 * unrolls them too late to promote acc[][] to registers and spills every
 * accumulator to the stack on every FMA (measured 25-40% slower). */
#define UNROLL _Pragma("GCC unroll 4")
static inline __attribute__((always_inline)) void block_kernel(const int M, const int N,
                                                               const block_args *a) {
    __m256 acc[MAX_OC][MAX_VECTORS];
    UNROLL for (int m = 0; m < M; m++)
        UNROLL for (int v = 0; v < N; v++) {
            if (a->bias) {
                acc[m][v] = _mm256_set1_ps(a->bias[m]);
            } else {
                const float *out = a->out[v] + m * a->out_oc_stride;
                acc[m][v] = a->lanes[v] == VEC_WIDTH ? _mm256_loadu_ps(out)
                                                     : _mm256_maskload_ps(out, lane_mask(a->lanes[v]));
            }
        }

    const float *in[MAX_VECTORS];
    UNROLL for (int v = 0; v < N; v++) in[v] = a->in[v];
    const float *w = a->weights;
    const int64_t taps = a->taps;
    for (int64_t c = 0; c < a->channels; c++) {
        for (int64_t t = 0; t < taps; t++) {
            const ptrdiff_t offset = a->tap_offsets[t];
            __m256 x[MAX_VECTORS];
            UNROLL for (int v = 0; v < N; v++) x[v] = _mm256_loadu_ps(in[v] + offset);
            UNROLL for (int m = 0; m < M; m++) {
                const __m256 wm = _mm256_broadcast_ss(w + m * a->weight_oc_stride + t);
                UNROLL for (int v = 0; v < N; v++) acc[m][v] = _mm256_fmadd_ps(wm, x[v], acc[m][v]);
            }
        }
        UNROLL for (int v = 0; v < N; v++) in[v] += a->plane_stride;
        w += taps;
    }

    UNROLL for (int m = 0; m < M; m++)
        UNROLL for (int v = 0; v < N; v++) {
            float *out = a->out[v] + m * a->out_oc_stride;
            if (a->lanes[v] == VEC_WIDTH)
                _mm256_storeu_ps(out, acc[m][v]);
            else
                _mm256_maskstore_ps(out, lane_mask(a->lanes[v]), acc[m][v]);
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

static void (*const block_kernels[MAX_OC][MAX_VECTORS])(const block_args *) = {
    {block_1x1, block_1x2, block_1x3},
    {block_2x1, block_2x2, block_2x3},
    {block_3x1, block_3x2, block_3x3},
    {block_4x1, block_4x2, block_4x3},
};

/* One task: image n, output rows of `band`, output channels of `oc_group`. */
static void run_task(const conv_plan *p, int64_t n, int64_t band, int64_t oc_group) {
    const kb_conv2d_shape *s = p->shape;
    const int64_t oh_begin = band * p->band_rows;
    const int64_t oh_end = oh_begin + p->band_rows < s->out_height ? oh_begin + p->band_rows
                                                                   : s->out_height;
    const int64_t k_begin = oc_group * p->oc_group;
    const int64_t k_end = k_begin + p->oc_group < s->out_channels ? k_begin + p->oc_group
                                                                   : s->out_channels;
    const int64_t plane_pixels = s->out_height * s->out_width;
    const int64_t channel_taps = s->in_channels * p->taps;

    /* The band's output vectors, row-major, split into as few blocks of at
     * most MAX_VECTORS as possible with sizes differing by at most one: a
     * 7-vector band becomes 3 + 2 + 2, not 3 + 3 + 1. */
    const int64_t vectors = (oh_end - oh_begin) * p->vectors_per_row;
    const int64_t blocks = (vectors + MAX_VECTORS - 1) / MAX_VECTORS;
    const int64_t base_size = vectors / blocks, larger_blocks = vectors % blocks;

    block_args a = {
        .tap_offsets = p->tap_offsets,
        .taps = p->taps,
        .plane_stride = p->layout.plane_stride,
        .weight_oc_stride = channel_taps,
        .out_oc_stride = plane_pixels,
    };
    for (int64_t c0 = 0; c0 < s->in_channels; c0 += p->chunk_channels) {
        a.channels = s->in_channels - c0 < p->chunk_channels ? s->in_channels - c0
                                                             : p->chunk_channels;
        const float *in_chunk = p->padded + (n * s->in_channels + c0) * p->layout.plane_stride;
        for (int64_t k0 = k_begin; k0 < k_end; k0 += MAX_OC) {
            const int oc_count = k_end - k0 < MAX_OC ? (int)(k_end - k0) : MAX_OC;
            a.weights = p->weights + k0 * channel_taps + c0 * p->taps;
            a.bias = c0 == 0 ? p->bias + k0 : NULL;
            float *out_k = p->dst + (n * s->out_channels + k0) * plane_pixels;
            int64_t vector = 0;
            for (int64_t b = 0; b < blocks; b++) {
                const int count = (int)(base_size + (b < larger_blocks));
                for (int v = 0; v < count; v++, vector++) {
                    const int64_t oh = oh_begin + vector / p->vectors_per_row;
                    const int64_t ow = vector % p->vectors_per_row * VEC_WIDTH;
                    a.in[v] = in_chunk + oh * s->stride_h * p->layout.row_stride + ow;
                    a.out[v] = out_k + oh * s->out_width + ow;
                    a.lanes[v] = s->out_width - ow < VEC_WIDTH ? (int)(s->out_width - ow)
                                                               : VEC_WIDTH;
                }
                block_kernels[oc_count - 1][count - 1](&a);
            }
        }
    }
}

/* Sizes the chunks, bands and groups: cache budgets first, then enough tasks
 * for every thread. */
static void plan_blocking(conv_plan *p, int threads) {
    const kb_conv2d_shape *s = p->shape;
    const int64_t weight_bytes_per_channel = MAX_OC * p->taps * (int64_t)sizeof(float);
    p->chunk_channels = WEIGHT_CHUNK_BYTES / weight_bytes_per_channel;
    if (p->chunk_channels < 1) p->chunk_channels = 1;
    if (p->chunk_channels > s->in_channels) p->chunk_channels = s->in_channels;

    /* Input rows one band of output rows reads, per chunk. */
    const int64_t eff_kh = kb_conv2d_effective_kernel(s->kernel_h, s->dilation_h);
    const int64_t row_bytes = p->chunk_channels * p->layout.row_stride * (int64_t)sizeof(float);
    int64_t band_rows = s->out_height;
    while (band_rows > 1 && ((band_rows - 1) * s->stride_h + eff_kh) * row_bytes > INPUT_BAND_BYTES)
        band_rows = (band_rows + 1) / 2;

    /* Below about four tasks per thread, split rows (finer bands), then
     * output channels, keeping output channel groups whole register blocks. */
    int64_t oc_group = s->out_channels;
    const int64_t wanted = 4 * (int64_t)threads;
    for (;;) {
        const int64_t tasks = s->batch * ((s->out_height + band_rows - 1) / band_rows) *
                              ((s->out_channels + oc_group - 1) / oc_group);
        if (tasks >= wanted || threads == 1) break;
        if (oc_group > 4 * MAX_OC)
            oc_group = (oc_group / 2 + MAX_OC - 1) / MAX_OC * MAX_OC;
        else if (band_rows > 1)
            band_rows = (band_rows + 1) / 2;
        else if (oc_group > MAX_OC)
            oc_group = (oc_group / 2 + MAX_OC - 1) / MAX_OC * MAX_OC;
        else
            break;
    }
    p->band_rows = band_rows;
    p->bands = (s->out_height + band_rows - 1) / band_rows;
    p->oc_group = oc_group;
    p->oc_groups = (s->out_channels + oc_group - 1) / oc_group;
}

static size_t avx2_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    (void)ctx;
    const kb_conv2d_shape *s = &problem->conv2d;
    kb_padded_input_layout layout;
    kb_padded_input_layout_init(s, VEC_WIDTH, &layout);
    return kb_align_up(kb_padded_input_bytes(&layout)) +
           (size_t)(s->kernel_h * s->kernel_w) * sizeof(ptrdiff_t);
}

kb_status kb_conv2d_fwd__avx2(const kb_problem *problem, const kb_args *args,
                              const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    assert(problem->kernel == KB_KERNEL_CONV2D && problem->direction == KB_DIR_FWD);
    assert(ctx && ctx->threads >= 1 && workspace);
    const kb_conv2d_shape *s = &problem->conv2d;
    conv_plan p = {
        .shape = s,
        .weights = args->tensor[KB_ARG_WEIGHTS],
        .bias = args->tensor[KB_ARG_BIAS],
        .dst = args->tensor[KB_ARG_DST],
        .taps = s->kernel_h * s->kernel_w,
        .vectors_per_row = (s->out_width + VEC_WIDTH - 1) / VEC_WIDTH,
    };
    const float *src = args->tensor[KB_ARG_SRC];
    assert(src && p.weights && p.bias && p.dst);

    kb_padded_input_layout_init(s, VEC_WIDTH, &p.layout);
    float *padded = workspace;
    ptrdiff_t *tap_offsets =
        (ptrdiff_t *)((char *)workspace + kb_align_up(kb_padded_input_bytes(&p.layout)));
    /* Tap (r, q) reads padded row r * (dh + 1) below the output row's first
     * one, in phase sub-row t % stride_w at index t / stride_w, where t is the
     * tap's padded column offset q * (dw + 1). */
    for (int64_t r = 0; r < s->kernel_h; r++)
        for (int64_t q = 0; q < s->kernel_w; q++) {
            const int64_t col = q * (s->dilation_w + 1);
            tap_offsets[r * s->kernel_w + q] = r * (s->dilation_h + 1) * p.layout.row_stride +
                                               col % s->stride_w * p.layout.phase_len +
                                               col / s->stride_w;
        }
    p.padded = padded;
    p.tap_offsets = tap_offsets;
    plan_blocking(&p, ctx->threads);

    kb_padded_input_pack(s, &p.layout, src, padded, ctx->threads);

    const int64_t tasks = s->batch * p.bands * p.oc_groups;
#pragma omp parallel for num_threads(ctx->threads) schedule(dynamic, 1)
    for (int64_t task = 0; task < tasks; task++) {
        const int64_t oc_group = task % p.oc_groups;
        const int64_t band = task / p.oc_groups % p.bands;
        const int64_t n = task / (p.oc_groups * p.bands);
        run_task(&p, n, band, oc_group);
    }
    return KB_OK;
}

const kb_variant kb_conv2d_fwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_CONV2D,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2+FMA direct convolution, 4 oc x 24 px register blocks, padded input",
    .workspace_bytes = avx2_workspace_bytes,
    .run = kb_conv2d_fwd__avx2,
};
