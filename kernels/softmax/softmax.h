/* softmax and softmax_xent internals shared by the problem code and the
 * variants: the exp polynomial every hand-written vector exp evaluates, the
 * label rules, and the row drivers that thread the rows and reduce the loss.
 *
 * Formulas (X, Y: N x M row-major; t_n the class of row n):
 *   softmax       y[n,j] = exp(x[n,j] - m_n) / S_n,  m_n = max_j x[n,j],
 *                 S_n = sum_j exp(x[n,j] - m_n)
 *   xent fwd      Y as above and, with delta > 0 (the book's 1e-7),
 *                 L = -(1/N) sum_n log(y[n,t_n] + delta);
 *                 with delta = 0 the exact loss, computed as a log-softmax,
 *                 L = (1/N) sum_n (log S_n - (x[n,t_n] - m_n)), which stays
 *                 finite when y[n,t_n] underflows in float (the log of a
 *                 float y would be inf there; the reference does the same)
 *   xent bwd      dX = (Y - T) / N, T the one-hot matrix of the t_n.
 *
 * Labels: N class indices stored as floats, or (one_hot) an N x M matrix
 * whose row argmax is the class (first maximum wins). Index labels are checked
 * at run time before any output is written: a value that is not an integer in
 * [0, M) (NaN included) makes run() return KB_ERR_INVALID. That check reads
 * the N labels once, which every variant reads anyway (cost N loads against
 * the 2*N*M of the tensors). A one-hot matrix is never invalid: the argmax of
 * any row is a class in range. */
#ifndef KB_SOFTMAX_H
#define KB_SOFTMAX_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernbench/problem.h"
#include "kernbench/variant.h"

/* The accuracy contract of the elementary functions a variant may use: exp
 * and log with a relative error of at most this many FLT_EPSILON (libm's
 * expf/logf are within 1; the project's polynomial exp below measures 0.64,
 * see kernels/softmax/problem.c). The tolerances of problem.c are derived
 * from it. */
#define KB_SOFTMAX_MATH_ULPS 4

/* The book's delta inside the log of the loss (the default of a descriptor
 * without a delta field). */
#define KB_SOFTMAX_DEFAULT_DELTA 1e-7f
/* The smallest positive delta accepted: a float y[n,t] may be flushed to 0
 * when below 4 * FLT_MIN (see problem.c), which moves log(y + delta) by at
 * most 4 * FLT_MIN / delta; from 1e-30 on that is below float resolution. */
#define KB_SOFTMAX_MIN_DELTA 1e-30f

/* --- exp(x) = 2^n * e^r, n = round(x / ln 2), r = x - n ln 2 ------------------
 * Cody-Waite reduction with a two-part ln 2 evaluated with FMA: for
 * |n| < 2^24 the first step x - n*LN2_HI is exact (both terms are multiples of
 * 2^-24 once |x| >= 0.5 and the difference is below 1), the second rounds
 * once, so |r| <= ln2/2 + tiny with an error of about 0.35 ulp of 1.
 * e^r on [-ln2/2, ln2/2]: 1 + r + C2 r^2 + ... + C6 r^6, coefficients fitted
 * (minimax in relative error, each rounded to float in turn and the rest
 * refitted) for this project; approximation error 3.1e-9 = 0.03 FLT_EPSILON,
 * the rest is the float Horner evaluation. */
#define KB_EXP_LOG2E 0x1.715476p+0f
#define KB_EXP_LN2_HI 0x1.62e430p-1f
#define KB_EXP_LN2_LO (-0x1.05c610p-29f)
#define KB_EXP_C2 0x1.fffffcp-2f
#define KB_EXP_C3 0x1.555492p-3f
#define KB_EXP_C4 0x1.5558acp-5f
#define KB_EXP_C5 0x1.12397cp-7f
#define KB_EXP_C6 0x1.6a5198p-10f
/* The two-pass variant works on unshifted logits up to this magnitude: the
 * float product x * log2(e) that picks n is then within 2^-7 of exact, so r
 * stays within ln2/2 + 0.006 of the polynomial's interval. Rows with larger
 * logits take the three-pass path. */
#define KB_SOFTMAX_TWO_PASS_MAX_ABS 0x1p16f
/* Below this exp(x) < 2^-126.5 (n = -127): flushed to 0 by the AVX2 exp,
 * whose scale 2^n is built from exponent bits (biased exponent 0 = 0.0). */
#define KB_EXP_AVX2_MIN_ARG (-88.0f)
/* Below this exp(x) < 2^-150 rounds to 0 in float anyway; clamping keeps the
 * reduction's n far from integer overflow for any input. */
#define KB_EXP_MIN_ARG (-110.0f)

/* The vector exps on arrays (exp_avx2.c, exp_avx512.c), for the accuracy
 * test; call only when the CPU has the ISA. kb_softmax_exp_*: e^x for x <= 0
 * as the three-pass rows use it; kb_softmax_exp_pn_avx512: the two-pass
 * form e^x = p * 2^n for |x| <= KB_SOFTMAX_TWO_PASS_MAX_ABS. */
