/* gemm problem rules: descriptor, validation, tensor sizes, tolerance factor,
 * operation count. C = alpha * op(A) * op(B) + beta * C, row-major float32
 * (kb_gemm_shape in kernbench/problem.h); A is the src tensor, B the weights,
 * C the dst.
 *
 * Descriptor grammar: tokens, optionally separated by '_' or blanks, in any
 * order, optionally ending with n"name" (ignored here; shape sets keep it):
 *   m<int> n<int> k<int>   the sizes, all three required (op(A) m x k,
 *                          op(B) k x n, C m x n)
 *   nn | nt | tn | tt      op(A) then op(B): n as stored, t transposed
 *                          (A stored k x m, B stored n x k); default nn
 *   alpha<real> beta<real> the scalars, signed decimals (1, -0.5, 1e-3) within
 *                          float range; defaults 1, 0
 * e.g. "m1024n1024k1024", "m64n48k32tn", "m7n5k3alpha2beta-1". Parsing ends
 * with validation (sizes in range, tensors within the limits). The
 * canonical form prints m, n, k, then the transposes unless nn, then alpha
 * unless 1 and beta unless 0, each scalar with the fewest digits that read
 * back to the same float; it parses back to the same problem.
 *
 * Tolerance (bench/check.h): L = k, plus 1 when beta != 0 (beta * C is one
 * more term of each sum). The magnitude the reference reports is
 * |alpha| * sum_p |a_ip * b_pj| + |beta * c_ij|. Any correct float
 * evaluation sums those k (or k + 1) terms in some order (at most k
 * additions on any term's path) and may round each term once or twice
 * before (a * b without FMA, alpha applied to a partial sum per reduction
 * slice or folded into a packed operand, beta * c): at most L + 2 roundings
 * of u = FLT_EPSILON / 2 per term, inside the checker's (L + 2) * FLT_EPSILON.
 *
 * Integer inputs (in [-2, 2]) are exact when alpha and beta are multiples of
 * 1/16 and 16 * (4k|alpha| + 2|beta|) < 2^24: then every product, partial
 * sum, scaled partial sum and beta * c, in whatever order or grouping, is a
 * multiple of 1/16 below 2^20 in magnitude, which float holds exactly. So
 * test descriptors use alpha like 2, -1 or 0.5 and beta like 0, 1, -1 or 3
 * for bit-exact checks; alpha 0.3 is checked with the real tolerance only.
 *
 * Roles: A and B are inputs; C is an output when beta == 0 (never read: bench
 * poisons it with NaN, so a variant that reads it fails) and in-out
 * otherwise. Flops: 2 * m * n * k (the alpha and beta scalings are not
 * counted). Bytes: the default (A, B read once, C written once, or read and
 * written when beta != 0). No batch: bench --batch is refused.
 *
 * Numerical edge policy (tests/test_gemm_edges.c): IEEE propagation. An
 * element of C whose dot product touches a NaN, an Inf times 0 or Infs of
 * both signs is NaN; one touching Infs of one sign (times nonzero finite
 * values) is that Inf; beta * C adds C's NaN/Inf to its own element only;
 * every other element is finite and within the tolerance. beta == 0 never
 * reads C (NaN there is ignored). alpha == 0 is, by this policy, alpha *
 * (A B) (NaN when A B holds a NaN or Inf; the reference and naive do so).
 * Documented departure: every other variant takes the BLAS shortcut for
 * alpha == 0, C = beta * C without reading A and B (gemm_blocked.h's
 * contract, so avx2, avx512 and omp_tiled; onednn.c; openblas.c). Subnormal
 * inputs are computed as such (bench sets FTZ/DAZ, the tests do not).
 * Sizes: m, n, k up to KB_MAX_DIM, A, B, C up to KB_MAX_TENSOR_ELEMS;
 * element counts, flops and bytes are exact 64-bit values past 2^31. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/descriptor.h"
#include "core/kernel_ops.h"

enum { F_M, F_N, F_K, F_COUNT };
static const char *const size_names[F_COUNT] = {"m", "n", "k"};

static kb_status validate(const kb_problem *p, char *why, size_t why_len);

static kb_status parse(const char *descriptor, kb_problem *p, char *why, size_t why_len) {
    /* The index of the word is op(A) then op(B) as bits: 2 = tn, 1 = nt. */
    static const char *const transposes[] = {"nn", "nt", "tn", "tt", NULL};
    enum { F_TRANS = F_COUNT, F_ALPHA, F_BETA, F_ALL };
    kb_desc_field f[F_ALL] = {
        [F_M] = {.name = "m"},
        [F_N] = {.name = "n"},
        [F_K] = {.name = "k"},
        [F_TRANS] = {.name = "transposes", .words = transposes},
        [F_ALPHA] = {.name = "alpha", .real = true, .sign = true, .real_value = 1.0f},
        [F_BETA] = {.name = "beta", .real = true, .sign = true},
    };
    kb_status status = kb_desc_parse(descriptor, f, F_ALL, why, why_len);
    if (status != KB_OK) return status;
    for (int i = 0; i < F_COUNT; i++)
        if (!f[i].given) {
            snprintf(why, why_len, "%s: missing in '%s'", size_names[i], descriptor);
            return KB_ERR_INVALID;
        }
    p->gemm = (kb_gemm_shape){.m = f[F_M].value,
                              .n = f[F_N].value,
                              .k = f[F_K].value,
                              .trans_a = (f[F_TRANS].value & 2) != 0,
                              .trans_b = (f[F_TRANS].value & 1) != 0,
                              .alpha = f[F_ALPHA].real_value,
                              .beta = f[F_BETA].real_value};
    return validate(p, why, why_len);
}

