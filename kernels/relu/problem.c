/* relu problem rules: the book's ReLU layer over a flat tensor.
 *   fwd  dst = x > 0 ? x : 0            (NaN -> NaN: the book's mask x <= 0
 *                                        is false for NaN, so NaN passes)
 *   bwd  diff_src = x <= 0 ? 0 : diff_dst   (the book's mask; the gradient at
 *                                        exactly 0 is 0; NaN x passes diff_dst)
 * Descriptor: "n<elems>" (kernels/eltwise/eltwise.h).
 *
 * NaN/Inf policy (the book's layer, tests/test_eltwise_edges.c): fwd NaN ->
 * NaN, +Inf -> +Inf, -Inf -> 0; bwd: NaN x passes dy, and wherever x <= 0
 * the result is 0 whatever dy holds (NaN and Inf included: the book sets
 * dout[mask] = 0). The sign of a zero result is not part of the policy.
 * oneDNN's relu departs from it in two places (kernels/relu/onednn.c).
 *
 * Exact: a comparison and a select, no rounding, so every variant must match
 * the reference bit for bit on any input (integer_exact, L = 0).
 * Bytes: the default count, every input read once and the output written
 * once: fwd 8 bytes per element (src, dst), bwd 12 (src, diff_dst, diff_src).
 * No flops are counted: the kernel is measured in GB/s. */
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
    return kb_eltwise_arg_role(p->direction, KB_ARG_SRC, arg);
}
static size_t arg_elems(const kb_problem *p, kb_arg arg) {
    return arg_role(p, arg) != KB_ROLE_NONE ? (size_t)p->eltwise.elems : 0;
}
static int64_t reduction_length(const kb_problem *p, kb_arg arg) {
    (void)p, (void)arg;
    return 0;
}

const kb_kernel_ops kb_relu_ops = {
    .kernel = KB_KERNEL_RELU,
    .directions = KB_DIRECTION_BIT(KB_DIR_FWD) | KB_DIRECTION_BIT(KB_DIR_BWD),
    .parse = parse,
    .format = format,
    .validate = validate,
    .arg_elems = arg_elems,
    .arg_role = arg_role,
    .reduction_length = reduction_length,
    .set_extent = kb_eltwise_set_extent,
};
