/* The row algorithm of the pool2d avx2, avx512 and omp variants, written once
 * over the SIMD_* vector abstraction: a file includes one of simd_avx2.h,
 * simd_avx512.h, simd_scalar.h and then this header, and gets its width.
 *
 * Vectors run across the output width of one output row of one NCHW plane,
 * SIMD_WIDTH outputs at a time. The input columns of one tap for
 * consecutive outputs are a plain load for stride 1, a load pair split into
 * even and odd lanes for stride 2 (two taps per pair), and a gather
 * otherwise. Vertical clipping is a shorter row range; windows hanging over
 * the left or right edge read the row through masked loads (stride 2
 * across: the fill value outside the input; ResNet's 3x3 stride-2 pad-1
 * windows need none on rows where only the left padding column is read:
 * fwd_plain_3s2) or padded copies ("edge rows" in fwd, a padded plane in
 * the scatter form of max bwd), so no output
 * takes a scalar path, except in the gathered max bwd: lanes with a NaN or
 * a -inf maximum at the edge (a tie with the padding) are redone one by
 * one.
 *
 *   fwd       separable (see "forward"): each input row reduced over kw
 *             once into a ring of H rows, each output row reduces kh of
 *             them. max: x86 max keeping the earlier operand on ties, tap
 *             and row order row-major, plus a NaN mask, so the result is
 *             the first maximum bit for bit and a window holding a NaN gives
 *             NaN. avg: the float sum times a reciprocal of the divisor (the
 *             taps inside, per column, or kh*kw). When the window is wider
 *             than the output row (global pooling), vectors run along the
 *             window instead and are summed across lanes at the end; 2x2
 *             stride-2 windows without padding skip the ring and reduce both
 *             input rows of a chunk at once (fwd_rows_2x2);
 *   bwd max   2-wide stride-2 windows tiling the input (2x2 s2): diff_src
 *             rows written once from routing masks; other windows at stride
 *             2 across (3x3 s2 p1): gathered, each output's first-maximum
 *             tap number per lane (an ordered greater-than per tap, exact
 *             without NaN), then each diff_src row written once as
 *             the sum of the gradients routed to it, in naive's order;
 *             otherwise the first maximum's plane offset per lane
 *             (kb_pool_max_replaces as compare-and-blend), its gradient
 *             added to a zeroed diff_src plane with scalar adds, outputs in
 *             row-major order;
 *   bwd avg   stride 1 across: gathered, each diff_src row the sum of the
 *             shares covering it, written once; otherwise per output row:
 *             shares diff_dst / divisor, spread along one padded row buffer
 *             (each share over its kw taps), then added to the kh input
 *             rows the windows cover, in a zeroed plane that stays in cache.
 * Outputs larger than the L3 together with the inputs are written with
 * non-temporal stores where whole rows are written with whole aligned
 * vectors: fwd rows whose width is a multiple of the vector, and the tiled
 * bwd path. Not where a row ends in a partial vector (a plain store into a
 * line being written non-temporally stalls both: AVX-512 2x2 stride-2
 * forward of 56-wide rows, Zen 4, 3.4-3.9x slower streamed), nor in the
 * gathered bwd paths (measured on Zen 4, DRAM: 3x3 stride-2 max 1.5x faster
 * with AVX-512 and the same with AVX2 without them; avg 3x3 stride 1 2.2x
 * faster at 2 threads and the same at 1).
 *
 * Threads: forward over (plane, band of output rows) items (whole planes
 * when there are enough), backward over planes (overlapping windows of one
 * plane write the same inputs), static schedule, ctx->threads OpenMP
 * threads; per-thread buffers in the workspace. Max bwd keeps plane offsets
 * in int32 lanes: planes up to 2^31 - 1 elements. */
#ifndef KB_POOL2D_ROWS_H
#define KB_POOL2D_ROWS_H

#ifndef SIMD_WIDTH
#error "include pool2d/simd_avx2.h, simd_avx512.h or simd_scalar.h first"
#endif

#include <assert.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>

#include "core/stream.h"
#include "kernbench/variant.h"
#include "pool2d/pool2d.h"

#define ROWS_INLINE static inline __attribute__((always_inline))

/* n (1..SIMD_WIDTH) lanes p[0], p[stride], p[2 stride], ...; `readable` is
 * how many floats from p on belong to the row, so the stride-2 full loads
 * stay inside it. Stride is a constant where it matters (see callers). */
ROWS_INLINE simd_vec load_strided(const float *p, int64_t stride, int n, int64_t readable) {
    if (stride == 1) return n == SIMD_WIDTH ? SIMD_LOAD(p) : SIMD_LOADN(p, n);
    if (stride == 2) {
        if (n == SIMD_WIDTH && readable >= 2 * SIMD_WIDTH)
            return SIMD_EVENS(SIMD_LOAD(p), SIMD_LOAD(p + SIMD_WIDTH));
        const int lanes = 2 * n - 1; /* p[0] .. p[2n - 2] */
        const simd_vec lo = lanes >= SIMD_WIDTH ? SIMD_LOAD(p) : SIMD_LOADN(p, lanes);
        const simd_vec hi =
            lanes > SIMD_WIDTH ? SIMD_LOADN(p + SIMD_WIDTH, lanes - SIMD_WIDTH) : SIMD_ZERO();
        return SIMD_EVENS(lo, hi);
    }
    return SIMD_GATHERN(p, stride, n);
}

/* --- padded rows ------------------------------------------------------------- */

/* Where an output row has windows hanging over the left or right edge, the
 * max backward first copies the plane into a per-thread padded plane (input
 * column c at index c + pad_left, -inf around it), once per plane, and every
 * output runs the vector path on it; without such windows it reads src in
 * place. (The forward pads only the edges of each row: "edge rows".) -inf never wins a max over an input (ties keep the earlier tap, and
 * an all-padding window is -inf, the policy), 0 adds nothing to a sum, and
 * the avg divisor counts the taps inside the input per column. */
static inline bool needs_padding(const kb_pool2d_shape *s) {
    int64_t ow_first, ow_end;
    kb_pool_interior(s->out_width, s->in_width, s->kernel_w, s->stride_w, s->pad_left, &ow_first,
                     &ow_end);
    return ow_first > 0 || ow_end < s->out_width;
}

/* Floats of one padded row: every window and the input, plus two vectors of
 * slack so stride-2 loads of the last chunk may read whole vectors. */
static inline int64_t padded_row_floats(const kb_pool2d_shape *s) {
    const int64_t windows = (s->out_width - 1) * s->stride_w + s->kernel_w;
    const int64_t input = s->pad_left + s->in_width;
    return ((windows > input ? windows : input) + 2 * SIMD_WIDTH + 15) / 16 * 16;
}

/* Fills the in_height rows of a padded plane with `fill` (the copies only
 * overwrite the input columns), once per thread and run. */
static inline void fill_padded_rows(const kb_pool2d_shape *s, float *rows, float fill) {
    const int64_t n = s->in_height * padded_row_floats(s);
    for (int64_t i = 0; i < n; i++) rows[i] = fill;
}

/* Copies input rows [h0, h1) of `plane` into padded rows (row h0 first):
 * each input row once per plane, not once per output row that reads it. */
static inline void copy_padded_rows(const kb_pool2d_shape *s, const float *plane, int64_t h0,
                                    int64_t h1, float *rows) {
    const int64_t stride = padded_row_floats(s);
    for (int64_t ih = h0; ih < h1; ih++)
        memcpy(rows + (ih - h0) * stride + s->pad_left, plane + ih * s->in_width,
               (size_t)s->in_width * sizeof *rows);
}

/* --- forward ----------------------------------------------------------------- */

/* Forward is separable: a window's max (or sum) is the max (sum) over its
 * rows of each row's max (sum) over its columns. Each input row of a plane
 * is reduced horizontally once, into a ring of kh row buffers (H rows, one
 * value per output column), and every output row reduces the H rows of its
 * window vertically; with kh > sh the kh output rows that share an input row
 * reuse its H row instead of reloading and re-permuting its taps. Each tap
 * is still visited in row-major order within its row, and rows in order, so:
 *   max: x86 max keeps the earlier operand on ties at both levels, so the
 *        result is the first maximum in row-major order (bit for bit, -0 vs
 *        +0 included); NaN is tracked per lane with unordered compares (two
 *        operands per compare) and gives NaN;
 *   avg: the taps are summed row by row, then the rows (kh*kw - 1 rounded
 *        additions, the bound's count), times a reciprocal of the divisor
 *        computed once per run (one more rounding, allowed by problem.c).
 * Stride-2 taps come from one pair of loads per two taps (even and odd
 * lanes); on AVX2 the lane order of that split is a fixed in-lane
 * permutation (SIMD_DEINTERLEAVE), undone once per output vector
 * (SIMD_RAW_TO_LANES) after all lane-wise reductions. */

/* Floats of one H row: whole vectors over the output width. */
static inline int64_t hrow_floats(const kb_pool2d_shape *s) {
    return ((s->out_width + SIMD_WIDTH - 1) / SIMD_WIDTH * SIMD_WIDTH + 15) / 16 * 16;
}
static inline bool along_window(const kb_pool2d_shape *s) {
    return s->algorithm != KB_POOL_MAX && s->kernel_w > s->out_width;
}
/* Floats from a chunk's first column that its full-vector loads touch. */
static inline int64_t chunk_reach(int64_t stride_w, int64_t kernel_w) {
    if (stride_w == 2) return ((kernel_w - 1) & ~(int64_t)1) + 2 * SIMD_WIDTH;
    return kernel_w - 1 + (SIMD_WIDTH - 1) * stride_w + 1;
}

/* The horizontal pass reads chunk k (outputs k W .. k W + W - 1, W =
 * SIMD_WIDTH) from input columns k W sw - pad_left on, chunk_reach floats.
 * Chunks [lo, hi) read only input columns and take them in place; the
 * chunks before and after read padded copies of just the row's edges
 * ("edge rows": the columns they reach, the fill value outside the input),
 * so no chunk needs a bounds check, and each row copies about two chunks'
 * reach instead of the whole row; at stride 2 across they read the row
 * through masked loads instead (fwd_edges_masked, and the gathered max
 * backward). Without an interior (lo >= hi) the left edge row takes every
 * chunk. */
typedef struct {
    int64_t chunks, lo, hi;    /* chunk ranges: [0, lo) left, [lo, hi) in place, [hi, chunks) */
    int64_t left, right;       /* floats of each edge row (right: 0 when lo >= hi) */
    int64_t right_col;         /* input column of the right edge row's index 0 */
    bool plain_3s2;            /* every chunk from plain loads (fwd_plain_3s2) */
} fwd_edges;