static void format(const kb_problem *p, char *buf, size_t buf_len) {
    const kb_gemm_shape *s = &p->gemm;
    char alpha[32] = "", beta[32] = "";
    if (s->alpha != 1.0f) kb_desc_format_real(s->alpha, alpha, sizeof alpha);
    if (s->beta != 0.0f) kb_desc_format_real(s->beta, beta, sizeof beta);
    const bool nn = !s->trans_a && !s->trans_b;
    snprintf(buf, buf_len, "m%" PRId64 "n%" PRId64 "k%" PRId64 "%s%s%s%s%s%s", s->m, s->n, s->k,
             nn ? "" : s->trans_a ? "t" : "n", nn ? "" : s->trans_b ? "t" : "n",
             *alpha ? "alpha" : "", alpha, *beta ? "beta" : "", beta);
}

static kb_status validate(const kb_problem *p, char *why, size_t why_len) {
    const kb_gemm_shape *s = &p->gemm;
    const int64_t size[F_COUNT] = {s->m, s->n, s->k};
    for (int f = 0; f < F_COUNT; f++) {
        if (size[f] < 1) {
            snprintf(why, why_len, "%s: %" PRId64 " must be >= 1", size_names[f], size[f]);
            return KB_ERR_INVALID;
        }
        if (size[f] > KB_MAX_DIM) {
            snprintf(why, why_len, "%s: %" PRId64 " exceeds the limit %" PRId64, size_names[f],
                     size[f], KB_MAX_DIM);
            return KB_ERR_INVALID;
        }
    }
    if (!isfinite(s->alpha) || !isfinite(s->beta)) {
        snprintf(why, why_len, "%s: %g is not finite", isfinite(s->alpha) ? "beta" : "alpha",
                 (double)(isfinite(s->alpha) ? s->beta : s->alpha));
        return KB_ERR_INVALID;
    }
    const struct {
        const char *name;
        int64_t rows, cols;
    } tensors[] = {{"A (m*k)", s->m, s->k}, {"B (k*n)", s->k, s->n}, {"C (m*n)", s->m, s->n}};
    for (size_t i = 0; i < sizeof tensors / sizeof tensors[0]; i++) {
        int64_t elems;
        if (__builtin_mul_overflow(tensors[i].rows, tensors[i].cols, &elems) ||
            elems > KB_MAX_TENSOR_ELEMS) {
            snprintf(why, why_len, "%s: more than 2^40 elements (%" PRId64 "*%" PRId64 ")",
                     tensors[i].name, tensors[i].rows, tensors[i].cols);
            return KB_ERR_INVALID;
        }
    }
    return KB_OK;
}

static size_t arg_elems(const kb_problem *p, kb_arg arg) {
    const kb_gemm_shape *s = &p->gemm;
    switch (arg) {
    case KB_ARG_SRC: return (size_t)(s->m * s->k);
    case KB_ARG_WEIGHTS: return (size_t)(s->k * s->n);
    case KB_ARG_DST: return (size_t)(s->m * s->n);
    default: return 0;
    }
}

static kb_arg_role arg_role(const kb_problem *p, kb_arg arg) {
    if (p->direction != KB_DIR_FWD) return KB_ROLE_NONE;
    switch (arg) {
    case KB_ARG_SRC:
    case KB_ARG_WEIGHTS: return KB_ROLE_IN;
    case KB_ARG_DST: return p->gemm.beta == 0.0f ? KB_ROLE_OUT : KB_ROLE_INOUT;
    default: return KB_ROLE_NONE;
    }
}

static int64_t reduction_length(const kb_problem *p, kb_arg arg) {
    (void)arg;
    return p->gemm.k + (p->gemm.beta != 0.0f ? 1 : 0);
}

static double flops(const kb_problem *p) {
    return 2.0 * (double)p->gemm.m * (double)p->gemm.n * (double)p->gemm.k;
}

/* True when x is a multiple of 1/16. */
static bool sixteenths(float x) {
    const double scaled = 16.0 * (double)x;
    return scaled == floor(scaled);
}

static bool integer_exact(const kb_problem *p) {
    const kb_gemm_shape *s = &p->gemm;
    if (!sixteenths(s->alpha) || !sixteenths(s->beta)) return false;
    const double bound = 16.0 * (4.0 * (double)s->k * fabs(s->alpha) + 2.0 * fabs(s->beta));
    return bound < 16777216.0; /* 2^24 */
}

/* As stored: A m x k (k x m when trans_a), B k x n (n x k when trans_b), C m x n. */
static int arg_dims(const kb_problem *p, kb_arg arg, int64_t dims[KB_MAX_ARG_DIMS]) {
    const kb_gemm_shape *s = &p->gemm;
    switch (arg) {
    case KB_ARG_SRC: dims[0] = s->trans_a ? s->k : s->m, dims[1] = s->trans_a ? s->m : s->k; return 2;
    case KB_ARG_WEIGHTS: dims[0] = s->trans_b ? s->n : s->k, dims[1] = s->trans_b ? s->k : s->n; return 2;
    case KB_ARG_DST: dims[0] = s->m, dims[1] = s->n; return 2;
    default: return 0;
    }
}

const kb_kernel_ops kb_gemm_ops = {
    .kernel = KB_KERNEL_GEMM,
    .directions = KB_DIRECTION_BIT(KB_DIR_FWD),
    .parse = parse,
    .format = format,
    .validate = validate,
    .arg_elems = arg_elems,
    .arg_role = arg_role,
    .reduction_length = reduction_length,
    .flops = flops,
    .integer_exact = integer_exact,
    .arg_dims = arg_dims,
};
