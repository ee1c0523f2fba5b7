/* Runs one variant once on tensors the test made itself (edge values the
 * case fillers never produce, several optimizer steps in a row): workspace,
 * prepare, run, release, at `threads` threads (oneDNN reads
 * omp_get_max_threads(), so that is set too, as the agreement sweep does).
 * Below it, the helpers of the numerical edge tests (tests/test_*_edges.c). */
#ifndef KB_TEST_DIRECT_RUN_H
#define KB_TEST_DIRECT_RUN_H

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "kernbench/registry.h"
#include "kernbench/variant.h"
#include "testing.h"

static inline kb_status kb_run_variant_once(const kb_variant *variant, const kb_problem *problem,
                                            const kb_args *args, int threads) {
    omp_set_num_threads(threads);
    const kb_context ctx = {.threads = threads};
    const size_t bytes = variant->workspace_bytes ? variant->workspace_bytes(problem, &ctx) : 0;
    void *workspace = bytes ? aligned_alloc(64, (bytes + 63) / 64 * 64) : NULL;
    if (bytes && !workspace) return KB_ERR_NOMEM;
    void *state = NULL;
    kb_status status = variant->prepare ? variant->prepare(problem, args, &ctx, &state) : KB_OK;
    if (status == KB_OK) {
        status = variant->run(problem, args, &ctx, state, workspace);
        if (variant->release) variant->release(state);
    }
    free(workspace);
    return status;
}

/* ---- Shared by the numerical edge tests (tests/test_*_edges.c) ---- */

/* The problem of `text` for kernel/direction; exits the test when it does not
 * parse (a test bug, not a kernel failure). */
static inline kb_problem kb_test_problem(kb_kernel kernel, kb_direction direction,
                                         const char *text) {
    kb_problem problem = {.direction = direction};
    char why[256];
    if (kb_problem_parse(kernel, text, &problem, why, sizeof why) != KB_OK) {
        printf("cannot parse %s: %s\n", text, why);
        exit(1);
    }
    return problem;
}

/* Elements of a documented departure from a policy, left unchecked: reported
 * as one skip line per run, with the reason (never counted as passed). */
static inline void kb_report_departures(int count, const char *what, const kb_variant *variant,
                                        int threads, const char *why) {
    if (count == 0) return;
    char line[512];
    snprintf(line, sizeof line, "%s %s threads=%d: %d elements", what, variant->name, threads,
             count);
    kb_test_skip(line, why);
}

/* Each usable variant of kernel/direction for `problem` at 1 and 2 threads
 * (binds variants[v] and threads). */
#define KB_FOR_EACH_RUN(kernel, direction, problem)                                                \
    const kb_variant *variants[32];                                                                \
    const size_t n_variants = kb_registry_select(kernel, direction, NULL, 0, variants, 32);        \
    for (size_t v = 0; v < n_variants; v++)                                                        \
        for (int threads = 1; threads <= 2; threads++)                                             \
            if (!(variants[v]->single_threaded && threads > 1) &&                                  \
                kb_variant_usable(variants[v], problem, &(const char *){NULL}))

/* The IEEE policy of the linear-algebra kernels, checked element by element
 * against the double reference of a case whose inputs hold NaN, +-Inf or
 * subnormals: where the reference is NaN the variant gives NaN, where it is
 * +-Inf the same infinity, elsewhere a finite value within
 *   (L + 2) * (FLT_EPSILON * magnitude + FLT_TRUE_MIN)
 * (the checker's bound plus one subnormal ulp per rounding: a product or sum
 * in the subnormal range rounds to a multiple of FLT_TRUE_MIN, an absolute
 * error the relative bound does not cover). A finite result that the
 * variant flushed to zero (|ref| below L * FLT_MIN, got == 0) is counted in
 * `flushed` when allowed (flush_ok), a failure otherwise. `departs`, when
 * not NULL, names the elements a variant documents as departing from the
 * policy (returns the reason, or NULL): those are counted in `departures`
 * and not checked. */
typedef const char *kb_edge_departs_fn(const kb_case *c, const kb_variant *variant, kb_arg arg,
                                       size_t i);

typedef struct kb_edge_counts {
    int departures, flushed;
    const char *departure_why;
} kb_edge_counts;