/* Windows 3 wide at stride 2 with one padding column on the left (ResNet's
 * 3x3 stride-2 pad-1 max pool) on rows at least two vectors wide whose last
 * window ends inside the row: the forward and the gathered max backward
 * take every chunk with plain loads (taps_3s2). The masked loads of the
 * edge chunks build their masks per load, and a 56-wide row at 16 lanes has
 * no other chunk (3x3 stride-2 max from L2, 1 thread, Zen 4: see
 * fwd_hchunk_3s2). */
static inline bool fwd_plain_3s2(const kb_pool2d_shape *s) {
    return s->stride_w == 2 && s->kernel_w == 3 && s->pad_left == 1 && s->out_width >= SIMD_WIDTH &&
           s->in_width >= 2 * SIMD_WIDTH && 2 * s->out_width <= s->in_width;
}

/* The first output a fwd_plain_3s2 chunk at output `ow` is computed from:
 * ow itself, except the row's last chunk when the row ends in a partial
 * vector, which is taken as the row's last SIMD_WIDTH outputs (windows
 * inside the row) and moved down to ow by SIMD_LANES_FROM(v, ow - from).
 * The chunk is stored at ow either way: a load of the H row or tap row
 * that spanned two overlapping stores would not be forwarded from them and
 * would wait for both to retire (an overlapping last store made the
 * forward 1.3x slower). */
static inline int64_t plain_3s2_from(int64_t ow, int64_t out_width) {
    return ow + SIMD_WIDTH > out_width ? out_width - SIMD_WIDTH : ow;
}

static inline fwd_edges fwd_edges_of(const kb_pool2d_shape *s) {
    fwd_edges e;
    const int64_t step = SIMD_WIDTH * s->stride_w, reach = chunk_reach(s->stride_w, s->kernel_w);
    e.chunks = (s->out_width + SIMD_WIDTH - 1) / SIMD_WIDTH;
    e.lo = (s->pad_left + step - 1) / step; /* first column >= 0 */
    const int64_t room = s->in_width + s->pad_left - reach;
    e.hi = room < 0 ? 0 : room / step + 1; /* last column read < in_width */
    if (e.hi > s->out_width / SIMD_WIDTH) e.hi = s->out_width / SIMD_WIDTH; /* whole chunks */
    if (e.lo > e.chunks) e.lo = e.chunks;
    if (e.hi <= e.lo) e.lo = e.hi = e.chunks;
    e.left = e.lo * step + reach;
    e.right = e.hi < e.chunks ? (e.chunks - e.hi) * step + reach : 0;
    e.right_col = e.hi * step - s->pad_left;
    e.plain_3s2 = fwd_plain_3s2(s);
    return e;
}

/* Stride 2 across reads the edge chunks through masked loads (the fill
 * value outside the input) instead of edge rows: no copy per input row
 * (3x3 stride-2 pad-1 max from L2, 1 thread, Zen 4: 29.0 -> 26.9 us). */
static inline bool fwd_edges_masked(int64_t stride_w) {
    return stride_w == 2;
}

/* Per-thread floats of the forward pass: the ring of kh H rows, for avg the
 * reciprocal divisors (kh rows: one per count of rows inside), and the two
 * edge rows (none when fwd_edges_masked). Global averages (along_window)
 * need none. */
static inline size_t fwd_thread_floats(const kb_pool2d_shape *s) {
    if (along_window(s)) return 0;
    const fwd_edges e = fwd_edges_of(s);
    const int64_t ring = s->kernel_h * hrow_floats(s);
    const int64_t inv = s->algorithm == KB_POOL_MAX ? 0 : s->kernel_h * hrow_floats(s);
    const int64_t edges =
        fwd_edges_masked(s->stride_w) ? 0 : (e.left + 15) / 16 * 16 + (e.right + 15) / 16 * 16;
    return (size_t)(ring + inv + edges);
}

/* Copies input columns [col, col + len) of `row` into `edge`, the ones
 * inside the input only: the rest keep the fill value written once per run.
 * Whole vectors, the last one overlapping the one before, instead of a
 * memcpy call: the copies are a few vectors per row, where the call and its
 * size dispatch cost more than the copy (8 floats of each row of a 28-wide
 * 2x2 stride-2 max from L2: memcpy took about a tenth of the time). */
ROWS_INLINE void fwd_copy_edge(const float *row, int64_t in_width, int64_t col, int64_t len,
                               float *edge) {
    const int64_t first = col < 0 ? 0 : col, end = col + len < in_width ? col + len : in_width;
    const int64_t n = end - first;
    const float *p = row + first;
    float *d = edge + (first - col);
    if (n < SIMD_WIDTH) {
        for (int64_t i = 0; i < n; i++) d[i] = p[i];
        return;
    }
    for (int64_t i = 0; i + SIMD_WIDTH < n; i += SIMD_WIDTH) SIMD_STORE(d + i, SIMD_LOAD(p + i));
    SIMD_STORE(d + n - SIMD_WIDTH, SIMD_LOAD(p + n - SIMD_WIDTH));
}

/* The horizontal pass prefetches the input this many floats (6 KiB) ahead
 * of the chunk it reduces. Each input row is read once, in order, and the
 * hardware prefetcher alone keeps too few lines in flight for one core to
 * reach the triad bandwidth (2x2 stride-2 max from DRAM, 1 thread: about 9-10
 * -> 12-13 GB/s; 4 and 8 KiB ahead measured about the same, 2 KiB less). A
 * prefetch past the end of the tensor is harmless: it never faults. */
#define FWD_PREFETCH_FLOATS 1536

/* One H vector: the max (sum) over taps q of p[i * stride_w + q] for the
 * SIMD_WIDTH outputs i of a chunk; its chunk_reach floats are readable. */
ROWS_INLINE simd_vec fwd_hchunk_at(const float *p, int64_t col, int64_t in_width, bool edge,
                                   bool max, int64_t stride_w, int64_t kernel_w) {
    simd_vec acc = SIMD_ZERO();
    simd_mask nan = SIMD_ISNAN(acc);
    if (stride_w == 2) {
        const float fill = max ? -INFINITY : 0.0f;
        for (int64_t q = 0; q < kernel_w; q += 2) {
            simd_vec even, odd;
            if (edge)
                SIMD_DEINTERLEAVE(SIMD_LOAD_WITHIN(p, col + q, in_width, fill),
                                  SIMD_LOAD_WITHIN(p, col + q + SIMD_WIDTH, in_width, fill), &even,
                                  &odd);
            else
                SIMD_DEINTERLEAVE(SIMD_LOAD(p + q), SIMD_LOAD(p + q + SIMD_WIDTH), &even, &odd);
            const bool pair = q + 1 < kernel_w;
            if (max) {
                acc = q == 0 ? even : SIMD_MAX(even, acc);
                if (pair) acc = SIMD_MAX(odd, acc);
                nan = SIMD_MASK_OR(nan, SIMD_UNORD(even, pair ? odd : even));
            } else {
                acc = q == 0 ? even : SIMD_ADD(acc, even);
                if (pair) acc = SIMD_ADD(acc, odd);
            }
        }
    } else {
        acc = load_strided(p, stride_w, SIMD_WIDTH, 2 * SIMD_WIDTH);
        simd_vec prev = acc; /* a NaN in the first tap stays in acc; later ones in pairs */
        for (int64_t q = 1; q < kernel_w; q++) {
            const simd_vec x = load_strided(p + q, stride_w, SIMD_WIDTH, 2 * SIMD_WIDTH);
            if (max) {
                acc = SIMD_MAX(x, acc);
                if (q % 2 == 0) nan = SIMD_MASK_OR(nan, SIMD_UNORD(prev, x));
                prev = x;
            } else {
                acc = SIMD_ADD(acc, x);
            }
        }
        if (max && kernel_w % 2 == 0) nan = SIMD_MASK_OR(nan, SIMD_ISNAN(prev));
    }
    return max ? SIMD_SELECT(nan, acc, SIMD_NAN()) : acc;
}
ROWS_INLINE simd_vec fwd_hchunk(const float *p, bool max, int64_t stride_w, int64_t kernel_w) {
    return fwd_hchunk_at(p, 0, 0, false, max, stride_w, kernel_w);
}

/* Taps 0, 1 and 2 (columns 2j - 1, 2j, 2j + 1) of outputs j0 .. j0 + W - 1
 * of a fwd_plain_3s2 row, in SIMD_DEINTERLEAVE order, from plain loads: the
 * even and odd lanes of the pair loaded from column 2 j0 - 1, and the odd
 * lanes of the pair one column on, which ends at column 2j + 1 (the
 * even-lane pair two columns on would read one column past a last window
 * that ends the row). Chunk 0 loads from column 0 instead: taps 1 and 2 are
 * its even and odd lanes, tap 0 the odd lanes moved up one lane, `fill` (the
 * padding) into lane 0. */
ROWS_INLINE void taps_3s2(const float *row, int64_t j0, float fill, simd_vec *t0, simd_vec *t1,
                          simd_vec *t2) {
    if (j0 == 0) {
        SIMD_DEINTERLEAVE(SIMD_LOAD(row), SIMD_LOAD(row + SIMD_WIDTH), t1, t2);
        *t0 = SIMD_RAW_SHIFT_UP1(*t2, fill);
    } else {
        const float *p = row + 2 * j0 - 1;
        simd_vec unused;
        SIMD_DEINTERLEAVE(SIMD_LOAD(p), SIMD_LOAD(p + SIMD_WIDTH), t0, t1);
        SIMD_DEINTERLEAVE(SIMD_LOAD(p + 1), SIMD_LOAD(p + 1 + SIMD_WIDTH), &unused, t2);
        (void)unused;
    }
}

/* One H vector of a fwd_plain_3s2 row (outputs j0 .. j0 + W - 1, lane
 * order), the taps reduced in fwd_hchunk_at's order: bit for bit its
 * result. 3x3 stride-2 max from L2 (mb1ic32ih56), 1 thread, Zen 4, with the
 * aligned H stores of fwd_hrow: AVX-512 27.4 -> 16.9 us, AVX2 27.1 -> 22.1
 * (min of 1000 calls); from DRAM (mb32ic64ih112), AVX2 6.2 -> 5.0 ms (min of
 * 20). */
ROWS_INLINE simd_vec fwd_hchunk_3s2(const float *row, int64_t j0, bool max) {
    simd_vec t0, t1, t2;
    taps_3s2(row, j0, max ? -INFINITY : 0.0f, &t0, &t1, &t2);
    if (!max) return SIMD_RAW_TO_LANES(SIMD_ADD(SIMD_ADD(t0, t1), t2));
    const simd_vec acc = SIMD_MAX(t2, SIMD_MAX(t1, t0));
    const simd_mask nan = SIMD_MASK_OR(SIMD_UNORD(t0, t1), SIMD_ISNAN(t2));
    return SIMD_RAW_TO_LANES(SIMD_SELECT(nan, acc, SIMD_NAN()));
}

