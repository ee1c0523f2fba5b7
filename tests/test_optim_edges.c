/* The optimizer updates on the values the fillers never produce, every
 * variant of every rule at 1 and 2 threads, against the policy of
 * kernels/optim/problem.c:
 *   element-wise IEEE propagation: a NaN gradient (or parameter, or state)
 *   makes that element's parameter NaN, and its state NaN where the rule's
 *   state reads the gradient (momentum, nesterov, adagrad, rmsprop, adam);
 *   an Inf gradient gives what IEEE gives (sgd: -+Inf; adagrad, rmsprop and
 *   adam: Inf / Inf = NaN; momentum: -+Inf in v and p); every other element
 *   of the parameters and of the state arrays stays finite and within the
 *   checker's tolerance (no lane or tail of a vector loop is corrupted).
 *   Subnormal gradients (the tests run without FTZ/DAZ) give results within
 *   the tolerance plus one subnormal ulp per rounding (tests/direct_run.h),
 *   never NaN; a variant that flushes them is reported as skipped.
 * The special values sit in the unrolled main loops, the single-vector loops
 * and the masked tails (99 elements: 64 + 32 + 3). Sizes: n = 1 on every
 * variant; the largest n accepted (2^40) and one past it rejected; exact
 * 64-bit element counts and bytes of n = 2^32, which kb_case_check_memory
 * refuses. */
#include "direct_run.h"

static const kb_direction rules[] = {KB_DIR_SGD,     KB_DIR_MOMENTUM, KB_DIR_NESTEROV,
                                     KB_DIR_ADAGRAD, KB_DIR_RMSPROP,  KB_DIR_ADAM};
enum { N_RULES = sizeof rules / sizeof rules[0] };

static const char *text_of(kb_direction rule) { return rule == KB_DIR_ADAM ? "n99t3" : "n99"; }

static void optim_specials(kb_direction rule) {
    kb_case c;
    kb_edge_case(&c, KB_KERNEL_OPTIM, rule, text_of(rule));
    /* gradient: main loop, single-vector loop, tail */
    const size_t g_at[] = {5, 40, 70, 97}; /* NaN, +Inf, -Inf, NaN */
    const float g_val[] = {NAN, INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < 4; i++) kb_edge_set(&c, KB_ARG_DIFF_WEIGHTS, g_at[i], g_val[i]);
    kb_edge_set(&c, KB_ARG_WEIGHTS, 20, NAN);
    kb_edge_set(&c, KB_ARG_WEIGHTS, 96, INFINITY);
    if (c.elems[KB_ARG_STATE0]) kb_edge_set(&c, KB_ARG_STATE0, 33, NAN);
    char why[256];
    TEST_CASE("optim %s: reference of the specials", kb_direction_name(rule)) {
        CHECK(kb_case_recompute_reference(&c, why, sizeof why) == KB_OK, "%s", why);
        const float *p = c.ref_outputs[KB_ARG_WEIGHTS];
        CHECK(isnan(p[5]) && isnan(p[97]) && isnan(p[20]), "NaN gradient/parameter gives NaN");
        for (size_t i = 0; i < 99; i++)
            if (i != 5 && i != 40 && i != 70 && i != 97 && i != 20 && i != 96 && i != 33)
                CHECK(isfinite(p[i]), "p[%zu] = %g", i, p[i]);
        if (c.ref_outputs[KB_ARG_STATE0])
            CHECK(isnan(c.ref_outputs[KB_ARG_STATE0][5]), "NaN gradient gives a NaN state");
    }
    kb_edge_check_variants(&c, kb_direction_name(rule), NULL, NULL);
    kb_case_free(&c);
}

static void optim_sizes(void) {
    for (size_t r = 0; r < N_RULES; r++) kb_edge_check_plain(KB_KERNEL_OPTIM, rules[r], "n1");
    kb_expect_accepted(KB_KERNEL_OPTIM, KB_DIR_ADAM, "n1099511627776");
    kb_expect_rejected(KB_KERNEL_OPTIM, "n1099511627777", "n");
    const uint64_t n = (uint64_t)1 << 32;
    for (size_t r = 0; r < N_RULES; r++) {
        uint64_t elems[KB_ARG_COUNT] = {0};
        elems[KB_ARG_WEIGHTS] = elems[KB_ARG_DIFF_WEIGHTS] = n;
        int in_outs = 1; /* the parameters, read and written */
        if (rules[r] != KB_DIR_SGD) elems[KB_ARG_STATE0] = n, in_outs++;
        if (rules[r] == KB_DIR_ADAM) elems[KB_ARG_STATE1] = n, in_outs++;
        kb_check_size_arithmetic(KB_KERNEL_OPTIM, rules[r], "n4294967296", elems, 0,
                                 4.0 * (double)n * (1 + 2 * in_outs));
    }
}

int main(void) {
    for (size_t r = 0; r < N_RULES; r++) optim_specials(rules[r]);
    for (size_t r = 0; r < N_RULES; r++) /* subnormal gradients */
        kb_edge_check_subnormals(KB_KERNEL_OPTIM, rules[r], text_of(rules[r]),
                                 KB_ARG_DIFF_WEIGHTS, kb_direction_name(rules[r]));
    optim_sizes();
    return kb_test_summary();
}
