/* Reference affine (the book's Affine layer): the definitions, computed in
 * double on double arrays, row-major, N = batch, D = in_features,
 * M = out_features:
 *   fwd  y[n,m]  = b[m] + sum_d x[n,d] * W[d,m]
 *   bwd  dx[n,d] = sum_m dout[n,m] * W[d,m]
 *        dW[d,m] = sum_n x[n,d] * dout[n,m]
 *        db[m]   = sum_n dout[n,m]
 * Each output also gets the sum of the absolute values of its terms (the
 * scale the checker's tolerance uses; the bias is one of y's terms). */
#include <math.h>

#include "reference.h"

void kb_ref_affine_fwd_f64(const kb_affine_shape *s, const double *src, const double *weights,
                           const double *bias, double *dst, double *magnitude) {
    const int64_t n_rows = s->batch, d_len = s->in_features, m_len = s->out_features;
    for (int64_t n = 0; n < n_rows; n++)
        for (int64_t m = 0; m < m_len; m++) {
            double sum = bias[m], mag = fabs(bias[m]);
            for (int64_t d = 0; d < d_len; d++) {
                const double term = src[n * d_len + d] * weights[d * m_len + m];
                sum += term;
                mag += fabs(term);
            }
            dst[n * m_len + m] = sum;
            magnitude[n * m_len + m] = mag;
        }
}

void kb_ref_affine_bwd_f64(const kb_affine_shape *s, const double *diff_dst, const double *src,
                           const double *weights, double *diff_src, double *diff_weights,
                           double *diff_bias, double *magnitude_src, double *magnitude_weights,
                           double *magnitude_bias) {
    const int64_t n_rows = s->batch, d_len = s->in_features, m_len = s->out_features;
    for (int64_t n = 0; n < n_rows; n++)
        for (int64_t d = 0; d < d_len; d++) {
            double sum = 0, mag = 0;
            for (int64_t m = 0; m < m_len; m++) {
                const double term = diff_dst[n * m_len + m] * weights[d * m_len + m];
                sum += term;
                mag += fabs(term);
            }
            diff_src[n * d_len + d] = sum;
            magnitude_src[n * d_len + d] = mag;
        }
    for (int64_t d = 0; d < d_len; d++)
        for (int64_t m = 0; m < m_len; m++) {
            double sum = 0, mag = 0;
            for (int64_t n = 0; n < n_rows; n++) {
                const double term = src[n * d_len + d] * diff_dst[n * m_len + m];
                sum += term;
                mag += fabs(term);
            }
            diff_weights[d * m_len + m] = sum;
            magnitude_weights[d * m_len + m] = mag;
        }
    for (int64_t m = 0; m < m_len; m++) {
        double sum = 0, mag = 0;
        for (int64_t n = 0; n < n_rows; n++) {
            sum += diff_dst[n * m_len + m];
            mag += fabs(diff_dst[n * m_len + m]);
        }
        diff_bias[m] = sum;
        magnitude_bias[m] = mag;
    }
}

kb_status kb_ref_affine(const kb_problem *p, double *const *t, double *const *mag) {
    const kb_affine_shape *s = &p->affine;
    switch (p->direction) {
    case KB_DIR_FWD:
        kb_ref_affine_fwd_f64(s, t[KB_ARG_SRC], t[KB_ARG_WEIGHTS], t[KB_ARG_BIAS], t[KB_ARG_DST],
                              mag[KB_ARG_DST]);
        return KB_OK;
    case KB_DIR_BWD:
        kb_ref_affine_bwd_f64(s, t[KB_ARG_DIFF_DST], t[KB_ARG_SRC], t[KB_ARG_WEIGHTS],
                              t[KB_ARG_DIFF_SRC], t[KB_ARG_DIFF_WEIGHTS], t[KB_ARG_DIFF_BIAS],
                              mag[KB_ARG_DIFF_SRC], mag[KB_ARG_DIFF_WEIGHTS],
                              mag[KB_ARG_DIFF_BIAS]);
        return KB_OK;
    default:
        return KB_ERR_UNSUPPORTED;
    }
}
