/* batchnorm internals shared by its problem code and its variants.
 *
 * Both modes are one three-index view of the NCHW tensor: element (n, f, s)
 * lives at (n * features + f) * inner + s, and feature f has one mean and one
 * variance over its count = batch * inner elements:
 *   spatial      features = C,      inner = H*W (one statistic per channel)
 *   per_feature  features = C*H*W,  inner = 1   (the book: N x D, D = C*H*W)
 * A spatial problem with H = W = 1 is the same view as a per-feature one.
 *
 * Work split (every threaded variant): with inner > 1 ("row path") one work
 * item is one feature, whose batch rows of `inner` contiguous floats are
 * reduced by one thread; with inner == 1 ("column path") one work item is a
 * block of adjacent features, reduced row by row with elementwise vector
 * adds. A thread owns whole features, so the reductions never race and no
 * partial sums cross threads. */
#ifndef KB_BATCHNORM_H
#define KB_BATCHNORM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stream.h"
#include "kernbench/problem.h"
#include "kernbench/status.h"

#define KB_BATCHNORM_DEFAULT_EPSILON 1e-6f /* the book's 10e-7 */
#define KB_BATCHNORM_DEFAULT_MOMENTUM 0.9f

typedef struct kb_bn_geometry {
    int64_t batch;    /* N */
    int64_t features; /* statistics: C (spatial) or C*H*W (per feature) */
    int64_t inner;    /* contiguous elements per (n, f): H*W or 1 */
    int64_t count;    /* elements per statistic: N * inner */
} kb_bn_geometry;

static inline kb_bn_geometry kb_bn_geometry_of(const kb_batchnorm_shape *s) {
    const int64_t hw = s->height * s->width;
    kb_bn_geometry g = {.batch = s->batch};
    g.features = s->spatial ? s->channels : s->channels * hw;
    g.inner = s->spatial ? hw : 1;
    g.count = s->batch * g.inner;
    return g;
}

/* Column path: features per work item. fwd_train reads the block's
 * batch x block floats of x three times (sum, squared deviations, output),
 * bwd reads x and dy twice: the block is sized so that each re-read tensor's
 * part holds KB_BN_BLOCK_BYTES (`tensors` > 0; fwd_infer passes 0), and the
 * later passes read it from L2 and L3 (1 to 2 MiB a thread of a 32 MiB L3).
 * What sets the size is the first pass, which reads `batch` rows of the
 * block from DRAM, each a separate short run: at batch 256, 1 MiB gives
 * 4 KiB runs, which the hardware prefetcher follows. On Zen 3
 * (mb256ic65536), blocks sized for a 512 KiB L2 (2 KiB runs in fwd_train,
 * 1 KiB in bwd) ran at 57-76% of this speed, 2 and 4 MiB no faster. The
 * L2 would not hold such a block anyway when the row stride is a multiple
 * of 64 KiB (as there): the same column of every row maps to one 8-way set.
 * Copying the block contiguous in the first pass, to lift that conflict,
 * measured no faster than reading it again from L3. fwd_infer reads
 * everything once: its blocks only bound the per-feature arrays (mean,
 * scale, shift: KB_BN_MAX_BLOCK floats each, 8 KiB, so the three stay in
 * L1 next to the streamed rows; 4096 measured slower on Zen 4), and rows
 * are read in segments of that width with kb_bn_prefetch_rows. A block is a multiple of 16 (one AVX-512 vector, two AVX2 ones),
 * and the features are split evenly across the threads when there are few
 * of them. */
#define KB_BN_BLOCK_BYTES (1024 * 1024)
#define KB_BN_MAX_BLOCK 2048

/* The column path's software prefetch: the lines at the same columns of
 * `count` rows `stride` floats apart from p, into L2 (locality 1:
 * prefetcht2, which leaves L1 to the per-feature arrays). A block reads
 * one short segment per row and jumps a whole row on; the hardware
 * prefetchers, which follow a stream within a page, start each segment
 * over. Issued by the passes that read from memory (the first pass over a
 * block, and fwd_infer's only pass) when the tensors exceed the caches
 * (kb_bn_from_memory; from L2 the extra instructions cost 5-20%), once per
 * cache line, one row segment (col_sum: four) ahead. Per-feature DRAM case
 * mb256ic65536, Zen 4, min of 3, with KB_BN_MAX_BLOCK 2048: fwd_infer 1.45-1.71x,
 * fwd_train 1.09-1.13x, bwd 1.07-1.21x at 1 and 2 threads. */
static inline void kb_bn_prefetch_rows(const float *p, int64_t stride, int64_t count) {
    for (int64_t r = 0; r < count; r++) __builtin_prefetch(p + r * stride, 0, 1);
}
/* Whether `tensors` tensors of rows x stride floats come from memory:
 * core/stream.h's rule, the one that sends the outputs past the caches
 * (kb_bn_stream_output; the inner loops, which get rows and stride but not
 * the geometry, ask it here). */
