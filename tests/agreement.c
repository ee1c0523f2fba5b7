/* See agreement.h. */
#include "agreement.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testing.h"

void kb_agreement_check_variant(const kb_variant *variant, const kb_case *c, const char *shape) {
    const int thread_counts[] = {1, 2};
    for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {
        const int threads = thread_counts[t];
        if (variant->single_threaded && threads > 1) continue;
        char what[320];
        snprintf(what, sizeof what, "%s %s %s %s threads=%d %s inputs",
                 kb_kernel_name(c->problem.kernel), variant->name,
                 kb_direction_name(c->problem.direction), shape, threads, kb_fill_name(c->fill));
        const char *why_not;
        if (!kb_variant_usable(variant, &c->problem, &why_not)) {
            kb_test_skip(what, why_not);
            continue;
        }
        omp_set_num_threads(threads);
        TEST_CASE("%s", what) {
            kb_prepared prepared;
            kb_status status = kb_prepared_init(&prepared, variant, c, threads);
            CHECK(status == KB_OK, "prepare: %s", kb_status_name(status));
            if (status == KB_OK) {
                kb_check_result result;
                status = kb_case_run_and_check(&prepared, c, &result);
                CHECK(status == KB_OK, "run: %s", kb_status_name(status));
                if (status == KB_OK)
                    CHECK(result.pass,
                          "%zu mismatches, first at %zu; max abs err %g, max rel err %g, "
                          "worst err/tolerance %g",
                          result.mismatches, result.first_bad, result.max_abs_err,
                          result.max_rel_err, result.worst_ratio);
                /* A second run on the same prepared state must agree too (the
                 * timed loop reuses it), bit for bit unless the variant says
                 * why it cannot. */
                kb_output_copy first;
                if (status == KB_OK && kb_case_copy_outputs(c, &first) == KB_OK) {
                    status = kb_case_run_and_check(&prepared, c, &result);
                    CHECK(status == KB_OK && result.pass, "second run disagrees");
                    CHECK(variant->nondeterministic || kb_case_outputs_equal(c, &first),
                          "second run is not bitwise equal to the first");
                    kb_output_copy_free(&first);
                }
                kb_prepared_release(&prepared);
            }
        }
    }
}

static void sweep(kb_kernel kernel, const char *const *shapes, size_t n_shapes, int first_fill) {
    for (size_t s = 0; s < n_shapes; s++) {
        for (int direction = 0; direction < KB_DIR_COUNT; direction++) {
            if (!kb_kernel_has_direction(kernel, (kb_direction)direction)) continue;
            kb_problem problem = {.direction = (kb_direction)direction};
            char why[256];
            const bool parsed =
                kb_problem_parse(kernel, shapes[s], &problem, why, sizeof why) == KB_OK &&
                kb_problem_validate(&problem, why, sizeof why) == KB_OK;
            TEST_CASE("%s descriptor %s %s", kb_kernel_name(kernel), shapes[s],
                      kb_direction_name(problem.direction)) {
                CHECK(parsed, "%s", why);
            }
            if (!parsed) continue;
            const kb_variant *variants[64];
            const size_t n_variants = kb_registry_select(kernel, problem.direction, NULL, 0,
                                                         variants, 64);
            for (int fill = first_fill; fill <= KB_FILL_REAL && n_variants > 0; fill++) {
                kb_case c;
                if (kb_case_init(&c, &problem, (kb_fill)fill, 1000 + s, why, sizeof why) != KB_OK) {
                    TEST_CASE("case %s", shapes[s]) { CHECK(0, "%s", why); }
                    continue;
                }
                for (size_t v = 0; v < n_variants; v++)
                    kb_agreement_check_variant(variants[v], &c, shapes[s]);
                kb_case_free(&c);
            }
        }
    }
}

void kb_agreement_large(kb_kernel kernel, const char *const *shapes, size_t n_shapes) {
    const char *skip = getenv("KB_TEST_SKIP_LARGE");
    if (skip && strcmp(skip, "1") == 0) {
        for (size_t s = 0; s < n_shapes; s++)
            kb_test_skip(shapes[s], "large shape: KB_TEST_SKIP_LARGE=1 (sanitizer pass); the "
                                    "release pass runs it");
        return;
    }
    sweep(kernel, shapes, n_shapes, KB_FILL_REAL);
}

int kb_agreement_run(kb_kernel kernel, const char *const *shapes, size_t n_shapes) {
    for (size_t a = 0; a < kb_registry_absent_size(); a++) {
        const kb_absent_variant *absent = kb_registry_absent_get(a);
        if (absent->kernel != kernel) continue;
        char what[96];
        snprintf(what, sizeof what, "%s %s %s (all shapes)", kb_kernel_name(absent->kernel),
                 kb_direction_name(absent->direction), absent->name);
        kb_test_skip(what, absent->why);
    }
    sweep(kernel, shapes, n_shapes, KB_FILL_INTEGER);
    return kb_test_summary();
}
