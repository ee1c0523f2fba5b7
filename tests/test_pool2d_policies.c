/* pool2d's documented policies (kernbench/problem.h, kernels/pool2d/problem.c)
 * and descriptors:
 *   - NaN propagates through max: a window holding a NaN gives NaN, and bwd
 *     routes the gradient to its first NaN;
 *   - ties: max bwd routes to the first maximum in row-major order (all-equal
 *     inputs, overlapping windows);
 *   - a window of -inf gives -inf; a window entirely in padding gives -inf
 *     (max) or 0 (avg), and its gradient goes nowhere;
 *   - descriptors: algorithm prefix or suffix, defaults, canonical round
 *     trip, one-line errors naming the field.
 * Each policy is checked on the reference against values written out by
 * hand, then every registered variant is checked against the reference on
 * inputs that exercise it (vector interiors and scalar borders alike), at 1
 * and 2 threads. oneDNN skips NaN and writes -FLT_MAX for a window of -inf:
 * it is skipped, with that reason, where it deviates. */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "case.h"
#include "testing.h"

enum { MAX_VARIANTS = 32 };

/* The reference outputs of `c`, recomputed from its current inputs. */
static kb_status recompute_reference(kb_case *c) {
    kb_args ref = c->args;
    for (int a = 0; a < KB_ARG_COUNT; a++)
        if (c->ref_outputs[a]) ref.tensor[a] = c->ref_outputs[a];
    return kb_reference_run(&c->problem, &ref, &c->magnitudes);
}

/* Every variant of the case's direction against the reference; `onednn_why`
 * (when not NULL) is why oneDNN is skipped. */
static void check_variants(const kb_case *c, const char *what, const char *onednn_why) {
    const kb_variant *variants[MAX_VARIANTS];
    const size_t n = kb_registry_select(c->problem.kernel, c->problem.direction, NULL, 0, variants,
                                        MAX_VARIANTS);
    for (size_t v = 0; v < n; v++)
        for (int threads = 1; threads <= 2; threads++) {
            const kb_variant *variant = variants[v];
            if (variant->single_threaded && threads > 1) continue;
            char name[256];
            snprintf(name, sizeof name, "%s: %s %s threads=%d", what, variant->name,
                     kb_direction_name(c->problem.direction), threads);
            const char *why_not;
            if (onednn_why && strcmp(variant->name, "onednn") == 0) {
                kb_test_skip(name, onednn_why);
                continue;
            }
            if (!kb_variant_usable(variant, &c->problem, &why_not)) {
                kb_test_skip(name, why_not);
                continue;
            }
            omp_set_num_threads(threads);
            TEST_CASE("%s", name) {
                kb_prepared prepared;
                kb_status status = kb_prepared_init(&prepared, variant, c, threads);
                CHECK(status == KB_OK, "prepare: %s", kb_status_name(status));
                if (status == KB_OK) {
                    kb_check_result result;
                    status = kb_case_run_and_check(&prepared, c, &result);
                    CHECK(status == KB_OK && result.pass, "%s: %zu mismatches, first at %zu",
                          kb_status_name(status), result.mismatches, result.first_bad);
                    kb_prepared_release(&prepared);
                }
            }
        }
}

static bool make_case(kb_case *c, const char *descriptor, kb_direction direction) {
    kb_problem p = {.direction = direction};
    char why[256];
    kb_status status = kb_problem_parse(KB_KERNEL_POOL2D, descriptor, &p, why, sizeof why);
    if (status == KB_OK) status = kb_case_init(c, &p, KB_FILL_REAL, 7, why, sizeof why);
    TEST_CASE("case %s %s", descriptor, kb_direction_name(direction)) {
        CHECK(status == KB_OK, "%s", why);
    }
    return status == KB_OK;
}

/* Runs the reference on a hand-written src (and diff_dst) and compares with
 * hand-written expectations; NaN expects NaN. */
static void expect_reference(const char *descriptor, kb_direction direction, const float *src,
                             const float *diff_dst, const float *expected, size_t n_expected) {
    kb_case c;
    if (!make_case(&c, descriptor, direction)) return;
    if (c.args.tensor[KB_ARG_SRC])
        memcpy(c.args.tensor[KB_ARG_SRC], src, c.elems[KB_ARG_SRC] * sizeof(float));
    if (c.args.tensor[KB_ARG_DIFF_DST])
        memcpy(c.args.tensor[KB_ARG_DIFF_DST], diff_dst, c.elems[KB_ARG_DIFF_DST] * sizeof(float));
    const kb_arg out = direction == KB_DIR_FWD ? KB_ARG_DST : KB_ARG_DIFF_SRC;
    TEST_CASE("reference %s %s by hand", descriptor, kb_direction_name(direction)) {
        CHECK(recompute_reference(&c) == KB_OK, "reference failed");
        CHECK(c.elems[out] == n_expected, "%zu outputs", c.elems[out]);
        for (size_t i = 0; i < n_expected && i < c.elems[out]; i++) {
            const float got = c.ref_outputs[out][i];
            CHECK(isnan(expected[i]) ? isnan(got) : got == expected[i],
                  "element %zu: %g, expected %g", i, (double)got, (double)expected[i]);
        }
    }
    kb_case_free(&c);
}

