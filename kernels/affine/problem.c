/* affine problem rules: descriptor, validation, tensor sizes and roles,
 * tolerance factors, operation counts.
 *
 * Descriptor: benchdnn's inner-product style, "mb100ic784oc50".
 * Grammar: a sequence of <field><integer> tokens, optionally separated by '_'
 * or blanks, optionally ending with n"name" (ignored here; shape sets keep the
 * name). Fields:
 *   mb  batch N (rows of x and y), default 2 as in benchdnn;
 *   ic  in_features D (columns of x, rows of W), required;
 *   oc  out_features M (columns of W and y, length of b), required.
 * No spatial fields (benchdnn's id/ih/iw): the book's Affine layer flattens
 * its input first, so an image layer is ic = C*H*W. The canonical form names
 * every field, mb first, and parses back to the same problem.
 *
 * Tensors (row-major): fwd reads x = src (N x D), W = weights (D x M, the
 * book's x.W layout, not oneDNN's OI), b = bias (M), writes y = dst (N x M).
 * bwd reads dout = diff_dst (N x M), x = src and W = weights, writes
 * dx = diff_src (N x D), dW = diff_weights (D x M), db = diff_bias (M).
 *
 * Tolerance (bench/check.h): each output element is a sum of L terms, and the
 * reference's magnitude is the sum of their absolute values, so
 * (L + 2) * FLT_EPSILON * magnitude bounds any float summation order:
 *   y  = b + sum_d x*W        L = D + 1 (the bias is a term: whether a
 *                             variant adds it first, last, or as the GEMM's
 *                             initial C, it is one more rounded addition);
 *   dx = sum_m dout*W         L = M;
 *   dW = sum_n x*dout         L = N;
 *   db = sum_n dout           L = N.
 *
 * Operation count: fwd 2*N*D*M, bwd 4*N*D*M (two GEMMs). The N*M bias
 * additions (fwd) and the N*M column-sum additions (bwd) are not counted, as
 * conv2d does not count its bias: the rate then equals the GEMM rate of the
 * same sizes, and those additions are under 1/(2D) of the work.
 * Bytes: the default, every tensor read or written once.
 *
 * Numerical edge policy (tests/test_affine_edges.c): IEEE propagation over
 * each output's reduction (y = x W + b, dx = dout W^T, dW = x^T dout, db =
 * column sums of dout): NaN where it touches a NaN, an Inf times 0 or Infs
 * of both signs; that Inf where it touches Infs of one sign times nonzero
 * finite values; finite and within the tolerance elsewhere. Every variant
 * (oneDNN and OpenBLAS included) follows it; subnormal inputs are computed
 * as such (bench sets FTZ/DAZ, the tests do not). Sizes: each field up to
 * KB_MAX_DIM, each tensor up to KB_MAX_TENSOR_ELEMS; counts, flops and bytes
 * are exact 64-bit values past 2^31 elements. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "affine/affine.h"
#include "core/descriptor.h"
#include "core/kernel_ops.h"

enum { F_MB, F_IC, F_OC, F_COUNT };
static const char *const field_names[F_COUNT] = {"mb", "ic", "oc"};

static kb_status validate(const kb_problem *p, char *why, size_t why_len) {
    const kb_affine_shape *s = &p->affine;
    const struct {
        const char *field;
        int64_t value;
    } fields[] = {{"mb", s->batch}, {"ic", s->in_features}, {"oc", s->out_features}};
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
    /* Each size is at most 2^24, so the products below cannot overflow int64. */
    const struct {
        const char *name;
        int64_t rows, cols;
    } tensors[] = {
        {"src (mb*ic)", s->batch, s->in_features},
        {"weights (ic*oc)", s->in_features, s->out_features},
        {"dst (mb*oc)", s->batch, s->out_features},
    };
    for (size_t i = 0; i < sizeof tensors / sizeof tensors[0]; i++) {
        if (tensors[i].rows * tensors[i].cols > KB_MAX_TENSOR_ELEMS) {
            snprintf(why, why_len, "%s: more than 2^40 elements (%" PRId64 "*%" PRId64 ")",
                     tensors[i].name, tensors[i].rows, tensors[i].cols);
            return KB_ERR_INVALID;
        }
    }
    return KB_OK;
}

static kb_status parse(const char *descriptor, kb_problem *p, char *why, size_t why_len) {
    kb_desc_field fields[F_COUNT];
    for (int f = 0; f < F_COUNT; f++) fields[f] = (kb_desc_field){.name = field_names[f]};
    kb_status status = kb_desc_parse(descriptor, fields, F_COUNT, why, why_len);
    if (status != KB_OK) return status;
    if (!fields[F_IC].given || !fields[F_OC].given) {
        snprintf(why, why_len, "%s: missing in '%s'", fields[F_IC].given ? "oc" : "ic",
                 descriptor);
        return KB_ERR_INVALID;
    }
    p->affine = (kb_affine_shape){
        .batch = fields[F_MB].given ? fields[F_MB].value : 2,
        .in_features = fields[F_IC].value,
        .out_features = fields[F_OC].value,
    };
    return validate(p, why, why_len);
}

