/* Every registered softmax_xent variant, forward (Y and the loss) and
 * backward (dX = (Y - T)/N), against the reference (bench/check.h, tolerances
 * derived in kernels/softmax/problem.c), integer and real inputs, 1 and 2
 * threads, on shapes that hit every edge: M = 1, N = 1, M around multiples
 * of 8 and 16, index and one-hot labels, the book's delta and delta 0, rows
 * at every alignment (M = 1001 over 13 rows), short rows in eight-row groups
 * (softmax.h), outputs over 32 MiB (streaming stores, core/stream.h) with
 * long rows at every alignment and with short rows in groups. Then:
 *   - edited logits: +-1e4 (with delta 1e-7 and 0: the loss of a label on a
 *     -1e4 logit is 16.1 with the book's delta and 2e4 exact), spread over
 *     [-60, 60) with delta 0 (labels on underflowed y), around 3e6, constant
 *     rows; one-hot label rows with ties (the first maximum is the class),
 *     and of negatives and -inf only (a row with nothing above -inf: class 0);
 *   - a one-hot and an index label tensor naming the same classes give
 *     bit-identical Y, loss and dX in every variant;
 *   - an index label out of range (M, -1, 0.5, NaN, 1e9) makes every variant
 *     return KB_ERR_INVALID, forward and backward, and the reference too. */
#include "softmax_cases.h"

static const char *const shapes[] = {
    "mb1ic1",           "mb1ic1delta0",     "mb3ic1onehot",    "mb1ic2",
    "mb2ic7onehot",     "mb3ic8",           "mb2ic9delta0",    "mb5ic15",
    "mb3ic16onehot",    "mb2ic17onehotdelta0", "mb4ic31",      "mb2ic32delta0.001",
    "mb3ic33",          "mb3ic65onehot",    "mb7ic100",        "mb100ic10",
    "mb100ic10onehot",  "mb100ic10delta0",  "mb1ic1000",       "mb13ic1001delta0",
    "mb1ic4099onehot",  "mb3ic5000",
    /* eight-row groups of short rows (softmax.h): 37 rows make groups, rows
     * before the first group and after the last one, at 1 and 2 threads */
    "mb37ic1",          "mb37ic3onehot",    "mb37ic7delta0",   "mb37ic8",
    "mb37ic9onehot",    "mb37ic10",         "mb37ic10onehot",  "mb37ic10delta0",
    "mb37ic16",         "mb37ic17onehotdelta0", "mb37ic31",    "mb37ic32onehot",
    "mb37ic33",         "mb37ic64delta0",   "mb37ic65onehot",
    /* groups that end at the tensor's end, rows shorter than a vector */
    "mb16ic1",          "mb16ic2onehot",    "mb24ic3delta0",   "mb8ic5",
};

/* An output over 32 MiB: the AVX2 variant's streaming stores (core/stream.h).
 * Real-valued inputs only, and not in the sanitizer pass (kb_agreement_large). */
static const char *const large_shapes[] = {"mb8200ic1025", "mb600001ic10onehot"};

static const kb_variant *find_same(const kb_variant *v, kb_direction direction) {
    return kb_registry_find(KB_KERNEL_SOFTMAX_XENT, direction, v->name);
}

/* Runs `v` on `c` at `threads`; false (reported) when it cannot. */
static bool run_variant(const kb_variant *v, const kb_case *c, int threads, kb_status *status) {
    kb_prepared prepared;
    omp_set_num_threads(threads);
    *status = kb_prepared_init(&prepared, v, c, threads);
    if (*status != KB_OK) return false;
    *status = kb_prepared_run(&prepared, c);
    kb_prepared_release(&prepared);
    return true;
}

/* Index labels and the same classes as one-hot rows: same outputs, bit for
 * bit, in every variant and thread count. */
