/* softmax and softmax_xent problem rules: descriptors, sizes, tolerances,
 * fills. Formulas and label rules: softmax.h.
 *
 * Descriptor grammar (both kernels): tokens, optionally separated by '_' or
 * blanks, optionally ending with n"name":
 *   mb<int>      batch N (rows), default 2 as in benchdnn
 *   ic<int>      classes M (the softmax axis), required
 *   onehot       softmax_xent only: labels are an N x M one-hot matrix
 *                (default: N class indices stored as floats)
 *   delta<num>   softmax_xent only: the delta inside the log of the loss,
 *                0 (the exact loss) or a decimal >= 1e-30; default 1e-7 (the
 *                book's), e.g. delta0, delta1e-7, delta0.001
 * Canonical form: mb<N>ic<M>[onehot][delta<d>], delta only when it is not the
 * default, printed so that it parses back to the same float.
 *
 * Tensors (all float): fwd src X (N x M) -> dst Y (N x M); softmax_xent fwd
 * also reads labels (N, or N x M with onehot) and writes loss (1 float);
 * softmax_xent bwd reads dst (the saved Y) and labels and writes diff_src
 * dX = (Y - T)/N. The loss is a fixed function of X and the labels, so bwd
 * takes no diff_dst (dL/dL = 1, as in the book's SoftmaxWithLoss).
 *
 * Minimum bytes (the default rule: each tensor of the direction once):
 *   softmax fwd        4 * (N*M read + N*M written)
 *   softmax_xent fwd   4 * (N*M + labels read, N*M + 1 written)
 *   softmax_xent bwd   4 * (N*M + labels read, N*M written)
 * with labels = N, or N*M with onehot. No flops are counted: the kernels are
 * memory-bound and reported in GB/s.
 *
 * Tolerances (bench/check.h: |got - ref| <= (L + 2) * eps * mag, eps =
 * FLT_EPSILON = 2u). c = KB_SOFTMAX_MATH_ULPS = 4: any variant whose exp and
 * log have a relative error <= c*eps passes (libm: <= 1; the project's vector
 * exp: 0.64, see below).
 *
 *   dst y[j] = e_j / S, d_j = x_j - m, e_j = exp(d_j). In float:
 *     - fl(x_j - m) has error u|d_j|, so e_j gets a relative error u|d_j|
 *       (the two-pass variant, which never subtracts, avoids it) plus c*eps
 *       from exp;
 *     - S, a float sum of M positive terms in any order: (M-1)u*S from the
 *       additions plus sum_k e_k(u|d_k| + c eps) <= (M/e)u + c eps S from the
 *       terms (t*exp(-t) <= 1/e); relative to S >= 1 (the maximum's term):
 *       <= eps (M/(2e) + (M-1)/2 + c);
 *     - the division (or reciprocal and product): <= eps.
 *   So |dy_j|/y_j <= eps (|d_j|/2 + 2c + 0.69 M + 1). With
 *     mag_j = y_j (1 + |d_j|) + FLT_MIN/FLT_EPSILON  and  L = M + 2c
 *   the tolerance is >= eps y_j (M + 2c + 2)(1 + |d_j|), which covers it.
 *   The last term of mag allows an absolute error of (L + 2) FLT_MIN: a
 *   variant may flush any y below 4 * FLT_MIN to 0 (an exp that builds 2^n
 *   from exponent bits cannot make subnormals).
 *
 *   loss, per row l_n = -log(y_t + delta) (delta > 0) or log S - d_t
 *   (delta = 0): the y_t (or S) error above moves l_n by at most
 *   eps (|d_t|/2 + 2c + 0.69 M + 1) (d(log) = dy/(y + delta) <= dy/y), the log
 *   itself by c eps |l_n|, a flushed y_t by 4 FLT_MIN/delta <= eps (delta >=
 *   1e-30); the float sum of N terms in any order adds (N-1)u sum|l_n|, the
 *   1/N one rounding. With
 *     mag = (1/N) sum_n (1 + |l_n| + |d_{t_n}|)  and  L = M + N + 2c
 *   every term is covered.
 *
 *   diff_src (y - t)/N: one subtraction, one division (or 1/N, a product and
 *   possibly y/N - t/N): <= 3u (|y| + |t|)/N. With mag = (|y| + |t|)/N (the
 *   sum of the absolute terms, as for every other kernel) L = 0 suffices:
 *   2 eps = 4u.
 *
 * The project's polynomial exp (softmax.h), measured against exp() in double
 * by tests/test_softmax_exp_accuracy.c with KB_EXP_EXHAUSTIVE=1, every float
 * argument: e^x for x in [-104, 0] (the three-pass variants' x - max): max
 * relative error 0.634 FLT_EPSILON where e^x is a normal float (AVX-512;
 * worst at x = -15.655158; AVX2, which rounds n by a magic add in the FMA
 * instead of a round of the product, 0.623 at x = -15.648103), and below
 * FLT_MIN an absolute error of at most 0.707 FLT_MIN (the AVX2 flush;
 * AVX-512's vscalefps rounds subnormals correctly); the two-pass form p =
 * e^(x - n ln2) for x in [-2^16, 2^16]: 0.640 FLT_EPSILON. libm's expf:
 * 0.500. The contract c = 4 holds with a margin of 6. The default ctest run
 * samples every 17th float and asserts the contract.
 *
 * integer_exact: false (exp and division are not exact on integer inputs). */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/descriptor.h"
