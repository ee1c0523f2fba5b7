/* The gemm descriptor (kernels/gemm/problem.c): defaults, transposes and
 * scalars, canonical printing that round-trips, one-line errors that name
 * the field, the roles of C (output when beta == 0, in-out otherwise) and
 * the tolerance and exactness rules. */
#include <string.h>

#include "kernbench/problem.h"
#include "testing.h"

static kb_problem parse_ok(const char *text) {
    kb_problem p = {.direction = KB_DIR_FWD};
    char why[256] = "";
    const kb_status st = kb_problem_parse(KB_KERNEL_GEMM, text, &p, why, sizeof why);
    CHECK(st == KB_OK, "'%s' should parse, got: %s", text, why);
    if (st == KB_OK) {
        CHECK(kb_problem_validate(&p, why, sizeof why) == KB_OK, "'%s' should validate: %s", text,
              why);
    }
    return p;
}

/* Rejected by the parser or, failing that, by validation. */
static void expect_error(const char *text, const char *field) {
    TEST_CASE("rejects '%s'", text) {
        kb_problem p = {.direction = KB_DIR_FWD};
        char why[256] = "";
        kb_status st = kb_problem_parse(KB_KERNEL_GEMM, text, &p, why, sizeof why);
        if (st == KB_OK) st = kb_problem_validate(&p, why, sizeof why);
        CHECK(st == KB_ERR_INVALID, "'%s' must be rejected", text);
        CHECK(strncmp(why, field, strlen(field)) == 0,
              "error for '%s' should start with '%s', got '%s'", text, field, why);
        CHECK(strchr(why, '\n') == NULL, "error must be one line: '%s'", why);
    }
}

