/* Optimizer updates over several steps, every variant of every rule:
 *
 * 1. Ten steps in a row (t = 1..10, a new gradient each step), the variant
 *    on its own float arrays, the reference on double arrays that are never
 *    rounded between steps. Checked two ways:
 *    - each step in lock-step: the reference runs that step from the
 *      variant's current float state, and the variant's outputs must lie
 *      within the per-step bound of kernels/optim/problem.c (every step up
 *      to LOCK_STEP_ELEMS elements; for the large size only the first, to
 *      keep the test short: its ten steps are covered by the next check);
 *    - after step 1 and after step 10, the variant's arrays against the
 *      reference's trajectory, within a bound carried along that trajectory:
 *      E' = |d out / d in| E (first order, for each state the output reads)
 *      + the step's own bound (L + 2) eps mag. The derivatives are the
 *      rules' own (momentum: v' = mu v - lr g so dv'/dv = mu, p' = p + v' so
 *      dp'/dv = mu; Adam: dp'/dm = lr_t b1 / (sqrt(v') + eps), ...).
 * 2. Adam's step counter: t = 1 and t = 10 from the same inputs each match
 *    the reference at their own t and not at the other (lr_t depends on t).
 * 3. A failed call touches nothing: a problem with a NaN learning rate (and
 *    for Adam t = 0, and beta1 = 1 whose bias correction divides by 0) is
 *    refused with KB_ERR_INVALID before any array is read or written; the
 *    parameters, the gradient and the state stay bit for bit as they were. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "direct_run.h"
#include "kernbench/registry.h"
#include "reference.h"
#include "testing.h"

#define STEPS 10
#define LOCK_STEP_ELEMS 65536

static const char *const shapes[] = {
    "n1",  "n7",  "n8",       "n9",
    "n17", "n33", "n1000003", "n37lr0.001mu0.5rho0.9b10.8b20.99", /* other hyperparameters */
};

/* The in-out arrays, in kb_arg order. */
static const kb_arg outputs[] = {KB_ARG_WEIGHTS, KB_ARG_STATE0, KB_ARG_STATE1};
#define N_OUT 3

typedef struct trajectory {
    size_t n;
    float *initial[N_OUT]; /* p, s0, s1 before step 1 (NULL: unused state) */
    float *grads[STEPS];
    double *value[N_OUT]; /* the reference's arrays, updated in place */
    double *bound[N_OUT]; /* E: how far a correct float32 run may be from them */
    double *after_one[N_OUT], *bound_after_one[N_OUT];
} trajectory;

static double *doubles(size_t n) {
    return calloc(n, sizeof(double));
}

/* One reference step from double arrays `in` (p, s0, s1) into themselves,
 * with the magnitudes of the outputs. */
static void reference_step(const kb_problem *problem, double **value, const double *g,
                           double **mag) {
    kb_ref_optim_step_f64(&problem->optim, problem->direction, value[0], g, value[1], value[2],
                          mag[0], mag[1], mag[2]);
}

/* The carried bound, after the reference has taken the step (value holds the
 * new p, s0, s1; the bound still the old E). */