#include "core/kernel_ops.h"
#include "softmax/softmax.h"

static bool has_loss(const kb_problem *p) { return p->kernel == KB_KERNEL_SOFTMAX_XENT; }

/* --- descriptors ------------------------------------------------------------ */

static kb_status validate(const kb_problem *p, char *why, size_t why_len) {
    const kb_softmax_shape *s = &p->softmax;
    const struct {
        const char *field;
        int64_t value;
    } fields[] = {{"mb", s->batch}, {"ic", s->classes}};
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
    int64_t elems;
    if (__builtin_mul_overflow(s->batch, s->classes, &elems) || elems > KB_MAX_TENSOR_ELEMS) {
        snprintf(why, why_len, "src (mb*ic): more than 2^40 elements (%" PRId64 "*%" PRId64 ")",
                 s->batch, s->classes);
        return KB_ERR_INVALID;
    }
    if (!has_loss(p)) {
        if (s->one_hot) {
            snprintf(why, why_len, "onehot: softmax has no labels (softmax_xent has)");
            return KB_ERR_INVALID;
        }
        return KB_OK;
    }
    if (!isfinite(s->delta) || s->delta < 0.0f ||
        (s->delta > 0.0f && s->delta < KB_SOFTMAX_MIN_DELTA)) {
        snprintf(why, why_len, "delta: %g must be 0 or a finite number >= %g", (double)s->delta,
                 (double)KB_SOFTMAX_MIN_DELTA);
        return KB_ERR_INVALID;
    }
    return KB_OK;
}

static kb_status parse(const char *descriptor, kb_problem *p, char *why, size_t why_len) {
    static const char *const onehot[] = {"onehot", NULL};
    enum { F_MB, F_IC, F_ONEHOT, F_DELTA, F_COUNT };
    kb_desc_field f[F_COUNT] = {
        [F_MB] = {.name = "mb"},
        [F_IC] = {.name = "ic"},
        [F_ONEHOT] = {.name = "onehot", .words = onehot},
        [F_DELTA] = {.name = "delta", .real = true, .real_value = KB_SOFTMAX_DEFAULT_DELTA},
    };
    kb_status status = kb_desc_parse(descriptor, f, F_COUNT, why, why_len);
    if (status != KB_OK) return status;
    /* Both kernels read the same tokens, so that softmax names what it lacks. */
    for (int i = F_ONEHOT; i <= F_DELTA && !has_loss(p); i++) {
        if (f[i].given) {
            snprintf(why, why_len, "%s: softmax has no loss or labels (softmax_xent has)",
                     f[i].name);
            return KB_ERR_INVALID;
        }
    }
    if (!f[F_IC].given) {
        snprintf(why, why_len, "ic: missing in '%s'", descriptor);
        return KB_ERR_INVALID;
    }
    p->softmax = (kb_softmax_shape){
        .batch = f[F_MB].given ? f[F_MB].value : 2,
        .classes = f[F_IC].value,
        .one_hot = f[F_ONEHOT].given,
        .delta = has_loss(p) ? f[F_DELTA].real_value : 0.0f,
    };
    return validate(p, why, why_len);
}

static void format(const kb_problem *p, char *buf, size_t buf_len) {
    const kb_softmax_shape *s = &p->softmax;
    int n = snprintf(buf, buf_len, "mb%" PRId64 "ic%" PRId64, s->batch, s->classes);
    if (!has_loss(p)) return;
    if (s->one_hot && n >= 0 && (size_t)n < buf_len)
        n += snprintf(buf + n, buf_len - n, "onehot");
    if (s->delta != KB_SOFTMAX_DEFAULT_DELTA && n >= 0 && (size_t)n < buf_len) {
        /* The shortest of %g and %.9g that reads back as the same float. */
        char text[32];
        snprintf(text, sizeof text, "%g", (double)s->delta);
        if (strtof(text, NULL) != s->delta) snprintf(text, sizeof text, "%.9g", (double)s->delta);
        snprintf(buf + n, buf_len - n, "delta%s", text);
    }
}

/* --- sizes and roles ------------------------------------------------------------ */

