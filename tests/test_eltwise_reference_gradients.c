/* The relu and sigmoid backward references are themselves checked: with
 * L = sum(fwd(x) * G) for a random G, the gradient the reference bwd computes
 * from G (and the saved x or y) must equal central differences of the
 * reference forward, in double. Both layers are elementwise, so perturbing
 * x[i] moves only term i. sigmoid is smooth: the difference with h = 1e-4 is
 * off by O(h^2) (relative error below 1e-6 asked). relu is linear on each
 * side of 0: exact wherever |x| > h; at exactly 0 it has no derivative, and
 * the reference's 0 (the book's mask x <= 0) must lie between the one-sided
 * slopes 0 and G. */
#include <math.h>
#include <stdlib.h>

#include "kernbench/problem.h"
#include "reference.h"
#include "testing.h"

#define N 4099

static double fwd_one(bool sigmoid, double x) {
    double y, mag;
    if (sigmoid)
        kb_ref_sigmoid_fwd_f64(1, &x, &y, &mag);
    else
        kb_ref_relu_fwd_f64(1, &x, &y);
    return y;
}

int main(void) {
    float *xf = malloc(N * sizeof *xf), *gf = malloc(N * sizeof *gf);
    double *x = malloc(N * sizeof *x), *g = malloc(N * sizeof *g), *y = malloc(N * sizeof *y);
    double *dx = malloc(N * sizeof *dx), *mag = malloc(N * sizeof *mag);
    kb_fill_values(xf, N, true, 11);
    kb_fill_values(gf, N, true, 12);
    for (int i = 0; i < N; i++) {
        x[i] = 8.0 * xf[i]; /* [-8, 8): the sigmoid's curved part and its tails */
        g[i] = gf[i];
    }
    x[0] = 0.0, x[1] = -0.0, x[2] = 1e-9; /* relu's kink and a point next to it */
    const double h = 1e-4;

    kb_ref_sigmoid_fwd_f64(N, x, y, mag);
    kb_ref_sigmoid_bwd_f64(N, y, g, dx, mag);
    TEST_CASE("%s", "sigmoid bwd reference = central differences of sigmoid fwd") {
        double worst = 0;
        for (int i = 0; i < N; i++) {
            const double fd = g[i] * (fwd_one(true, x[i] + h) - fwd_one(true, x[i] - h)) / (2 * h);
            const double scale = fmax(fabs(fd), fabs(dx[i]));
            if (scale > 1e-12 && fabs(fd - dx[i]) / scale > worst) worst = fabs(fd - dx[i]) / scale;
        }
        CHECK(worst < 1e-6, "worst relative difference %g", worst);
    }

    kb_ref_relu_bwd_f64(N, x, g, dx);
    TEST_CASE("%s", "relu bwd reference = central differences of relu fwd away from 0") {
        int compared = 0;
        for (int i = 0; i < N; i++) {
            if (fabs(x[i]) <= h) continue;
            const double fd =
                g[i] * (fwd_one(false, x[i] + h) - fwd_one(false, x[i] - h)) / (2 * h);
            compared++;
            CHECK(fabs(fd - dx[i]) <= 1e-9 * fabs(g[i]), "x = %g: fd %g, bwd %g", x[i], fd, dx[i]);
        }
        CHECK(compared > N / 2, "only %d points compared", compared);
    }
    TEST_CASE("%s", "relu bwd reference at exactly 0 and -0: 0, between the one-sided slopes") {
        for (int i = 0; i < 2; i++) {
            const double right = g[i] * (fwd_one(false, h) - fwd_one(false, 0)) / h;
            const double left = g[i] * (fwd_one(false, 0) - fwd_one(false, -h)) / h;
            CHECK(dx[i] == 0, "x = %g gives %g", x[i], dx[i]);
            CHECK(fmin(left, right) <= dx[i] && dx[i] <= fmax(left, right), "0 not within [%g, %g]",
                  fmin(left, right), fmax(left, right));
        }
    }
    free(xf), free(gf), free(x), free(g), free(y), free(dx), free(mag);
    return kb_test_summary();
}
