/* Reference sigmoid (kernels/sigmoid/problem.c), in double:
 *   fwd  y = 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below (no overflow
 *        at any x; NaN stays NaN), magnitude |y|
 *   bwd  dx = dy * (1 - y) * y, magnitude |dx|
 * The magnitude is the exact result's size: the tolerance is relative. */
#include <math.h>

#include "reference.h"

void kb_ref_sigmoid_fwd_f64(int64_t elems, const double *src, double *dst, double *magnitude) {
    for (int64_t i = 0; i < elems; i++) {
        const double x = src[i];
        dst[i] = x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
        magnitude[i] = fabs(dst[i]);
    }
}

void kb_ref_sigmoid_bwd_f64(int64_t elems, const double *dst, const double *diff_dst,
                            double *diff_src, double *magnitude) {
    for (int64_t i = 0; i < elems; i++) {
        diff_src[i] = diff_dst[i] * (1.0 - dst[i]) * dst[i];
        magnitude[i] = fabs(diff_src[i]);
    }
}

kb_status kb_ref_sigmoid(const kb_problem *p, double *const *t, double *const *mag) {
    const int64_t n = p->eltwise.elems;
    switch (p->direction) {
    case KB_DIR_FWD:
        kb_ref_sigmoid_fwd_f64(n, t[KB_ARG_SRC], t[KB_ARG_DST], mag[KB_ARG_DST]);
        return KB_OK;
    case KB_DIR_BWD:
        kb_ref_sigmoid_bwd_f64(n, t[KB_ARG_DST], t[KB_ARG_DIFF_DST], t[KB_ARG_DIFF_SRC],
                               mag[KB_ARG_DIFF_SRC]);
        return KB_OK;
    default:
        return KB_ERR_UNSUPPORTED;
    }
}