int main(void) {
    TEST_CASE("%s", "defaults: nn, alpha 1, beta 0; C is an output") {
        const kb_problem p = parse_ok("m64n48k32");
        const kb_gemm_shape *s = &p.gemm;
        CHECK(s->m == 64 && s->n == 48 && s->k == 32, "sizes");
        CHECK(!s->trans_a && !s->trans_b, "no transposes");
        CHECK(s->alpha == 1.0f && s->beta == 0.0f, "scalars");
        CHECK(kb_problem_arg_role(&p, KB_ARG_DST) == KB_ROLE_OUT, "C out");
        CHECK(kb_problem_arg_role(&p, KB_ARG_SRC) == KB_ROLE_IN, "A in");
        CHECK(kb_problem_arg_role(&p, KB_ARG_WEIGHTS) == KB_ROLE_IN, "B in");
        CHECK(kb_problem_arg_role(&p, KB_ARG_BIAS) == KB_ROLE_NONE, "no bias");
        CHECK(kb_problem_arg_elems(&p, KB_ARG_SRC) == 64 * 32, "A elems");
        CHECK(kb_problem_arg_elems(&p, KB_ARG_WEIGHTS) == 32 * 48, "B elems");
        CHECK(kb_problem_arg_elems(&p, KB_ARG_DST) == 64 * 48, "C elems");
        CHECK(kb_problem_flops(&p) == 2.0 * 64 * 48 * 32, "flops");
        CHECK(kb_problem_reduction_length(&p, KB_ARG_DST) == 32, "L = k");
        CHECK(kb_problem_integer_exact(&p), "exact");
    }
    TEST_CASE("%s", "transposes, scalars, separators and a name, in any order") {
        const kb_problem p = parse_ok("tn_beta-1 m7 n5 k3 alpha2 n\"x:y\"");
        const kb_gemm_shape *s = &p.gemm;
        CHECK(s->m == 7 && s->n == 5 && s->k == 3, "sizes");
        CHECK(s->trans_a && !s->trans_b, "tn");
        CHECK(s->alpha == 2.0f && s->beta == -1.0f, "scalars");
        CHECK(kb_problem_arg_role(&p, KB_ARG_DST) == KB_ROLE_INOUT, "C in-out when beta != 0");
        CHECK(kb_problem_reduction_length(&p, KB_ARG_DST) == 4, "L = k + 1 with beta");
        CHECK(kb_problem_integer_exact(&p), "alpha 2, beta -1 exact");
    }
    TEST_CASE("%s", "scalars take a sign and any decimal form") {
        const kb_problem p = parse_ok("m2n3k4alpha+2beta-.5e1");
        CHECK(p.gemm.alpha == 2.0f && p.gemm.beta == -5.0f, "alpha %g beta %g",
              (double)p.gemm.alpha, (double)p.gemm.beta);
    }
    TEST_CASE("%s", "exactness follows alpha and beta") {
        CHECK(kb_problem_integer_exact((const kb_problem[]){parse_ok("m4n4k4alpha0.5beta0.25")}),
              "sixteenths are exact");
        CHECK(!kb_problem_integer_exact((const kb_problem[]){parse_ok("m4n4k4alpha0.3")}),
              "alpha 0.3 is not");
        CHECK(!kb_problem_integer_exact((const kb_problem[]){parse_ok("m4n4k4beta0.1")}),
              "beta 0.1 is not");
        CHECK(!kb_problem_integer_exact((const kb_problem[]){parse_ok("m4n4k300000alpha16")}),
              "sums past 2^20 are not");
    }
    const char *round_trip[] = {
        "m1024n1024k1024", "m64n48k32tn",          "m1n1k1tt",      "m7n5k3nt",
        "m7n5k3alpha2",    "m7n5k3beta-1",         "m3n4k5alpha0.3", "m3n4k5ttalpha-0.5beta1e-07",
        "m100n784k50nt",   "m2n3k4alpha0beta0.1",
    };
    for (size_t i = 0; i < sizeof round_trip / sizeof round_trip[0]; i++) {
        TEST_CASE("round trip %s", round_trip[i]) {
            kb_problem p = {.direction = KB_DIR_FWD}, q = {.direction = KB_DIR_FWD};
            char why[256], text[192];
            CHECK(kb_problem_parse(KB_KERNEL_GEMM, round_trip[i], &p, why, sizeof why) == KB_OK,
                  "%s", why);
            kb_problem_format(&p, text, sizeof text);
            CHECK(strcmp(text, round_trip[i]) == 0, "printed '%s'", text);
            CHECK(kb_problem_parse(KB_KERNEL_GEMM, text, &q, why, sizeof why) == KB_OK, "%s", why);
            CHECK(memcmp(&p.gemm, &q.gemm, sizeof p.gemm) == 0, "same problem");
        }
    }
    TEST_CASE("%s", "nn and the default scalars are omitted from the canonical form") {
        kb_problem p = parse_ok("nn_m2n3k4alpha1beta0");
        char text[64];
        kb_problem_format(&p, text, sizeof text);
        CHECK(strcmp(text, "m2n3k4") == 0, "printed '%s'", text);
    }
    expect_error("", "descriptor");
    expect_error("n3k4", "m");
    expect_error("m2k4", "n");
    expect_error("m2n3", "k");
    expect_error("m0n3k4", "m");
    expect_error("m2n-3k4", "n");
    expect_error("m2n3k4m5", "m");
    expect_error("m2n3k4x", "descriptor");
    expect_error("m2n3k4tx", "descriptor");
    expect_error("m2n3k4tnnt", "transposes");
    expect_error("m2n3k4alpha", "alpha");
    expect_error("m2n3k4alphanan", "alpha");
    expect_error("m2n3k4betainf", "beta");
    expect_error("m2n3k4beta1e39", "beta");
    expect_error("m2n3k4beta1beta2", "beta");
    expect_error("m2n3k4alpha-", "alpha: expected a number in 'm2n3k4alpha-'");
    expect_error("m2n3k4alpha 2", "alpha: expected a number in 'm2n3k4alpha 2'");
    expect_error("m2n3k4beta-1e-50", "beta: -1e-50 is out of float range");
    expect_error("m2n3k4nt5", "descriptor: unexpected '5'");
    expect_error("m99999999999999999999n3k4", "m");
    expect_error("m16777217n3k4", "m");
    expect_error("m16777216n16777216k4", "C (m*n)");
    expect_error("m2n3k4n\"unterminated", "descriptor");
    return kb_test_summary();
}