static void carry_bound(const kb_problem *problem, trajectory *tr, const double *g,
                        double *const *mag) {
    const kb_optim_shape *s = &problem->optim;
    const double mu = s->momentum, d = s->decay_rate, b1 = s->beta1, b2 = s->beta2;
    const double lr = s->lr, eps = KB_OPTIM_EPSILON;
    const double lr_t = lr * sqrt(1 - pow(b2, (double)s->step)) / (1 - pow(b1, (double)s->step));
    double per_mag[N_OUT], fresh[N_OUT]; /* (L + 2) eps of each output */
    for (int a = 0; a < N_OUT; a++)
        per_mag[a] = (double)(kb_problem_reduction_length(problem, outputs[a]) + 2) * FLT_EPSILON;
    for (size_t i = 0; i < tr->n; i++) {
        for (int a = 0; a < N_OUT; a++) fresh[a] = tr->bound[a] ? per_mag[a] * mag[a][i] : 0;
        double *ep = &tr->bound[0][i], *e0 = tr->bound[1] ? &tr->bound[1][i] : NULL;
        double *e1 = tr->bound[2] ? &tr->bound[2][i] : NULL;
        switch (problem->direction) {
        case KB_DIR_SGD:
            *ep += fresh[0];
            break;
        case KB_DIR_MOMENTUM:
        case KB_DIR_NESTEROV: {
            const double gain = problem->direction == KB_DIR_MOMENTUM ? mu : mu * mu * mu;
            *ep += gain * *e0 + fresh[0];
            *e0 = mu * *e0 + fresh[1];
            break;
        }
        case KB_DIR_ADAGRAD:
        case KB_DIR_RMSPROP: {
            const double h = tr->value[1][i], den = sqrt(h) + eps;
            const double dh = problem->direction == KB_DIR_ADAGRAD ? 1.0 : d;
            const double dp_dh = h > 0 ? fabs(lr * g[i]) / (2 * sqrt(h) * den * den) : 0;
            *ep += dp_dh * dh * *e0 + fresh[0];
            *e0 = dh * *e0 + fresh[1];
            break;
        }
        case KB_DIR_ADAM: {
            const double m = tr->value[1][i], v = tr->value[2][i], den = sqrt(v) + eps;
            const double dp_dm = lr_t * b1 / den;
            const double dp_dv = v > 0 ? lr_t * fabs(m) * b2 / (2 * sqrt(v) * den * den) : 0;
            *ep += dp_dm * *e0 + dp_dv * *e1 + fresh[0];
            *e0 = b1 * *e0 + fresh[1];
            *e1 = b2 * *e1 + fresh[2];
            break;
        }
        default:
            break;
        }
    }
}

static void trajectory_init(trajectory *tr, kb_problem *problem) {
    memset(tr, 0, sizeof *tr);
    tr->n = (size_t)problem->optim.elems;
    double *mag[N_OUT] = {0};
    for (int a = 0; a < N_OUT; a++) {
        if (kb_problem_arg_role(problem, outputs[a]) == KB_ROLE_NONE) continue;
        tr->initial[a] = malloc(tr->n * sizeof(float));
        kb_problem_fill(problem, outputs[a], tr->initial[a], tr->n, true, 100 + (uint64_t)a);
        tr->value[a] = doubles(tr->n), tr->bound[a] = doubles(tr->n), mag[a] = doubles(tr->n);
        tr->after_one[a] = doubles(tr->n), tr->bound_after_one[a] = doubles(tr->n);
        for (size_t i = 0; i < tr->n; i++) tr->value[a][i] = tr->initial[a][i];
    }
    double *g = doubles(tr->n);
    for (int t = 0; t < STEPS; t++) {
        tr->grads[t] = malloc(tr->n * sizeof(float));
        kb_problem_fill(problem, KB_ARG_DIFF_WEIGHTS, tr->grads[t], tr->n, true, 200 + (uint64_t)t);
        for (size_t i = 0; i < tr->n; i++) g[i] = tr->grads[t][i];
        problem->optim.step = t + 1;
        reference_step(problem, tr->value, g, mag);
        carry_bound(problem, tr, g, mag);
        if (t == 0)
            for (int a = 0; a < N_OUT; a++)
                if (tr->value[a]) {
                    memcpy(tr->after_one[a], tr->value[a], tr->n * sizeof(double));
                    memcpy(tr->bound_after_one[a], tr->bound[a], tr->n * sizeof(double));
                }
    }
    problem->optim.step = 1;
    free(g);
    for (int a = 0; a < N_OUT; a++) free(mag[a]);
}

static void trajectory_free(trajectory *tr) {
    for (int a = 0; a < N_OUT; a++) {
        free(tr->initial[a]), free(tr->value[a]), free(tr->bound[a]);
        free(tr->after_one[a]), free(tr->bound_after_one[a]);
    }
    for (int t = 0; t < STEPS; t++) free(tr->grads[t]);
}

/* Elements of `got` farther from `want` than `bound`; the first in *first. */
static size_t outside(const float *got, const double *want, const double *bound, size_t n,
                      size_t *first) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= bound[i]) && count++ == 0) *first = i;
    return count;
}