/* H row of input row `row`: h[ow] = max (sum) over taps q of input column
 * ow * stride_w - pad_left + q, whole vectors (lanes past the output width
 * are unused); chunks outside [e->lo, e->hi) from the edge rows, which this
 * fills. Stride 2 stores the SIMD_DEINTERLEAVE lane order. */
ROWS_INLINE void fwd_hrow(const kb_pool2d_shape *s, const fwd_edges *e, const float *row,
                          float *left, float *right, float *h, bool max, int64_t stride_w,
                          int64_t kernel_w) {
    const int64_t step = SIMD_WIDTH * stride_w, in_width = s->in_width;
    /* stride_w and kernel_w are the caller's constants: other shapes drop this. */
    if (stride_w == 2 && kernel_w == 3 && e->plain_3s2) {
        /* The last chunk (plain_3s2_from) peeled: the test per chunk in the
         * loop made the forward 1.08-1.10x slower (mb1ic32ih56, Zen 4). */
        const int64_t out_width = s->out_width, last = (out_width - 1) / SIMD_WIDTH * SIMD_WIDTH;
        for (int64_t j0 = 0; j0 < last; j0 += SIMD_WIDTH) {
            __builtin_prefetch(row + 2 * j0 + FWD_PREFETCH_FLOATS);
            SIMD_STORE(h + j0, fwd_hchunk_3s2(row, j0, max));
        }
        const int64_t from = out_width - SIMD_WIDTH; /* = plain_3s2_from(last, out_width) */
        SIMD_STORE(h + last, SIMD_LANES_FROM(fwd_hchunk_3s2(row, from, max), last - from));
        return;
    }
    /* The edge rows are written first and read after the interior: by then
     * their stores have left the store queue, so the unaligned loads that
     * straddle two of them need no store forwarding (which would stall). */
    const bool masked = fwd_edges_masked(stride_w); /* stride_w: the caller's constant */
    if (e->lo > 0 && !masked) fwd_copy_edge(row, in_width, -s->pad_left, e->left, left);
    if (e->hi < e->chunks && !masked) fwd_copy_edge(row, in_width, e->right_col, e->right, right);
    const float *in = row + e->lo * step - s->pad_left;
    for (int64_t k = e->lo; k < e->hi; k++, in += step) {
        __builtin_prefetch(in + FWD_PREFETCH_FLOATS);
        SIMD_STORE(h + k * SIMD_WIDTH, fwd_hchunk(in, max, stride_w, kernel_w));
    }
    if (masked) {
        for (int64_t k = 0; k < e->chunks; k++) {
            if (k == e->lo) k = e->hi;
            if (k >= e->chunks) break;
            SIMD_STORE(h + k * SIMD_WIDTH, fwd_hchunk_at(row, k * step - s->pad_left, in_width,
                                                         true, max, stride_w, kernel_w));
        }
        return;
    }
    for (int64_t k = 0; k < e->lo; k++)
        SIMD_STORE(h + k * SIMD_WIDTH, fwd_hchunk(left + k * step, max, stride_w, kernel_w));
    for (int64_t k = e->hi; k < e->chunks; k++)
        SIMD_STORE(h + k * SIMD_WIDTH,
                   fwd_hchunk(right + (k - e->hi) * step, max, stride_w, kernel_w));
}

/* Output row from `rows` H rows of the ring of kernel_h rows `hf` floats
 * apart, starting at slot `slot0` and wrapping; `inv` the reciprocal
 * divisors for that many rows (avg). `raw`: the H rows hold the stride-2
 * lane order. `stream`: non-temporal stores (`out` vector-aligned). `spill`:
 * the SIMD_WIDTH floats after the row lie in later output rows of this
 * call, so a partial last vector is stored whole and its extra lanes are
 * overwritten then: a masked store (vmaskmovps) costs several plain ones on
 * AMD cores (about a tenth of a 28-wide 2x2 stride-2 max from L2). */
ROWS_INLINE void fwd_vrow(int64_t out_width, const float *ring, int64_t hf, int64_t kernel_h,
                          int64_t slot0, int64_t rows, const float *inv, float *out, bool max,
                          bool raw, bool stream, bool spill) {
    for (int64_t ow = 0; ow < out_width; ow += SIMD_WIDTH) {
        simd_vec acc = SIMD_LOAD(ring + slot0 * hf + ow);
        simd_mask nan = SIMD_ISNAN(SIMD_ZERO());
        int64_t slot = slot0;
        for (int64_t r = 1; r < rows; r++) {
            slot = slot + 1 == kernel_h ? 0 : slot + 1;
            const simd_vec x = SIMD_LOAD(ring + slot * hf + ow);
            if (max) {
                acc = SIMD_MAX(x, acc); /* NaN in x is dropped here, kept in `nan` */
                nan = SIMD_MASK_OR(nan, SIMD_ISNAN(x));
            } else {
                acc = SIMD_ADD(acc, x);
            }
        }
        if (max) acc = SIMD_SELECT(nan, acc, SIMD_NAN());
        if (raw) acc = SIMD_RAW_TO_LANES(acc);
        if (!max) acc = SIMD_MUL(acc, SIMD_LOAD(inv + ow));
        if (out_width - ow < SIMD_WIDTH && spill)
            SIMD_STORE(out + ow, acc);
        else if (out_width - ow < SIMD_WIDTH)
            SIMD_STOREN(out + ow, acc, (int)(out_width - ow));
        else if (stream)
            SIMD_STREAM(out + ow, acc);
        else
            SIMD_STORE(out + ow, acc);
    }
}

/* Whether dst bypasses the caches (core/stream.h's rule over src and dst):
 * non-temporal stores then save the read-for-ownership of its lines (a
 * quarter of the traffic of a 2x2 stride-2 max, a third of a stride-1
 * pool). */
static inline bool fwd_stream(const kb_pool2d_shape *s) {
    const int64_t planes = s->batch * s->channels;
    const int64_t floats = planes * (s->in_height * s->in_width + s->out_height * s->out_width);
    return kb_stream_output((size_t)floats * sizeof(float));
}

/* inv[(r - 1) hf + ow] (hf = hrow_floats): 1 / divisor of output ow's
 * window with r rows inside, r = 1 .. kh, rounded once from double. A window
 * with no column inside sums padding zeros (fwd) or covers no input (bwd);
 * its reciprocal 0 gives the policy's 0. Once per thread and run. */
static inline void fill_reciprocals(const kb_pool2d_shape *s, float *inv) {
    const int64_t hf = hrow_floats(s);
    for (int64_t r = 1; r <= s->kernel_h; r++)
        for (int64_t ow = 0; ow < hf; ow++) {
            int64_t w0 = 0, w1 = 0;
            if (ow < s->out_width)
                kb_pool_window(ow, s->stride_w, s->pad_left, s->kernel_w, s->in_width, &w0, &w1);
            const int64_t divisor = kb_pool_divisor(s, r, w1 - w0);
            inv[(r - 1) * hf + ow] = divisor ? (float)(1.0 / (double)divisor) : 0.0f;
        }
}

/* Output rows [oh0, oh1) of one plane. kernel_h and kernel_w are constants
 * in the common cases (see rows_fwd_run), so the tap and row loops unroll
 * and the ring's modulo is a multiply. */
ROWS_INLINE void fwd_rows(const kb_pool2d_shape *s, const fwd_edges *e, const float *plane,
                          float *dst_plane, int64_t oh0, int64_t oh1, float *ring,
                          const float *inv, float *left, float *right, bool stream,
                          int64_t stride_w, int64_t kernel_w, int64_t kernel_h) {
    const bool max = s->algorithm == KB_POOL_MAX;
    const int64_t hf = hrow_floats(s), out_width = s->out_width, in_width = s->in_width;
    const int64_t stride_h = s->stride_h, pad_top = s->pad_top, in_height = s->in_height;
    int64_t next = 0; /* H rows below `next` that the band needs are in the ring */
    for (int64_t oh = oh0; oh < oh1; oh++) {
        float *out = dst_plane + oh * out_width;
        int64_t h0, h1;
        kb_pool_window(oh, stride_h, pad_top, kernel_h, in_height, &h0, &h1);
        if (h0 == h1) { /* every window of the row lies in the padding */
            const float empty = max ? -INFINITY : 0.0f;
            for (int64_t ow = 0; ow < out_width; ow++) out[ow] = empty;
            continue;
        }
        /* Rows [h0, h1) span at most kh, so their slots are distinct, and a
         * row computed now only overwrites one below h0. */
        for (int64_t ih = oh == oh0 || next < h0 ? h0 : next; ih < h1; ih++)
            fwd_hrow(s, e, plane + ih * in_width, left, right, ring + ih % kernel_h * hf, max,
                     stride_w, kernel_w);
        if (h1 > next) next = h1;
        const float *row_inv = max ? NULL : inv + (h1 - h0 - 1) * hf;
        const bool row_stream = stream && SIMD_ALIGNED(out) && out_width % SIMD_WIDTH == 0;
        const bool spill = (oh1 - 1 - oh) * out_width >= SIMD_WIDTH; /* rows of this band */
        const bool raw = stride_w == 2 && !e->plain_3s2; /* the H rows' lane order */
        if (h1 - h0 == kernel_h) /* the interior: a constant row count */
            fwd_vrow(out_width, ring, hf, kernel_h, h0 % kernel_h, kernel_h, row_inv, out, max, raw,
                     row_stream, spill);
        else
            fwd_vrow(out_width, ring, hf, kernel_h, h0 % kernel_h, h1 - h0, row_inv, out, max, raw,
                     row_stream, spill);
    }
}

/* 2x2 stride-2 windows without padding, output rows at least a vector wide:
 * both input rows of an output chunk are loaded and reduced at once, no
 * ring. The taps are taken in fwd_rows' order (row 0's even and odd, then
 * row 1's; avg sums each row first), so the result is the same bit for bit;
 * it saves the H stores and reloads, one blend and one NaN mask merge per
 * chunk (about 17 vector ops per output vector instead of 24; 2x2 stride-2
 * max 32 wide from L2, 1 thread: about 15 -> 38 GB/s). A partial last chunk
 * is the row's last SIMD_WIDTH outputs, overlapping the chunk before with
 * the same values: its 2 SIMD_WIDTH inputs end inside the row (in_width >=
 * 2 out_width without padding), so no edge row and no masked store. */
static inline bool fwd_fused_2x2(const kb_pool2d_shape *s) {
    return s->kernel_h == 2 && s->kernel_w == 2 && s->stride_h == 2 && s->stride_w == 2 &&
           s->pad_top == 0 && s->pad_left == 0 && s->out_width >= SIMD_WIDTH;
}