/* Real inputs with NaN at `nan_every`-th elements (and the first and last),
 * so vector interiors and scalar borders both meet them. */
static void nan_inputs(const char *descriptor, kb_direction direction, size_t nan_every) {
    kb_case c;
    if (!make_case(&c, descriptor, direction)) return;
    float *src = c.args.tensor[KB_ARG_SRC];
    const size_t n = c.elems[KB_ARG_SRC];
    for (size_t i = 0; i < n; i += nan_every) src[i] = NAN;
    src[n - 1] = NAN;
    const bool ok = recompute_reference(&c) == KB_OK;
    size_t nan_outputs = 0;
    if (direction == KB_DIR_FWD)
        for (size_t i = 0; i < c.elems[KB_ARG_DST]; i++)
            nan_outputs += isnan(c.ref_outputs[KB_ARG_DST][i]);
    char what[192];
    snprintf(what, sizeof what, "NaN every %zu in %s", nan_every, descriptor);
    TEST_CASE("%s: reference", what) {
        CHECK(ok, "reference failed");
        /* Not vacuous: NaN windows occur, and numeric ones too unless one
         * window covers a whole plane (global pooling). */
        const bool global = c.problem.pool2d.out_height * c.problem.pool2d.out_width == 1;
        CHECK(direction != KB_DIR_FWD ||
                  (nan_outputs > 0 && (global || nan_outputs < c.elems[KB_ARG_DST])),
              "%zu of %zu outputs NaN", nan_outputs, c.elems[KB_ARG_DST]);
    }
    if (ok) check_variants(&c, what, "oneDNN's max skips NaN (kernbench propagates it)");
    kb_case_free(&c);
}

/* All inputs equal: every window ties everywhere. */
static void tied_inputs(const char *descriptor, float value) {
    kb_case c;
    if (!make_case(&c, descriptor, KB_DIR_BWD)) return;
    float *src = c.args.tensor[KB_ARG_SRC];
    for (size_t i = 0; i < c.elems[KB_ARG_SRC]; i++) src[i] = value;
    char what[192];
    snprintf(what, sizeof what, "all inputs %g in %s", (double)value, descriptor);
    const char *onednn_why =
        isinf(value) ? "oneDNN's max starts at -FLT_MAX: -inf windows route elsewhere" : NULL;
    if (recompute_reference(&c) == KB_OK) check_variants(&c, what, onednn_why);
    kb_case_free(&c);
}

