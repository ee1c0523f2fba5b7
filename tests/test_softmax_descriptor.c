/* softmax / softmax_xent descriptors (grammar in kernels/softmax/problem.c):
 * defaults, canonical printing that parses back to the same problem, and
 * one-line errors that name the field. */
#include <string.h>

#include "kernbench/problem.h"
#include "testing.h"

static bool parse(kb_kernel kernel, const char *text, kb_problem *p, char *why, size_t len) {
    *p = (kb_problem){.direction = KB_DIR_FWD};
    return kb_problem_parse(kernel, text, p, why, len) == KB_OK;
}

static void expect_canonical(kb_kernel kernel, const char *text, const char *canonical) {
    TEST_CASE("%s '%s' -> '%s'", kb_kernel_name(kernel), text, canonical) {
        kb_problem p, again;
        char why[256] = "", printed[192] = "", reprinted[192] = "";
        CHECK(parse(kernel, text, &p, why, sizeof why), "rejected: %s", why);
        kb_problem_format(&p, printed, sizeof printed);
        CHECK(strcmp(printed, canonical) == 0, "printed '%s'", printed);
        CHECK(parse(kernel, printed, &again, why, sizeof why), "canonical rejected: %s", why);
        kb_problem_format(&again, reprinted, sizeof reprinted);
        CHECK(memcmp(&p.softmax, &again.softmax, sizeof p.softmax) == 0 &&
                  strcmp(printed, reprinted) == 0,
              "round trip changed the problem: '%s'", reprinted);
    }
}

static void expect_error(kb_kernel kernel, const char *text, const char *field) {
    TEST_CASE("%s rejects '%s'", kb_kernel_name(kernel), text) {
        kb_problem p;
        char why[256] = "";
        CHECK(!parse(kernel, text, &p, why, sizeof why), "'%s' must be rejected", text);
        CHECK(strncmp(why, field, strlen(field)) == 0, "error should start with '%s', got '%s'",
              field, why);
        CHECK(strchr(why, '\n') == NULL, "error must be one line: '%s'", why);
    }
}

int main(void) {
    const kb_kernel sm = KB_KERNEL_SOFTMAX, xe = KB_KERNEL_SOFTMAX_XENT;
    TEST_CASE("%s", "defaults: mb 2, index labels, delta 1e-7") {
        kb_problem p;
        char why[256] = "";
        CHECK(parse(xe, "ic10", &p, why, sizeof why), "%s", why);
        CHECK(p.softmax.batch == 2 && p.softmax.classes == 10, "sizes");
        CHECK(!p.softmax.one_hot && p.softmax.delta == 1e-7f, "labels and delta");
    }
    expect_canonical(sm, "mb100ic10", "mb100ic10");
    expect_canonical(sm, "ic1", "mb2ic1");
    expect_canonical(sm, "mb3_ic7 n\"x:y\"", "mb3ic7");
    expect_canonical(xe, "mb100ic10", "mb100ic10");
    expect_canonical(xe, "mb100ic10onehot", "mb100ic10onehot");
    expect_canonical(xe, "onehot_mb4ic3", "mb4ic3onehot");
    expect_canonical(xe, "mb2ic5delta0", "mb2ic5delta0");
    expect_canonical(xe, "mb2ic5delta0onehot", "mb2ic5onehotdelta0");
    expect_canonical(xe, "mb2ic5delta1e-7", "mb2ic5");
    expect_canonical(xe, "mb2ic5delta0.001", "mb2ic5delta0.001");
    expect_canonical(xe, "mb2ic5delta1e-30", "mb2ic5delta1e-30");
    expect_canonical(xe, "mb2ic5delta0.1234567", "mb2ic5delta0.123456702");

    expect_error(sm, "", "descriptor");
    expect_error(sm, "mb0ic3", "mb");
    expect_error(sm, "mb3ic0", "ic");
    expect_error(sm, "mb3", "ic: missing");
    expect_error(sm, "mb-1ic3", "mb: negative");
    expect_error(sm, "mb3ic4x", "descriptor: unexpected");
    expect_error(sm, "mb2mb3ic4", "mb: given twice");
    expect_error(sm, "mb99999999999ic3", "mb: 99999999999 exceeds");
    expect_error(sm, "mb16000000ic16000000", "src (mb*ic): more than 2^40");
    expect_error(sm, "mb3ic4onehot", "onehot: softmax has no");
    expect_error(sm, "mb3ic4delta0", "delta: softmax has no");
    expect_error(xe, "mb3ic4onehotonehot", "onehot: given twice");
    expect_error(xe, "mb3ic4delta0delta1", "delta: given twice");
    expect_error(xe, "mb3ic4delta-1", "delta: negative value in 'mb3ic4delta-1'");
    expect_error(xe, "mb3ic4deltainf", "delta: expected");
    expect_error(xe, "mb3ic4delta", "delta: expected");
    expect_error(xe, "mb3ic4delta1e-35", "delta: 1e-35 must be 0 or");
    expect_error(xe, "mb3ic4delta1e39", "delta: 1e39 is out of float range");
    expect_error(xe, "mb3ic4delta1e-50", "delta: 1e-50 is out of float range");
    expect_error(xe, "mb3ic4n\"x", "descriptor: bad name");
    return kb_test_summary();
}