ROWS_INLINE void fwd_rows_2x2(const kb_pool2d_shape *s, const float *plane, float *dst_plane,
                              int64_t oh0, int64_t oh1, const float *inv, bool stream) {
    const bool max = s->algorithm == KB_POOL_MAX;
    const int64_t in_width = s->in_width, out_width = s->out_width;
    const float *row_inv = max ? NULL : inv + hrow_floats(s); /* two rows inside */
    for (int64_t oh = oh0; oh < oh1; oh++) {
        const float *r0 = plane + 2 * oh * in_width, *r1 = r0 + in_width;
        float *out = dst_plane + oh * out_width;
        const bool row_stream = stream && SIMD_ALIGNED(out) && out_width % SIMD_WIDTH == 0;
        for (int64_t ow = 0;; ow += SIMD_WIDTH) {
            if (ow + SIMD_WIDTH > out_width) ow = out_width - SIMD_WIDTH; /* partial: overlap */
            const float *p0 = r0 + 2 * ow, *p1 = r1 + 2 * ow;
            __builtin_prefetch(p0 + FWD_PREFETCH_FLOATS);
            __builtin_prefetch(p1 + FWD_PREFETCH_FLOATS);
            simd_vec e0, o0, e1, o1, acc;
            SIMD_DEINTERLEAVE(SIMD_LOAD(p0), SIMD_LOAD(p0 + SIMD_WIDTH), &e0, &o0);
            SIMD_DEINTERLEAVE(SIMD_LOAD(p1), SIMD_LOAD(p1 + SIMD_WIDTH), &e1, &o1);
            if (max) {
                /* The earlier operand stays on ties and on a NaN in the later
                 * one; the mask catches every NaN. */
                acc = SIMD_MAX(o0, e0);
                acc = SIMD_MAX(e1, acc);
                acc = SIMD_MAX(o1, acc);
                const simd_mask nan = SIMD_MASK_OR(SIMD_UNORD(e0, o0), SIMD_UNORD(e1, o1));
                acc = SIMD_RAW_TO_LANES(SIMD_SELECT(nan, acc, SIMD_NAN()));
            } else {
                acc = SIMD_RAW_TO_LANES(SIMD_ADD(SIMD_ADD(e0, o0), SIMD_ADD(e1, o1)));
                acc = SIMD_MUL(acc, SIMD_LOAD(row_inv + ow));
            }
            if (row_stream && SIMD_ALIGNED(out + ow))
                SIMD_STREAM(out + ow, acc);
            else
                SIMD_STORE(out + ow, acc);
            if (ow + SIMD_WIDTH >= out_width) break;
        }
    }
}

/* Average of window (oh, ow) with vectors along the window's rows, for
 * windows wider than the output row (global pooling), where lanes across
 * outputs would sit idle. A window spanning whole input rows is one
 * contiguous run of floats. */
ROWS_INLINE float avg_along_window(const kb_pool2d_shape *s, const float *plane, int64_t oh,
                                   int64_t ow) {
    int64_t h0, h1, w0, w1;
    kb_pool_window(oh, s->stride_h, s->pad_top, s->kernel_h, s->in_height, &h0, &h1);
    kb_pool_window(ow, s->stride_w, s->pad_left, s->kernel_w, s->in_width, &w0, &w1);
    const int64_t divisor = kb_pool_divisor(s, h1 - h0, w1 - w0);
    if (divisor == 0) return 0.0f;
    const bool whole_rows = w0 == 0 && w1 == s->in_width;
    const int64_t runs = whole_rows ? 1 : h1 - h0;
    const int64_t run = whole_rows ? (h1 - h0) * s->in_width : w1 - w0;
    simd_vec sum = SIMD_ZERO();
    for (int64_t r = 0; r < runs; r++) {
        const float *p = plane + (h0 + r) * s->in_width + w0;
        for (int64_t i = 0; i < run; i += SIMD_WIDTH)
            sum = SIMD_ADD(sum, run - i >= SIMD_WIDTH ? SIMD_LOAD(p + i)
                                                      : SIMD_LOADN(p + i, (int)(run - i)));
    }
    return SIMD_HSUM(sum) / (float)divisor;
}

/* Output rows per work item: whole planes when there are enough of them for
 * every thread, else bands of rows (each band recomputes the H rows it
 * shares with the band above, at most kh - 1). */
static inline int64_t fwd_band_rows(const kb_pool2d_shape *s, int threads) {
    const int64_t planes = s->batch * s->channels, want = 4 * (int64_t)threads;
    if (planes >= want) return s->out_height;
    const int64_t bands = (want + planes - 1) / planes;
    return (s->out_height + bands - 1) / bands;
}

static inline size_t rows_fwd_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    return (size_t)ctx->threads * fwd_thread_floats(&problem->pool2d) * sizeof(float);
}

static inline kb_status rows_fwd_run(const kb_problem *problem, const kb_args *args,
                                     const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    assert(problem->kernel == KB_KERNEL_POOL2D && problem->direction == KB_DIR_FWD);
    const kb_pool2d_shape *s = &problem->pool2d;
    const float *src = args->tensor[KB_ARG_SRC];
    float *dst = args->tensor[KB_ARG_DST];
    const size_t thread_floats = fwd_thread_floats(s);
    assert(src && dst && ctx->threads >= 1 && (workspace || thread_floats == 0));
    const bool along = along_window(s), max = s->algorithm == KB_POOL_MAX;
    const bool stream = fwd_stream(s);
    const fwd_edges edges = fwd_edges_of(s);
    const bool fused_2x2 = !along && fwd_fused_2x2(s);
    const int64_t planes = s->batch * s->channels, hf = hrow_floats(s);
    const int64_t band_rows = fwd_band_rows(s, ctx->threads);
    const int64_t bands = (s->out_height + band_rows - 1) / band_rows;
#pragma omp parallel num_threads(ctx->threads)
    {
        float *ring =
            along ? NULL : (float *)workspace + (size_t)omp_get_thread_num() * thread_floats;
        float *inv = along || max ? NULL : ring + s->kernel_h * hf;
        const bool edge_rows = !along && !fwd_edges_masked(s->stride_w);
        float *left = edge_rows ? ring + (max ? 1 : 2) * s->kernel_h * hf : NULL;
        float *right = edge_rows ? left + (edges.left + 15) / 16 * 16 : NULL;
        if (inv) fill_reciprocals(s, inv);
        if (edge_rows) { /* the edge rows' padding: -inf never wins a max, 0 adds nothing */
            const float fill = max ? -INFINITY : 0.0f;
            for (int64_t i = 0; i < edges.left; i++) left[i] = fill;
            for (int64_t i = 0; i < edges.right; i++) right[i] = fill;
        }
        /* nowait: each thread fences its own non-temporal stores before the
         * barrier that ends the parallel region. */
#pragma omp for schedule(static) nowait
        for (int64_t item = 0; item < planes * bands; item++) {
            const int64_t p = item / bands, oh0 = item % bands * band_rows;
            const int64_t oh1 = oh0 + band_rows < s->out_height ? oh0 + band_rows : s->out_height;
            const float *plane = src + p * s->in_height * s->in_width;
            float *dst_plane = dst + p * s->out_height * s->out_width;
            if (along) {
                for (int64_t oh = oh0; oh < oh1; oh++)
                    for (int64_t ow = 0; ow < s->out_width; ow++)
                        dst_plane[oh * s->out_width + ow] = avg_along_window(s, plane, oh, ow);
                continue;
            }
            /* Constant strides and kernel sizes let the tap and row loops
             * unroll and load_strided fold to its fast path: the shapes of
             * common CNNs, then any kernel at strides 1 and 2. */
#define FWD_ROWS(sw, kw, kh)                                                                       \
    fwd_rows(s, &edges, plane, dst_plane, oh0, oh1, ring, inv, left, right, stream, sw, kw, kh)
            const int64_t sw = s->stride_w, kw = s->kernel_w, kh = s->kernel_h;
            if (fused_2x2)
                fwd_rows_2x2(s, plane, dst_plane, oh0, oh1, inv, stream);
            else if (sw == 1 && kw == 3 && kh == 3)
                FWD_ROWS(1, 3, 3);
            else if (sw == 2 && kw == 2 && kh == 2)
                FWD_ROWS(2, 2, 2);
            else if (sw == 2 && kw == 3 && kh == 3)
                FWD_ROWS(2, 3, 3);
            else if (sw == 1)
                FWD_ROWS(1, kw, kh);
            else if (sw == 2)
                FWD_ROWS(2, kw, kh);
            else
                FWD_ROWS(sw, kw, kh);
#undef FWD_ROWS
        }
        if (stream) SIMD_FENCE();
    }
    return KB_OK;
}

/* --- backward, max --------------------------------------------------------------- */

/* Gradients of output row oh of one plane, added at the first maxima. On
 * padded rows a lane whose maximum is -inf may point at padding (a window of
 * -inf inputs, or no input at all): those few lanes are redone by the scalar
 * kb_pool2d_argmax_one, so ties with -inf inputs still go to the first one. */