static void ten_steps(const kb_variant *variant, kb_problem problem, const trajectory *tr,
                      const char *shape, int threads) {
    const size_t n = tr->n;
    float *arrays[N_OUT] = {0}, *ref_float = malloc(n * sizeof(float));
    double *pre[N_OUT] = {0}, *mag[N_OUT] = {0}, *g = doubles(n);
    for (int a = 0; a < N_OUT; a++) {
        if (!tr->initial[a]) continue;
        arrays[a] = malloc(n * sizeof(float));
        memcpy(arrays[a], tr->initial[a], n * sizeof(float));
        pre[a] = doubles(n), mag[a] = doubles(n);
    }
    TEST_CASE("optim %s %s %s threads=%d: 10 steps, each within its bound, the run within "
              "the carried bound after 1 and 10",
              kb_direction_name(problem.direction), variant->name, shape, threads) {
        for (int t = 0; t < STEPS; t++) {
            problem.optim.step = t + 1;
            const bool lock_step = n <= LOCK_STEP_ELEMS || t == 0;
            /* Lock-step reference from the variant's current arrays. */
            if (lock_step) {
                for (int a = 0; a < N_OUT; a++)
                    if (pre[a])
                        for (size_t i = 0; i < n; i++) pre[a][i] = arrays[a][i];
                for (size_t i = 0; i < n; i++) g[i] = tr->grads[t][i];
                reference_step(&problem, pre, g, mag);
            }
            kb_args args = {0};
            args.tensor[KB_ARG_WEIGHTS] = arrays[0];
            args.tensor[KB_ARG_DIFF_WEIGHTS] = tr->grads[t];
            args.tensor[KB_ARG_STATE0] = arrays[1];
            args.tensor[KB_ARG_STATE1] = arrays[2];
            const kb_status status = kb_run_variant_once(variant, &problem, &args, threads);
            CHECK(status == KB_OK, "step %d: %s", t + 1, kb_status_name(status));
            for (int a = 0; a < N_OUT && lock_step; a++) {
                if (!arrays[a]) continue;
                for (size_t i = 0; i < n; i++) ref_float[i] = (float)pre[a][i];
                const kb_check_result r =
                    kb_check_compare(arrays[a], ref_float, mag[a], n,
                                     kb_problem_reduction_length(&problem, outputs[a]), false);
                CHECK(r.pass,
                      "step %d, %s: %zu outside the step's bound, first at %zu (worst "
                      "err/tolerance %g)",
                      t + 1, kb_arg_name(outputs[a]), r.mismatches, r.first_bad, r.worst_ratio);
            }
            if (t == 0 || t == STEPS - 1) {
                for (int a = 0; a < N_OUT; a++) {
                    if (!arrays[a]) continue;
                    size_t first = 0;
                    const size_t bad =
                        t == 0 ? outside(arrays[a], tr->after_one[a], tr->bound_after_one[a], n,
                                         &first)
                               : outside(arrays[a], tr->value[a], tr->bound[a], n, &first);
                    const double *want = t == 0 ? tr->after_one[a] : tr->value[a];
                    const double *bound = t == 0 ? tr->bound_after_one[a] : tr->bound[a];
                    CHECK(bad == 0,
                          "after step %d, %s: %zu elements outside the carried bound, "
                          "first at %zu: %.9g vs %.9g (bound %.3g)",
                          t + 1, kb_arg_name(outputs[a]), bad, first, (double)arrays[a][first],
                          want[first], bound[first]);
                }
            }
        }
    }
    for (int a = 0; a < N_OUT; a++) free(arrays[a]), free(pre[a]), free(mag[a]);
    free(ref_float), free(g);
}

/* Adam at t = 1 and t = 10 from the same inputs. */
static void adam_step_counter(const kb_variant *variant, int threads) {
    kb_problem problem = kb_test_problem(KB_KERNEL_OPTIM, KB_DIR_ADAM, "n1000");
    kb_case at[2];
    char why[256];
    const int steps[2] = {1, 10};
    for (int k = 0; k < 2; k++) {
        problem.optim.step = steps[k];
        if (kb_case_init(&at[k], &problem, KB_FILL_REAL, 7, why, sizeof why) != KB_OK) {
            printf("case: %s\n", why);
            exit(1);
        }
    }
    TEST_CASE("optim adam %s threads=%d: t = 1 and t = 10 each match their own reference, "
              "not the other's",
              variant->name, threads) {
        for (int k = 0; k < 2; k++) {
            kb_prepared prepared;
            kb_status status = kb_prepared_init(&prepared, variant, &at[k], threads);
            kb_check_result own = {0};
            if (status == KB_OK) status = kb_case_run_and_check(&prepared, &at[k], &own);
            CHECK(status == KB_OK && own.pass, "t = %d: %s, %zu mismatches", steps[k],
                  kb_status_name(status), own.mismatches);
            /* The same output against the other step's reference parameters. */
            const kb_case *other = &at[1 - k];
            const kb_check_result cross = kb_check_compare(
                at[k].args.tensor[KB_ARG_WEIGHTS], other->ref_outputs[KB_ARG_WEIGHTS],
                other->magnitudes.tensor[KB_ARG_WEIGHTS], at[k].elems[KB_ARG_WEIGHTS],
                kb_problem_reduction_length(&problem, KB_ARG_WEIGHTS), false);
            CHECK(!cross.pass, "t = %d: parameters also match the reference at t = %d", steps[k],
                  steps[1 - k]);
            kb_prepared_release(&prepared);
        }
    }
    kb_case_free(&at[0]);
    kb_case_free(&at[1]);
}