static inline bool kb_bn_from_memory(int64_t rows, int64_t stride, int tensors) {
    return kb_stream_output((size_t)tensors * (size_t)rows * (size_t)stride * sizeof(float));
}

static inline int64_t kb_bn_column_block(const kb_bn_geometry *g, int threads, int tensors) {
    int64_t block = tensors > 0 ? KB_BN_BLOCK_BYTES / (int64_t)sizeof(float) / g->batch
                                : KB_BN_MAX_BLOCK;
    block = block / 16 * 16;
    if (block < 16) block = 16;
    if (block > KB_BN_MAX_BLOCK) block = KB_BN_MAX_BLOCK;
    const int64_t share = (g->features + threads - 1) / threads;
    const int64_t share16 = (share + 15) / 16 * 16;
    return share16 < block ? share16 : block;
}

/* Whether the output tensor (written once, never read back by the kernel)
 * bypasses the caches: core/stream.h's rule over the `tensors` batch-sized
 * tensors of the direction (2: x, y; 3: x, dy, dx), so a fwd pass moves
 * 2 |x| instead of 3 |x|. */
static inline bool kb_bn_stream_output(const kb_bn_geometry *g, int tensors) {
    return kb_bn_from_memory(g->batch, g->features * g->inner, tensors);
}

/* r <- m r + (1 - m) batch, for the running mean and the running variance
 * (which takes the biased batch variance, divided by the count, as the book
 * does; PyTorch would use the unbiased one). */
static inline float kb_bn_running(float momentum, float running, float batch) {
    return momentum * running + (1.0f - momentum) * batch;
}

/* The inner loops one ISA provides to the shared driver (driver.c), which
 * owns the work split, the per-feature scalars and the running statistics.
 * Every loop walks `rows` rows `stride` floats apart (the batch).
 *   row_*     one feature of the row path: `len` contiguous floats per row;
 *   col_*     `width` adjacent features of the column path: `width`
 *             contiguous floats per row, one accumulator or coefficient per
 *             feature in the arrays.
 * Sums are plain float sums (any order); squares are taken around the mean
 * the caller passes (the second pass of the two-pass variance). `stream`
 * asks for non-temporal stores of the output (kb_bn_stream_output); a loop
 * may ignore it. */
typedef struct kb_bn_kernels {
    float (*row_sum)(const float *x, int64_t rows, int64_t stride, int64_t len);
    float (*row_sum_squares)(const float *x, int64_t rows, int64_t stride, int64_t len,
                             float mean);
    /* y = (x - mean) a + b */
    void (*row_apply)(const float *x, float *y, int64_t rows, int64_t stride, int64_t len,
                      float mean, float a, float b, bool stream);
    /* *sum_dy = sum dy, *sum_dy_xc = sum dy (x - mean) */
    void (*row_bwd_sums)(const float *x, const float *dy, int64_t rows, int64_t stride,
                         int64_t len, float mean, float *sum_dy, float *sum_dy_xc);
    /* dx = c dy - b - (x - mean) k */
    void (*row_bwd_apply)(const float *x, const float *dy, float *dx, int64_t rows,
                          int64_t stride, int64_t len, float mean, float c, float b, float k,
                          bool stream);

    /* acc[j] = sum over rows of x[j] (acc is overwritten) */
    void (*col_sum)(const float *x, int64_t rows, int64_t stride, int64_t width, float *acc);
    /* acc[j] = sum over rows of (x[j] - mean[j])^2 */
    void (*col_sum_squares)(const float *x, int64_t rows, int64_t stride, int64_t width,
                            const float *mean, float *acc);
    void (*col_apply)(const float *x, float *y, int64_t rows, int64_t stride, int64_t width,
                      const float *mean, const float *a, const float *b, bool stream);
    void (*col_bwd_sums)(const float *x, const float *dy, int64_t rows, int64_t stride,
                         int64_t width, const float *mean, float *sum_dy, float *sum_dy_xc);
    void (*col_bwd_apply)(const float *x, const float *dy, float *dx, int64_t rows,
                          int64_t stride, int64_t width, const float *mean, const float *c,
                          const float *b, const float *k, bool stream);
} kb_bn_kernels;

/* The three directions on top of one ISA's loops, `threads` OpenMP threads,
 * whole features per thread (see the top of this file). */
kb_status kb_bn_fwd_train(const kb_bn_kernels *k, const kb_problem *problem, const kb_args *args,
                          int threads);
kb_status kb_bn_fwd_infer(const kb_bn_kernels *k, const kb_problem *problem, const kb_args *args,
                          int threads);
kb_status kb_bn_bwd(const kb_bn_kernels *k, const kb_problem *problem, const kb_args *args,
                    int threads);

#endif