ROWS_INLINE void bwd_max_row(const kb_pool2d_shape *s, const float *plane, const float *grad,
                             float *diff, int64_t oh, float *padded, int64_t stride_w,
                             int64_t kernel_w, int64_t kernel_h) {
    int64_t h0, h1;
    kb_pool_window(oh, s->stride_h, s->pad_top, kernel_h, s->in_height, &h0, &h1);
    if (h0 == h1) return; /* every window of the row is padding: gradients go nowhere */
    const int64_t in_width = s->in_width, out_width = s->out_width;
    const float *base = plane + h0 * in_width;
    int64_t row_stride = in_width, col0 = -s->pad_left; /* pad_left is 0 when not padded */
    if (padded) { /* the plane's padded copy */
        row_stride = padded_row_floats(s);
        base = padded + h0 * row_stride;
        col0 = 0;
    }
    /* Interior rows have kh rows: a constant when kernel_h is, so the tap
     * loops unroll and each tap's offset vector is hoisted out of the chunk
     * loop. */
    const int64_t rows = h1 - h0 == kernel_h ? kernel_h : h1 - h0;
    const simd_ivec lane_columns = SIMD_IOTA_TIMES(stride_w);
    for (int64_t ow = 0; ow < out_width; ow += SIMD_WIDTH) {
        const int n = out_width - ow < SIMD_WIDTH ? (int)(out_width - ow) : SIMD_WIDTH;
        const int64_t col = col0 + ow * stride_w;           /* in `base`'s rows */
        const int64_t in_col = ow * stride_w - s->pad_left; /* in the input's */
        simd_vec best = SIMD_ZERO();
        simd_ivec at = SIMD_ISET1(0); /* the first maximum's offset from the window's start */
        if (stride_w == 2 && n == SIMD_WIDTH &&
            row_stride - col >= ((kernel_w - 1) & ~(int64_t)1) + 2 * SIMD_WIDTH) {
            /* Taps 2k and 2k+1 from one load pair (SIMD_DEINTERLEAVE order,
             * put back in lane order after the last tap). */
            for (int64_t r = 0; r < rows; r++)
                for (int64_t q = 0; q < kernel_w; q += 2) {
                    const float *p = base + r * row_stride + col + q;
                    simd_vec even, odd;
                    SIMD_DEINTERLEAVE(SIMD_LOAD(p), SIMD_LOAD(p + SIMD_WIDTH), &even, &odd);
                    if (r == 0 && q == 0) {
                        best = even;
                    } else {
                        const simd_mask replace = SIMD_REPLACES(even, best);
                        best = SIMD_SELECT(replace, best, even);
                        at = SIMD_ISELECT(replace, at, SIMD_ISET1(r * in_width + q));
                    }
                    if (q + 1 < kernel_w) {
                        const simd_mask replace = SIMD_REPLACES(odd, best);
                        best = SIMD_SELECT(replace, best, odd);
                        at = SIMD_ISELECT(replace, at, SIMD_ISET1(r * in_width + q + 1));
                    }
                }
            best = SIMD_RAW_TO_LANES(best);
            at = SIMD_IRAW_TO_LANES(at);
        } else {
            best = load_strided(base + col, stride_w, n, row_stride - col);
            for (int64_t r = 0; r < rows; r++)
                for (int64_t q = r == 0; q < kernel_w; q++) {
                    const simd_vec x = load_strided(base + r * row_stride + col + q, stride_w, n,
                                                    row_stride - col - q);
                    const simd_mask replace = SIMD_REPLACES(x, best);
                    best = SIMD_SELECT(replace, best, x);
                    at = SIMD_ISELECT(replace, at, SIMD_ISET1(r * in_width + q));
                }
        }
        at = SIMD_IADD(at, SIMD_IADD(lane_columns, SIMD_ISET1(h0 * in_width + in_col)));
        int32_t offsets[SIMD_WIDTH];
        SIMD_ISTORE(offsets, at);
        if (padded) {
            float bests[SIMD_WIDTH];
            SIMD_STORE(bests, best);
            for (int i = 0; i < n; i++)
                if (bests[i] == -INFINITY)
                    offsets[i] = (int32_t)kb_pool2d_argmax_one(s, plane, oh, ow + i);
        }
        for (int i = 0; i < n; i++)
            if (offsets[i] >= 0) diff[offsets[i]] += grad[ow + i];
    }
}

/* --- backward, max, tiled 2-wide windows ------------------------------------- */

/* Windows 2 wide at stride 2, kh high at stride kh, no padding (the common
 * 2x2 stride-2 pool): every input lies in at most one window, so diff_src is
 * written once, row by row, from the routing masks (gradient at the first
 * maximum, 0 elsewhere) instead of being zeroed and then added to at
 * scattered offsets. Each row of a window is one load pair split into even
 * and odd taps (SIMD_DEINTERLEAVE order, the gradients permuted to match),
 * the first maximum is tracked as its tap number (kb_pool_max_replaces as
 * compare-and-blend, row-major), and the pair of masked gradient vectors is
 * interleaved back into the row. */
static inline bool bwd_max_tiled(const kb_pool2d_shape *s) {
    return s->algorithm == KB_POOL_MAX && s->kernel_w == 2 && s->stride_w == 2 &&
           s->kernel_h == s->stride_h && s->pad_top == 0 && s->pad_left == 0;
}

/* One chunk of n outputs of output row `g`: input rows at `in`, diff_src
 * rows at `d`, `in_width` apart. `full`: n is SIMD_WIDTH. */
ROWS_INLINE void bwd_max_tiled_chunk(const float *in, const float *g, float *d, int64_t in_width,
                                     int n, bool full, bool stream, int64_t kernel_h) {
    const int lanes = 2 * n; /* floats of each row that the chunk's windows cover */
    simd_vec best = SIMD_ZERO(), tap = SIMD_ZERO();
    for (int64_t r = 0; r < kernel_h; r++) {
        const float *p = in + r * in_width;
        simd_vec lo, hi, even, odd;
        if (full) {
            lo = SIMD_LOAD(p);
            hi = SIMD_LOAD(p + SIMD_WIDTH);
        } else {
            lo = lanes >= SIMD_WIDTH ? SIMD_LOAD(p) : SIMD_LOADN(p, lanes);
            hi = lanes > SIMD_WIDTH ? SIMD_LOADN(p + SIMD_WIDTH, lanes - SIMD_WIDTH) : SIMD_ZERO();
        }
        SIMD_DEINTERLEAVE(lo, hi, &even, &odd);
        if (r == 0) {
            best = even;
        } else {
            const simd_mask replace = SIMD_REPLACES(even, best);
            best = SIMD_SELECT(replace, best, even);
            tap = SIMD_SELECT(replace, tap, SIMD_SET1((float)(2 * r)));
        }
        const simd_mask replace = SIMD_REPLACES(odd, best);
        best = SIMD_SELECT(replace, best, odd);
        tap = SIMD_SELECT(replace, tap, SIMD_SET1((float)(2 * r + 1)));
    }
    const simd_vec grad = SIMD_LANES_TO_RAW(full ? SIMD_LOAD(g) : SIMD_LOADN(g, n));
    for (int64_t r = 0; r < kernel_h; r++) {
        simd_vec lo, hi;
        SIMD_INTERLEAVE(SIMD_SELECT(SIMD_CMPEQ(tap, SIMD_SET1((float)(2 * r))), SIMD_ZERO(), grad),
                        SIMD_SELECT(SIMD_CMPEQ(tap, SIMD_SET1((float)(2 * r + 1))), SIMD_ZERO(),
                                    grad),
                        &lo, &hi);
        float *q = d + r * in_width;
        if (full && stream) {
            SIMD_STREAM(q, lo);
            SIMD_STREAM(q + SIMD_WIDTH, hi);
        } else if (full) {
            SIMD_STORE(q, lo);
            SIMD_STORE(q + SIMD_WIDTH, hi);
        } else {
            if (lanes >= SIMD_WIDTH)
                SIMD_STORE(q, lo);
            else
                SIMD_STOREN(q, lo, lanes);
            if (lanes > SIMD_WIDTH) SIMD_STOREN(q + SIMD_WIDTH, hi, lanes - SIMD_WIDTH);
        }
    }
}

/* All of one plane's diff_src: the windows' rows, then zeros in the columns
 * and rows no window covers. */
ROWS_INLINE void bwd_max_tiled_plane(const kb_pool2d_shape *s, const float *plane,
                                     const float *grad, float *diff, bool stream,
                                     int64_t kernel_h) {
    const int64_t in_width = s->in_width, out_width = s->out_width;
    const int64_t full = out_width / SIMD_WIDTH * SIMD_WIDTH, covered = 2 * out_width;
    for (int64_t oh = 0; oh < s->out_height; oh++) {
        const float *in = plane + oh * kernel_h * in_width;
        float *d = diff + oh * kernel_h * in_width;
        const float *g = grad + oh * out_width;
        const bool row_stream = stream && SIMD_ALIGNED(d);
        int64_t ow = 0;
        for (; ow < full; ow += SIMD_WIDTH)
            bwd_max_tiled_chunk(in + 2 * ow, g + ow, d + 2 * ow, in_width, SIMD_WIDTH, true,
                                row_stream, kernel_h);
        if (ow < out_width)
            bwd_max_tiled_chunk(in + 2 * ow, g + ow, d + 2 * ow, in_width, (int)(out_width - ow),
                                false, false, kernel_h);
        if (covered < in_width)
            for (int64_t r = 0; r < kernel_h; r++)
                memset(d + r * in_width + covered, 0,
                       (size_t)(in_width - covered) * sizeof *diff);
    }
    const int64_t rows = s->out_height * kernel_h;
    memset(diff + rows * in_width, 0, (size_t)((s->in_height - rows) * in_width) * sizeof *diff);
}

/* Whether diff_src bypasses the caches: the rule of fwd_stream over every
 * tensor of the backward pass. */
static inline bool bwd_stream(const kb_pool2d_shape *s) {
    const int64_t planes = s->batch * s->channels, in = s->in_height * s->in_width;
    const int64_t floats = planes * (2 * in + s->out_height * s->out_width) +
                           (s->algorithm == KB_POOL_MAX ? planes * in : 0);
    return kb_stream_output((size_t)floats * sizeof(float));
}

/* --- backward, max, stride 2 across: gathered ------------------------------------- */

/* Overlapping max windows at stride 2 across (the 3x3 stride-2 pool of
 * ResNet's stem) without zeroing diff_src and scattering adds: diff_src is
 * written once, row by row, as a gather.
 *   taps:    per output row, the first maximum's tap number r kw + q of
 *            each window (r, q from the unclipped window's corner; -1 when
 *            the window holds no input), as floats, with the vector fwd
 *            machinery: load pairs split into even and odd taps,
 *            kb_pool_max_replaces as compare-and-blend in row-major order.
 *            Chunks whose windows reach past the row's ends read "edge
 *            blocks" (fwd's edge rows, one per window row, -inf outside the
 *            input); lanes whose maximum is -inf there are redone by the
 *            scalar kb_pool2d_argmax_one (ties with padding). Each output
 *            row's taps and gradients go to a ring of kh rows, with margins
 *            of tap -1 (never routed) around them;
 *   gather:  input column iw of row ih gets, from each output row covering
 *            ih (ascending) and each column tap q with iw = 2 ow - pw + q
 *            (q descending, so ow ascending), the gradient where the tap
 *            matches and +0 elsewhere. The even and odd input columns of 2W
 *            consecutive ones are two vectors of consecutive outputs
 *            (unaligned loads of the tap and gradient rows), interleaved
 *            back into the row.
 * The sum starts at +0 and adds the routed gradients in the float scatter's
 * order (kb_pool2d_bwd_one over outputs row-major, as naive runs it); the +0
 * terms in between change no bit (a sum from +0 is never -0), so the result
 * is naive's bit for bit (the checker's reference sums in double). Each
 * diff_src row is stored once with whole vectors (plain stores: see the top
 * of this file). */
/* The most output rows covering one input row, ceil(kh / sh), that the
 * gather takes (per-row pointer arrays); taller ones take the scatter. */
#define GMAX_MAX_COVER 64
static inline bool bwd_max_gathered(const kb_pool2d_shape *s) {
    return s->algorithm == KB_POOL_MAX && s->stride_w == 2 && !bwd_max_tiled(s) &&
           (s->kernel_h + s->stride_h - 1) / s->stride_h <= GMAX_MAX_COVER;
}

/* Margin before output column 0 of a tap/gradient row, and the row's floats:
 * the gather reads output columns -(kw + 1) / 2 .. in_width / 2 + pw / 2 +
 * 2 W (whole vectors past the last chunk). */