void kb_softmax_exp_avx2(const float *x, float *y, size_t count);
void kb_softmax_exp_avx512(const float *x, float *y, size_t count);
void kb_softmax_exp_pn_avx512(const float *x, float *p, float *n, size_t count);

/* --- labels ---------------------------------------------------------------- */

/* Whether every index label is an integer in [0, classes). Written without
 * branches or int64 conversions so that compilers vectorise it (a scalar
 * loop cost about 3 us per 3000 labels, a tenth of a 10-class forward). */
static inline bool kb_softmax_index_labels_valid(const kb_softmax_shape *s,
                                                 const float *labels) {
    const float classes = (float)s->classes; /* exact: classes <= 2^24 */
    int bad = 0;
    for (int64_t n = 0; n < s->batch; n++) {
        const float t = labels[n];
        /* NaN fails the range test; a fraction fails the round trip, taken
         * on a value in range (so the int32 conversion is defined). */
        const int in_range = (t >= 0.0f) & (t < classes);
        union {
            float value;
            uint32_t bits;
        } u = {.value = t};
        u.bits &= -(uint32_t)in_range; /* 0.0f out of range: no select to if-convert */
        bad |= !in_range | ((float)(int32_t)u.value != u.value);
    }
    return bad == 0;
}

/* First index of the row maximum (a NaN never wins). */
static inline int64_t kb_softmax_argmax(const float *row, int64_t classes) {
    int64_t best = 0;
    for (int64_t j = 1; j < classes; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

/* The class of row n (index labels must have been validated). */
static inline int64_t kb_softmax_label(const kb_softmax_shape *s, const float *labels,
                                       int64_t n) {
    return s->one_hot ? kb_softmax_argmax(labels + n * s->classes, s->classes)
                      : (int64_t)labels[n];
}

/* --- row drivers --------------------------------------------------------------
 * The threaded variants process whole rows: a contiguous block of rows per
 * thread (rows cost the same), so no two threads touch one output row. The
 * loss terms of a thread are summed in double (kb_softmax_loss_part) into
 * its own slot of the workspace, and the slots are added in thread order
 * after the parallel region: race-free, and the same result for the same
 * thread count. With one thread no parallel region is opened (it costs about
 * a microsecond, more than a 1000-class row). */

typedef struct kb_softmax_rows {
    const kb_softmax_shape *shape;
    const float *x;      /* fwd: src */
    const float *labels; /* NULL for plain softmax */
    float *y;            /* fwd: dst */
    const float *y_in;   /* bwd: the saved dst (Y) */
    float *dx;           /* bwd: diff_src */
    bool loss;           /* fwd: compute the loss term of each row */
    bool stream;         /* the output is over core/stream.h's threshold (set
                            by the drivers; the AVX2 rows then stream it) */
    bool stream_groups;  /* the same for the groups of short rows (below) */
    const int32_t *lane_row; /* groups: the row (0-7) of each of a group's
                                8 * classes floats */
} kb_softmax_rows;

/* What row n of `base` (a batch x classes tensor the rows read) prefetches:
 * `classes` floats two rows ahead, or 2048 floats ahead for rows shorter than
 * 1024, so the requests are out about 8 KiB before the rows need them (one
 * row ahead left the 1-thread DRAM forward waiting: 10 GB/s against 11-13
 * with two, on a Zen 3); NULL past the tensor. Rows are contiguous, so every
 * row prefetching its own length at a fixed distance covers the tensor. */
static inline const float *kb_softmax_prefetch_ahead(const kb_softmax_shape *s, const float *base,
                                                     int64_t n) {
    const int64_t classes = s->classes, total = s->batch * classes;
    const int64_t ahead = classes >= 1024 ? 2 * classes : 2048;
    const int64_t at = n * classes + ahead;
    return at + classes <= total ? base + at : NULL;
}

/* The shortest row a variant streams: streaming stores only pay on whole
 * lines, and a row's first and last line are shared with its neighbours'
 * ordinary head and tail stores; mixing the two kinds in one line flushes the
 * write-combining buffer each time (the book's 10-class rows ran at 0.9
 * GB/s streamed against 7 with ordinary stores, DRAM, Zen 3). */
#define KB_SOFTMAX_STREAM_MIN_CLASSES 256

/* The longest row whose exps a streaming variant keeps in its L1 scratch
 * (16 KiB on the stack) before writing y once; longer rows scale y in place
 * with ordinary stores. */
#define KB_SOFTMAX_SCRATCH 4096

/* The label of row n when one_hot is false; for one-hot labels the row
 * function gets the label row (labels + n * classes) and takes its argmax
 * itself, vectorised where it can. */
static inline const float *kb_softmax_onehot_row(const kb_softmax_rows *r, int64_t n) {
    return r->shape->one_hot ? r->labels + n * r->shape->classes : NULL;
}

/* A row's loss term as offset - log(factor): the driver multiplies the
 * factors of a thread's rows (renormalising the exponent every few rows)
 * and takes one log per thread instead of one per row, which for the book's
 * 10 classes is most of a row's time. The product rounds once per row in
 * double (relative 2^-53): far below float resolution. */
typedef struct kb_softmax_loss_part {
    double factor; /* in [2^-126, 2^128]: y_t + delta with delta >= 1e-30,
                      1/S >= 2^-24, a normal y_t (oneDNN's delta-0 loss) */
    double offset;
} kb_softmax_loss_part;

#define KB_SOFTMAX_NO_LOSS ((kb_softmax_loss_part){1.0, 0.0})

/* fwd: writes y of row n and returns its loss term (KB_SOFTMAX_NO_LOSS
 * without loss). */
typedef kb_softmax_loss_part kb_softmax_fwd_row_fn(const kb_softmax_rows *r, int64_t n);
/* bwd: writes dx of row n for class t. */
typedef void kb_softmax_bwd_row_fn(const kb_softmax_rows *r, int64_t n, int64_t t);

/* --- short rows, eight at a time ---------------------------------------------
 * A row of the book's 10 classes is shorter than two vectors: processed
 * alone, it is all horizontal reductions, masked tails and loop overhead
 * (about 170 cycles a row on a Zen 3, 0.1 of the DRAM bandwidth). Eight rows
 * of M classes are exactly M whole vectors, though, and every step of the
 * softmax but the row max and the row sum is elementwise. So a variant may
 * give the drivers a group function for rows of at most
 * KB_SOFTMAX_GROUP_MAX_CLASSES classes: it gets eight rows that start at a
 * row index divisible by 8 (so at a 32-byte boundary of 32-byte aligned
 * tensors) and the lane_row table, which says which of the eight rows each
 * float of the group belongs to. The drivers run the rows before the first
 * such group and after the last one through the row function. */
/* Where groups stop paying (AVX2, Zen 3, rows in L2; cycles per row, rows
 * alone / groups): fwd 10 classes 170 / 26, 64: 210 / 125, 100: about
 * even, 128: 225 / 260+; bwd 64: 50 / 40. */
#define KB_SOFTMAX_GROUP_MAX_CLASSES 64

/* The loss terms of groups' rows, kept lane by lane (lane i: row i of every
 * group) in the form of a thread's loss: the sum over lanes of
 * offset[i] - log(product[i] * 2^exponent[i]). A group function multiplies
 * each lane's product by its row's factor and takes the exponent out after
 * every group, so product stays in [1, 2) between groups (one factor in
 * [2^-126, 2^128] never overflows or underflows it); the driver folds the
 * lanes into its sum at the end. Eight rows' loss terms then cost a few
 * vector operations instead of a scalar pass over eight rows (10 classes:
 * about a fifth of the forward's time). */
typedef struct kb_softmax_group_loss {
    double product[8];
    double offset[8];
    int64_t exponent[8];
} kb_softmax_group_loss;

/* fwd: writes y of `groups` (at most KB_SOFTMAX_GROUPS_PER_CALL) groups from
 * row n and, with loss, adds their rows' terms to *loss. */
typedef void kb_softmax_fwd_group_fn(const kb_softmax_rows *r, int64_t n, int64_t groups,
                                     kb_softmax_group_loss *loss);
#define KB_SOFTMAX_GROUPS_PER_CALL 16
/* bwd: writes dx of `groups` groups from row n, taking their classes from
 * r->labels. */
typedef void kb_softmax_bwd_group_fn(const kb_softmax_rows *r, int64_t n, int64_t groups);

/* How far ahead of a group a variant prefetches its input: 2048 floats,
 * about 8 KiB, as kb_softmax_prefetch_ahead does for short rows (AVX2
 * backward, 10 classes, DRAM, 1 thread: 11 -> 14 GB/s). */
#define KB_SOFTMAX_GROUP_PREFETCH 2048

/* Bytes of workspace the drivers need (one cache line per thread). */
size_t kb_softmax_workspace_bytes(const kb_problem *problem, const kb_context *ctx);

/* Validates the labels, runs `row` (and `group` where not NULL, see above)
 * over every row with ctx->threads threads, writes the loss (softmax_xent). */
kb_status kb_softmax_fwd_drive(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, void *workspace,
                               kb_softmax_fwd_row_fn *row, kb_softmax_fwd_group_fn *group);
/* Validates the labels and runs `row` (and `group` where not NULL) over
 * every row (class found by kb_softmax_label when `argmax_in_row` is false,
 * else t = -1 and the row function takes the argmax of
 * kb_softmax_onehot_row itself). */
kb_status kb_softmax_bwd_drive(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, kb_softmax_bwd_row_fn *row,
                               kb_softmax_bwd_group_fn *group, bool argmax_in_row);

/* The loss term of one row from its float results (standard three-pass
 * variants): -log(y_t + delta), or with delta = 0 log S - (x_t - m) =
 * -log(1/S) - (x_t - m), in double. */
static inline kb_softmax_loss_part kb_softmax_loss_term(float delta, float y_t, float sum,
                                                        float x_t, float max) {
    if (delta > 0.0f) return (kb_softmax_loss_part){(double)y_t + (double)delta, 0.0};
    return (kb_softmax_loss_part){1.0 / (double)sum, -((double)x_t - (double)max)};
}

#endif