static void format(const kb_problem *p, char *buf, size_t buf_len) {
    const kb_affine_shape *s = &p->affine;
    snprintf(buf, buf_len, "mb%" PRId64 "ic%" PRId64 "oc%" PRId64, s->batch, s->in_features,
             s->out_features);
}

static size_t arg_elems(const kb_problem *p, kb_arg arg) {
    const kb_affine_shape *s = &p->affine;
    const size_t x = (size_t)(s->batch * s->in_features);
    const size_t w = (size_t)(s->in_features * s->out_features);
    const size_t y = (size_t)(s->batch * s->out_features);
    const size_t b = (size_t)s->out_features;
    switch (p->direction) {
    case KB_DIR_FWD:
        switch (arg) {
        case KB_ARG_SRC:
            return x;
        case KB_ARG_WEIGHTS:
            return w;
        case KB_ARG_BIAS:
            return b;
        case KB_ARG_DST:
            return y;
        default:
            return 0;
        }
    case KB_DIR_BWD:
        switch (arg) {
        case KB_ARG_DIFF_DST:
            return y;
        case KB_ARG_SRC:
            return x;
        case KB_ARG_WEIGHTS:
            return w;
        case KB_ARG_DIFF_SRC:
            return x;
        case KB_ARG_DIFF_WEIGHTS:
            return w;
        case KB_ARG_DIFF_BIAS:
            return b;
        default:
            return 0;
        }
    default:
        return 0;
    }
}

static kb_arg_role arg_role(const kb_problem *p, kb_arg arg) {
    switch (p->direction) {
    case KB_DIR_FWD:
        if (arg == KB_ARG_DST) return KB_ROLE_OUT;
        break;
    case KB_DIR_BWD:
        if (arg == KB_ARG_DIFF_SRC || arg == KB_ARG_DIFF_WEIGHTS || arg == KB_ARG_DIFF_BIAS)
            return KB_ROLE_OUT;
        break;
    default:
        return KB_ROLE_NONE;
    }
    return arg_elems(p, arg) ? KB_ROLE_IN : KB_ROLE_NONE;
}

/* The L of each output (see the top of the file). */
static int64_t reduction_length(const kb_problem *p, kb_arg arg) {
    const kb_affine_shape *s = &p->affine;
    switch (arg) {
    case KB_ARG_DST:
        return s->in_features + 1;
    case KB_ARG_DIFF_SRC:
        return s->out_features;
    case KB_ARG_DIFF_WEIGHTS:
    case KB_ARG_DIFF_BIAS:
        return s->batch;
    default:
        return 0;
    }
}

/* Integer inputs lie in [-2, 2]: every partial sum of an output is an
 * integer of magnitude at most 4 * L (+2 for the bias), exact in float while
 * that stays below 2^24. Past it (D, M or N beyond about 4 million) the sums
 * round and the integer check uses the real-valued tolerance. */
static bool integer_exact(const kb_problem *p) {
    const kb_affine_shape *s = &p->affine;
    int64_t longest = s->in_features + 1;
    if (p->direction == KB_DIR_BWD) {
        longest = s->out_features > s->batch ? s->out_features : s->batch;
    }
    return 4 * longest + 2 < ((int64_t)1 << 24);
}

static double flops(const kb_problem *p) {
    const kb_affine_shape *s = &p->affine;
    const double gemm = 2.0 * (double)s->batch * (double)s->in_features * (double)s->out_features;
    return p->direction == KB_DIR_BWD ? 2.0 * gemm : gemm;
}

static bool set_batch(kb_problem *p, int64_t batch) {
    p->affine.batch = batch;
    return true;
}

/* x, dx: batch x in; W, dW: in x out; b, db: out; y, dout: batch x out. */
static int arg_dims(const kb_problem *p, kb_arg arg, int64_t dims[KB_MAX_ARG_DIMS]) {
    const kb_affine_shape *s = &p->affine;
    switch (arg) {
    case KB_ARG_SRC:
    case KB_ARG_DIFF_SRC: dims[0] = s->batch, dims[1] = s->in_features; return 2;
    case KB_ARG_WEIGHTS:
    case KB_ARG_DIFF_WEIGHTS: dims[0] = s->in_features, dims[1] = s->out_features; return 2;
    case KB_ARG_DST:
    case KB_ARG_DIFF_DST: dims[0] = s->batch, dims[1] = s->out_features; return 2;
    case KB_ARG_BIAS:
    case KB_ARG_DIFF_BIAS: dims[0] = s->out_features; return 1;
    default: return 0;
    }
}

const kb_kernel_ops kb_affine_ops = {
    .kernel = KB_KERNEL_AFFINE,
    .directions = KB_DIRECTION_BIT(KB_DIR_FWD) | KB_DIRECTION_BIT(KB_DIR_BWD),
    .parse = parse,
    .format = format,
    .validate = validate,
    .arg_elems = arg_elems,
    .arg_role = arg_role,
    .reduction_length = reduction_length,
    .flops = flops,
    .integer_exact = integer_exact,
    .set_batch = set_batch,
    .arg_dims = arg_dims,
};
