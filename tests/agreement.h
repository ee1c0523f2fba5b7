/* The agreement sweep every kernel's test runs: each registered variant of
 * the kernel, in each of its directions, on each descriptor, with integer and
 * real inputs, at 1 and 2 threads, against the reference (bench/check.h for
 * the rules), run twice on one prepared state (the timed loop reuses it); the
 * two runs must be bitwise equal unless the variant declares itself
 * nondeterministic (kb_variant.nondeterministic). A
 * variant the CPU or the build cannot run is reported as skipped, with the
 * reason; absent variants (not in this build) are listed as skipped once. */
#ifndef KB_TEST_AGREEMENT_H
#define KB_TEST_AGREEMENT_H

#include <stddef.h>

#include "case.h"

/* Runs `variant` on the prepared case `c` at 1 and 2 threads. */
void kb_agreement_check_variant(const kb_variant *variant, const kb_case *c, const char *shape);

/* The sweep over large shapes: real-valued inputs only; skipped, with the
 * reason, when KB_TEST_SKIP_LARGE=1 (./kb sets it for the sanitizer pass,
 * where these shapes take minutes; the release pass runs them). */
void kb_agreement_large(kb_kernel kernel, const char *const *shapes, size_t n_shapes);

/* The whole sweep over `shapes` for `kernel`; returns kb_test_summary(). */
int kb_agreement_run(kb_kernel kernel, const char *const *shapes, size_t n_shapes);

#endif
