/* The relu/sigmoid ("n<elems>") and optim ("n<elems>lr..t..") descriptors:
 * values and defaults, canonical forms that parse back to the same problem,
 * and one-line errors that name the field. */
#include <string.h>

#include "kernbench/problem.h"
#include "testing.h"

static kb_problem parse_ok(kb_kernel kernel, const char *text) {
    kb_problem p = {0};
    char why[256] = "";
    const kb_status st = kb_problem_parse(kernel, text, &p, why, sizeof why);
    CHECK(st == KB_OK, "'%s' should parse, got: %s", text, why);
    return p;
}

static void expect_error(kb_kernel kernel, const char *text, const char *field) {
    TEST_CASE("%s rejects '%s'", kb_kernel_name(kernel), text) {
        kb_problem p = {0};
        char why[256] = "";
        const kb_status st = kb_problem_parse(kernel, text, &p, why, sizeof why);
        CHECK(st == KB_ERR_INVALID, "'%s' must be rejected", text);
        CHECK(strncmp(why, field, strlen(field)) == 0,
              "error for '%s' should start with '%s', got '%s'", text, field, why);
        CHECK(strchr(why, '\n') == NULL, "error must be one line: '%s'", why);
    }
}

static void expect_canonical(kb_kernel kernel, const char *text, const char *canonical) {
    TEST_CASE("%s '%s' prints as '%s' and parses back", kb_kernel_name(kernel), text, canonical) {
        const kb_problem p = parse_ok(kernel, text);
        char buf[256];
        kb_problem_format(&p, buf, sizeof buf);
        CHECK(strcmp(buf, canonical) == 0, "printed '%s'", buf);
        const kb_problem back = parse_ok(kernel, buf);
        CHECK(memcmp(&p, &back, sizeof p) == 0, "'%s' parses to another problem", buf);
    }
}

int main(void) {
    TEST_CASE("%s", "relu n1000000") {
        const kb_problem p = parse_ok(KB_KERNEL_RELU, "n1000000");
        CHECK(p.eltwise.elems == 1000000, "elems %ld", (long)p.eltwise.elems);
    }
    expect_canonical(KB_KERNEL_RELU, "n5000", "n5000");
    expect_canonical(KB_KERNEL_SIGMOID, "_n17 n\"MNIST hidden\"", "n17");
    expect_error(KB_KERNEL_RELU, "", "descriptor: empty");
    expect_error(KB_KERNEL_RELU, "n0", "n: 0 must be >= 1");
    expect_error(KB_KERNEL_RELU, "n-5", "n: negative");
    expect_error(KB_KERNEL_RELU, "n", "descriptor: unexpected");
    expect_error(KB_KERNEL_RELU, "n5n6", "n: given twice");
    expect_error(KB_KERNEL_RELU, "m5", "descriptor: unexpected");
    expect_error(KB_KERNEL_SIGMOID, "n5x", "descriptor: unexpected");
    expect_error(KB_KERNEL_SIGMOID, "n99999999999999999999", "n: 99999999999999999999 exceeds");
    expect_error(KB_KERNEL_SIGMOID, "n2000000000000", "n: 2000000000000 exceeds the limit");
    expect_error(KB_KERNEL_SIGMOID, "n5n\"open", "descriptor: bad name");

    TEST_CASE("%s", "optim defaults follow the book") {
        const kb_problem p = parse_ok(KB_KERNEL_OPTIM, "n1000003");
        const kb_optim_shape *s = &p.optim;
        CHECK(s->elems == 1000003 && s->lr == 0.01f && s->momentum == 0.9f &&
                  s->decay_rate == 0.99f && s->beta1 == 0.9f && s->beta2 == 0.999f && s->step == 1,
              "defaults");
    }
    TEST_CASE("%s", "optim n1000003lr0.001t10") {
        const kb_problem p = parse_ok(KB_KERNEL_OPTIM, "n1000003lr0.001t10");
        CHECK(p.optim.lr == 0.001f && p.optim.step == 10 && p.optim.beta1 == 0.9f, "fields");
    }
    expect_canonical(KB_KERNEL_OPTIM, "n1000003", "n1000003");
    expect_canonical(KB_KERNEL_OPTIM, "t10_lr1e-3_n1000003", "n1000003lr0.001t10");
    expect_canonical(KB_KERNEL_OPTIM, "n5lr0.1mu0.5rho0.9b10.8b20.99t3",
                     "n5lr0.1mu0.5rho0.9b10.8b20.99t3");
    expect_canonical(KB_KERNEL_OPTIM, "n5lr.5mu0", "n5lr0.5mu0");
    expect_canonical(KB_KERNEL_OPTIM, "n5lr0.01b10.9", "n5"); /* defaults are not printed */
    expect_error(KB_KERNEL_OPTIM, "lr0.1", "n: missing");
    expect_error(KB_KERNEL_OPTIM, "n5lr0", "lr: 0 must be a finite number > 0");
    expect_error(KB_KERNEL_OPTIM, "n5lr-1", "lr: negative");
    expect_error(KB_KERNEL_OPTIM, "n5lrnan", "lr: expected a number in 'n5lrnan'");
    expect_error(KB_KERNEL_OPTIM, "n5lr.", "lr: expected a number");
    expect_error(KB_KERNEL_OPTIM, "n5lr1e-50", "lr: 1e-50 is out of float range");
    expect_error(KB_KERNEL_OPTIM, "n5lr1e50", "lr: 1e50 is out of float range");
    expect_error(KB_KERNEL_OPTIM, "n5mu1", "mu: 1 must be in [0, 1)");
    expect_error(KB_KERNEL_OPTIM, "n5rho1.5", "rho: 1.5 must be in [0, 1)");
    expect_error(KB_KERNEL_OPTIM, "n5b21", "b2: 1 must be in [0, 1)");
    expect_error(KB_KERNEL_OPTIM, "n5b31", "descriptor: unexpected");
    expect_error(KB_KERNEL_OPTIM, "n5t0", "t: 0 must be >= 1");
    expect_error(KB_KERNEL_OPTIM, "n5t1t2", "t: given twice");
    expect_error(KB_KERNEL_OPTIM, "n0", "n: 0 must be in [1, ");
    return kb_test_summary();
}
