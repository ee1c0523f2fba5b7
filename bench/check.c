#include "check.h"

#include <float.h>
#include <math.h>

const char *kb_fill_name(kb_fill fill) { return fill == KB_FILL_INTEGER ? "integer" : "real"; }

kb_check_result kb_check_compare(const float *got, const float *ref, const double *magnitude,
                                 size_t count, int64_t reduction_length, bool exact) {
    kb_check_result result = {0};
    const double bound = (double)(reduction_length + 2) * FLT_EPSILON;
    for (size_t i = 0; i < count; i++) {
        const double err = fabs((double)got[i] - (double)ref[i]);
        bool ok;
        if (isnan(got[i]) || isnan(ref[i])) {
            ok = isnan(got[i]) && isnan(ref[i]);
        } else if (exact || magnitude == NULL) {
            ok = got[i] == ref[i];
        } else {
            const double tolerance = bound * magnitude[i];
            /* Equal values always pass: equal infinities have a NaN difference
             * (pool2d's max of a window entirely in padding is -inf). */
            ok = got[i] == ref[i] || err <= tolerance;
            if (tolerance > 0 && err / tolerance > result.worst_ratio)
                result.worst_ratio = err / tolerance;
        }
        if (!isnan(err)) {
            if (err > result.max_abs_err) result.max_abs_err = err;
            if (magnitude && magnitude[i] > 0 && err / magnitude[i] > result.max_rel_err)
                result.max_rel_err = err / magnitude[i];
        }
        if (!ok) {
            if (result.mismatches == 0) result.first_bad = i;
            result.mismatches++;
        }
    }
    result.pass = result.mismatches == 0;
    return result;
}

void kb_check_merge(kb_check_result *into, const kb_check_result *other) {
    into->max_abs_err = fmax(into->max_abs_err, other->max_abs_err);
    into->max_rel_err = fmax(into->max_rel_err, other->max_rel_err);
    into->worst_ratio = fmax(into->worst_ratio, other->worst_ratio);
    if (into->mismatches == 0 && other->mismatches > 0) into->first_bad = other->first_bad;
    into->mismatches += other->mismatches;
    into->pass = into->pass && other->pass;
}