static inline int64_t gmax_margin(const kb_pool2d_shape *s) {
    return ((s->kernel_w + 1) / 2 + 1 + 15) / 16 * 16;
}
static inline int64_t gmax_row_floats(const kb_pool2d_shape *s) {
    int64_t right = s->in_width / 2 + s->pad_left / 2 + 2 * SIMD_WIDTH + 2;
    if (hrow_floats(s) > right) right = hrow_floats(s);
    return (gmax_margin(s) + right + SIMD_WIDTH + 15) / 16 * 16;
}
static inline size_t bwd_gmax_thread_floats(const kb_pool2d_shape *s) {
    return (size_t)(2 * s->kernel_h * gmax_row_floats(s));
}

/* Tap numbers (lane order) of the W outputs of one chunk: `row` the first
 * of `rows` input rows in_width apart, `col` the first column of the
 * chunk's windows, `r0` the number of the first row in the unclipped
 * window; `edge`: the chunk reads columns outside the input, through
 * masked loads that give -inf there; `plain`: a fwd_plain_3s2 row, read by
 * taps_3s2 (col = 2 j0 - 1; 1.07-1.09x faster on mb1ic32ih56 at 1 thread,
 * Zen 4, where every AVX-512 chunk was an edge chunk). Its first maximum
 * in `*best`, NaN in the lanes whose window holds a NaN: the compare is an
 * ordered greater-than (one compare a tap instead of kb_pool_max_replaces'
 * three operations), exact only without NaN, so the caller redoes those
 * lanes.
 * Measured on Zen 4 (the taps alone of mb1ic32ih56, 1 thread): the maximum
 * as a max instead of a blend, 48 -> 43 us (blends and compares share
 * ports); tried and dropped: NaN found by a sum of the window, 43 -> 55 us;
 * a NaN check of the whole plane first and no tracking here, slower too
 * (the extra pass costs more than the compares it saves). */
ROWS_INLINE simd_vec gmax_taps(const float *row, int64_t col, int64_t in_width, bool edge,
                               bool plain, int64_t rows, int64_t r0, int64_t kernel_w,
                               simd_vec *best_out) {
    /* Tap numbers from the first row read, r0 kw added once at the end:
     * constants per tap when kernel_w and rows are. Each row's first
     * maximum first, then the rows in order: a later row replaces only when
     * greater, so the result is the row-major first maximum, and the
     * compare-and-blend chain is kw / 2 + rows steps long instead of
     * kw rows. */
    simd_vec best = SIMD_ZERO(), tap = SIMD_ZERO();
    simd_mask nan = SIMD_UNORD(best, best); /* no lane */
    for (int64_t r = 0; r < rows; r++) {
        const float *x = row + r * in_width;
        simd_vec row_best = SIMD_ZERO(), row_tap = SIMD_ZERO(), t0, t1, t2;
        if (plain) /* kernel_w 3 (fwd_plain_3s2): col is 2 j0 - 1 */
            taps_3s2(x, (col + 1) / 2, -INFINITY, &t0, &t1, &t2);
        for (int64_t q = 0; q < kernel_w; q += 2) {
            const int64_t c = col + q;
            simd_vec even, odd;
            if (plain)
                even = q == 0 ? t0 : t2, odd = q == 0 ? t1 : t2;
            else if (edge)
                SIMD_DEINTERLEAVE(SIMD_LOAD_WITHIN(x, c, in_width, -INFINITY),
                                  SIMD_LOAD_WITHIN(x, c + SIMD_WIDTH, in_width, -INFINITY), &even,
                                  &odd);
            else
                SIMD_DEINTERLEAVE(SIMD_LOAD(x + c), SIMD_LOAD(x + c + SIMD_WIDTH), &even, &odd);
            const bool pair = q + 1 < kernel_w;
            nan = SIMD_MASK_OR(nan, SIMD_UNORD(even, pair ? odd : even));
            const float t = (float)(r * kernel_w + q);
            if (q == 0) {
                row_best = even;
                row_tap = SIMD_SET1(t);
            } else {
                const simd_mask replace = SIMD_GT(even, row_best);
                row_best = SIMD_MAX(even, row_best);
                row_tap = SIMD_SELECT(replace, row_tap, SIMD_SET1(t));
            }
            if (pair) {
                const simd_mask replace = SIMD_GT(odd, row_best);
                row_best = SIMD_MAX(odd, row_best);
                row_tap = SIMD_SELECT(replace, row_tap, SIMD_SET1(t + 1.0f));
            }
        }
        if (r == 0) {
            best = row_best;
            tap = row_tap;
        } else {
            const simd_mask replace = SIMD_GT(row_best, best);
            best = SIMD_MAX(row_best, best);
            tap = SIMD_SELECT(replace, tap, row_tap);
        }
    }
    *best_out = SIMD_RAW_TO_LANES(SIMD_SELECT(nan, best, SIMD_NAN()));
    if (r0 != 0) tap = SIMD_ADD(tap, SIMD_SET1((float)(r0 * kernel_w)));
    return SIMD_RAW_TO_LANES(tap);
}

/* Taps and gradients of output row oh into `trow` and `grow` (output column
 * 0 of each; -1 and 0 past the row), whole vectors only. */
ROWS_INLINE void gmax_out_row(const kb_pool2d_shape *s, const fwd_edges *e, const float *plane,
                              const float *grad, int64_t oh, float *trow, float *grow,
                              int64_t kernel_w, int64_t kernel_h, int64_t stride_h) {
    const int64_t out_width = s->out_width, in_width = s->in_width;
    const float *g = grad + oh * out_width;
    for (int64_t ow = 0; ow < out_width; ow += SIMD_WIDTH) {
        const int n = out_width - ow < SIMD_WIDTH ? (int)(out_width - ow) : SIMD_WIDTH;
        SIMD_STORE(grow + ow, n == SIMD_WIDTH ? SIMD_LOAD(g + ow) : SIMD_LOADN(g + ow, n));
    }
    int64_t h0, h1;
    kb_pool_window(oh, stride_h, s->pad_top, kernel_h, s->in_height, &h0, &h1);
    if (h0 == h1) { /* every window of the row lies in the padding */
        for (int64_t ow = 0; ow < out_width; ow += SIMD_WIDTH)
            SIMD_STORE(trow + ow, SIMD_SET1(-1.0f));
        return;
    }
    const int64_t rows = h1 - h0 == kernel_h ? kernel_h : h1 - h0;
    const int64_t r0 = h0 - (oh * stride_h - s->pad_top);
    const float *row = plane + h0 * in_width;
    const bool full = rows == kernel_h;
    /* fwd_plain_3s2 rows: every chunk from plain loads (plain_3s2_from);
     * only chunk 0 holds padding (its lane 0). */
    const bool plain = kernel_w == 3 && e->plain_3s2;
    for (int64_t k = 0; k < e->chunks; k++) {
        const bool edge = plain ? k == 0 : k < e->lo || k >= e->hi;
        const int64_t ow = k * SIMD_WIDTH;
        const int64_t at = plain ? plain_3s2_from(ow, out_width) : ow;
        const int64_t col = 2 * at - s->pad_left;
        simd_vec best, tap;
        if (full && plain) /* rows a constant: the tap loops unroll */
            tap = gmax_taps(row, col, in_width, false, true, kernel_h, 0, kernel_w, &best);
        else if (full && !edge)
            tap = gmax_taps(row, col, in_width, false, false, kernel_h, 0, kernel_w, &best);
        else if (full)
            tap = gmax_taps(row, col, in_width, true, false, kernel_h, 0, kernel_w, &best);
        else /* the top and bottom rows of the plane */
            tap = gmax_taps(row, col, in_width, edge, plain, rows, r0, kernel_w, &best);
        if (at != ow) {
            tap = SIMD_LANES_FROM(tap, ow - at);
            best = SIMD_LANES_FROM(best, ow - at);
        }
        const int n = out_width - ow < SIMD_WIDTH ? (int)(out_width - ow) : SIMD_WIDTH;
        /* Redone one by one: lanes with a NaN, and in edge chunks lanes whose
         * maximum is -inf (a tie with the padding). */
        simd_mask redo = SIMD_UNORD(best, best);
        if (edge) redo = SIMD_MASK_OR(redo, SIMD_CMPEQ(best, SIMD_SET1(-INFINITY)));
        if ((SIMD_BITS(redo) & (int)((1u << n) - 1)) != 0) { /* lanes past the row ignored */
            float taps[SIMD_WIDTH], bests[SIMD_WIDTH];
            SIMD_STORE(taps, tap);
            SIMD_STORE(bests, best);
            for (int i = 0; i < n; i++) {
                if (bests[i] == bests[i] && (!edge || bests[i] != -INFINITY)) continue;
                const int64_t at = kb_pool2d_argmax_one(s, plane, oh, ow + i);
                taps[i] = at < 0 ? -1.0f
                                 : (float)((at / in_width - (oh * stride_h - s->pad_top)) *
                                               kernel_w +
                                           at % in_width - ((ow + i) * 2 - s->pad_left));
            }
            tap = SIMD_LOAD(taps);
        }
        SIMD_STORE(trow + ow, n == SIMD_WIDTH ? tap : SIMD_FIRSTN(tap, n, -1.0f));
    }
}

/* The output rows [*a, *b] whose windows cover input row ih (kernel_h and
 * stride_h the caller's constants where it can: no division then); false
 * when none does. Shared by the gathered backward paths, which build each
 * diff_src row from those rows. */
ROWS_INLINE bool covering_rows(const kb_pool2d_shape *s, int64_t ih, int64_t kernel_h,
                               int64_t stride_h, int64_t *a, int64_t *b) {
    const int64_t first = ih + s->pad_top - kernel_h + 1;
    *a = first <= 0 ? 0 : (first + stride_h - 1) / stride_h;
    *b = (ih + s->pad_top) / stride_h;
    if (*b > s->out_height - 1) *b = s->out_height - 1;
    return *a <= *b;
}

/* One diff_src row `d` from the `cover` output rows covering it (ascending):
 * tap rows t[k], gradient rows g[k] (output column 0 of each), the row's tap
 * numbers r kw + q from first_tap[k]. */
