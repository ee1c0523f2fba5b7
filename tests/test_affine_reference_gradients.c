/* The reference affine backward is itself checked: with L = sum(y * G) for a
 * random G, the gradients the reference bwd computes from dout = G must equal
 * central differences of the reference forward, in double, for every element
 * of x, W and b. The forward is linear in each input, so the differences are
 * exact up to rounding: relative error below 1e-6. The magnitudes the
 * reference reports are checked too: each is the sum of |term| of its output,
 * so it can never be below |output| (nor, for db, differ from sum |dout|). */
#include <math.h>
#include <stdlib.h>

#include "reference.h"
#include "testing.h"

static const char *const shapes[] = {
    "mb1ic1oc1", "mb1ic5oc3", "mb3ic1oc4", "mb4ic7oc2", "mb5ic6oc9", "mb2ic17oc13",
};

static double *random_doubles(size_t n, uint64_t seed) {
    float *f = malloc(n * sizeof *f);
    double *d = malloc(n * sizeof *d);
    kb_fill_values(f, n, true, seed);
    for (size_t i = 0; i < n; i++) d[i] = f[i];
    free(f);
    return d;
}

/* L = sum(fwd(x, W, b) * g), in double. */
static double loss(const kb_affine_shape *s, const double *src, const double *weights,
                   const double *bias, const double *g, double *dst, double *scratch) {
    kb_ref_affine_fwd_f64(s, src, weights, bias, dst, scratch);
    const size_t n = (size_t)(s->batch * s->out_features);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += dst[i] * g[i];
    return sum;
}

/* Max over elements of |fd - analytic| / max(|fd|, |analytic|), perturbing
 * each element of `x` (one of src, weights, bias) in turn. */
static double max_relative_error(const kb_affine_shape *s, double *x, size_t n,
                                 const double *analytic, double *src, double *weights, double *bias,
                                 const double *g, double *dst, double *scratch) {
    const double h = 1e-3;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        const double saved = x[i];
        x[i] = saved + h;
        const double plus = loss(s, src, weights, bias, g, dst, scratch);
        x[i] = saved - h;
        const double minus = loss(s, src, weights, bias, g, dst, scratch);
        x[i] = saved;
        const double fd = (plus - minus) / (2 * h);
        const double scale = fmax(fabs(fd), fabs(analytic[i]));
        const double err = scale > 1e-12 ? fabs(fd - analytic[i]) / scale : 0.0;
        if (err > worst) worst = err;
    }
    return worst;
}

/* Smallest magnitude[i] - |value[i]| (negative: a magnitude below its value). */
static double min_slack(const double *value, const double *magnitude, size_t n) {
    double slack = INFINITY;
    for (size_t i = 0; i < n; i++) slack = fmin(slack, magnitude[i] - fabs(value[i]));
    return slack;
}

int main(void) {
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        kb_problem p = {.direction = KB_DIR_BWD};
        char why[256];
        const bool parsed =
            kb_problem_parse(KB_KERNEL_AFFINE, shapes[t], &p, why, sizeof why) == KB_OK;
        TEST_CASE("parse %s", shapes[t]) {
            CHECK(parsed, "%s", why);
        }
        if (!parsed) continue;
        const kb_affine_shape *s = &p.affine;
        const size_t n_x = (size_t)(s->batch * s->in_features);
        const size_t n_w = (size_t)(s->in_features * s->out_features);
        const size_t n_b = (size_t)s->out_features;
        const size_t n_y = (size_t)(s->batch * s->out_features);
        double *src = random_doubles(n_x, 1 + t), *weights = random_doubles(n_w, 2 + t);
        double *bias = random_doubles(n_b, 3 + t), *g = random_doubles(n_y, 4 + t);
        double *dst = malloc(n_y * sizeof *dst), *scratch = malloc(n_y * sizeof *scratch);
        double *d_x = malloc(n_x * sizeof *d_x), *m_x = malloc(n_x * sizeof *m_x);
        double *d_w = malloc(n_w * sizeof *d_w), *m_w = malloc(n_w * sizeof *m_w);
        double *d_b = malloc(n_b * sizeof *d_b), *m_b = malloc(n_b * sizeof *m_b);
        kb_ref_affine_bwd_f64(s, g, src, weights, d_x, d_w, d_b, m_x, m_w, m_b);

        TEST_CASE("dx vs central differences, %s", shapes[t]) {
            double err = max_relative_error(s, src, n_x, d_x, src, weights, bias, g, dst, scratch);
            CHECK(err < 1e-6, "max relative error %g", err);
        }
        TEST_CASE("dW vs central differences, %s", shapes[t]) {
            double err =
                max_relative_error(s, weights, n_w, d_w, src, weights, bias, g, dst, scratch);
            CHECK(err < 1e-6, "max relative error %g", err);
        }
        TEST_CASE("db vs central differences, %s", shapes[t]) {
            double err = max_relative_error(s, bias, n_b, d_b, src, weights, bias, g, dst, scratch);
            CHECK(err < 1e-6, "max relative error %g", err);
        }
        TEST_CASE("magnitudes bound their outputs, %s", shapes[t]) {
            kb_ref_affine_fwd_f64(s, src, weights, bias, dst, scratch);
            CHECK(min_slack(dst, scratch, n_y) >= 0, "y magnitude below |y|");
            CHECK(min_slack(d_x, m_x, n_x) >= 0, "dx magnitude below |dx|");
            CHECK(min_slack(d_w, m_w, n_w) >= 0, "dW magnitude below |dW|");
            CHECK(min_slack(d_b, m_b, n_b) >= 0, "db magnitude below |db|");
            double db_mag_err = 0;
            for (size_t m = 0; m < n_b; m++) {
                double expected = 0;
                for (int64_t n = 0; n < s->batch; n++) expected += fabs(g[n * n_b + m]);
                db_mag_err = fmax(db_mag_err, fabs(expected - m_b[m]));
            }
            CHECK(db_mag_err == 0, "db magnitude differs from sum |dout| by %g", db_mag_err);
        }
        free(src), free(weights), free(bias), free(g), free(dst), free(scratch);
        free(d_x), free(m_x), free(d_w), free(m_w), free(d_b), free(m_b);
    }
    return kb_test_summary();
}
