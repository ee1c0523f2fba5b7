/* gemm on the values the fillers never produce, every variant at 1 and 2
 * threads, against the policy of kernels/gemm/problem.c:
 *   NaN and +-Inf propagate as IEEE arithmetic does: an element of C whose
 *   dot product touches a NaN, an Inf times 0, or Infs of both signs is NaN;
 *   one touching Infs of one sign (times nonzero finite partners) is that
 *   Inf; every other element is finite and within the checker's tolerance.
 *   alpha = 0 is no shortcut: alpha * (a dot product holding a NaN or an Inf)
 *   is NaN. With beta != 0 a NaN or Inf in C reaches only its own element;
 *   with beta = 0 C is never read (NaN there is ignored: bench and the
 *   agreement sweep poison C with NaN before every check, so that case is
 *   covered by test_gemm_agreement and not repeated here).
 *   Subnormal inputs (the tests run without FTZ/DAZ) give results within the
 *   tolerance plus one subnormal ulp per rounding (tests/direct_run.h), never
 *   NaN; a variant that flushes them to zero would be reported as skipped.
 * Every variant but naive departs for alpha = 0: it takes the BLAS shortcut
 * C = beta * C and reads neither A nor B (the project's GEMMs, gemm_blocked.h,
 * so avx2, avx512 and omp_tiled; oneDNN; OpenBLAS), so a NaN or Inf in A or B
 * does not reach C. Documented in each variant's source; those elements (the
 * ones where the reference is NaN or Inf) are reported as skipped.
 * The special values sit in row and column blocks of the micro-kernels and in
 * their tails (m 37, n 35, k 33), in both storage orders (nn, tt).
 * Sizes: m = n = k = 1 on every variant; the largest sizes each field
 * accepts; one past KB_MAX_DIM and tensors over 2^40 elements rejected naming
 * the field; exact 64-bit element counts, flops and bytes of a problem with
 * a C of 2^32 elements, which kb_case_check_memory refuses. */
#include "direct_run.h"

/* Every variant but naive with alpha = 0: C = beta * C, A and B unread (see
 * the top). */
static const char *gemm_departs(const kb_case *c, const kb_variant *variant, kb_arg arg,
                                size_t i) {
    (void)arg;
    if (c->problem.gemm.alpha == 0 && strcmp(variant->name, "naive") != 0 &&
        !isfinite(c->ref_outputs[KB_ARG_DST][i]))
        return "alpha = 0 takes the BLAS shortcut C = beta * C without reading A and B (NaN/Inf "
               "there do not propagate); the policy is IEEE alpha * (A B)";
    return NULL;
}

/* Element (row, col) of the op(X) matrix of rows x cols, stored transposed
 * when `trans`. */
static size_t at(size_t row, size_t col, size_t rows, size_t cols, bool trans) {
    return trans ? col * rows + row : row * cols + col;
}