ROWS_INLINE void gmax_gather_row(const float *const *t, const float *const *g,
                                 const int64_t *first_tap, float *d, int64_t in_width, int64_t pl,
                                 int64_t cover, int64_t kernel_w) {
    for (int64_t iw = 0; iw < in_width; iw += 2 * SIMD_WIDTH) {
        simd_vec even = SIMD_ZERO(), odd = SIMD_ZERO();
        for (int64_t k = 0; k < cover; k++) {
            const float *tk = t[k] + iw / 2, *gk = g[k] + iw / 2;
            for (int64_t q = kernel_w - 1; q >= 0; q--) {
                /* iw + P = 2 ow - pl + q: parity P of the input column. */
                const int64_t parity = (q + pl) & 1;
                const int64_t off = (parity + pl - q) / 2; /* even: exact */
                const simd_mask hit =
                    SIMD_CMPEQ(SIMD_LOAD(tk + off), SIMD_SET1((float)(first_tap[k] + q)));
                const simd_vec v = SIMD_KEEP(hit, SIMD_LOAD(gk + off));
                if (parity)
                    odd = SIMD_ADD(odd, v);
                else
                    even = SIMD_ADD(even, v);
            }
        }
        simd_vec lo, hi;
        SIMD_INTERLEAVE(SIMD_LANES_TO_RAW(even), SIMD_LANES_TO_RAW(odd), &lo, &hi);
        const int64_t rest = in_width - iw;
        if (rest >= 2 * SIMD_WIDTH) {
            SIMD_STORE(d + iw, lo);
            SIMD_STORE(d + iw + SIMD_WIDTH, hi);
        } else {
            if (rest >= SIMD_WIDTH)
                SIMD_STORE(d + iw, lo);
            else
                SIMD_STOREN(d + iw, lo, (int)rest);
            if (rest > SIMD_WIDTH) SIMD_STOREN(d + iw + SIMD_WIDTH, hi, (int)(rest - SIMD_WIDTH));
        }
    }
}

/* All of one plane's diff_src. `ring`: kh tap rows then kh gradient rows of
 * gmax_row_floats, margins -1 and 0; `pl` (pad_left) a constant where it
 * can be: it fixes which column taps feed even and which odd input columns
 * and the offsets the gather loads at. */
ROWS_INLINE void bwd_max_gather_plane(const kb_pool2d_shape *s, const float *plane,
                                      const float *grad, float *diff, float *ring,
                                      int64_t kernel_w, int64_t kernel_h, int64_t stride_h,
                                      int64_t pl) {
    const fwd_edges e = fwd_edges_of(s);
    const int64_t in_width = s->in_width, pad_top = s->pad_top;
    const int64_t rf = gmax_row_floats(s), margin = gmax_margin(s);
    float *trows = ring + margin, *grows = ring + kernel_h * rf + margin;
    int64_t next = 0; /* output rows below `next` are in the ring */
    for (int64_t ih = 0; ih < s->in_height; ih++) {
        float *d = diff + ih * in_width;
        int64_t a, b;
        if (!covering_rows(s, ih, kernel_h, stride_h, &a, &b)) {
            memset(d, 0, (size_t)in_width * sizeof *d);
            continue;
        }
        for (int64_t oh = a > next ? a : next; oh <= b; oh++)
            gmax_out_row(s, &e, plane, grad, oh, trows + oh % kernel_h * rf,
                         grows + oh % kernel_h * rf, kernel_w, kernel_h, stride_h);
        if (b + 1 > next) next = b + 1;
        const float *t[GMAX_MAX_COVER], *g[GMAX_MAX_COVER];
        int64_t first_tap[GMAX_MAX_COVER];
        const int64_t cover = b - a + 1;
        for (int64_t k = 0; k < cover; k++) {
            const int64_t oh = a + k, slot = oh % kernel_h;
            t[k] = trows + slot * rf;
            g[k] = grows + slot * rf;
            first_tap[k] = (ih - (oh * stride_h - pad_top)) * kernel_w; /* row r: r kw */
        }
        if (cover == 1)
            gmax_gather_row(t, g, first_tap, d, in_width, pl, 1, kernel_w);
        else if (cover == 2)
            gmax_gather_row(t, g, first_tap, d, in_width, pl, 2, kernel_w);
        else
            gmax_gather_row(t, g, first_tap, d, in_width, pl, cover, kernel_w);
    }
}

/* Fills the ring's tap rows with -1 and gradient rows with 0, once per
 * thread and run. */
static inline void gmax_fill(const kb_pool2d_shape *s, float *ring) {
    const int64_t rf = gmax_row_floats(s);
    for (int64_t i = 0; i < s->kernel_h * rf; i++) ring[i] = -1.0f;
    memset(ring + s->kernel_h * rf, 0, (size_t)(s->kernel_h * rf) * sizeof *ring);
}

/* --- backward, avg --------------------------------------------------------------- */

/* Per-thread row buffers of avg bwd, in floats: the shares of one output row
 * (rounded up to whole vectors, zero past the row) and the padded row the
 * shares are spread over, which starts at column -pad_left and has room for
 * whole-vector spreads past both the last window and the input row. */
static inline int64_t bwd_avg_share_floats(const kb_pool2d_shape *s) {
    return (s->out_width + SIMD_WIDTH - 1) / SIMD_WIDTH * SIMD_WIDTH + SIMD_WIDTH;
}
static inline int64_t bwd_avg_spread_floats(const kb_pool2d_shape *s) {
    const int64_t windows = s->stride_w * bwd_avg_share_floats(s) + s->kernel_w + 2 * SIMD_WIDTH;
    const int64_t input = s->pad_left + s->in_width + SIMD_WIDTH;
    return windows > input ? windows : input;
}
static inline size_t bwd_avg_thread_floats(const kb_pool2d_shape *s) {
    const int64_t floats = bwd_avg_share_floats(s) + bwd_avg_spread_floats(s);
    return (size_t)((floats + 15) / 16 * 16); /* keeps every thread's slice 64-byte aligned */
}

/* The share of border output ow, whose window has `rows` rows inside. */
ROWS_INLINE void border_share(const kb_pool2d_shape *s, const float *grad, float *share,
                              int64_t rows, int64_t ow) {
    int64_t w0, w1;
    kb_pool_window(ow, s->stride_w, s->pad_left, s->kernel_w, s->in_width, &w0, &w1);
    const int64_t divisor = kb_pool_divisor(s, rows, w1 - w0);
    share[ow] = divisor ? grad[ow] / (float)divisor : 0.0f;
}

/* Gradients of output row oh of one plane, spread over their windows. */
ROWS_INLINE void bwd_avg_row(const kb_pool2d_shape *s, const float *grad, float *diff, int64_t oh,
                             int64_t ow_first, int64_t ow_end, float *share, float *spread) {
    int64_t h0, h1;
    kb_pool_window(oh, s->stride_h, s->pad_top, s->kernel_h, s->in_height, &h0, &h1);
    if (h0 == h1) return;
    const int64_t out_width = s->out_width, kernel_w = s->kernel_w, stride_w = s->stride_w;
    if (out_width == 1 && ow_first == 0 && ow_end == 1 && kernel_w == s->in_width) {
        /* One window spanning whole input rows (global pooling): its share
         * goes to one contiguous run of diff_src. */
        border_share(s, grad, share, h1 - h0, 0);
        const simd_vec v = SIMD_SET1(share[0]);
        float *d = diff + h0 * s->in_width;
        const int64_t run = (h1 - h0) * s->in_width;
        for (int64_t i = 0; i < run; i += SIMD_WIDTH) {
            if (run - i >= SIMD_WIDTH)
                SIMD_STORE(d + i, SIMD_ADD(SIMD_LOAD(d + i), v));
            else
                SIMD_STOREN(d + i, SIMD_ADD(SIMD_LOADN(d + i, (int)(run - i)), v), (int)(run - i));
        }
        return;
    }
    /* Shares: diff_dst / divisor; the divisor only varies on the border. */
    for (int64_t ow = 0; ow < ow_first; ow++) border_share(s, grad, share, h1 - h0, ow);
    for (int64_t ow = ow_end > ow_first ? ow_end : ow_first; ow < out_width; ow++)
        border_share(s, grad, share, h1 - h0, ow);
    const simd_vec divisor = SIMD_SET1((float)kb_pool_divisor(s, h1 - h0, kernel_w));
    for (int64_t ow = ow_first; ow < ow_end; ow += SIMD_WIDTH) {
        const int n = ow_end - ow < SIMD_WIDTH ? (int)(ow_end - ow) : SIMD_WIDTH;
        const simd_vec g = n == SIMD_WIDTH ? SIMD_LOAD(grad + ow) : SIMD_LOADN(grad + ow, n);
        if (n == SIMD_WIDTH)
            SIMD_STORE(share + ow, SIMD_DIV(g, divisor));
        else
            SIMD_STOREN(share + ow, SIMD_DIV(g, divisor), n);
    }
    const int64_t shares = bwd_avg_share_floats(s) - SIMD_WIDTH; /* whole vectors */
    memset(share + out_width, 0, (size_t)(shares + SIMD_WIDTH - out_width) * sizeof *share);

    /* Spread: spread[ow * stride_w + q] += share[ow] for every tap q; index
     * 0 is input column -pad_left. */
    memset(spread, 0, (size_t)bwd_avg_spread_floats(s) * sizeof *spread);
    if ((stride_w == 1 || stride_w == 2) && kernel_w <= out_width) {
        for (int64_t q = 0; q < kernel_w; q++)
            for (int64_t ow = 0; ow < shares; ow += SIMD_WIDTH) {
                const simd_vec v = SIMD_LOAD(share + ow);
                float *p = spread + ow * stride_w + q;
                if (stride_w == 1) {
                    SIMD_STORE(p, SIMD_ADD(SIMD_LOAD(p), v));
                } else {
                    simd_vec lo, hi;
                    SIMD_INTERLEAVE_ZERO(v, &lo, &hi);
                    SIMD_STORE(p, SIMD_ADD(SIMD_LOAD(p), lo));
                    SIMD_STORE(p + SIMD_WIDTH, SIMD_ADD(SIMD_LOAD(p + SIMD_WIDTH), hi));
                }
            }
    } else { /* wide windows or large strides: vectors along each window */
        for (int64_t ow = 0; ow < out_width; ow++) {
            const simd_vec v = SIMD_SET1(share[ow]);
            float *p = spread + ow * stride_w;
            for (int64_t q = 0; q < kernel_w; q += SIMD_WIDTH) {
                const int n = kernel_w - q < SIMD_WIDTH ? (int)(kernel_w - q) : SIMD_WIDTH;
                SIMD_STORE(p + q, SIMD_ADDN(SIMD_LOAD(p + q), v, n));
            }
        }
    }
    /* The input part of the spread row, added to every input row the
     * windows of this output row cover. */
    const float *row = spread + s->pad_left;
    for (int64_t ih = h0; ih < h1; ih++) {
        float *d = diff + ih * s->in_width;
        for (int64_t iw = 0; iw < s->in_width; iw += SIMD_WIDTH) {
            const int n = s->in_width - iw < SIMD_WIDTH ? (int)(s->in_width - iw) : SIMD_WIDTH;
            if (n == SIMD_WIDTH)
                SIMD_STORE(d + iw, SIMD_ADD(SIMD_LOAD(d + iw), SIMD_LOAD(row + iw)));
            else
                SIMD_STOREN(d + iw, SIMD_ADD(SIMD_LOADN(d + iw, n), SIMD_LOADN(row + iw, n)), n);
        }
    }
}