static inline void kb_edge_check_outputs(const kb_case *c, const kb_variant *variant,
                                         kb_edge_departs_fn *departs, bool flush_ok,
                                         kb_edge_counts *counts) {
    int reported = 0; /* failures printed, at most a few per run */
    for (int a = 0; a < KB_ARG_COUNT; a++) {
        if (!c->ref_outputs[a]) continue;
        const kb_arg arg = (kb_arg)a;
        const double l = (double)kb_problem_reduction_length(&c->problem, arg);
        const float *got = c->args.tensor[a], *ref = c->ref_outputs[a];
        const double *mag = c->magnitudes.tensor[a];
        for (size_t i = 0; i < c->elems[a]; i++) {
            const char *why = departs ? departs(c, variant, arg, i) : NULL;
            if (why) {
                counts->departures++;
                counts->departure_why = why;
                continue;
            }
            bool ok;
            if (isnan(ref[i])) {
                ok = isnan(got[i]);
            } else if (isinf(ref[i])) {
                ok = got[i] == ref[i];
            } else {
                const double err = fabs((double)got[i] - (double)ref[i]);
                const double m = mag ? mag[i] : fabs((double)ref[i]);
                ok = isfinite(got[i]) && err <= (l + 2) * (FLT_EPSILON * m + FLT_TRUE_MIN);
                if (!ok && flush_ok && got[i] == 0 && fabs((double)ref[i]) < (l + 2) * FLT_MIN) {
                    counts->flushed++;
                    ok = true;
                }
            }
            if (!ok && reported++ < 4)
                CHECK(ok, "%s[%zu] = %.9g, want %.9g", kb_arg_name(arg), i, got[i], ref[i]);
            else if (!ok)
                kb_case_failures++;
        }
    }
}

/* Every usable variant of the case's kernel/direction at 1 and 2 threads:
 * outputs poisoned with NaN, in-out tensors restored, one run, then
 * kb_edge_check_outputs. Departures and flushed elements are reported as
 * skipped, with `flush_why` saying which variants flush and why. */
static inline void kb_edge_check_variants(const kb_case *c, const char *what,
                                          kb_edge_departs_fn *departs, const char *flush_why) {
    KB_FOR_EACH_RUN(c->problem.kernel, c->problem.direction, &c->problem) {
        kb_edge_counts counts = {0};
        TEST_CASE("%s %s %s threads=%d", what, variants[v]->name,
                  kb_direction_name(c->problem.direction), threads) {
            omp_set_num_threads(threads);
            kb_prepared prepared;
            kb_status status = kb_prepared_init(&prepared, variants[v], c, threads);
            CHECK(status == KB_OK, "prepare: %s", kb_status_name(status));
            if (status == KB_OK) {
                kb_check_result ignored;
                status = kb_case_run_and_check(&prepared, c, &ignored);
                CHECK(status == KB_OK, "run: %s", kb_status_name(status));
                kb_prepared_release(&prepared);
                if (status == KB_OK)
                    kb_edge_check_outputs(c, variants[v], departs, flush_why != NULL, &counts);
            }
        }
        char line[256];
        snprintf(line, sizeof line, "%s %s,", what, kb_direction_name(c->problem.direction));
        kb_report_departures(counts.departures, line, variants[v], threads, counts.departure_why);
        snprintf(line, sizeof line, "%s %s, flushed to zero:", what,
                 kb_direction_name(c->problem.direction));
        kb_report_departures(counts.flushed, line, variants[v], threads, flush_why);
    }
}

/* A case of `text` filled with reals; exits the test when it cannot be made. */
static inline void kb_edge_case(kb_case *c, kb_kernel kernel, kb_direction direction,
                                const char *text) {
    const kb_problem problem = kb_test_problem(kernel, direction, text);
    char why[256];
    if (kb_case_init(c, &problem, KB_FILL_REAL, 11, why, sizeof why) != KB_OK) {
        printf("cannot make case %s: %s\n", text, why);
        exit(1);
    }
}

/* Writes `value` into input `arg` of the case at element i (and into its
 * initial copy for an in-out tensor); call kb_case_recompute_reference after. */
static inline void kb_edge_set(kb_case *c, kb_arg arg, size_t i, float value) {
    c->args.tensor[arg][i] = value;
    if (c->initial[arg]) c->initial[arg][i] = value;
}


/* The case of kernel/direction/text with input `arg` scaled by 1e-39 into the
 * subnormal range, checked on every variant (flushed results reported as
 * skipped); `what` names it. */
