/* The reference pool2d backward is itself checked: with L = sum(dst * G) for
 * a random G, the diff_src the reference bwd computes from G must equal
 * central differences of the reference forward, in double, for every element
 * of src. Average pooling is linear in src, so the differences are exact up
 * to rounding. Max pooling is piecewise linear: src holds distinct values
 * (a shuffled ramp with gaps of 2/n) and the step is far below the gaps, so
 * no perturbation changes which tap is a window's maximum and the
 * differences are exact up to rounding too. Relative error below 1e-6. */
#include <math.h>
#include <stdlib.h>

#include "reference.h"
#include "testing.h"

static const char *const shapes[] = {
    "max_mb1ic1ih4kh2sh2",                /* non-overlapping */
    "max_mb2ic3ih7kh3sh2ph1",             /* overlapping, hanging over the edges */
    "max_mb1ic2ih6iw9kh3kw4sh1sw2ph1pw2", /* stride < kernel, non-square */
    "max_mb1ic2ih7kh7",                   /* global */
    "max_mb1ic2ih9iw10kh2kw2sh3sw4",      /* stride > kernel: inputs no window reads */
    "avg_mb2ic3ih7kh3sh2ph1",
    "avg_mb1ic2ih6iw9kh3kw4sh1sw2ph1pw2",
    "avg_mb1ic2ih9iw10kh2kw2sh3sw4",
    "avg_incl_mb2ic3ih7kh3sh2ph1",
    "avg_incl_mb1ic2ih6kh4ph3", /* one-tap windows, divisor still 16 */
    "avg_mb1ic2ih3kh2ph2",      /* windows entirely in padding: 0, no gradient */
};

/* Distinct values in [-1, 1): a ramp with gaps of 2/n, shuffled. */
static double *distinct_doubles(size_t n, uint64_t seed) {
    double *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = -1.0 + 2.0 * (double)i / (double)n;
    uint64_t state = seed;
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
        const size_t j = (size_t)(kb_random_next(&state) % i);
        const double t = d[i - 1];
        d[i - 1] = d[j];
        d[j] = t;
    }
    return d;
}

static double *random_doubles(size_t n, uint64_t seed) {
    float *f = malloc(n * sizeof *f);
    double *d = malloc(n * sizeof *d);
    kb_fill_values(f, n, true, seed);
    for (size_t i = 0; i < n; i++) d[i] = f[i];
    free(f);
    return d;
}

/* L = sum(fwd(src) * g), in double. */
static double loss(const kb_pool2d_shape *s, const double *src, const double *g, double *dst,
                   double *scratch) {
    kb_ref_pool2d_fwd_f64(s, src, dst, scratch);
    const size_t n = (size_t)(s->batch * s->channels * s->out_height * s->out_width);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += dst[i] * g[i];
    return sum;
}

int main(void) {
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        kb_problem p = {.direction = KB_DIR_BWD};
        char why[256];
        const bool parsed =
            kb_problem_parse(KB_KERNEL_POOL2D, shapes[t], &p, why, sizeof why) == KB_OK;
        TEST_CASE("parse %s", shapes[t]) {
            CHECK(parsed, "%s", why);
        }
        if (!parsed) continue;
        const kb_pool2d_shape *s = &p.pool2d;
        const size_t n_src = (size_t)(s->batch * s->channels * s->in_height * s->in_width);
        const size_t n_dst = (size_t)(s->batch * s->channels * s->out_height * s->out_width);
        double *src = distinct_doubles(n_src, 1 + t), *g = random_doubles(n_dst, 4 + t);
        double *dst = malloc(n_dst * sizeof *dst), *scratch = malloc(n_dst * sizeof *scratch);
        double *d_src = malloc(n_src * sizeof *d_src), *m_src = malloc(n_src * sizeof *m_src);
        kb_ref_pool2d_bwd_f64(s, src, g, d_src, m_src);
        /* Far below the gaps between the distinct values (2/n). */
        const double h = 1e-3 / (double)n_src;
        TEST_CASE("bwd vs central differences, %s", shapes[t]) {
            double worst = 0;
            size_t routed = 0;
            for (size_t i = 0; i < n_src; i++) {
                const double saved = src[i];
                src[i] = saved + h;
                const double plus = loss(s, src, g, dst, scratch);
                src[i] = saved - h;
                const double minus = loss(s, src, g, dst, scratch);
                src[i] = saved;
                const double fd = (plus - minus) / (2 * h);
                const double scale = fmax(fabs(fd), fabs(d_src[i]));
                /* Rounding of L (about 1e-16 * sum|dst * g|) over 2h. */
                const double err = scale > 1e-9 ? fabs(fd - d_src[i]) / scale : fabs(fd - d_src[i]);
                if (err > worst) worst = err;
                routed += d_src[i] != 0;
            }
            CHECK(worst < 1e-6, "max relative error %g", worst);
            /* Not vacuous: some gradient reached src (every shape has
             * windows with taps inside the input). */
            CHECK(routed > 0, "no gradient reached src");
        }
        free(src), free(g), free(dst), free(scratch), free(d_src), free(m_src);
    }
    return kb_test_summary();
}
