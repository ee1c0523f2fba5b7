/* Every registered conv2d variant, in every direction, against the reference,
 * on a table of shapes
 * chosen to hit every edge: 1x1 to 7x7 kernels, pads 0-3, strides 1-3,
 * dilation, channel counts and widths that are not multiples of the vector
 * tiles, batch 1 and 3, the 1x1x1x1 case and ResNet-50 layers.
 * Integer-valued inputs must match exactly; real-valued inputs within the
 * bound documented in bench/check.h. Threads 1 and 2. A variant the CPU or
 * the build cannot run is reported as skipped, with the reason. */
#include <omp.h>
#include <stdio.h>

#include "case.h"
#include "testing.h"

static const char *const shapes[] = {
    /* 1x1 */
    "mb1ic1ih1oc1oh1kh1ph0",             /* the tiny case */
    "mb1ic16ih10oc8oh10kh1ph0",
    "mb3ic7ih5iw11oc17oh5ow11kh1kw1ph0pw0",
    "mb1ic17ih9oc7oh5kh1sh2ph0",         /* strided 1x1, odd sizes */
    "mb1ic8ih7oc16oh9kh1ph1",            /* padded 1x1: border is bias only */
    /* 3x3 */
    "mb1ic3ih16oc8oh16kh3ph1",
    "mb1ic1ih5oc1oh5kh3ph1",
    "mb3ic7ih9oc17oh9kh3ph1",
    "mb1ic17ih13oc7oh11kh3ph0",
    "mb2ic8ih12oc16oh6kh3sh2ph1",
    "mb1ic5ih15oc9oh5kh3sh3ph1",         /* stride 3 */
    "mb1ic4ih20oc15oh20kh3ph1",          /* ow = 20: not a multiple of 8 or 16 */
    "mb1ic3ih33oc33oh33kh3ph1",          /* ow = 33: one past 32 */
    "mb1ic2ih18oc9oh16kh3ph0",           /* ow = 16 exactly */
    "mb1ic2ih25oc9oh23kh3ph0",           /* ow = 23: one below 24 */
    "mb1ic5ih13oc7oh9kh3ph0dh1",         /* dilation 1 (every other tap) */
    "mb1ic3ih14oc5oh14kh3ph3dh2",        /* dilation 2, pad 3 */
    "mb1ic3ih6oc4oh10kh3ph3",            /* pad 3 > kernel: rows of padding only */
    /* 5x5 and 7x7 */
    "mb1ic1ih28oc30oh24kh5ph0",          /* the book's SimpleConvNet layer */
    "mb1ic4ih9oc5oh5kh5ph0",
    "mb3ic3ih11oc6oh11kh5ph2",
    "mb1ic3ih32oc8oh16kh7sh2ph3",        /* the ResNet stem, small */
    "mb1ic3ih31oc7oh16kh7sh2ph3",        /* odd input: bottom pad smaller than top */
    "mb1ic2ih8oc3oh4kh7ph1",             /* kernel wider than the input minus pad */
    /* non-square everything */
    "mb1ic3ih7iw19oc5oh4ow10kh3kw2sh2sw2ph1pw1dh0dw0",
    "mb2ic5ih12iw9oc6oh6ow9kh5kw1sh2sw1ph2pw0dh0dw0",
    "mb1ic3ih10iw17oc4oh10ow5kh1kw5sh1sw3ph0pw2dh0dw1",
    "mb1ic7ih6iw40oc17oh2ow38kh5kw3sh1sw1ph0pw0dh0dw0",
    /* channel counts 1, 3, 7, 17 in and out */
    "mb1ic17ih8oc1oh8kh3ph1",
    "mb1ic1ih8oc17oh8kh3ph1",
    "mb3ic7ih7oc3oh4kh3sh2ph1",
    /* two ResNet-50 layers at batch 1 */
    "mb1ic512ih7oc512oh7kh3ph1",         /* res5a_branch2b */
    "mb1ic1024ih14oc256oh14kh1ph0",      /* res4b_branch2a */
};

/* Runs one variant on one case at 1 and 2 threads; a skip says why. */
static void check_variant(const kb_variant *variant, const kb_case *c, const char *shape) {
    const int thread_counts[] = {1, 2};
    for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {
        const int threads = thread_counts[t];
        if (variant->single_threaded && threads > 1) continue;
        char what[256];
        snprintf(what, sizeof what, "%s %s %s threads=%d %s inputs", variant->name,
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
                /* A second run on the same prepared state must agree too (state
                 * is reused in the timed loop). */
                if (status == KB_OK) {
                    status = kb_case_run_and_check(&prepared, c, &result);
                    CHECK(status == KB_OK && result.pass, "second run disagrees");
                }
                kb_prepared_release(&prepared);
            }
        }
    }
}

int main(void) {
    for (size_t a = 0; a < kb_registry_absent_size(); a++) {
        const kb_absent_variant *absent = kb_registry_absent_get(a);
        char what[96];
        snprintf(what, sizeof what, "%s %s %s (all shapes)", kb_kernel_name(absent->kernel),
                 kb_direction_name(absent->direction), absent->name);
        kb_test_skip(what, absent->why);
    }
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        kb_problem problem = {0};
        char why[256];
        const bool parsed =
            kb_problem_parse(KB_KERNEL_CONV2D, shapes[s], &problem, why, sizeof why) == KB_OK;
        TEST_CASE("descriptor %s", shapes[s]) { CHECK(parsed, "%s", why); }
        if (!parsed) continue;
        for (int direction = 0; direction < KB_DIR_COUNT; direction++) {
            problem.direction = (kb_direction)direction;
            const kb_variant *variants[64];
            const size_t n_variants = kb_registry_select(problem.kernel, problem.direction, NULL,
                                                         0, variants, 64);
            for (int fill = KB_FILL_INTEGER; fill <= KB_FILL_REAL && n_variants > 0; fill++) {
                kb_case c;
                if (kb_case_init(&c, &problem, (kb_fill)fill, 1000 + s, why, sizeof why) != KB_OK) {
                    TEST_CASE("case %s", shapes[s]) { CHECK(0, "%s", why); }
                    continue;
                }
                for (size_t v = 0; v < n_variants; v++)
                    check_variant(variants[v], &c, shapes[s]);
                kb_case_free(&c);
            }
        }
    }
    return kb_test_summary();
}
