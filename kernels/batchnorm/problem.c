/* batchnorm problem rules: descriptor, validation, tensors, tolerance.
 *
 * Descriptor (benchdnn bnorm style), e.g. "mb100ic50", "mb32ic64ih56spatial",
 * "mb8ic3ih5iw7eps1e-05mom0.99":
 *   a sequence of tokens, optionally separated by '_' or blanks:
 *     mb<int> ic<int> ih<int> iw<int>   sizes (N, C, H, W)
 *     eps<real>                         epsilon, > 0 (default 1e-6, the book's 10e-7)
 *     mom<real>                         running-statistics momentum in [0, 1] (default 0.9)
 *     spatial                           one statistic per channel over N*H*W
 *   optionally ending with n"name" (ignored here; shape sets keep it).
 * Defaults: mb 2; ih and iw 1, and when only one of them is given the other
 * copies it (square images name ih only). Without `spatial` the problem is
 * per feature, the book's layer: a 4-D input is flattened to N x (C*H*W) and
 * every feature gets its own statistics over the batch. ic is mandatory.
 * Canonical form: mb, ic, then ih (and iw when it differs) unless both are 1,
 * then `spatial`, eps and mom when they differ from the defaults; eps and mom
 * print with the fewest digits that read back to the same float.
 *
 * Tensors (F = features: C spatial, C*H*W per feature; M = count per statistic:
 * N*H*W spatial, N per feature):
 *   fwd_train  in: src, scale (gamma, F), shift (beta, F)
 *              out: dst, mean (F), variance (F, population: divided by M)
 *              in-out: running_mean, running_variance (F): r <- m r + (1-m) batch,
 *              the variance biased (divided by M) as in the book
 *   fwd_infer  in: src, scale, shift, running_mean, running_variance; out: dst
 *   bwd        in: src, diff_dst, scale, mean, variance (the saved batch
 *              statistics); out: diff_src, diff_scale, diff_shift
 *
 * Tolerance: |got - ref| <= (L + 2) * FLT_EPSILON * mag per element (ε = FLT_EPSILON
 * = 2u). mag is computed by the reference (reference/batchnorm.c has the
 * formulas); L and mag come from a first-order rounding analysis of a float32
 * implementation that reduces with any summation order and computes the
 * variance in two passes, sum((x - mean)^2) around its own float mean (the
 * formula every variant here uses; a one-pass E[x^2] - E[x]^2 is not covered
 * and fails the large-offset test):
 *   mean      a float sum of M terms, then a division: error <= (M+1)u sum|x| / M,
 *             so L = M, mag = mean|x|.
 *   variance  with the float mean off by d (|d| <= (M+1)u mean|x|), the exact
 *             identity sum (x - mean - d)^2 = sum (x - mean)^2 + M d^2 makes the
 *             effect of d second order (d^2); the squares and their sum add
 *             (M+4)u relative. L = M, mag = var + 2(M+2) ε mean|x|^2, whose second
 *             term covers d^2 (it matters only when |mean| >> spread: the
 *             large-offset case, where it is still 10^4 times below the error of
 *             a one-pass formula).
 *   dst       y = gamma (x - mean) inv + beta, inv = 1/sqrt(var + eps). The mean's
 *             error moves y by |gamma| inv d; the variance's error D moves it by
 *             |gamma (x - mean)| inv^3 D / 2; the fixed chain (subtract, add, sqrt,
 *             divide, multiply, add) adds <= 6.5u (|gamma x̂| + |beta|). L = M,
 *             mag = |beta| + |gamma| inv (|x - mean| + mean|x| + |x - mean| inv^2
 *             mag_var): each term's budget 2(M+2)u covers its source for M >= 2
 *             (the inv^3 term twice over, leaving room for the curvature of
 *             1/sqrt while D <= (var + eps) / 2); M = 1 is exact (x - mean = 0).
 *   running   m r + (1-m) batch: mag = |m r| + |1-m| mag(batch statistic), L = M.
 *   fwd_infer no reduction: the chain above, with or without folding into
 *             y = a x + b, stays below 6.5u (|gamma| inv (|x| + |r_mean|) + |beta|),
 *             so L = 2 (tolerance 8u) with that mag.
 *   bwd       with the given mean and variance, x̂ = (x - mean) inv,
 *             diff_shift = sum dy (L = M, mag = sum|dy|),
 *             diff_scale = sum dy x̂ (L = M + 2, mag = sum|dy x̂|: the sum plus up
 *             to 5.5u per term for x̂ and the product),
 *             diff_src = gamma inv (dy - diff_shift/M - x̂ diff_scale/M)
 *             (L = M + 8, mag = |gamma| inv (|dy| + mean|dy| + |x̂| mean|dy x̂|): the
 *             sums' errors plus a chain of at most ~16 roundings).
 * The offset of x never enters a bwd bound: x - mean is exact when they are
 * close (Sterbenz), and every variant forms it before multiplying.
 * Limits of the bound: it is first order in u (second-order terms are
 * covered by the factors of two above while (M+2) ε mag_var <= var + eps);
 * and the variance term 2 ((M+2) ε mean|x|)^2 is the true worst case of a
 * float mean (one accumulator, M terms) but grows as M^2: with |mean| >>
 * spread it swamps var once M ε |mean| approaches the spread, and the check
 * then no longer separates two-pass from one-pass formulas (the large-offset
 * test, with M <= 6272 and mean 1e4, still fails a one-pass variance by 3x to
 * 10^5x, and shows it). A Welford update has a larger worst case (M κ u,
 * κ = |mean| / spread) that this bound does not cover; no variant uses it.
 *
 * Minimum bytes: the default rule (every input read once, every output
 * written once, each in-out tensor twice): fwd_train and fwd_infer move
 * 2 |x| floats plus the per-feature vectors, bwd 3 |x| (src and diff_dst
 * read, diff_src written). The variants read x three times in fwd_train (sum,
 * squares, output) and twice in bwd, but block so that the re-reads come from
 * cache (batchnorm.h).
 *
 * Not integer-exact: the outputs divide and take square roots.
 *
 * Numerical edge policy (tests/test_batchnorm_edges.c): IEEE propagation,
 * feature by feature (channel by channel with spatial). A NaN in one
 * feature's src makes that feature's mean, variance, running statistics and
 * dst NaN; an Inf gives an Inf mean and a NaN variance (Inf - Inf), so NaN
 * outputs there; in bwd a NaN or Inf diff_dst poisons its feature's
 * diff_scale, diff_shift and diff_src; other features stay finite and
 * within the tolerance. fwd_infer has no reduction: a NaN/Inf src element
 * reaches its own dst element only. Every variant, oneDNN included, follows
 * it; subnormal src is computed as such (bench sets FTZ/DAZ, the tests do
 * not). Sizes: each field up to KB_MAX_DIM, src up to KB_MAX_TENSOR_ELEMS;
 * counts and bytes are exact 64-bit values past 2^31 elements. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchnorm/batchnorm.h"
#include "core/descriptor.h"
#include "core/kernel_ops.h"

enum { F_MB, F_IC, F_IH, F_IW, F_SPATIAL, F_EPS, F_MOM, F_COUNT };

static kb_status validate_shape(const kb_batchnorm_shape *s, char *why, size_t why_len) {
    const struct {
        const char *field;
        int64_t value;
    } fields[] = {{"mb", s->batch}, {"ic", s->channels}, {"ih", s->height}, {"iw", s->width}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i].value < 1) {
            snprintf(why, why_len, "%s: %" PRId64 " must be >= 1", fields[i].field,
                     fields[i].value);
            return KB_ERR_INVALID;
        }
        if (fields[i].value > KB_MAX_DIM) {
            snprintf(why, why_len, "%s: %" PRId64 " exceeds the limit %" PRId64, fields[i].field,
                     fields[i].value, KB_MAX_DIM);
            return KB_ERR_INVALID;
        }
    }
    int64_t elems = 1;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (__builtin_mul_overflow(elems, fields[i].value, &elems) || elems > KB_MAX_TENSOR_ELEMS) {
            snprintf(why, why_len,
                     "src (mb*ic*ih*iw): more than 2^40 elements (%" PRId64 "*%" PRId64
                     "*%" PRId64 "*%" PRId64 ")",
                     s->batch, s->channels, s->height, s->width);
            return KB_ERR_INVALID;
        }
    }
    /* eps > 0 keeps a constant feature (variance 0) finite: x̂ = 0, y = beta. */
    if (!(s->epsilon > 0.0f) || !isfinite(s->epsilon)) {
        snprintf(why, why_len, "eps: %g must be > 0", (double)s->epsilon);
        return KB_ERR_INVALID;
    }
    if (!(s->momentum >= 0.0f && s->momentum <= 1.0f)) {
        snprintf(why, why_len, "mom: %g must be in [0, 1]", (double)s->momentum);
        return KB_ERR_INVALID;
    }
    return KB_OK;
}

