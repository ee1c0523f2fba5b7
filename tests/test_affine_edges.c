/* affine on the values the fillers never produce, every variant of fwd and
 * bwd at 1 and 2 threads, against the policy of kernels/affine/problem.c:
 *   NaN and +-Inf propagate as IEEE arithmetic does over each output's
 *   reduction (y = x W + b; dx = dout W^T, dW = x^T dout, db = column sums
 *   of dout): NaN where it touches a NaN, an Inf times 0 or Infs of both
 *   signs, that Inf where it touches Infs of one sign times nonzero finite
 *   values, finite and within the checker's tolerance elsewhere.
 *   Subnormal inputs (the tests run without FTZ/DAZ) give results within the
 *   tolerance plus one subnormal ulp per rounding (tests/direct_run.h), never
 *   NaN; a variant that flushes them is reported as skipped.
 * The special values sit in the row and column blocks and in the tails
 * (ic 37, oc 35). Sizes: all 1 on every variant of both directions; the
 * largest value each field accepts; one past KB_MAX_DIM and tensors over 2^40
 * elements rejected naming the field; exact 64-bit element counts, flops and
 * bytes of a problem with an x of 2^32 elements, which kb_case_check_memory
 * refuses. */
#include "direct_run.h"

static void affine_specials(const char *text, kb_direction direction) {
    kb_case c;
    kb_edge_case(&c, KB_KERNEL_AFFINE, direction, text);
    const size_t d = (size_t)c.problem.affine.in_features, m = (size_t)c.problem.affine.out_features,
                 n = (size_t)c.problem.affine.batch;
    kb_edge_set(&c, KB_ARG_SRC, 2 * d + 5, NAN);
    kb_edge_set(&c, KB_ARG_SRC, 4 * d + 0, INFINITY);
    kb_edge_set(&c, KB_ARG_SRC, (n - 1) * d + d - 1, -INFINITY);
    kb_edge_set(&c, KB_ARG_WEIGHTS, 0 * m + 9, 0.0f); /* meets x's Inf: Inf * 0 */
    kb_edge_set(&c, KB_ARG_WEIGHTS, 10 * m + 0, NAN);
    kb_edge_set(&c, KB_ARG_WEIGHTS, (d - 1) * m + m - 1, INFINITY);
    if (c.elems[KB_ARG_BIAS]) kb_edge_set(&c, KB_ARG_BIAS, 17, NAN);
    if (c.elems[KB_ARG_DIFF_DST]) {
        kb_edge_set(&c, KB_ARG_DIFF_DST, 1 * m + 3, NAN);
        kb_edge_set(&c, KB_ARG_DIFF_DST, 3 * m + m - 1, INFINITY);
        kb_edge_set(&c, KB_ARG_DIFF_DST, 5 * m + 20, -INFINITY);
    }
    char why[256];
    if (kb_case_recompute_reference(&c, why, sizeof why) != KB_OK) printf("%s\n", why);
    kb_edge_check_variants(&c, text, NULL, NULL);
    kb_case_free(&c);
}

static void affine_sizes(void) {
    kb_edge_check_plain(KB_KERNEL_AFFINE, KB_DIR_FWD, "mb1ic1oc1");
    kb_edge_check_plain(KB_KERNEL_AFFINE, KB_DIR_BWD, "mb1ic1oc1");
    kb_expect_accepted(KB_KERNEL_AFFINE, KB_DIR_FWD, "mb16777216ic1oc1");
    kb_expect_accepted(KB_KERNEL_AFFINE, KB_DIR_FWD, "mb1ic16777216oc1");
    kb_expect_accepted(KB_KERNEL_AFFINE, KB_DIR_FWD, "mb1ic1oc16777216");
    kb_expect_rejected(KB_KERNEL_AFFINE, "mb16777217ic1oc1", "mb");
    kb_expect_rejected(KB_KERNEL_AFFINE, "mb1ic16777217oc1", "ic");
    kb_expect_rejected(KB_KERNEL_AFFINE, "mb1ic1oc16777217", "oc");
    kb_expect_rejected(KB_KERNEL_AFFINE, "mb16777216ic16777216oc1", "src (mb*ic)");
    kb_expect_rejected(KB_KERNEL_AFFINE, "mb1ic16777216oc16777216", "weights (ic*oc)");
    /* x of 2^32 elements: mb65536 ic65536 oc1. */
    const uint64_t x = (uint64_t)1 << 32, w = (uint64_t)1 << 16, y = (uint64_t)1 << 16;
    uint64_t fwd[KB_ARG_COUNT] = {0}, bwd[KB_ARG_COUNT] = {0};
    fwd[KB_ARG_SRC] = x, fwd[KB_ARG_WEIGHTS] = w, fwd[KB_ARG_BIAS] = 1, fwd[KB_ARG_DST] = y;
    bwd[KB_ARG_DIFF_DST] = y, bwd[KB_ARG_SRC] = x, bwd[KB_ARG_WEIGHTS] = w;
    bwd[KB_ARG_DIFF_SRC] = x, bwd[KB_ARG_DIFF_WEIGHTS] = w, bwd[KB_ARG_DIFF_BIAS] = 1;
    kb_check_size_arithmetic(KB_KERNEL_AFFINE, KB_DIR_FWD, "mb65536ic65536oc1", fwd, 0x1p33,
                             4.0 * (double)(x + w + 1 + y));
    kb_check_size_arithmetic(KB_KERNEL_AFFINE, KB_DIR_BWD, "mb65536ic65536oc1", bwd, 0x1p34,
                             4.0 * (double)(y + x + w + x + w + 1));
}

int main(void) {
    affine_specials("mb7ic37oc35", KB_DIR_FWD);
    affine_specials("mb7ic37oc35", KB_DIR_BWD);
    /* x (fwd) and dout (bwd) scaled into the subnormal range. */
    kb_edge_check_subnormals(KB_KERNEL_AFFINE, KB_DIR_FWD, "mb7ic37oc35", KB_ARG_SRC,
                             "subnormal x");
    kb_edge_check_subnormals(KB_KERNEL_AFFINE, KB_DIR_BWD, "mb7ic37oc35", KB_ARG_DIFF_DST,
                             "subnormal dout");
    affine_sizes();
    return kb_test_summary();
}
