/* bench --compare BASE.csv NEW.csv [--threshold PCT]: two runs into a verdict.
 *
 * Rows match on (kernel, direction, variant, shape, threads, bind, cache). For each
 * pair timed on both sides: the time ratio new/base of the medians, and a
 * two-sided Mann-Whitney U test on the per-repetition times (rep_times_ms):
 * exact null distribution when there are no ties and both sides have at most
 * 50 samples, else the normal approximation with tie correction. A row
 * REGRESSES when it is slower by more than the threshold (default 5%) AND
 * p < 0.05; one that is faster by more than the threshold with p < 0.05 is
 * reported as improved. Numerical regressions: a verdict that went from PASS
 * to FAIL (or ERROR), or a max_rel_err that grew more than 10x (errors below
 * 1e-9 count as 1e-9: inputs are seeded, so the same code gives the same
 * error). Geometric mean of the time ratios per kernel. When a file holds
 * several runs (appended), the last row of each key counts. Rows present on
 * one side only are listed, never failed. */
#ifndef KB_COMPARE_H
#define KB_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Two-sided p-value of the Mann-Whitney U test of samples a and b. */
double kb_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);

/* Prints the comparison to `out`; returns 0 (no regression), 1 (at least
 * one regression), 2 (unreadable or malformed input, one line in `why`). */
int kb_compare_csv(const char *base_path, const char *new_path, double threshold_pct, FILE *out,
                   char *why, size_t why_len);

#ifdef __cplusplus
}
#endif
#endif
