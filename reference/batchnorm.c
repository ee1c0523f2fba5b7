/* Reference batch normalisation, in double on double arrays, two passes
 * (mean, then the mean of the squared deviations). View and modes: see
 * kernels/batchnorm/batchnorm.h (element (n, f, s) at (n*F + f)*S + s, one
 * statistic per feature f over its M = N*S elements).
 *
 *   fwd_train  mean = sum x / M, var = sum (x - mean)^2 / M (population),
 *              inv = 1 / sqrt(var + eps), y = gamma (x - mean) inv + beta,
 *              running <- m running + (1 - m) batch statistic (biased variance)
 *   fwd_infer  the same y with the running mean and variance
 *   bwd        from the saved mean and variance (inputs), x̂ = (x - mean) inv:
 *                diff_shift = sum dy, diff_scale = sum dy x̂,
 *                dL/dx̂  = gamma dy
 *                dL/dvar = sum dL/dx̂ (x - mean) (-1/2) inv^3
 *                dL/dmean = -inv sum dL/dx̂  [+ dL/dvar (-2/M) sum (x - mean)]
 *                dx = dL/dx̂ inv + dL/dvar 2 (x - mean) / M + dL/dmean / M
 *                   = gamma inv (dy - diff_shift/M - x̂ diff_scale/M)
 *              The bracketed path (mean -> var) has the factor sum (x - mean),
 *              zero by the definition of the mean: it is left out, so the
 *              result is a well-defined function of the saved statistics
 *              (what oneDNN and PyTorch compute) that equals the gradient of
 *              fwd_train whenever they are x's batch statistics
 *              (tests/test_batchnorm_reference_gradients.c checks that).
 *
 * Magnitudes (the checker's scale, derivation in kernels/batchnorm/problem.c):
 *   mean             mean|x|
 *   variance         var + 2 (M+2) FLT_EPSILON mean|x|^2
 *   dst (train)      |beta| + |gamma| inv (|x - mean| + mean|x| + |x - mean| inv^2 mag_var)
 *   running_*        |m r| + |1 - m| mag(batch statistic)
 *   dst (infer)      |beta| + |gamma| inv (|x| + |running_mean|)
 *   diff_shift       sum |dy|
 *   diff_scale       sum |dy x̂|
 *   diff_src         |gamma| inv (|dy| + mean|dy| + |x̂| mean|dy x̂|) */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "reference.h"

typedef struct geometry {
    int64_t batch, features, inner, count;
} geometry;

static geometry geometry_of(const kb_batchnorm_shape *s) {
    const int64_t hw = s->height * s->width;
    geometry g = {.batch = s->batch};
    g.features = s->spatial ? s->channels : s->channels * hw;
    g.inner = s->spatial ? hw : 1;
    g.count = s->batch * g.inner;
    return g;
}

static inline int64_t at(const geometry *g, int64_t n, int64_t f, int64_t i) {
    return (n * g->features + f) * g->inner + i;
}

/* Statistics of feature f: mean, population variance, mean|x|. */
static void statistics(const geometry *g, const double *x, int64_t f, double *mean, double *var,
                       double *mean_abs) {
    double sum = 0, sum_abs = 0;
    for (int64_t n = 0; n < g->batch; n++)
        for (int64_t i = 0; i < g->inner; i++) {
            sum += x[at(g, n, f, i)];
            sum_abs += fabs(x[at(g, n, f, i)]);
        }
    const double m = sum / (double)g->count;
    double squares = 0;
    for (int64_t n = 0; n < g->batch; n++)
        for (int64_t i = 0; i < g->inner; i++) {
            const double d = x[at(g, n, f, i)] - m;
            squares += d * d;
        }
    *mean = m;
    *var = squares / (double)g->count;
    *mean_abs = sum_abs / (double)g->count;
}

/* fwd_train; each mag_* may be NULL, and so may the running statistics. */
static void fwd_train(const kb_batchnorm_shape *s, const double *src, const double *scale,
                      const double *shift, double *dst, double *mean, double *variance,
                      double *running_mean, double *running_variance, double *mag_dst,
                      double *mag_mean, double *mag_variance, double *mag_running_mean,
                      double *mag_running_variance) {
    const geometry g = geometry_of(s);
    const double m = s->momentum, eps = s->epsilon;
    for (int64_t f = 0; f < g.features; f++) {
        double mu, var, mean_abs;
        statistics(&g, src, f, &mu, &var, &mean_abs);
        const double mag_var = var + 2.0 * (double)(g.count + 2) * FLT_EPSILON * mean_abs * mean_abs;
        const double inv = 1.0 / sqrt(var + eps);
        for (int64_t n = 0; n < g.batch; n++)
            for (int64_t i = 0; i < g.inner; i++) {
                const int64_t k = at(&g, n, f, i);
                const double d = src[k] - mu;
                dst[k] = scale[f] * d * inv + shift[f];
                if (mag_dst)
                    mag_dst[k] = fabs(shift[f]) + fabs(scale[f]) * inv *
                                                      (fabs(d) + mean_abs + fabs(d) * inv * inv * mag_var);
            }
        mean[f] = mu;
        variance[f] = var;
        if (mag_mean) mag_mean[f] = mean_abs;
        if (mag_variance) mag_variance[f] = mag_var;
        if (running_mean) {
            if (mag_running_mean)
                mag_running_mean[f] = fabs(m * running_mean[f]) + fabs(1.0 - m) * mean_abs;
            running_mean[f] = m * running_mean[f] + (1.0 - m) * mu;
        }
        if (running_variance) {
            if (mag_running_variance)
                mag_running_variance[f] = fabs(m * running_variance[f]) + fabs(1.0 - m) * mag_var;
            running_variance[f] = m * running_variance[f] + (1.0 - m) * var;
        }
    }
}

