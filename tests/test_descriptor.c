/* The benchdnn-style descriptor parser: defaults, inference, canonical
 * printing that round-trips, and one-line errors that name the field. */
#include <string.h>

#include "kernbench/problem.h"
#include "testing.h"

static kb_conv2d_shape parse_ok(const char *text) {
    kb_problem p = {0};
    char why[256] = "";
    kb_status st = kb_problem_parse(KB_KERNEL_CONV2D, text, &p, why, sizeof why);
    CHECK(st == KB_OK, "'%s' should parse, got: %s", text, why);
    return p.conv2d;
}

static void expect_error(const char *text, const char *field) {
    TEST_CASE("rejects '%s'", text) {
        kb_problem p = {0};
        char why[256] = "";
        kb_status st = kb_problem_parse(KB_KERNEL_CONV2D, text, &p, why, sizeof why);
        CHECK(st == KB_ERR_INVALID, "'%s' must be rejected", text);
        CHECK(strncmp(why, field, strlen(field)) == 0, "error for '%s' should start with '%s', got '%s'",
              text, field, why);
        CHECK(strchr(why, '\n') == NULL, "error must be one line: '%s'", why);
    }
}

int main(void) {
    TEST_CASE("%s", "square shorthand copies h to w, mb defaults to 2") {
        kb_conv2d_shape s = parse_ok("ic64ih56oc64oh56kh3ph1");
        CHECK(s.batch == 2, "mb %ld", (long)s.batch);
        CHECK(s.in_width == 56 && s.out_width == 56 && s.kernel_w == 3 && s.pad_left == 1,
              "w copied");
        CHECK(s.stride_h == 1 && s.stride_w == 1 && s.dilation_h == 0, "defaults");
    }
    TEST_CASE("%s", "output size inferred") {
        kb_conv2d_shape s = parse_ok("mb1ic3ih224oc64kh7sh2ph3");
        CHECK(s.out_height == 112 && s.out_width == 112, "oh %ld", (long)s.out_height);
    }
    TEST_CASE("%s", "pad inferred from output size") {
        kb_conv2d_shape s = parse_ok("mb1ic64ih56oc64oh56kh3");
        CHECK(s.pad_top == 1 && s.pad_left == 1, "ph %ld", (long)s.pad_top);
        s = parse_ok("mb1ic256ih56oc512oh28kh1sh2");
        CHECK(s.pad_top == 0, "ph %ld", (long)s.pad_top);
    }
    TEST_CASE("%s", "non-square, dilation, separators, g1 and name") {
        kb_conv2d_shape s = parse_ok("g1_mb3_ic7ih9iw13_oc5_kh3kw5sh1sw2ph1pw2dh1dw0n\"x:y\"");
        CHECK(s.batch == 3 && s.in_height == 9 && s.in_width == 13, "sizes");
        CHECK(s.out_height == 7, "oh %ld", (long)s.out_height); /* (9+2-5)/1+1 */
        CHECK(s.out_width == 7, "ow %ld", (long)s.out_width);   /* (13+4-5)/2+1 */
        CHECK(s.dilation_h == 1 && s.dilation_w == 0, "dilation");
    }
    TEST_CASE("%s", "only w given copies to h") {
        kb_conv2d_shape s = parse_ok("mb1ic2iw10oc2kw3");
        CHECK(s.in_height == 10 && s.kernel_h == 3 && s.out_height == 8, "h from w");
    }
    const char *round_trip[] = {
        "mb1ic64ih56oc64oh56kh3ph1",       "mb1ic3ih224oc64oh112kh7sh2ph3",
        "mb1ic5ih13oc7oh9kh3ph0dh1",       "mb3ic7ih9iw13oc5oh7ow7kh3kw5sh1sw2ph1pw2dh1dw0",
        "mb1ic256ih56oc512oh28kh1sh2ph0",  "mb1ic1ih1oc1oh1kh1ph0",
    };
    for (size_t i = 0; i < sizeof round_trip / sizeof round_trip[0]; i++) {
        TEST_CASE("round trip %s", round_trip[i]) {
            kb_problem p = {0}, q = {0};
            char why[256], text[192];
            CHECK(kb_problem_parse(KB_KERNEL_CONV2D, round_trip[i], &p, why, sizeof why) == KB_OK,
                  "%s", why);
            kb_problem_format(&p, text, sizeof text);
            CHECK(strcmp(text, round_trip[i]) == 0, "printed '%s'", text);
            CHECK(kb_problem_parse(KB_KERNEL_CONV2D, text, &q, why, sizeof why) == KB_OK, "%s",
                  why);
            CHECK(memcmp(&p.conv2d, &q.conv2d, sizeof p.conv2d) == 0, "same problem");
        }
    }
    expect_error("", "descriptor");
    expect_error("mb1ic3oc3", "ih");
    expect_error("mb1oc3ih5kh3", "ic");
    expect_error("mb1ic3ih5kh3", "oc");
    expect_error("mb0ic3ih5oc3kh3", "mb");
    expect_error("mb1ic0ih5oc3kh3", "ic");
    expect_error("mb1ic3ih5oc3kh0", "kh");
    expect_error("mb1ic3ih5oc3kh3sh0", "sh");
    expect_error("mb1ic3ih5oc3kh7", "oh");            /* output size <= 0 */
    expect_error("mb1ic3ih5oc3oh9kh3ph1", "oh");      /* inconsistent output */
    expect_error("mb1ic3ih5iw5oc3kh3", "kw");         /* w given partly */
    expect_error("mb1ic3ih5oc3kh3ph-1", "ph");
    expect_error("mb1ic3ih5oc3kh3zz4", "descriptor");
    expect_error("mb1ic3ic4ih5oc3kh3", "ic");         /* twice */
    expect_error("g2mb1ic4ih5oc4kh3", "g");
    expect_error("mb1ic3ih99999999999999999999oc3kh3", "ih");
    expect_error("mb1ic3ih20000000oc3kh3", "ih");     /* over KB_MAX_DIM */
    expect_error("mb16000000ic16000000ih16oc3kh3", "src"); /* tensor over 2^40 */
    expect_error("mb1ic3ih5oc3kh3n\"unterminated", "descriptor");
    return kb_test_summary();
}