static void check_onehot_equals_index(kb_direction direction, const char *index_descriptor,
                                      const char *onehot_descriptor) {
    kb_problem pi, po;
    if (!softmax_problem(KB_KERNEL_SOFTMAX_XENT, direction, index_descriptor, &pi) ||
        !softmax_problem(KB_KERNEL_SOFTMAX_XENT, direction, onehot_descriptor, &po))
        return;
    kb_case ci, co;
    if (!softmax_edited_case(&pi, NULL, 5, &ci)) return;
    if (!softmax_edited_case(&po, NULL, 5, &co)) {
        kb_case_free(&ci);
        return;
    }
    /* Same logits (or saved Y): the fills use the same seed per argument. */
    const kb_arg input = direction == KB_DIR_FWD ? KB_ARG_SRC : KB_ARG_DST;
    const int64_t classes = pi.softmax.classes;
    memset(co.args.tensor[KB_ARG_LABELS], 0, co.elems[KB_ARG_LABELS] * sizeof(float));
    for (int64_t n = 0; n < pi.softmax.batch; n++)
        co.args.tensor[KB_ARG_LABELS][n * classes + (int64_t)ci.args.tensor[KB_ARG_LABELS][n]] = 1.0f;
    const kb_variant *variants[64];
    const size_t count = kb_registry_select(KB_KERNEL_SOFTMAX_XENT, direction, NULL, 0, variants, 64);
    for (size_t i = 0; i < count; i++) {
        const kb_variant *v = variants[i];
        for (int threads = 1; threads <= 2; threads++) {
            if (v->single_threaded && threads > 1) continue;
            const char *why_not;
            char what[256];
            snprintf(what, sizeof what, "softmax_xent %s %s: one-hot %s == index %s, threads=%d",
                     v->name, kb_direction_name(direction), onehot_descriptor, index_descriptor,
                     threads);
            if (!kb_variant_usable(v, &pi, &why_not)) {
                kb_test_skip(what, why_not);
                continue;
            }
            TEST_CASE("%s", what) {
                CHECK(memcmp(ci.args.tensor[input], co.args.tensor[input],
                             ci.elems[input] * sizeof(float)) == 0,
                      "the two cases' inputs differ");
                kb_status si, so;
                const bool ran = run_variant(v, &ci, threads, &si) &&
                                 run_variant(find_same(v, direction), &co, threads, &so);
                CHECK(ran && si == KB_OK && so == KB_OK, "runs failed");
                for (int a = 0; a < KB_ARG_COUNT; a++) {
                    if (!ci.ref_outputs[a]) continue;
                    CHECK(memcmp(ci.args.tensor[a], co.args.tensor[a],
                                 ci.elems[a] * sizeof(float)) == 0,
                          "%s differs between index and one-hot labels", kb_arg_name((kb_arg)a));
                }
            }
        }
    }
    kb_case_free(&ci);
    kb_case_free(&co);
}

/* A bad index label: KB_ERR_INVALID from every variant and the reference. */
static void check_bad_label(kb_direction direction, float bad) {
    kb_problem p;
    if (!softmax_problem(KB_KERNEL_SOFTMAX_XENT, direction, "mb20ic10", &p)) return;
    kb_case c;
    if (!softmax_edited_case(&p, NULL, 9, &c)) return;
    c.args.tensor[KB_ARG_LABELS][4] = bad; /* one row of twenty, in a group */
    TEST_CASE("reference %s rejects label %g", kb_direction_name(direction), (double)bad) {
        kb_args ref_args = c.args;
        for (int a = 0; a < KB_ARG_COUNT; a++)
            if (c.ref_outputs[a]) ref_args.tensor[a] = c.ref_outputs[a];
        CHECK(kb_reference_run(&p, &ref_args, NULL) == KB_ERR_INVALID, "not rejected");
    }
    const kb_variant *variants[64];
    const size_t count = kb_registry_select(KB_KERNEL_SOFTMAX_XENT, direction, NULL, 0, variants, 64);
    for (size_t i = 0; i < count; i++) {
        for (int threads = 1; threads <= 2; threads++) {
            const kb_variant *v = variants[i];
            if (v->single_threaded && threads > 1) continue;
            char what[192];
            snprintf(what, sizeof what, "softmax_xent %s %s: label %g of 10 classes, threads=%d",
                     v->name, kb_direction_name(direction), (double)bad, threads);
            const char *why_not;
            if (!kb_variant_usable(v, &p, &why_not)) {
                kb_test_skip(what, why_not);
                continue;
            }
            TEST_CASE("%s", what) {
                kb_status status;
                const bool ran = run_variant(v, &c, threads, &status);
                CHECK(ran, "prepare failed: %s", kb_status_name(status));
                CHECK(!ran || status == KB_ERR_INVALID, "run returned '%s', not 'invalid argument'",
                      kb_status_name(status));
            }
        }
    }
    kb_case_free(&c);
}

