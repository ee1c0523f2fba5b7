/* Reference softmax and softmax_xent, in double on double arrays (formulas
 * and label rules: kernels/softmax/softmax.h; magnitudes and tolerances:
 * kernels/softmax/problem.c). */
#include <float.h>
#include <math.h>

#include "reference.h"

/* Extra magnitude that lets a variant flush outputs below 4 FLT_MIN to 0
 * (problem.c): the checker multiplies it by (L + 2) FLT_EPSILON. */
#define FLUSH_MAGNITUDE ((double)FLT_MIN / FLT_EPSILON)

int64_t kb_ref_softmax_label_f64(const kb_softmax_shape *s, const double *labels, int64_t n) {
    if (s->one_hot) {
        const double *row = labels + n * s->classes;
        int64_t best = 0;
        for (int64_t j = 1; j < s->classes; j++)
            if (row[j] > row[best]) best = j; /* first maximum wins */
        return best;
    }
    const double t = labels[n];
    if (!(t >= 0.0 && t < (double)s->classes) || t != floor(t)) return -1;
    return (int64_t)t;
}

void kb_ref_softmax_fwd_f64(const kb_softmax_shape *s, const double *x, double *y,
                            double *mag_y, double *row_max, double *row_sum) {
    for (int64_t n = 0; n < s->batch; n++) {
        const double *xr = x + n * s->classes;
        double *yr = y + n * s->classes;
        double max = xr[0], sum = 0.0;
        for (int64_t j = 1; j < s->classes; j++) max = fmax(max, xr[j]);
        for (int64_t j = 0; j < s->classes; j++) sum += exp(xr[j] - max);
        for (int64_t j = 0; j < s->classes; j++) {
            yr[j] = exp(xr[j] - max) / sum;
            if (mag_y)
                mag_y[n * s->classes + j] = yr[j] * (1.0 + fabs(xr[j] - max)) + FLUSH_MAGNITUDE;
        }
        if (row_max) row_max[n] = max;
        if (row_sum) row_sum[n] = sum;
    }
}

kb_status kb_ref_softmax_xent_fwd_f64(const kb_softmax_shape *s, const double *x,
                                      const double *labels, double *y, double *loss,
                                      double *mag_y, double *mag_loss) {
    for (int64_t n = 0; n < s->batch; n++)
        if (kb_ref_softmax_label_f64(s, labels, n) < 0) return KB_ERR_INVALID;
    double total = 0.0, magnitude = 0.0;
    for (int64_t n = 0; n < s->batch; n++) {
        const kb_softmax_shape row_shape = {.batch = 1, .classes = s->classes};
        const double *xr = x + n * s->classes;
        double max, sum;
        kb_ref_softmax_fwd_f64(&row_shape, xr, y + n * s->classes,
                               mag_y ? mag_y + n * s->classes : NULL, &max, &sum);
        const int64_t t = kb_ref_softmax_label_f64(s, labels, n);
        const double d_t = xr[t] - max;
        /* delta 0: the log-softmax, finite even where exp(d_t) underflows. */
        const double term = s->delta > 0.0f ? -log(y[n * s->classes + t] + (double)s->delta)
                                            : log(sum) - d_t;
        total += term;
        magnitude += 1.0 + fabs(term) + fabs(d_t);
    }
    *loss = total / (double)s->batch;
    if (mag_loss) *mag_loss = magnitude / (double)s->batch;
    return KB_OK;
}

kb_status kb_ref_softmax_xent_bwd_f64(const kb_softmax_shape *s, const double *y,
                                      const double *labels, double *dx, double *mag) {
    for (int64_t n = 0; n < s->batch; n++)
        if (kb_ref_softmax_label_f64(s, labels, n) < 0) return KB_ERR_INVALID;
    for (int64_t n = 0; n < s->batch; n++) {
        const int64_t t = kb_ref_softmax_label_f64(s, labels, n);
        for (int64_t j = 0; j < s->classes; j++) {
            const int64_t i = n * s->classes + j;
            const double target = j == t ? 1.0 : 0.0;
            dx[i] = (y[i] - target) / (double)s->batch;
            if (mag) mag[i] = (fabs(y[i]) + target) / (double)s->batch;
        }
    }
    return KB_OK;
}

kb_status kb_ref_softmax(const kb_problem *p, double *const *t, double *const *mag) {
    if (p->direction != KB_DIR_FWD) return KB_ERR_UNSUPPORTED;
    kb_ref_softmax_fwd_f64(&p->softmax, t[KB_ARG_SRC], t[KB_ARG_DST], mag[KB_ARG_DST], NULL,
                           NULL);
    return KB_OK;
}

kb_status kb_ref_softmax_xent(const kb_problem *p, double *const *t, double *const *mag) {
    switch (p->direction) {
    case KB_DIR_FWD:
        return kb_ref_softmax_xent_fwd_f64(&p->softmax, t[KB_ARG_SRC], t[KB_ARG_LABELS],
                                           t[KB_ARG_DST], t[KB_ARG_LOSS], mag[KB_ARG_DST],
                                           mag[KB_ARG_LOSS]);
    case KB_DIR_BWD:
        return kb_ref_softmax_xent_bwd_f64(&p->softmax, t[KB_ARG_DST], t[KB_ARG_LABELS],
                                           t[KB_ARG_DIFF_SRC], mag[KB_ARG_DIFF_SRC]);
    default: return KB_ERR_UNSUPPORTED;
    }
}
