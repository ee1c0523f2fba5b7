/* libFuzzer target: the descriptor parser of every kernel. Properties, on
 * any input: no crash or sanitizer report; a refusal is one non-empty line;
 * an accepted descriptor validates, its canonical form parses back to the
 * same canonical form, and its tensor sizes and byte counts are computable
 * without overflow (kb_case_bytes saturates instead). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"

static kb_direction first_direction(kb_kernel kernel) {
    for (int d = 0; d < KB_DIR_COUNT; d++)
        if (kb_kernel_has_direction(kernel, (kb_direction)d)) return (kb_direction)d;
    return KB_DIR_FWD;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char text[320];
    if (size >= sizeof text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    for (int k = 0; k < KB_KERNEL_COUNT; k++) {
        const kb_kernel kernel = (kb_kernel)k;
        if (!kb_kernel_available(kernel)) continue;
        kb_problem problem = {.direction = first_direction(kernel)};
        char why[256] = "";
        if (kb_problem_parse(kernel, text, &problem, why, sizeof why) != KB_OK) {
            if (why[0] == '\0' || strchr(why, '\n')) abort();
            continue;
        }
        for (int d = 0; d < KB_DIR_COUNT; d++) {
            if (!kb_kernel_has_direction(kernel, (kb_direction)d)) continue;
            problem.direction = (kb_direction)d;
            if (kb_problem_validate(&problem, why, sizeof why) != KB_OK) abort();
            volatile size_t bytes = kb_case_bytes(&problem);
            volatile double flops = kb_problem_flops(&problem);
            (void)bytes;
            (void)flops;
        }
        char canonical[256], again[256];
        kb_problem_format(&problem, canonical, sizeof canonical);
        kb_problem reparsed = {.direction = problem.direction};
        if (kb_problem_parse(kernel, canonical, &reparsed, why, sizeof why) != KB_OK) abort();
        kb_problem_format(&reparsed, again, sizeof again);
        if (strcmp(canonical, again) != 0) abort();
    }
    return 0;
}