static kb_status parse(const char *descriptor, kb_problem *p, char *why, size_t why_len) {
    static const char *const spatial[] = {"spatial", NULL};
    /* eps and mom may be negative here, so that validation names the bound. */
    kb_desc_field f[F_COUNT] = {
        [F_MB] = {.name = "mb"},
        [F_IC] = {.name = "ic"},
        [F_IH] = {.name = "ih"},
        [F_IW] = {.name = "iw"},
        [F_SPATIAL] = {.name = "spatial", .words = spatial},
        [F_EPS] = {.name = "eps", .real = true, .sign = true,
                   .real_value = KB_BATCHNORM_DEFAULT_EPSILON},
        [F_MOM] = {.name = "mom", .real = true, .sign = true,
                   .real_value = KB_BATCHNORM_DEFAULT_MOMENTUM},
    };
    kb_status status = kb_desc_parse(descriptor, f, F_COUNT, why, why_len);
    if (status != KB_OK) return status;
    if (!f[F_IC].given) {
        snprintf(why, why_len, "ic: missing in '%s'", descriptor);
        return KB_ERR_INVALID;
    }
    if (!f[F_IH].given && !f[F_IW].given) f[F_IH].value = f[F_IW].value = 1;
    else if (!f[F_IW].given) f[F_IW].value = f[F_IH].value;
    else if (!f[F_IH].given) f[F_IH].value = f[F_IW].value;
    p->batchnorm = (kb_batchnorm_shape){
        .batch = f[F_MB].given ? f[F_MB].value : 2,
        .channels = f[F_IC].value,
        .height = f[F_IH].value,
        .width = f[F_IW].value,
        .spatial = f[F_SPATIAL].given,
        .epsilon = f[F_EPS].real_value,
        .momentum = f[F_MOM].real_value,
    };
    return validate_shape(&p->batchnorm, why, why_len);
}