static void descriptor_tests(void) {
    const struct {
        const char *text, *canonical;
    } round_trip[] = {
        {"mb1ic64ih112oh56kh3sh2ph1", "max_mb1ic64ih112oh56kh3sh2ph1"}, /* max by default */
        {"mb1ic2048ih7oh1kh7_avg", "avg_mb1ic2048ih7oh1kh7sh1ph0"},     /* suffix */
        {"avg_excl_mb2ic3ih9kh3", "avg_mb2ic3ih9oh7kh3sh1ph0"},
        {"avg_incl mb2ic3ih9iw8kh3kw3sh2sw2ph1pw1 n\"x\"",
         "avg_incl_mb2ic3ih9iw8oh5ow4kh3kw3sh2sw2ph1pw1"},
        {"ic3ih5kh2sh2max", "max_mb2ic3ih5oh2kh2sh2ph0"},         /* mb 2, trailing row unused */
        {"max_mb1ic1iw10kw3", "max_mb1ic1ih10oh8kh3sh1ph0"},      /* w copies to h */
        {"max_mb1ic4ih56oh56kh3", "max_mb1ic4ih56oh56kh3sh1ph1"}, /* pad inferred */
    };
    for (size_t i = 0; i < sizeof round_trip / sizeof round_trip[0]; i++) {
        TEST_CASE("descriptor '%s'", round_trip[i].text) {
            kb_problem p = {0}, q = {0};
            char why[256] = "", text[192];
            CHECK(kb_problem_parse(KB_KERNEL_POOL2D, round_trip[i].text, &p, why, sizeof why) ==
                      KB_OK,
                  "%s", why);
            kb_problem_format(&p, text, sizeof text);
            CHECK(strcmp(text, round_trip[i].canonical) == 0, "printed '%s'", text);
            CHECK(kb_problem_parse(KB_KERNEL_POOL2D, text, &q, why, sizeof why) == KB_OK, "%s",
                  why);
            CHECK(memcmp(&p.pool2d, &q.pool2d, sizeof p.pool2d) == 0, "canonical parses back");
        }
    }
    const struct {
        const char *text, *field;
    } errors[] = {
        {"", "descriptor"},
        {"max_mb1ih5kh3", "ic"},
        {"max_mb1ic3kh3", "ih"},
        {"max_mb1ic3ih5", "kh"},
        {"max_mb1ic3ih5kh7", "oh"},       /* window larger than the padded input */
        {"max_mb1ic3ih5oh9kh3ph1", "oh"}, /* inconsistent output */
        {"max_mb1ic3ih5kh3sh0", "sh"},
        {"max_mb0ic3ih5kh3", "mb"},
        {"max_mb1ic3ih5kh3ph-1", "ph"},
        {"max_mb1ic3ih5iw5kh3", "kw"}, /* w given partly */
        {"max_mb1ic3ih5kh3_avg", "algorithm"},
        {"min_mb1ic3ih5kh3", "descriptor"},
        {"max_mb1ic3oc3ih5kh3", "descriptor"}, /* oc is conv2d's */
        {"max_mb1ic3ih20000000kh3", "ih"},
        {"max_mb16000000ic16000000ih16kh1", "src"},
    };
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        TEST_CASE("rejects '%s'", errors[i].text) {
            kb_problem p = {0};
            char why[256] = "";
            CHECK(kb_problem_parse(KB_KERNEL_POOL2D, errors[i].text, &p, why, sizeof why) ==
                      KB_ERR_INVALID,
                  "must be rejected");
            CHECK(strncmp(why, errors[i].field, strlen(errors[i].field)) == 0,
                  "error should start with '%s': '%s'", errors[i].field, why);
            CHECK(strchr(why, '\n') == NULL, "one line: '%s'", why);
        }
    }
}