/* --- backward, avg, stride 1: gathered ------------------------------------------ */

/* At stride 1 across (the common 3x3 stride-1 pool) avg bwd gathers
 * instead of spreading: diff_src[ih][iw] is the sum of the shares of the
 * windows covering it, and that sum is separable. Each output row's shares
 * (diff_dst times the reciprocal divisor: two roundings, allowed by
 * problem.c) go into a ring of kh share rows; each input row sums the share
 * rows of the output rows covering it (V), then column iw sums V at
 * iw + pad_left - q for the kw taps q, from a copy of V with zeros around
 * it. Every diff_src row is written once, with whole-vector stores (no
 * zeroing, no read-modify-write; plain stores: see the top of this file).
 * The order of the additions differs from the reference's; the bound
 * counts terms, not their order. */
static inline bool bwd_avg_gathered(const kb_pool2d_shape *s) {
    return s->algorithm != KB_POOL_MAX && s->stride_w == 1;
}
/* V's copy: kw - 1 zeros, then out_width values (zeros past them, whole
 * vectors), long enough for the last chunk of the input row. */
static inline int64_t gather_row_floats(const kb_pool2d_shape *s) {
    const int64_t need = s->kernel_w - 1 + s->in_width + s->pad_left + SIMD_WIDTH;
    const int64_t v = s->kernel_w - 1 + hrow_floats(s);
    return ((need > v ? need : v) + 15) / 16 * 16;
}
static inline size_t bwd_gather_thread_floats(const kb_pool2d_shape *s) {
    return (size_t)(2 * s->kernel_h * hrow_floats(s) + gather_row_floats(s));
}

ROWS_INLINE void bwd_avg_gather_plane(const kb_pool2d_shape *s, const float *grad, float *diff,
                                      float *ring, const float *inv, float *vrow,
                                      int64_t kernel_h, int64_t kernel_w, int64_t stride_h) {
    const int64_t hf = hrow_floats(s), out_width = s->out_width, in_width = s->in_width;
    const int64_t pad_top = s->pad_top;
    float *v = vrow + kernel_w - 1;
    int64_t next = 0; /* share rows below `next` are in the ring */
    for (int64_t ih = 0; ih < s->in_height; ih++) {
        float *d = diff + ih * in_width;
        int64_t a, b;
        if (!covering_rows(s, ih, kernel_h, stride_h, &a, &b)) {
            memset(d, 0, (size_t)in_width * sizeof *d);
            continue;
        }
        for (int64_t oh = a > next ? a : next; oh <= b; oh++) {
            int64_t h0, h1;
            kb_pool_window(oh, stride_h, pad_top, kernel_h, s->in_height, &h0, &h1);
            const float *row_inv = inv + (h1 - h0 - 1) * hf; /* h1 > h0: it covers ih */
            const float *g = grad + oh * out_width;
            float *share = ring + oh % kernel_h * hf;
            int64_t ow = 0;
            for (; ow + SIMD_WIDTH <= out_width; ow += SIMD_WIDTH)
                SIMD_STORE(share + ow, SIMD_MUL(SIMD_LOAD(g + ow), SIMD_LOAD(row_inv + ow)));
            if (ow < out_width) /* zeros past the row keep V's padding zero */
                SIMD_STORE(share + ow, SIMD_MUL(SIMD_LOADN(g + ow, (int)(out_width - ow)),
                                                SIMD_LOAD(row_inv + ow)));
        }
        if (b + 1 > next) next = b + 1;
        /* V = the sum of share rows a..b (at most kh: distinct slots). */
        const float *first = ring + a % kernel_h * hf;
        for (int64_t ow = 0; ow < out_width; ow += SIMD_WIDTH) {
            simd_vec acc = SIMD_LOAD(first + ow);
            for (int64_t oh = a + 1; oh <= b; oh++)
                acc = SIMD_ADD(acc, SIMD_LOAD(ring + oh % kernel_h * hf + ow));
            SIMD_STORE(v + ow, acc);
        }
        /* diff_src row: the kw taps of V ending at iw + pad_left. */
        const float *base = v + s->pad_left;
        int64_t iw = 0;
        for (; iw + SIMD_WIDTH <= in_width; iw += SIMD_WIDTH) {
            simd_vec acc = SIMD_LOAD(base + iw);
            for (int64_t q = 1; q < kernel_w; q++) acc = SIMD_ADD(acc, SIMD_LOAD(base + iw - q));
            SIMD_STORE(d + iw, acc);
        }
        if (iw < in_width) {
            simd_vec acc = SIMD_LOAD(base + iw);
            for (int64_t q = 1; q < kernel_w; q++) acc = SIMD_ADD(acc, SIMD_LOAD(base + iw - q));
            SIMD_STOREN(d + iw, acc, (int)(in_width - iw));
        }
    }
}

static inline bool rows_bwd_supports(const kb_problem *problem, const char **why_not) {
    const kb_pool2d_shape *s = &problem->pool2d;
    if (s->algorithm == KB_POOL_MAX && s->in_height * s->in_width > INT32_MAX) {
        *why_not = "max bwd keeps plane offsets in int32 lanes: planes of at most 2^31-1 elements";
        return false;
    }
    return true;
}

static inline size_t bwd_thread_floats(const kb_pool2d_shape *s) {
    if (bwd_avg_gathered(s)) return bwd_gather_thread_floats(s);
    if (bwd_max_gathered(s)) return bwd_gmax_thread_floats(s);
    if (s->algorithm != KB_POOL_MAX) return bwd_avg_thread_floats(s);
    return needs_padding(s) ? (size_t)(s->in_height * padded_row_floats(s)) : 0;
}

static inline size_t rows_bwd_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    return (size_t)ctx->threads * bwd_thread_floats(&problem->pool2d) * sizeof(float);
}

static inline kb_status rows_bwd_run(const kb_problem *problem, const kb_args *args,
                                     const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    assert(problem->kernel == KB_KERNEL_POOL2D && problem->direction == KB_DIR_BWD);
    const kb_pool2d_shape *s = &problem->pool2d;
    const bool max = s->algorithm == KB_POOL_MAX;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    const size_t thread_floats = bwd_thread_floats(s);
    const bool tiled = bwd_max_tiled(s), gathered = bwd_avg_gathered(s);
    const bool gmax = bwd_max_gathered(s);
    const bool stream = tiled && bwd_stream(s);
    assert(diff_dst && diff_src && (src || !max) && ctx->threads >= 1);
    assert(workspace || thread_floats == 0);
    int64_t ow_first, ow_end;
    kb_pool_interior(s->out_width, s->in_width, s->kernel_w, s->stride_w, s->pad_left, &ow_first,
                     &ow_end);
    const int64_t planes = s->batch * s->channels;
    const int64_t in_plane = s->in_height * s->in_width, out_plane = s->out_height * s->out_width;
#pragma omp parallel num_threads(ctx->threads)
    {
        float *mine = thread_floats
                          ? (float *)workspace + (size_t)omp_get_thread_num() * thread_floats
                          : NULL;
        float *share = max ? NULL : mine, *spread = max ? NULL : mine + bwd_avg_share_floats(s);
        float *padded = max && !gmax ? mine : NULL; /* NULL when no row needs padding */
        float *gring = gmax ? mine : NULL;
        if (gring) gmax_fill(s, gring);
        float *ring = NULL, *inv = NULL, *vrow = NULL;
        if (gathered) {
            ring = mine;
            inv = ring + s->kernel_h * hrow_floats(s);
            vrow = inv + s->kernel_h * hrow_floats(s);
            fill_reciprocals(s, inv);
            memset(vrow, 0, (size_t)gather_row_floats(s) * sizeof *vrow);
        }
        if (padded) fill_padded_rows(s, padded, -INFINITY);
        /* nowait: each thread fences its own non-temporal stores before the
         * barrier that ends the parallel region. */
#pragma omp for schedule(static) nowait
        for (int64_t p = 0; p < planes; p++) {
            float *diff = diff_src + p * in_plane;
            const float *grad = diff_dst + p * out_plane;
            if (tiled) { /* kh 2 (2x2 stride 2) as a constant: its row loops unroll */
                if (s->kernel_h == 2)
                    bwd_max_tiled_plane(s, src + p * in_plane, grad, diff, stream, 2);
                else
                    bwd_max_tiled_plane(s, src + p * in_plane, grad, diff, stream, s->kernel_h);
                continue;
            }
            if (gathered) { /* 3x3 stride 1 as constants: the tap loops unroll */
                if (s->kernel_h == 3 && s->kernel_w == 3 && s->stride_h == 1)
                    bwd_avg_gather_plane(s, grad, diff, ring, inv, vrow, 3, 3, 1);
                else
                    bwd_avg_gather_plane(s, grad, diff, ring, inv, vrow, s->kernel_h,
                                         s->kernel_w, s->stride_h);
                continue;
            }
            if (gmax) { /* 3x3 pad 1 (ResNet's) as constants: the tap loops unroll */
                const float *plane = src + p * in_plane;
                if (s->kernel_h == 3 && s->kernel_w == 3 && s->stride_h == 2 && s->pad_left == 1)
                    bwd_max_gather_plane(s, plane, grad, diff, gring, 3, 3, 2, 1);
                else
                    bwd_max_gather_plane(s, plane, grad, diff, gring, s->kernel_w,
                                         s->kernel_h, s->stride_h, s->pad_left);
                continue;
            }
            memset(diff, 0, (size_t)in_plane * sizeof *diff);
            if (padded) copy_padded_rows(s, src + p * in_plane, 0, s->in_height, padded);
            for (int64_t oh = 0; oh < s->out_height; oh++) {
                const float *g = grad + oh * s->out_width;
                if (!max) {
                    bwd_avg_row(s, g, diff, oh, ow_first, ow_end, share, spread);
                    continue;
                }
                const float *plane = src + p * in_plane;
                /* Constant strides and kernel sizes: the 3x3 stride-2 pool
                 * (ResNet's), then any kernel at strides 1 and 2. */
                const int64_t sw = s->stride_w, kw = s->kernel_w, kh = s->kernel_h;
                if (sw == 2 && kw == 3 && kh == 3)
                    bwd_max_row(s, plane, g, diff, oh, padded, 2, 3, 3);
                else if (sw == 1)
                    bwd_max_row(s, plane, g, diff, oh, padded, 1, kw, kh);
                else if (sw == 2)
                    bwd_max_row(s, plane, g, diff, oh, padded, 2, kw, kh);
                else
                    bwd_max_row(s, plane, g, diff, oh, padded, sw, kw, kh);
            }
        }
        if (stream) SIMD_FENCE();
    }
    return KB_OK;
}

#endif