static void gemm_specials(const char *text) {
    kb_case c;
    kb_edge_case(&c, KB_KERNEL_GEMM, KB_DIR_FWD, text);
    const kb_gemm_shape *s = &c.problem.gemm;
    const size_t m = (size_t)s->m, n = (size_t)s->n, k = (size_t)s->k;
    /* A: a NaN (row 3), a +Inf (row 20), a -Inf in the m tail (row m - 1). */
    kb_edge_set(&c, KB_ARG_SRC, at(3, 5, m, k, s->trans_a), NAN);
    kb_edge_set(&c, KB_ARG_SRC, at(20, 7, m, k, s->trans_a), INFINITY);
    kb_edge_set(&c, KB_ARG_SRC, at(m - 1, k - 1, m, k, s->trans_a), -INFINITY);
    /* B: Inf * 0 in row 20 (column 9), a NaN column (17), an Inf in the n
     * tail (column n - 1) meeting row 20's +Inf. */
    kb_edge_set(&c, KB_ARG_WEIGHTS, at(7, 9, k, n, s->trans_b), 0.0f);
    kb_edge_set(&c, KB_ARG_WEIGHTS, at(0, 17, k, n, s->trans_b), NAN);
    kb_edge_set(&c, KB_ARG_WEIGHTS, at(2, n - 1, k, n, s->trans_b), -INFINITY);
    if (s->beta != 0) {
        kb_edge_set(&c, KB_ARG_DST, 10 * n + 11, NAN);
        kb_edge_set(&c, KB_ARG_DST, 11 * n + 12, INFINITY);
    }
    char why[256];
    TEST_CASE("gemm %s: reference of the specials", text) {
        CHECK(kb_case_recompute_reference(&c, why, sizeof why) == KB_OK, "%s", why);
        const float *ref = c.ref_outputs[KB_ARG_DST];
        CHECK(isnan(ref[3 * n + 1]) && isnan(ref[30 * n + 17]), "NaN row and column");
        CHECK(isnan(ref[20 * n + 9]), "Inf * 0 gives NaN");
        CHECK(s->alpha == 0 || isinf(ref[20 * n + 1]), "Inf row");
        CHECK(isfinite(ref[19 * n + 1]), "finite elsewhere");
    }
    kb_edge_check_variants(&c, text, gemm_departs, NULL);
    kb_case_free(&c);
}

static void gemm_sizes(void) {
    kb_edge_check_plain(KB_KERNEL_GEMM, KB_DIR_FWD, "m1n1k1");
    kb_edge_check_plain(KB_KERNEL_GEMM, KB_DIR_FWD, "m1n1k1tt");
    kb_expect_accepted(KB_KERNEL_GEMM, KB_DIR_FWD, "m16777216n1k1");
    kb_expect_accepted(KB_KERNEL_GEMM, KB_DIR_FWD, "m1n16777216k1");
    kb_expect_accepted(KB_KERNEL_GEMM, KB_DIR_FWD, "m1n1k16777216");
    kb_expect_accepted(KB_KERNEL_GEMM, KB_DIR_FWD, "m65536n16777216k1");
    kb_expect_rejected(KB_KERNEL_GEMM, "m1n16777217k1", "n");
    kb_expect_rejected(KB_KERNEL_GEMM, "m1n1k16777217", "k");
    kb_expect_rejected(KB_KERNEL_GEMM, "m16777216n1k16777216", "A (m*k)");
    kb_expect_rejected(KB_KERNEL_GEMM, "m1n16777216k16777216", "B (k*n)");
    /* C of 2^32 elements (beta = 0: A, B read, C written; beta 1: C twice). */
    const uint64_t a = (uint64_t)1 << 17, b = (uint64_t)1 << 17, cc = (uint64_t)1 << 32;
    uint64_t elems[KB_ARG_COUNT] = {0};
    elems[KB_ARG_SRC] = a, elems[KB_ARG_WEIGHTS] = b, elems[KB_ARG_DST] = cc;
    kb_check_size_arithmetic(KB_KERNEL_GEMM, KB_DIR_FWD, "m65536n65536k2", elems, 0x1p34,
                             4.0 * (double)(a + b + cc));
    kb_check_size_arithmetic(KB_KERNEL_GEMM, KB_DIR_FWD, "m65536n65536k2beta1", elems, 0x1p34,
                             4.0 * (double)(a + b + 2 * cc));
}

int main(void) {
    gemm_specials("m37n35k33");
    gemm_specials("m37n35k33tt");
    gemm_specials("m37n35k33alpha0.5beta2");
    gemm_specials("m37n35k33tnalpha0beta1");
    /* A scaled into the subnormal range, B as filled. */
    kb_edge_check_subnormals(KB_KERNEL_GEMM, KB_DIR_FWD, "m37n35k33", KB_ARG_SRC, "subnormal A");
    gemm_sizes();
    return kb_test_summary();
}
