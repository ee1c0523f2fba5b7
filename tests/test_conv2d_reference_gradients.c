/* The reference backward is itself checked: with L = sum(dst * G) for a random
 * G, the gradients the reference bwd_data / bwd_weights compute from G must
 * equal central differences of the reference forward, in double, for every
 * element of src, weights and bias. The forward is linear in each input, so
 * the differences are exact up to rounding: relative error below 1e-6. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "reference.h"
#include "testing.h"

static const char *const shapes[] = {
    "mb1ic1ih3oc1oh3kh3ph1",
    "mb2ic3ih7oc4oh7kh3ph1",
    "mb1ic2ih9oc3oh4kh3sh2ph0",            /* stride 2, odd input: last row unused */
    "mb1ic2ih11oc2oh7kh3ph0dh1",           /* dilation */
    "mb2ic3ih6iw8oc2oh3ow8kh2kw3sh2sw1ph0pw1dh0dw0",
    "mb1ic2ih5oc3oh9kh1ph2",               /* padding larger than the kernel */
    "mb1ic3ih8oc2oh4kh5sh2ph2",
};

static double *random_doubles(size_t n, uint64_t seed) {
    float *f = malloc(n * sizeof *f);
    double *d = malloc(n * sizeof *d);
    kb_fill_values(f, n, true, seed);
    for (size_t i = 0; i < n; i++) d[i] = f[i];
    free(f);
    return d;
}

/* L = sum(fwd(src, weights, bias) * g), in double. */
static double loss(const kb_conv2d_shape *s, const double *src, const double *weights,
                   const double *bias, const double *g, double *dst, double *scratch) {
    kb_ref_conv2d_fwd_f64(s, src, weights, bias, dst, scratch);
    const size_t n = (size_t)(s->batch * s->out_channels * s->out_height * s->out_width);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += dst[i] * g[i];
    return sum;
}

/* Max over elements of |fd - analytic| / max(|fd|, |analytic|), perturbing
 * each element of `x` in turn. Elements whose gradient is exactly zero (taps
 * that only ever meet padding) must have a zero difference too. */
static double max_relative_error(const kb_conv2d_shape *s, double *x, size_t n,
                                 const double *analytic, double *src, double *weights,
                                 double *bias, const double *g, double *dst, double *scratch) {
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

int main(void) {
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        kb_problem p = {0};
        char why[256];
        const bool parsed = kb_problem_parse(KB_KERNEL_CONV2D, shapes[t], &p, why, sizeof why) == KB_OK;
        TEST_CASE("parse %s", shapes[t]) { CHECK(parsed, "%s", why); }
        if (!parsed) continue;
        const kb_conv2d_shape *s = &p.conv2d;
        const size_t n_src = (size_t)(s->batch * s->in_channels * s->in_height * s->in_width);
        const size_t n_w = (size_t)(s->out_channels * s->in_channels * s->kernel_h * s->kernel_w);
        const size_t n_b = (size_t)s->out_channels;
        const size_t n_dst = (size_t)(s->batch * s->out_channels * s->out_height * s->out_width);
        double *src = random_doubles(n_src, 1 + t), *weights = random_doubles(n_w, 2 + t);
        double *bias = random_doubles(n_b, 3 + t), *g = random_doubles(n_dst, 4 + t);
        double *dst = malloc(n_dst * sizeof *dst), *scratch = malloc(n_dst * sizeof *scratch);
        double *d_src = malloc(n_src * sizeof *d_src), *m_src = malloc(n_src * sizeof *m_src);
        double *d_w = malloc(n_w * sizeof *d_w), *m_w = malloc(n_w * sizeof *m_w);
        double *d_b = malloc(n_b * sizeof *d_b), *m_b = malloc(n_b * sizeof *m_b);
        kb_ref_conv2d_bwd_data_f64(s, g, weights, d_src, m_src);
        kb_ref_conv2d_bwd_weights_f64(s, src, g, d_w, d_b, m_w, m_b);

        TEST_CASE("bwd_data vs central differences, %s", shapes[t]) {
            double err = max_relative_error(s, src, n_src, d_src, src, weights, bias, g, dst, scratch);
            CHECK(err < 1e-6, "max relative error %g", err);
        }
        TEST_CASE("bwd_weights (weights) vs central differences, %s", shapes[t]) {
            double err = max_relative_error(s, weights, n_w, d_w, src, weights, bias, g, dst, scratch);
            CHECK(err < 1e-6, "max relative error %g", err);
        }
        TEST_CASE("bwd_weights (bias) vs central differences, %s", shapes[t]) {
            double err = max_relative_error(s, bias, n_b, d_b, src, weights, bias, g, dst, scratch);
            CHECK(err < 1e-6, "max relative error %g", err);
        }
        free(src), free(weights), free(bias), free(g), free(dst), free(scratch);
        free(d_src), free(m_src), free(d_w), free(m_w), free(d_b), free(m_b);
    }
    return kb_test_summary();
}
