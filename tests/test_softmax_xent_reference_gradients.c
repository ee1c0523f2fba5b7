/* The reference backward is itself checked: with delta = 0 the loss
 * L(x) = -(1/N) sum_n log softmax(x_n)[t_n] has the gradient (Y - T)/N, which
 * the reference bwd computes from Y. Central differences of the reference
 * forward loss, in double, must agree for every logit, with index and
 * one-hot labels. h = 1e-5: the truncation error h^2/6 * |L'''| (below
 * 1e-10/N here) and the rounding error ~1e-16 * |L| / h (~1e-11) are far
 * below the 1e-6 relative bound; logits in [-1, 1) keep every |dX| above
 * 1e-2/N (except M = 1, where dX = 0), so the bound is relative to a
 * sizeable value. */
#include <math.h>
#include <stdlib.h>

#include "reference.h"
#include "testing.h"

static const char *const shapes[] = {
    "mb1ic1delta0", "mb1ic2delta0", "mb2ic3delta0", "mb3ic7delta0", "mb2ic10onehotdelta0",
    "mb4ic5onehotdelta0",
};

static double loss_of(const kb_softmax_shape *s, const double *x, const double *labels, double *y) {
    double loss = 0.0;
    const kb_status st = kb_ref_softmax_xent_fwd_f64(s, x, labels, y, &loss, NULL, NULL);
    return st == KB_OK ? loss : NAN;
}

int main(void) {
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        kb_problem p = {.direction = KB_DIR_BWD};
        char why[256];
        const bool parsed =
            kb_problem_parse(KB_KERNEL_SOFTMAX_XENT, shapes[k], &p, why, sizeof why) == KB_OK;
        TEST_CASE("parse %s", shapes[k]) { CHECK(parsed, "%s", why); }
        if (!parsed) continue;
        const kb_softmax_shape *s = &p.softmax;
        const size_t n_x = (size_t)(s->batch * s->classes);
        const size_t n_labels = kb_problem_arg_elems(&p, KB_ARG_LABELS);
        float *fx = malloc(n_x * sizeof *fx), *flabels = malloc(n_labels * sizeof *flabels);
        double *x = malloc(n_x * sizeof *x), *labels = malloc(n_labels * sizeof *labels);
        double *y = malloc(n_x * sizeof *y), *dx = malloc(n_x * sizeof *dx);
        double *mag = malloc(n_x * sizeof *mag);
        kb_fill_values(fx, n_x, true, 11 + k);
        kb_problem_fill(&p, KB_ARG_LABELS, flabels, n_labels, true, 13 + k);
        for (size_t i = 0; i < n_x; i++) x[i] = fx[i];
        for (size_t i = 0; i < n_labels; i++) labels[i] = flabels[i];

        TEST_CASE("bwd = central differences of the fwd loss, %s", shapes[k]) {
            const double base = loss_of(s, x, labels, y); /* y = softmax(x) */
            CHECK(isfinite(base), "forward failed");
            CHECK(kb_ref_softmax_xent_bwd_f64(s, y, labels, dx, mag) == KB_OK, "backward failed");
            const double h = 1e-5;
            double worst = 0.0;
            double *scratch = malloc(n_x * sizeof *scratch);
            for (size_t i = 0; i < n_x; i++) {
                const double saved = x[i];
                x[i] = saved + h;
                const double plus = loss_of(s, x, labels, scratch);
                x[i] = saved - h;
                const double minus = loss_of(s, x, labels, scratch);
                x[i] = saved;
                const double fd = (plus - minus) / (2 * h);
                /* M = 1: dX is exactly 0 (L does not depend on x); the
                 * floor 1e-3/N keeps that case a meaningful absolute test. */
                const double scale = fmax(fmax(fabs(fd), fabs(dx[i])), 1e-3 / (double)s->batch);
                const double err = fabs(fd - dx[i]) / scale;
                if (err > worst) worst = err;
            }
            free(scratch);
            CHECK(worst < 1e-6, "max relative error %g", worst);
        }
        free(fx), free(flabels), free(x), free(labels), free(y), free(dx), free(mag);
    }
    return kb_test_summary();
}