static void fwd_infer(const kb_batchnorm_shape *s, const double *src, const double *scale,
                      const double *shift, const double *running_mean,
                      const double *running_variance, double *dst, double *mag_dst) {
    const geometry g = geometry_of(s);
    for (int64_t f = 0; f < g.features; f++) {
        const double inv = 1.0 / sqrt(running_variance[f] + (double)s->epsilon);
        for (int64_t n = 0; n < g.batch; n++)
            for (int64_t i = 0; i < g.inner; i++) {
                const int64_t k = at(&g, n, f, i);
                dst[k] = scale[f] * (src[k] - running_mean[f]) * inv + shift[f];
                if (mag_dst)
                    mag_dst[k] = fabs(shift[f]) +
                                 fabs(scale[f]) * inv * (fabs(src[k]) + fabs(running_mean[f]));
            }
    }
}

/* bwd, term by term as in the header comment; each mag_* may be NULL. */
static void bwd(const kb_batchnorm_shape *s, const double *src, const double *diff_dst,
                const double *scale, const double *mean, const double *variance,
                double *diff_src, double *diff_scale, double *diff_shift, double *mag_diff_src,
                double *mag_diff_scale, double *mag_diff_shift) {
    const geometry g = geometry_of(s);
    const double count = (double)g.count;
    for (int64_t f = 0; f < g.features; f++) {
        const double inv = 1.0 / sqrt(variance[f] + (double)s->epsilon);
        double sum_dy = 0, sum_dy_xhat = 0, sum_abs_dy = 0, sum_abs_dy_xhat = 0;
        double d_var = 0, d_mean = 0;
        for (int64_t n = 0; n < g.batch; n++)
            for (int64_t i = 0; i < g.inner; i++) {
                const int64_t k = at(&g, n, f, i);
                const double dy = diff_dst[k], d = src[k] - mean[f], d_xhat = scale[f] * dy;
                sum_dy += dy;
                sum_dy_xhat += dy * d * inv;
                sum_abs_dy += fabs(dy);
                sum_abs_dy_xhat += fabs(dy * d * inv);
                d_var += d_xhat * d * -0.5 * inv * inv * inv;
                d_mean += -d_xhat * inv;
            }
        for (int64_t n = 0; n < g.batch; n++)
            for (int64_t i = 0; i < g.inner; i++) {
                const int64_t k = at(&g, n, f, i);
                const double d = src[k] - mean[f], d_xhat = scale[f] * diff_dst[k];
                diff_src[k] = d_xhat * inv + d_var * 2.0 * d / count + d_mean / count;
                if (mag_diff_src)
                    mag_diff_src[k] = fabs(scale[f]) * inv *
                                      (fabs(diff_dst[k]) + sum_abs_dy / count +
                                       fabs(d * inv) * sum_abs_dy_xhat / count);
            }
        diff_shift[f] = sum_dy;
        diff_scale[f] = sum_dy_xhat;
        if (mag_diff_shift) mag_diff_shift[f] = sum_abs_dy;
        if (mag_diff_scale) mag_diff_scale[f] = sum_abs_dy_xhat;
    }
}

void kb_ref_batchnorm_fwd_train_f64(const kb_batchnorm_shape *shape, const double *src,
                                    const double *scale, const double *shift, double *dst,
                                    double *mean, double *variance) {
    fwd_train(shape, src, scale, shift, dst, mean, variance, NULL, NULL, NULL, NULL, NULL, NULL,
              NULL);
}

void kb_ref_batchnorm_bwd_f64(const kb_batchnorm_shape *shape, const double *src,
                              const double *diff_dst, const double *scale, const double *mean,
                              const double *variance, double *diff_src, double *diff_scale,
                              double *diff_shift) {
    bwd(shape, src, diff_dst, scale, mean, variance, diff_src, diff_scale, diff_shift, NULL, NULL,
        NULL);
}

kb_status kb_ref_batchnorm(const kb_problem *p, double *const *t, double *const *mag) {
    const kb_batchnorm_shape *s = &p->batchnorm;
    switch (p->direction) {
    case KB_DIR_FWD_TRAIN:
        fwd_train(s, t[KB_ARG_SRC], t[KB_ARG_SCALE], t[KB_ARG_SHIFT], t[KB_ARG_DST],
                  t[KB_ARG_MEAN], t[KB_ARG_VARIANCE], t[KB_ARG_RUNNING_MEAN],
                  t[KB_ARG_RUNNING_VARIANCE], mag[KB_ARG_DST], mag[KB_ARG_MEAN],
                  mag[KB_ARG_VARIANCE], mag[KB_ARG_RUNNING_MEAN], mag[KB_ARG_RUNNING_VARIANCE]);
        return KB_OK;
    case KB_DIR_FWD_INFER:
        fwd_infer(s, t[KB_ARG_SRC], t[KB_ARG_SCALE], t[KB_ARG_SHIFT], t[KB_ARG_RUNNING_MEAN],
                  t[KB_ARG_RUNNING_VARIANCE], t[KB_ARG_DST], mag[KB_ARG_DST]);
        return KB_OK;
    case KB_DIR_BWD:
        bwd(s, t[KB_ARG_SRC], t[KB_ARG_DIFF_DST], t[KB_ARG_SCALE], t[KB_ARG_MEAN],
            t[KB_ARG_VARIANCE], t[KB_ARG_DIFF_SRC], t[KB_ARG_DIFF_SCALE], t[KB_ARG_DIFF_SHIFT],
            mag[KB_ARG_DIFF_SRC], mag[KB_ARG_DIFF_SCALE], mag[KB_ARG_DIFF_SHIFT]);
        return KB_OK;
    default: return KB_ERR_UNSUPPORTED;
    }
}