static inline void kb_edge_check_subnormals(kb_kernel kernel, kb_direction direction,
                                            const char *text, kb_arg arg, const char *what) {
    kb_case c;
    kb_edge_case(&c, kernel, direction, text);
    for (size_t i = 0; i < c.elems[arg]; i++)
        kb_edge_set(&c, arg, i, c.args.tensor[arg][i] * 1e-39f);
    char why[256];
    if (kb_case_recompute_reference(&c, why, sizeof why) != KB_OK) printf("%s\n", why);
    kb_edge_check_variants(&c, what, NULL,
                           "the variant flushes subnormal results to zero (FTZ/DAZ)");
    kb_case_free(&c);
}

/* The case of kernel/direction/text as filled (the smallest sizes), checked
 * on every variant against the reference. */
static inline void kb_edge_check_plain(kb_kernel kernel, kb_direction direction,
                                       const char *text) {
    kb_case c;
    kb_edge_case(&c, kernel, direction, text);
    kb_edge_check_variants(&c, text, NULL, NULL);
    kb_case_free(&c);
}

/* Size arithmetic of a validated problem with tensors over 2^31 elements
 * (never allocated): exact 64-bit element counts (`elems[arg]`, 0 for unused
 * tensors), flops and minimum bytes, and kb_case_check_memory's one-line
 * refusal. */
static inline void kb_check_size_arithmetic(kb_kernel kernel, kb_direction direction,
                                            const char *text, const uint64_t elems[KB_ARG_COUNT],
                                            double flops, double min_bytes) {
    TEST_CASE("%s %s: 64-bit sizes and the memory check", text, kb_direction_name(direction)) {
        kb_problem p = {.direction = direction};
        char why[256] = "";
        CHECK(kb_problem_parse(kernel, text, &p, why, sizeof why) == KB_OK, "%s", why);
        CHECK(kb_problem_validate(&p, why, sizeof why) == KB_OK, "%s", why);
        bool over_2_31 = false;
        for (int a = 0; a < KB_ARG_COUNT; a++) {
            const size_t got = kb_problem_arg_elems(&p, (kb_arg)a);
            CHECK(got == elems[a], "%s: %zu elements, want %" PRIu64, kb_arg_name((kb_arg)a), got,
                  elems[a]);
            over_2_31 |= elems[a] > ((uint64_t)1 << 31);
        }
        CHECK(over_2_31, "no tensor over 2^31 elements: not a size test");
        CHECK(kb_problem_flops(&p) == flops, "flops %.17g, want %.17g", kb_problem_flops(&p),
              flops);
        CHECK(kb_problem_min_bytes(&p) == min_bytes, "min bytes %.17g, want %.17g",
              kb_problem_min_bytes(&p), min_bytes);
        why[0] = '\0';
        const kb_status status = kb_case_check_memory(&p, why, sizeof why);
        CHECK(status == KB_ERR_NOMEM, "memory check: %s", kb_status_name(status));
        CHECK(strncmp(why, "shape: ", 7) == 0 && strstr(why, "GiB") && !strchr(why, '\n'),
              "memory refusal '%s'", why);
    }
}

/* `text` is rejected by the parser with one line starting with `field`. */
static inline void kb_expect_rejected(kb_kernel kernel, const char *text, const char *field) {
    TEST_CASE("%s rejects '%s'", kb_kernel_name(kernel), text) {
        kb_problem p = {0};
        char why[256] = "";
        CHECK(kb_problem_parse(kernel, text, &p, why, sizeof why) == KB_ERR_INVALID,
              "'%s' must be rejected", text);
        CHECK(strncmp(why, field, strlen(field)) == 0, "error should start with '%s', got '%s'",
              field, why);
        CHECK(strchr(why, '\n') == NULL, "error must be one line: '%s'", why);
    }
}

/* `text` parses and validates (the largest sizes a field accepts). */
static inline void kb_expect_accepted(kb_kernel kernel, kb_direction direction, const char *text) {
    TEST_CASE("%s accepts '%s'", kb_kernel_name(kernel), text) {
        kb_problem p = {.direction = direction};
        char why[256] = "";
        CHECK(kb_problem_parse(kernel, text, &p, why, sizeof why) == KB_OK, "%s", why);
        CHECK(kb_problem_validate(&p, why, sizeof why) == KB_OK, "%s", why);
    }
}

#endif
