/* The reference backward is itself checked: with L = sum(y * G) for a random
 * G, y = fwd_train(x, gamma, beta), the gradients the reference bwd computes
 * from G and the batch statistics of x must equal central differences of the
 * reference forward, in double, for every element of x, gamma and beta; so
 * the formula (both paths of x into y: through x̂ directly and through the
 * mean and the variance) is checked against the forward it differentiates.
 *
 * y is linear in gamma and beta (differences exact up to rounding) and smooth
 * in x: with step h the central difference errs by O(h^2 * third derivative),
 * which scales as h^2 / (var + eps) per unit of gradient; h = 1e-5 on inputs
 * of variance ~1/3 keeps that below 1e-8 relative. Constant features
 * (variance 0, so the curvature scale is eps = 1e-6) use h = 1e-7; rounding
 * then costs ~1e-16 |L| / h, still far below the 1e-6 tolerance. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "reference.h"
#include "testing.h"

typedef struct gradient_case {
    const char *descriptor;
    bool constant; /* x constant per feature: variance 0 */
} gradient_case;

static const gradient_case cases[] = {
    {"mb4ic3", false},
    {"mb1ic3", false}, /* batch 1, per feature: y = beta whatever x is */
    {"mb2ic2ih2iw3", false},
    {"mb7ic5eps1e-3", false},
    {"mb2ic3ih3spatial", false},
    {"mb3ic2ih2iw3spatial", false},
    {"mb1ic2ih4spatial", false},
    {"mb5ic4", true},
    {"mb2ic2ih3spatial", true},
};

typedef struct tensors {
    kb_batchnorm_shape s;
    size_t n_x, n_f;
    double *x, *gamma, *beta, *g, *y, *mean, *var;
} tensors;

static double *random_doubles(size_t n, uint64_t seed) {
    float *f = malloc(n * sizeof *f);
    double *d = malloc(n * sizeof *d);
    kb_fill_values(f, n, true, seed);
    for (size_t i = 0; i < n; i++) d[i] = f[i];
    free(f);
    return d;
}

/* L = sum(fwd_train(x, gamma, beta) * g), in double. */
static double loss(tensors *t) {
    kb_ref_batchnorm_fwd_train_f64(&t->s, t->x, t->gamma, t->beta, t->y, t->mean, t->var);
    double sum = 0;
    for (size_t i = 0; i < t->n_x; i++) sum += t->y[i] * t->g[i];
    return sum;
}

/* Max over the elements of `v` of |fd - analytic| / scale, where scale is the
 * larger of |fd|, |analytic| and `floor` (so an element whose gradient is
 * zero up to rounding is judged against the size of its terms, not against
 * its own rounding noise). */
static double max_error(tensors *t, double *v, size_t n, const double *analytic, double h,
                        double floor) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        const double saved = v[i];
        v[i] = saved + h;
        const double plus = loss(t);
        v[i] = saved - h;
        const double minus = loss(t);
        v[i] = saved;
        const double fd = (plus - minus) / (2 * h);
        const double scale = fmax(fmax(fabs(fd), fabs(analytic[i])), floor);
        const double err = scale > 0 ? fabs(fd - analytic[i]) / scale : 0.0;
        if (err > worst) worst = err;
    }
    return worst;
}

int main(void) {
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        kb_problem p = {.direction = KB_DIR_BWD};
        char why[256];
        const bool parsed =
            kb_problem_parse(KB_KERNEL_BATCHNORM, cases[c].descriptor, &p, why, sizeof why) == KB_OK;
        TEST_CASE("parse %s", cases[c].descriptor) { CHECK(parsed, "%s", why); }
        if (!parsed) continue;
        tensors t = {.s = p.batchnorm};
        t.n_x = kb_problem_arg_elems(&p, KB_ARG_SRC);
        t.n_f = kb_problem_arg_elems(&p, KB_ARG_SCALE);
        t.x = random_doubles(t.n_x, 10 + c);
        t.gamma = random_doubles(t.n_f, 20 + c);
        t.beta = random_doubles(t.n_f, 30 + c);
        t.g = random_doubles(t.n_x, 40 + c);
        t.y = malloc(t.n_x * sizeof *t.y);
        t.mean = malloc(t.n_f * sizeof *t.mean);
        t.var = malloc(t.n_f * sizeof *t.var);
        if (cases[c].constant) {
            const size_t inner = t.s.spatial ? (size_t)(t.s.height * t.s.width) : 1;
            for (size_t i = 0; i < t.n_x; i++) t.x[i] = 0.25 + 0.5 * (double)((i / inner) % t.n_f);
        }
        double *dx = malloc(t.n_x * sizeof *dx), *dgamma = malloc(t.n_f * sizeof *dgamma);
        double *dbeta = malloc(t.n_f * sizeof *dbeta);
        loss(&t); /* the batch statistics of x, saved as fwd_train would */
        double *mean = malloc(t.n_f * sizeof *mean), *var = malloc(t.n_f * sizeof *var);
        for (size_t f = 0; f < t.n_f; f++) mean[f] = t.mean[f], var[f] = t.var[f];
        kb_ref_batchnorm_bwd_f64(&t.s, t.x, t.g, t.gamma, mean, var, dx, dgamma, dbeta);
        const double h = cases[c].constant ? 1e-7 : 1e-5;
        /* Floors: 1e-3 of the largest single term of dx (gamma inv G: with
         * batch 2 per feature the gradient is O(eps) while its terms are O(1))
         * and of the largest gradient of gamma and beta. */
        const size_t inner = t.s.spatial ? (size_t)(t.s.height * t.s.width) : 1;
        double floor_x = 0, floor_gamma = 0, floor_beta = 0;
        for (size_t i = 0; i < t.n_x; i++) {
            const size_t f = (i / inner) % t.n_f;
            floor_x = fmax(floor_x, 1e-3 * fabs(t.gamma[f] * t.g[i]) /
                                        sqrt(var[f] + (double)t.s.epsilon));
        }
        for (size_t f = 0; f < t.n_f; f++) {
            floor_gamma = fmax(floor_gamma, 1e-3 * fabs(dgamma[f]));
            floor_beta = fmax(floor_beta, 1e-3 * fabs(dbeta[f]));
        }

        TEST_CASE("bwd diff_src vs central differences, %s", cases[c].descriptor) {
            const double err = max_error(&t, t.x, t.n_x, dx, h, floor_x);
            CHECK(err < 1e-6, "max relative error %g", err);
        }
        TEST_CASE("bwd diff_scale vs central differences, %s", cases[c].descriptor) {
            const double err = max_error(&t, t.gamma, t.n_f, dgamma, h, floor_gamma);
            CHECK(err < 1e-6, "max relative error %g", err);
        }
        TEST_CASE("bwd diff_shift vs central differences, %s", cases[c].descriptor) {
            const double err = max_error(&t, t.beta, t.n_f, dbeta, h, floor_beta);
            CHECK(err < 1e-6, "max relative error %g", err);
        }
        free(t.x), free(t.gamma), free(t.beta), free(t.g), free(t.y), free(t.mean), free(t.var);
        free(dx), free(dgamma), free(dbeta), free(mean), free(var);
    }
    return kb_test_summary();
}