static void format(const kb_problem *p, char *buf, size_t buf_len) {
    const kb_batchnorm_shape *s = &p->batchnorm;
    size_t n = 0;
#define APPEND(...)                                                                                \
    do {                                                                                           \
        if (n < buf_len) {                                                                         \
            const int k = snprintf(buf + n, buf_len - n, __VA_ARGS__);                             \
            n = k < 0 ? buf_len : n + (size_t)k;                                                   \
        }                                                                                          \
    } while (0)
    APPEND("mb%" PRId64 "ic%" PRId64, s->batch, s->channels);
    if (s->height != 1 || s->width != 1) {
        APPEND("ih%" PRId64, s->height);
        if (s->width != s->height) APPEND("iw%" PRId64, s->width);
    }
    if (s->spatial) APPEND("spatial");
    char real[32];
    if (s->epsilon != KB_BATCHNORM_DEFAULT_EPSILON) {
        kb_desc_format_real(s->epsilon, real, sizeof real);
        APPEND("eps%s", real);
    }
    if (s->momentum != KB_BATCHNORM_DEFAULT_MOMENTUM) {
        kb_desc_format_real(s->momentum, real, sizeof real);
        APPEND("mom%s", real);
    }
#undef APPEND
}

static kb_status validate(const kb_problem *p, char *why, size_t why_len) {
    return validate_shape(&p->batchnorm, why, why_len);
}

