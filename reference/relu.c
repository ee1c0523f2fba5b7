/* Reference relu, the book's ReLU layer (kernels/relu/problem.c):
 *   fwd  dst = x > 0 ? x : 0, NaN stays NaN (the mask x <= 0 is false for it)
 *   bwd  diff_src = x <= 0 ? 0 : diff_dst
 * Magnitudes are 0: nothing is rounded, so even the real-valued check's
 * tolerance, (L + 2) * FLT_EPSILON * magnitude, demands equality. */
#include <math.h>
#include <string.h>

#include "reference.h"

void kb_ref_relu_fwd_f64(int64_t elems, const double *src, double *dst) {
    for (int64_t i = 0; i < elems; i++) dst[i] = src[i] <= 0 ? 0.0 : src[i];
}

void kb_ref_relu_bwd_f64(int64_t elems, const double *src, const double *diff_dst,
                         double *diff_src) {
    for (int64_t i = 0; i < elems; i++) diff_src[i] = src[i] <= 0 ? 0.0 : diff_dst[i];
}

kb_status kb_ref_relu(const kb_problem *p, double *const *t, double *const *mag) {
    const int64_t n = p->eltwise.elems;
    switch (p->direction) {
    case KB_DIR_FWD:
        kb_ref_relu_fwd_f64(n, t[KB_ARG_SRC], t[KB_ARG_DST]);
        memset(mag[KB_ARG_DST], 0, (size_t)n * sizeof(double));
        return KB_OK;
    case KB_DIR_BWD:
        kb_ref_relu_bwd_f64(n, t[KB_ARG_SRC], t[KB_ARG_DIFF_DST], t[KB_ARG_DIFF_SRC]);
        memset(mag[KB_ARG_DIFF_SRC], 0, (size_t)n * sizeof(double));
        return KB_OK;
    default:
        return KB_ERR_UNSUPPORTED;
    }
}
