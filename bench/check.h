/* Agreement with the reference: input filling and output comparison. Shared by
 * bench (every timed row is checked first) and the tests.
 *
 * Two kinds of input:
 *   integer  small integers in [-2, 2]: every product and partial sum is an
 *            integer far below 2^24, so any summation order is exact in float
 *            and the outputs must equal the reference bit for bit;
 *   real     uniform in [-1, 1): a variant's error must satisfy, per element,
 *              |got - ref| <= (L + 2) * FLT_EPSILON * magnitude
 *            where L is the reduction length (C*KH*KW for conv2d forward) and
 *            magnitude = sum of |terms| (computed by the reference in double).
 *            This is the worst-case bound of a float sum of L terms in any
 *            order (L*u*sum|terms|, u = FLT_EPSILON/2), doubled for the final
 *            rounding and FMA/non-FMA differences; it is a proof, not a fit. */
#ifndef KB_CHECK_H
#define KB_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kb_fill { KB_FILL_INTEGER, KB_FILL_REAL } kb_fill;

const char *kb_fill_name(kb_fill fill);

typedef struct kb_check_result {
    double max_abs_err;  /* max |got - ref| */
    double max_rel_err;  /* max |got - ref| / magnitude: error relative to the scale of the sum */
    double worst_ratio;  /* max |got - ref| / tolerance (0 for exact checks); <= 1 passes */
    size_t mismatches;   /* elements outside the tolerance (or not bitwise equal) */
    size_t first_bad;    /* index of the first one, when mismatches > 0 */
    bool pass;
} kb_check_result;

/* Compares `count` elements: bitwise equal when `exact` (or without
 * magnitudes), else within the tolerance above. NaN in `got` where the
 * reference is finite is a mismatch. Results of several outputs combine with
 * kb_check_merge. */
kb_check_result kb_check_compare(const float *got, const float *ref, const double *magnitude,
                                 size_t count, int64_t reduction_length, bool exact);
void kb_check_merge(kb_check_result *into, const kb_check_result *other);

#ifdef __cplusplus
}
#endif
#endif
