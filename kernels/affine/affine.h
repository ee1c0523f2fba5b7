/* affine internals shared by its problem code and its variants (internal to
 * kernels/). The layer, row-major float32 (kernbench/problem.h):
 *   fwd  y  (N x M) = x (N x D) * W (D x M) + b (M, broadcast over rows)
 *   bwd  dx (N x D) = dout (N x M) * W^T
 *        dW (D x M) = x^T * dout
 *        db (M)     = column sums of dout
 * with N = batch, D = in_features, M = out_features. Plain C, no ISA flags. */
#ifndef KB_AFFINE_H
#define KB_AFFINE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernbench/problem.h"

/* Start of part `part` of 0 .. total-1 cut into `parts` near-equal contiguous
 * parts, each a whole number of `grain`s except the last (part == parts gives
 * total). A grain of a microkernel's tile keeps every part but the last free
 * of edge tiles; a grain of 16 floats keeps parts on separate cache lines. */
static inline int64_t kb_affine_split(int64_t total, int64_t grain, int64_t part, int64_t parts) {
    const int64_t grains = (total + grain - 1) / grain;
    const int64_t start = (grains / parts * part + grains % parts * part / parts) * grain;
    return start < total ? start : total;
}

/* Multiply-adds below which one more thread costs more than it saves: an
 * OpenMP fork and join (a few microseconds, more on a busy machine) against
 * about 4 microseconds of AVX2 GEMM work. */
#define KB_AFFINE_MIN_PART_MACS ((double)(1 << 17))

/* How many parts (threads) a problem of `macs` multiply-adds is cut into:
 * at most `threads`, at least 1, none smaller than KB_AFFINE_MIN_PART_MACS.
 * The book's 100 x 50 x 10 layer runs on one thread, its 100 x 784 x 50 one
 * on all of them. */
static inline int kb_affine_parts(int threads, double macs) {
    const double fit = macs / KB_AFFINE_MIN_PART_MACS;
    if (fit < 2.0) return 1;
    return fit < (double)threads ? (int)fit : threads;
}

/* How a threaded variant cuts an m x n GEMM output into `parts` blocks of
 * whole rows or whole columns, so that every output element has one writer
 * and each block is one GEMM call. */
typedef struct kb_affine_split_plan {
    bool by_rows;
    int64_t grain; /* rows or columns per grain */
} kb_affine_split_plan;

/* Rows in multiples of `row_tile`, or columns in multiples of `col_tile`
 * (the GEMM's register tile, so only the last part has edge tiles). Rows
 * whenever every part gets at least two row tiles, or when there are at
 * least as many row tiles as column tiles: a part's output is then a
 * contiguous block and each part packs only its own rows of A. Columns for
 * the short, wide cases (the batch-1 GEMV-like layer), where a row split
 * would leave threads idle. */
static inline kb_affine_split_plan kb_affine_plan(int64_t m, int64_t n, int parts, int64_t row_tile,
                                                  int64_t col_tile) {
    const int64_t row_grains = (m + row_tile - 1) / row_tile;
    const int64_t col_grains = (n + col_tile - 1) / col_tile;
    if (row_grains >= 2 * (int64_t)parts || row_grains >= col_grains)
        return (kb_affine_split_plan){true, row_tile};
    return (kb_affine_split_plan){false, col_tile};
}

/* y[i][j] = b[j] for rows [row_begin, row_end), columns [col_begin, col_end):
 * the bias in place before a GEMM with beta = 1 adds x * W to it. */
static inline void kb_affine_broadcast_bias(const kb_affine_shape *s, const float *bias,
                                            int64_t row_begin, int64_t row_end, int64_t col_begin,
                                            int64_t col_end, float *dst) {
    for (int64_t i = row_begin; i < row_end; i++)
        memcpy(dst + i * s->out_features + col_begin, bias + col_begin,
               (size_t)(col_end - col_begin) * sizeof(float));
}

/* db[j] = sum over rows of dout[i][j] for columns [col_begin, col_end), rows
 * added in order. An elementwise update across columns, so it vectorises
 * without -ffast-math and rounds like the naive loop. */
static inline void kb_affine_column_sums(const kb_affine_shape *s, const float *diff_dst,
                                         int64_t col_begin, int64_t col_end,
                                         float *restrict diff_bias) {
    const int64_t m = s->out_features;
    for (int64_t j = col_begin; j < col_end; j++) diff_bias[j] = diff_dst[j];
    for (int64_t i = 1; i < s->batch; i++) {
        const float *restrict row = diff_dst + i * m;
        for (int64_t j = col_begin; j < col_end; j++) diff_bias[j] += row[j];
    }
}

#endif