/* An invalid problem is refused before any array is touched. */
static void failed_call(const kb_variant *variant, int threads) {
    kb_problem valid = kb_test_problem(KB_KERNEL_OPTIM, variant->direction, "n37");
    struct {
        const char *what;
        kb_problem problem;
    } invalid[3];
    int n_invalid = 0;
    invalid[n_invalid].what = "lr = NaN";
    invalid[n_invalid].problem = valid;
    invalid[n_invalid++].problem.optim.lr = NAN;
    if (variant->direction == KB_DIR_ADAM) {
        invalid[n_invalid].what = "t = 0";
        invalid[n_invalid].problem = valid;
        invalid[n_invalid++].problem.optim.step = 0;
        invalid[n_invalid].what = "beta1 = 1";
        invalid[n_invalid].problem = valid;
        invalid[n_invalid++].problem.optim.beta1 = 1.0f;
    }
    const size_t n = 37;
    const kb_arg slots[] = {KB_ARG_WEIGHTS, KB_ARG_DIFF_WEIGHTS, KB_ARG_STATE0, KB_ARG_STATE1};
    float data[4][37], saved[4][37];
    for (int k = 0; k < n_invalid; k++) {
        TEST_CASE("optim %s %s threads=%d: %s is refused, every array left as it was",
                  kb_direction_name(variant->direction), variant->name, threads, invalid[k].what) {
            kb_args args = {0};
            for (int a = 0; a < 4; a++) {
                kb_fill_values(data[a], n, true, 300 + (uint64_t)a);
                memcpy(saved[a], data[a], sizeof data[a]);
                if (kb_problem_arg_role(&valid, slots[a]) != KB_ROLE_NONE)
                    args.tensor[slots[a]] = data[a];
            }
            const kb_status status =
                kb_run_variant_once(variant, &invalid[k].problem, &args, threads);
            CHECK(status == KB_ERR_INVALID, "status %s", kb_status_name(status));
            for (int a = 0; a < 4; a++)
                CHECK(memcmp(data[a], saved[a], sizeof data[a]) == 0, "%s was written",
                      kb_arg_name(slots[a]));
        }
    }
}

int main(void) {
    for (int rule = KB_DIR_SGD; rule <= KB_DIR_ADAM; rule++) {
        const kb_variant *variants[16];
        const size_t n_variants =
            kb_registry_select(KB_KERNEL_OPTIM, (kb_direction)rule, NULL, 0, variants, 16);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            kb_problem problem = kb_test_problem(KB_KERNEL_OPTIM, (kb_direction)rule, shapes[s]);
            trajectory tr;
            trajectory_init(&tr, &problem);
            for (size_t v = 0; v < n_variants; v++) {
                const char *why_not;
                if (!kb_variant_usable(variants[v], &problem, &why_not)) {
                    kb_test_skip(variants[v]->name, why_not);
                    continue;
                }
                for (int threads = 1; threads <= (variants[v]->single_threaded ? 1 : 2); threads++)
                    ten_steps(variants[v], problem, &tr, shapes[s], threads);
            }
            trajectory_free(&tr);
        }
        for (size_t v = 0; v < n_variants; v++) {
            const char *why_not;
            kb_problem probe = kb_test_problem(KB_KERNEL_OPTIM, (kb_direction)rule, "n37");
            if (!kb_variant_usable(variants[v], &probe, &why_not)) continue;
            for (int threads = 1; threads <= (variants[v]->single_threaded ? 1 : 2); threads++) {
                if (rule == KB_DIR_ADAM) adam_step_counter(variants[v], threads);
                failed_call(variants[v], threads);
            }
        }
    }
    return kb_test_summary();
}