int main(void) {
    /* Extreme logits (forward; backward reads Y, which is in [0, 1]). */
    const kb_direction fwd = KB_DIR_FWD;
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb5ic37", "logits +-1e4", edit_huge_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb5ic37delta0", "logits +-1e4",
                         edit_huge_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb4ic21onehotdelta0", "logits +-1e4",
                         edit_huge_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb1ic1delta0", "logit 1e4",
                         edit_huge_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb16ic129delta0", "logits in [-60, 60)",
                         edit_wide_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb16ic129", "logits in [-60, 60)",
                         edit_wide_logits);
    /* the same in eight-row groups */
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb24ic10delta0", "logits +-1e4",
                         edit_huge_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb24ic10", "logits +-1e4",
                         edit_huge_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb24ic13delta0", "logits in [-60, 60)",
                         edit_wide_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb16ic10", "constant rows",
                         edit_equal_rows);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb3ic50delta0", "logits around 3e6",
                         edit_offset_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb4ic19", "constant rows",
                         edit_equal_rows);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb2ic1000delta0", "constant rows",
                         edit_equal_rows);
    /* Label rows with several maxima: the first wins, in both directions. */
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb12ic37onehot", "tied one-hot rows",
                         edit_tied_labels);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, KB_DIR_BWD, "mb12ic37onehot", "tied one-hot rows",
                         edit_tied_labels);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, KB_DIR_BWD, "mb3ic5onehot", "tied one-hot rows",
                         edit_tied_labels);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, fwd, "mb24ic5onehot", "tied one-hot rows",
                         edit_tied_labels);
    softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, KB_DIR_BWD, "mb24ic5onehot", "tied one-hot rows",
                         edit_tied_labels);
    /* ... and label rows of negatives and -inf, in groups and alone */
    for (int d = 0; d < 2; d++) {
        const kb_direction direction = d == 0 ? KB_DIR_FWD : KB_DIR_BWD;
        softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, direction, "mb37ic10onehot",
                             "negative and -inf one-hot rows", edit_negative_labels);
        softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, direction, "mb24ic17onehot",
                             "negative and -inf one-hot rows", edit_negative_labels);
        softmax_check_edited(KB_KERNEL_SOFTMAX_XENT, direction, "mb5ic37onehot",
                             "negative and -inf one-hot rows", edit_negative_labels);
    }

    check_onehot_equals_index(KB_DIR_FWD, "mb9ic37", "mb9ic37onehot");
    check_onehot_equals_index(KB_DIR_FWD, "mb5ic10delta0", "mb5ic10onehotdelta0");
    check_onehot_equals_index(KB_DIR_FWD, "mb37ic10", "mb37ic10onehot");
    check_onehot_equals_index(KB_DIR_BWD, "mb9ic37", "mb9ic37onehot");
    check_onehot_equals_index(KB_DIR_BWD, "mb37ic10", "mb37ic10onehot");
    check_onehot_equals_index(KB_DIR_BWD, "mb3ic1000", "mb3ic1000onehot");

    const float bad[] = {10.0f, -1.0f, 0.5f, NAN, 1e9f};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        check_bad_label(KB_DIR_FWD, bad[b]);
        check_bad_label(KB_DIR_BWD, bad[b]);
    }
    kb_agreement_large(KB_KERNEL_SOFTMAX_XENT, large_shapes,
                       sizeof large_shapes / sizeof large_shapes[0]);
    return softmax_finish(
        kb_agreement_run(KB_KERNEL_SOFTMAX_XENT, shapes, sizeof shapes / sizeof shapes[0]));
}