static kb_arg_role arg_role(const kb_problem *p, kb_arg arg) {
    switch (p->direction) {
    case KB_DIR_FWD_TRAIN:
        switch (arg) {
        case KB_ARG_SRC:
        case KB_ARG_SCALE:
        case KB_ARG_SHIFT: return KB_ROLE_IN;
        case KB_ARG_DST:
        case KB_ARG_MEAN:
        case KB_ARG_VARIANCE: return KB_ROLE_OUT;
        case KB_ARG_RUNNING_MEAN:
        case KB_ARG_RUNNING_VARIANCE: return KB_ROLE_INOUT;
        default: return KB_ROLE_NONE;
        }
    case KB_DIR_FWD_INFER:
        switch (arg) {
        case KB_ARG_SRC:
        case KB_ARG_SCALE:
        case KB_ARG_SHIFT:
        case KB_ARG_RUNNING_MEAN:
        case KB_ARG_RUNNING_VARIANCE: return KB_ROLE_IN;
        case KB_ARG_DST: return KB_ROLE_OUT;
        default: return KB_ROLE_NONE;
        }
    case KB_DIR_BWD:
        switch (arg) {
        case KB_ARG_SRC:
        case KB_ARG_DIFF_DST:
        case KB_ARG_SCALE:
        case KB_ARG_MEAN:
        case KB_ARG_VARIANCE: return KB_ROLE_IN;
        case KB_ARG_DIFF_SRC:
        case KB_ARG_DIFF_SCALE:
        case KB_ARG_DIFF_SHIFT: return KB_ROLE_OUT;
        default: return KB_ROLE_NONE;
        }
    default: return KB_ROLE_NONE;
    }
}

static size_t arg_elems(const kb_problem *p, kb_arg arg) {
    const kb_batchnorm_shape *s = &p->batchnorm;
    if (arg_role(p, arg) == KB_ROLE_NONE) return 0;
    switch (arg) {
    case KB_ARG_SRC:
    case KB_ARG_DST:
    case KB_ARG_DIFF_SRC:
    case KB_ARG_DIFF_DST: return (size_t)(s->batch * s->channels * s->height * s->width);
    default: return (size_t)kb_bn_geometry_of(s).features;
    }
}

/* See the top of the file for the derivation. */
static int64_t reduction_length(const kb_problem *p, kb_arg arg) {
    const int64_t count = kb_bn_geometry_of(&p->batchnorm).count;
    switch (p->direction) {
    case KB_DIR_FWD_TRAIN: return count;
    case KB_DIR_FWD_INFER: return 2;
    case KB_DIR_BWD:
        return arg == KB_ARG_DIFF_SRC ? count + 8 : arg == KB_ARG_DIFF_SCALE ? count + 2 : count;
    default: return 0;
    }
}

static bool integer_exact(const kb_problem *p) {
    (void)p; /* division and square roots */
    return false;
}

/* Variances (the saved batch variance of bwd, the running one) must be >= 0:
 * real fills take them uniform in [0.25, 2), integer fills in {1, 2, 3, 4}.
 * Every other tensor (x, gamma, beta, dy, the means) takes the generic fill;
 * bwd's saved statistics need not be those of x: the gradient formula is
 * defined for any (reference/batchnorm.c). */
static bool fill(const kb_problem *p, kb_arg arg, float *data, size_t count, bool real,
                 uint64_t seed) {
    (void)p;
    if (arg != KB_ARG_VARIANCE && arg != KB_ARG_RUNNING_VARIANCE) return false;
    uint64_t state = seed;
    for (size_t i = 0; i < count; i++) {
        const uint64_t r = kb_random_next(&state);
        data[i] = real ? (float)(0.25 + 1.75 * (double)(r >> 40) / (double)(1 << 24))
                       : (float)(1 + (int)(r % 4));
    }
    return true;
}

static bool set_batch(kb_problem *p, int64_t batch) {
    p->batchnorm.batch = batch;
    return true;
}

const kb_kernel_ops kb_batchnorm_ops = {
    .kernel = KB_KERNEL_BATCHNORM,
    .directions = KB_DIRECTION_BIT(KB_DIR_FWD_TRAIN) | KB_DIRECTION_BIT(KB_DIR_FWD_INFER) |
                  KB_DIRECTION_BIT(KB_DIR_BWD),
    .parse = parse,
    .format = format,
    .validate = validate,
    .arg_elems = arg_elems,
    .arg_role = arg_role,
    .reduction_length = reduction_length,
    .integer_exact = integer_exact,
    .fill = fill,
    .set_batch = set_batch,
};
