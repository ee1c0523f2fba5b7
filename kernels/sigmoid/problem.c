/* sigmoid problem rules: the book's Sigmoid layer over a flat tensor.
 *   fwd  dst = 1 / (1 + exp(-x)), computed without overflow (sigmoid.h)
 *   bwd  diff_src = diff_dst * (1 - y) * y from the saved output y = dst
 * Descriptor: "n<elems>" (kernels/eltwise/eltwise.h).
 *
 * NaN/Inf policy: NaN -> NaN in both directions (bwd: NaN in y or dy gives
 * NaN, plain arithmetic, so Inf * 0 is NaN too); fwd +Inf -> 1, -Inf -> 0,
 * and no input overflows (x = +-100 gives 1 and 3.7e-44).
 * Underflow: results below 2 FLT_MIN (x < -86.6) may be flushed to 0: the
 * edge test (tests/test_eltwise_edges.c) allows an absolute error of
 * 2 FLT_MIN on top of the relative bound below, because oneDNN's logistic
 * returns 0 for every exact result under 1.41 FLT_MIN (x < -86.99). This
 * project's variants return subnormal results, within 2^-149 of exact.
 *
 * Tolerance, |got - ref| <= (L + 2) * FLT_EPSILON * |ref| (bench/check.h;
 * the reference's magnitude is |ref|, the exact result):
 *   fwd, L = 4: a correct float32 sigmoid may use any exp within 3 ulps
 *     (OpenCL's requirement for float exp; 3 ulps <= 3 eps relative), then
 *     rounds 1 + t and the division once each. With t = exp(-|x|):
 *     1 / (1 + t) passes at most half of t's relative error (t / (1 + t) <=
 *     1/2), t / (1 + t) all of it; each rounding adds u = eps / 2 at most:
 *     worst case 3 eps + 2u = 4 eps = L eps. The +2 of the checker then
 *     covers division by a reciprocal estimate plus one Newton step.
 *     Measured against double over every float in the range:
 *       exp(z), z in [-104, 0]      FMA (avx2, avx512) 1.08 ulp, 0.76 eps
 *                                   no FMA (omp)       1.37 ulp, 0.97 eps
 *       sigmoid(x), x in [-104, 104] FMA 2.40 ulp, 1.50 eps; no FMA 2.48 ulp,
 *                                   1.66 eps (normal results)
 *     and on 2^18 + 1 points of [-104, 104] (test_eltwise_edges prints it):
 *     naive (libm expf) 1.44 eps, oneDNN's logistic 2.80 eps (3.85 eps just
 *     above its flush point near x = -87).
 *   bwd, L = 2: three roundings (1 - y, two products) = 1.5 eps, rounded up
 *     to 2 as conv2d's L counts one eps per multiply-add pair. On integer
 *     inputs (y in quarters 0, 1/4, ..., 1 and integer dy, see fill) every
 *     step is exact, so bwd is integer_exact.
 * Bytes: the default count, fwd 8 bytes per element (src, dst), bwd 12
 * (dst, diff_dst, diff_src). No flops are counted: measured in GB/s. */
#include "core/kernel_ops.h"
#include "eltwise/eltwise.h"

static kb_status parse(const char *descriptor, kb_problem *p, char *why, size_t why_len) {
    return kb_eltwise_parse(descriptor, &p->eltwise, why, why_len);
}
static void format(const kb_problem *p, char *buf, size_t buf_len) {
    kb_eltwise_format(&p->eltwise, buf, buf_len);
}
static kb_status validate(const kb_problem *p, char *why, size_t why_len) {
    return kb_eltwise_validate(&p->eltwise, why, why_len);
}
static kb_arg_role arg_role(const kb_problem *p, kb_arg arg) {
    return kb_eltwise_arg_role(p->direction, KB_ARG_DST, arg);
}
static size_t arg_elems(const kb_problem *p, kb_arg arg) {
    return arg_role(p, arg) != KB_ROLE_NONE ? (size_t)p->eltwise.elems : 0;
}
static int64_t reduction_length(const kb_problem *p, kb_arg arg) {
    (void)arg;
    return p->direction == KB_DIR_FWD ? 4 : 2;
}
static bool integer_exact(const kb_problem *p) {
    return p->direction == KB_DIR_BWD;
}

/* The saved output of bwd is a sigmoid value, in [0, 1]: integer inputs use
 * the quarters 0, 1/4, ..., 1 (products with integer dy stay exact), real
 * inputs uniform [0, 1). */
static bool fill(const kb_problem *p, kb_arg arg, float *data, size_t count, bool real,
                 uint64_t seed) {
    if (p->direction != KB_DIR_BWD || arg != KB_ARG_DST) return false;
    kb_fill_values(data, count, real, seed); /* [-2, 2] or [-1, 1) */
    for (size_t i = 0; i < count; i++) data[i] = real ? (data[i] + 1.0f) / 2 : (data[i] + 2) / 4;
    return true;
}

const kb_kernel_ops kb_sigmoid_ops = {
    .kernel = KB_KERNEL_SIGMOID,
    .directions = KB_DIRECTION_BIT(KB_DIR_FWD) | KB_DIRECTION_BIT(KB_DIR_BWD),
    .parse = parse,
    .format = format,
    .validate = validate,
    .arg_elems = arg_elems,
    .arg_role = arg_role,
    .reduction_length = reduction_length,
    .integer_exact = integer_exact,
    .fill = fill,
    .set_extent = kb_eltwise_set_extent,
};