static size_t arg_elems(const kb_problem *p, kb_arg arg) {
    const kb_softmax_shape *s = &p->softmax;
    const size_t matrix = (size_t)(s->batch * s->classes);
    const size_t labels = s->one_hot ? matrix : (size_t)s->batch;
    const bool fwd = p->direction == KB_DIR_FWD;
    switch (arg) {
    case KB_ARG_SRC: return fwd ? matrix : 0;
    case KB_ARG_DST: return matrix; /* fwd output, bwd input */
    case KB_ARG_LABELS: return has_loss(p) ? labels : 0;
    case KB_ARG_LOSS: return has_loss(p) && fwd ? 1 : 0;
    case KB_ARG_DIFF_SRC: return has_loss(p) && !fwd ? matrix : 0;
    default: return 0;
    }
}

static kb_arg_role arg_role(const kb_problem *p, kb_arg arg) {
    if (arg_elems(p, arg) == 0) return KB_ROLE_NONE;
    if (p->direction == KB_DIR_FWD)
        return arg == KB_ARG_DST || arg == KB_ARG_LOSS ? KB_ROLE_OUT : KB_ROLE_IN;
    return arg == KB_ARG_DIFF_SRC ? KB_ROLE_OUT : KB_ROLE_IN;
}

/* See the tolerance derivation at the top of this file. */
static int64_t reduction_length(const kb_problem *p, kb_arg arg) {
    const kb_softmax_shape *s = &p->softmax;
    switch (arg) {
    case KB_ARG_DST: return s->classes + 2 * KB_SOFTMAX_MATH_ULPS;
    case KB_ARG_LOSS: return s->classes + s->batch + 2 * KB_SOFTMAX_MATH_ULPS;
    default: return 0; /* diff_src */
    }
}

static bool integer_exact(const kb_problem *p) {
    (void)p;
    return false;
}

/* Labels in range (index labels) or exactly one 1 per row (one-hot); the
 * saved Y of bwd a true softmax output (positive rows summing to 1), the
 * softmax of the generic fill. Logits use the generic fill. */
static bool fill(const kb_problem *p, kb_arg arg, float *data, size_t count, bool real,
                 uint64_t seed) {
    const kb_softmax_shape *s = &p->softmax;
    uint64_t state = seed;
    if (arg == KB_ARG_LABELS) {
        if (s->one_hot) memset(data, 0, count * sizeof *data);
        for (int64_t n = 0; n < s->batch; n++) {
            const int64_t t = (int64_t)(kb_random_next(&state) % (uint64_t)s->classes);
            if (s->one_hot)
                data[n * s->classes + t] = 1.0f;
            else
                data[n] = (float)t;
        }
        return true;
    }
    if (arg == KB_ARG_DST && p->direction == KB_DIR_BWD) {
        kb_fill_values(data, count, real, seed);
        for (int64_t n = 0; n < s->batch; n++) {
            float *row = data + n * s->classes;
            double max = row[0], sum = 0.0;
            for (int64_t j = 1; j < s->classes; j++) max = fmax(max, row[j]);
            for (int64_t j = 0; j < s->classes; j++) sum += exp(row[j] - max);
            for (int64_t j = 0; j < s->classes; j++) row[j] = (float)(exp(row[j] - max) / sum);
        }
        return true;
    }
    return false;
}

static bool set_batch(kb_problem *p, int64_t batch) {
    p->softmax.batch = batch;
    return true;
}

/* X, Y, dX: batch x classes; labels: batch indices, or batch x classes one-hot;
 * the loss: a scalar (0 dimensions). */
static int arg_dims(const kb_problem *p, kb_arg arg, int64_t dims[KB_MAX_ARG_DIMS]) {
    const kb_softmax_shape *s = &p->softmax;
    switch (arg) {
    case KB_ARG_SRC:
    case KB_ARG_DST:
    case KB_ARG_DIFF_SRC: dims[0] = s->batch, dims[1] = s->classes; return 2;
    case KB_ARG_LABELS:
        dims[0] = s->batch;
        if (!s->one_hot) return 1;
        dims[1] = s->classes;
        return 2;
    default: return 0;
    }
}

const kb_kernel_ops kb_softmax_ops = {
    .kernel = KB_KERNEL_SOFTMAX,
    .directions = KB_DIRECTION_BIT(KB_DIR_FWD),
    .parse = parse,
    .format = format,
    .validate = validate,
    .arg_elems = arg_elems,
    .arg_role = arg_role,
    .reduction_length = reduction_length,
    .integer_exact = integer_exact,
    .fill = fill,
    .set_batch = set_batch,
    .arg_dims = arg_dims,
};

const kb_kernel_ops kb_softmax_xent_ops = {
    .kernel = KB_KERNEL_SOFTMAX_XENT,
    .directions = KB_DIRECTION_BIT(KB_DIR_FWD) | KB_DIRECTION_BIT(KB_DIR_BWD),
    .parse = parse,
    .format = format,
    .validate = validate,
    .arg_elems = arg_elems,
    .arg_role = arg_role,
    .reduction_length = reduction_length,
    .integer_exact = integer_exact,
    .fill = fill,
    .set_batch = set_batch,
    .arg_dims = arg_dims,
};