int main(void) {
    descriptor_tests();

    /* NaN, by hand: 2x2 windows, stride 1, over
     *   1   NaN 2
     *   3   4   NaN
     *   NaN 5   6
     * every window holds a NaN: fwd is NaN everywhere; bwd routes each
     * gradient to the window's first NaN (row-major). */
    const float nan_src[] = {1, NAN, 2, 3, 4, NAN, NAN, 5, 6};
    const float nan_fwd[] = {NAN, NAN, NAN, NAN};
    const float grads[] = {1, 10, 100, 1000};
    const float nan_bwd[] = {0, 1 + 10, 0, 0, 0, 1000, 100, 0, 0};
    expect_reference("max_mb1ic1ih3kh2", KB_DIR_FWD, nan_src, NULL, nan_fwd, 4);
    expect_reference("max_mb1ic1ih3kh2", KB_DIR_BWD, nan_src, grads, nan_bwd, 9);

    /* Ties, by hand: all ones, 2x2 stride 1: each window's first element. */
    const float ones[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    const float tie_bwd[] = {1, 10, 0, 100, 1000, 0, 0, 0, 0};
    expect_reference("max_mb1ic1ih3kh2", KB_DIR_BWD, ones, grads, tie_bwd, 9);

    /* A window of -inf gives -inf (not the lowest float). */
    const float minus_inf[] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    const float minus_inf_fwd[] = {-INFINITY};
    const float minus_inf_bwd[] = {5, 0, 0, 0};
    const float five[] = {5};
    expect_reference("max_mb1ic1ih2kh2", KB_DIR_FWD, minus_inf, NULL, minus_inf_fwd, 1);
    expect_reference("max_mb1ic1ih2kh2", KB_DIR_BWD, minus_inf, five, minus_inf_bwd, 4);

    /* Windows entirely in padding: a 1x1 input, 2x2 windows, pad 2: output
     * 4x4 of which only the 2x2 middle reaches the input. */
    const float seven[] = {7};
    const float I = INFINITY;
    const float pad_max[] = {-I, -I, -I, -I, -I, 7, 7, -I, -I, 7, 7, -I, -I, -I, -I, -I};
    const float pad_avg[] = {0, 0, 0, 0, 0, 7, 7, 0, 0, 7, 7, 0, 0, 0, 0, 0};
    const float pad_incl[] = {0, 0, 0, 0, 0, 1.75f, 1.75f, 0, 0, 1.75f, 1.75f, 0, 0, 0, 0, 0};
    const float g16[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    const float pad_bwd_max[] = {6 + 7 + 10 + 11}; /* the empty windows' gradients vanish */
    const float pad_bwd_incl[] = {(6 + 7 + 10 + 11) / 4.0f};
    expect_reference("max_mb1ic1ih1kh2ph2", KB_DIR_FWD, seven, NULL, pad_max, 16);
    expect_reference("avg_mb1ic1ih1kh2ph2", KB_DIR_FWD, seven, NULL, pad_avg, 16);
    expect_reference("avg_incl_mb1ic1ih1kh2ph2", KB_DIR_FWD, seven, NULL, pad_incl, 16);
    expect_reference("max_mb1ic1ih1kh2ph2", KB_DIR_BWD, seven, g16, pad_bwd_max, 1);
    expect_reference("avg_mb1ic1ih1kh2ph2", KB_DIR_BWD, seven, g16, pad_bwd_max, 1);
    expect_reference("avg_incl_mb1ic1ih1kh2ph2", KB_DIR_BWD, seven, g16, pad_bwd_incl, 1);

    /* Every variant on those policies. Widths put NaN into vector interiors
     * (strides 1, 2 and 3) and border windows. */
    const char *const nan_shapes[] = {
        "max_mb2ic3ih9iw37kh3kw3sh2sw2ph1pw1",
        "max_mb1ic2ih8iw40kh2kw3sh1sw1",
        "max_mb1ic2ih10iw50kh3kw3sh3sw3ph1pw1",
        "max_mb1ic2ih7kh7",
        "max_mb1ic2ih8iw36kh2kw2sh2sw2", /* tiled bwd */
        "max_mb1ic2ih8iw32kh2kw2sh2sw2", /* fwd: 2x2 both rows at once */
        "max_mb1ic2ih11iw45kh3kw5sh2sw2ph2pw2", /* gathered max bwd, even pad */
        "max_mb1ic2ih9iw35kh3kw3sh2sw2ph1pw1",  /* gathered max bwd, tails */
        "max_mb1ic2ih9iw70kh3kw3sh2sw2ph1pw1",  /* fwd: plain 3-wide stride-2 chunks */
    };
    const kb_direction directions[] = {KB_DIR_FWD, KB_DIR_BWD};
    for (size_t i = 0; i < sizeof nan_shapes / sizeof nan_shapes[0]; i++)
        for (size_t d = 0; d < 2; d++) {
            nan_inputs(nan_shapes[i], directions[d], 13);
            nan_inputs(nan_shapes[i], directions[d], 97);
        }
    tied_inputs("max_mb2ic3ih9iw37kh3kw3sh2sw2ph1pw1", 1.0f);
    tied_inputs("max_mb1ic2ih8iw40kh3kw3sh1sw1", -2.0f);
    tied_inputs("max_mb1ic2ih10iw50kh4kw4sh3sw3ph1pw1", 0.5f);
    tied_inputs("max_mb1ic2ih9iw37kh2kw2sh2sw2", 3.0f); /* tiled bwd */
    /* Gathered max bwd: ties across overlapping windows, padding on both
     * sides, -inf inputs tied with the padding (the scalar redo). */
    tied_inputs("max_mb1ic2ih11iw45kh3kw5sh2sw2ph2pw2", -1.5f);
    tied_inputs("max_mb1ic2ih9iw35kh3kw3sh2sw2ph1pw1", 0.0f);
    tied_inputs("max_mb1ic2ih9iw35kh3kw3sh2sw2ph1pw1", -INFINITY);
    tied_inputs("max_mb1ic2ih7iw9kh3kw5sh2sw2ph2pw3", -INFINITY);
    tied_inputs("max_mb1ic2ih9iw70kh3kw3sh2sw2ph1pw1", -INFINITY); /* fwd: padding tap */
    {
        kb_case c;
        if (make_case(&c, "max_mb1ic2ih8iw40kh3kw3sh2sw2ph1pw1", KB_DIR_FWD)) {
            for (size_t i = 0; i < c.elems[KB_ARG_SRC]; i++)
                c.args.tensor[KB_ARG_SRC][i] = -INFINITY;
            if (recompute_reference(&c) == KB_OK)
                check_variants(&c, "all inputs -inf",
                               "oneDNN's max gives -FLT_MAX for -inf windows");
            kb_case_free(&c);
        }
    }
    return kb_test_summary();
}
