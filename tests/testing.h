/* A minimal test harness: every CHECK counts as one assertion, every case as
 * passed, failed or skipped (with the reason printed), and the program ends
 * with the line "N passed, N failed, N skipped" and a non-zero exit on any
 * failure. A skipped case is never counted as passed. */
#ifndef KB_TESTING_H
#define KB_TESTING_H

#include <stdio.h>

static int kb_tests_passed, kb_tests_failed, kb_tests_skipped;
static int kb_case_failures;

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            kb_case_failures++;                                                                \
            printf("  FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                          \
            printf(__VA_ARGS__);                                                               \
            printf("\n");                                                                      \
        }                                                                                      \
    } while (0)

/* Wraps one named case: counts it passed when no CHECK inside failed. The
 * body must not `break` or `return` (that would skip the count). */
#define TEST_CASE(name_fmt, ...)                                                               \
    for (int kb_once = (kb_case_failures = 0, 1); kb_once;                                     \
         kb_once = 0, kb_case_failures ? (kb_tests_failed++, printf("FAILED: " name_fmt "\n",  \
                                                                    __VA_ARGS__))              \
                                       : kb_tests_passed++)

static inline void kb_test_skip(const char *what, const char *why) {
    kb_tests_skipped++;
    printf("SKIP %s: %s\n", what, why);
}

static inline int kb_test_summary(void) {
    printf("%d passed, %d failed, %d skipped\n", kb_tests_passed, kb_tests_failed,
           kb_tests_skipped);
    return kb_tests_failed ? 1 : (kb_tests_passed ? 0 : 1);
}

#endif
