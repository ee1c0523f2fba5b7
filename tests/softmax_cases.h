/* Helpers shared by the softmax and softmax_xent tests: every variant on
 * inputs a test writes itself (extreme logits, constant rows, bad labels),
 * checked against the reference recomputed on those inputs. */
#ifndef KB_TEST_SOFTMAX_CASES_H
#define KB_TEST_SOFTMAX_CASES_H

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "agreement.h"
#include "testing.h"

/* Rewrites the inputs of a case (after the generic fill). */
typedef void softmax_edit_fn(kb_case *c, uint64_t seed);

/* A valid problem from a descriptor, or false (reported). */
static inline bool softmax_problem(kb_kernel kernel, kb_direction direction, const char *descriptor,
                            kb_problem *p) {
    char why[256] = "";
    *p = (kb_problem){.direction = direction};
    const bool ok = kb_problem_parse(kernel, descriptor, p, why, sizeof why) == KB_OK &&
                    kb_problem_validate(p, why, sizeof why) == KB_OK;
    if (!ok)
        TEST_CASE("%s %s parses", kb_kernel_name(kernel), descriptor) { CHECK(ok, "%s", why); }
    return ok;
}

/* A real-filled case of `p` whose inputs `edit` rewrote, with the reference
 * recomputed on them. */
static inline bool softmax_edited_case(const kb_problem *p, softmax_edit_fn *edit, uint64_t seed,
                                kb_case *c) {
    char why[256] = "";
    kb_status status = kb_case_init(c, p, KB_FILL_REAL, seed, why, sizeof why);
    if (status == KB_OK && edit) {
        edit(c, seed);
        kb_args ref_args = c->args;
        for (int a = 0; a < KB_ARG_COUNT; a++)
            if (c->ref_outputs[a]) ref_args.tensor[a] = c->ref_outputs[a];
        status = kb_reference_run(p, &ref_args, &c->magnitudes);
        snprintf(why, sizeof why, "reference on the edited inputs: %s", kb_status_name(status));
        if (status != KB_OK) kb_case_free(c);
    }
    if (status != KB_OK)
        TEST_CASE("case %s", "init") { CHECK(status == KB_OK, "%s", why); }
    return status == KB_OK;
}

/* Every variant of the problem's kernel and direction on the edited inputs. */
static inline void softmax_check_edited(kb_kernel kernel, kb_direction direction,
                                 const char *descriptor, const char *what, softmax_edit_fn *edit) {
    kb_problem p;
    if (!softmax_problem(kernel, direction, descriptor, &p)) return;
    kb_case c;
    if (!softmax_edited_case(&p, edit, 77, &c)) return;
    const kb_variant *variants[64];
    const size_t n = kb_registry_select(kernel, direction, NULL, 0, variants, 64);
    char label[160];
    snprintf(label, sizeof label, "%s (%s)", descriptor, what);
    for (size_t v = 0; v < n; v++) kb_agreement_check_variant(variants[v], &c, label);
    kb_case_free(&c);
}

/* Logits of +-1e4 (random signs): exp(-2e4) is 0 in float and in double. */
static inline void edit_huge_logits(kb_case *c, uint64_t seed) {
    uint64_t state = seed;
    for (size_t i = 0; i < c->elems[KB_ARG_SRC]; i++)
        c->args.tensor[KB_ARG_SRC][i] = (kb_random_next(&state) & 1) ? 1e4f : -1e4f;
}

/* Logits spread over [-60, 60): differences up to 120, so many y are
 * subnormal or flushed (the tolerance's absolute floor) and |x - max| is
 * large (its relative term). */
static inline void edit_wide_logits(kb_case *c, uint64_t seed) {
    kb_fill_values(c->args.tensor[KB_ARG_SRC], c->elems[KB_ARG_SRC], true, seed);
    for (size_t i = 0; i < c->elems[KB_ARG_SRC]; i++) c->args.tensor[KB_ARG_SRC][i] *= 60.0f;
}

/* Logits around 3e6 (beyond the two-pass variant's direct range, 2^20),
 * spread by a few units, so softmax is not trivial. */
static inline void edit_offset_logits(kb_case *c, uint64_t seed) {
    kb_fill_values(c->args.tensor[KB_ARG_SRC], c->elems[KB_ARG_SRC], true, seed);
    for (size_t i = 0; i < c->elems[KB_ARG_SRC]; i++)
        c->args.tensor[KB_ARG_SRC][i] = 3e6f + 4.0f * roundf(c->args.tensor[KB_ARG_SRC][i] * 4.0f);
}

/* Every row constant (a different constant per row): y = 1/M exactly. */
static inline void edit_equal_rows(kb_case *c, uint64_t seed) {
    (void)seed;
    const kb_softmax_shape *s = &c->problem.softmax;
    for (int64_t n = 0; n < s->batch; n++)
        for (int64_t j = 0; j < s->classes; j++)
            c->args.tensor[KB_ARG_SRC][n * s->classes + j] = (float)n * 0.75f - 3.0f;
}

/* One-hot label rows with ties: each row gets 1 in a random subset of its
 * classes (at least one), so its argmax is the first 1 (first maximum wins;
 * the fill itself never makes such rows). */
static inline void edit_tied_labels(kb_case *c, uint64_t seed) {
    uint64_t state = seed;
    const kb_softmax_shape *s = &c->problem.softmax;
    for (int64_t n = 0; n < s->batch; n++) {
        float *row = c->args.tensor[KB_ARG_LABELS] + n * s->classes;
        for (int64_t j = 0; j < s->classes; j++) row[j] = (float)(kb_random_next(&state) & 1);
        row[s->classes - 1] = 1.0f;
    }
}

/* One-hot label rows of -inf, -2 and -1 only, with ties, some all -inf: the
 * first maximum below zero, and a row with nothing above -inf naming class
 * 0, as every argmax here takes it. */
static inline void edit_negative_labels(kb_case *c, uint64_t seed) {
    static const float values[] = {-INFINITY, -2.0f, -1.0f, -INFINITY};
    uint64_t state = seed;
    const kb_softmax_shape *s = &c->problem.softmax;
    for (int64_t n = 0; n < s->batch; n++) {
        float *row = c->args.tensor[KB_ARG_LABELS] + n * s->classes;
        const bool all_inf = n % 5 == 3;
        for (int64_t j = 0; j < s->classes; j++)
            row[j] = all_inf ? -INFINITY : values[kb_random_next(&state) & 3];
    }
}

/* testing.h keeps its counters per file: the checks through agreement.c
 * (kb_agreement_check_variant, kb_agreement_run) count there and print their
 * line in kb_agreement_run, which must come after them; the cases of the
 * test file itself count here. Prints this file's line too when it has
 * cases, and fails when either does. */
static inline int softmax_finish(int sweep_status) {
    if (kb_tests_passed + kb_tests_failed + kb_tests_skipped == 0) return sweep_status;
    return kb_test_summary() | sweep_status;
}

#endif
