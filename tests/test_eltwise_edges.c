/* relu and sigmoid on the values the fillers never produce, every variant, at
 * 1 and 2 threads, against the policies of kernels/relu/problem.c and
 * kernels/sigmoid/problem.c:
 *   relu fwd  x <= 0 ? 0 : x; NaN -> NaN, +Inf -> +Inf, -Inf -> 0 (the sign
 *             of a zero result is not part of the policy: values compare ==)
 *   relu bwd  x <= 0 ? 0 : dy; the gradient at exactly 0 (and -0) is 0; NaN x
 *             passes dy (the book's mask x <= 0 is false for NaN); where x <= 0
 *             the result is 0 whatever dy is (NaN or Inf too, as the book's
 *             dout[mask] = 0)
 *   sigmoid fwd  finite for every input, never an overflow: exactly 1 at
 *             x = 100, +Inf and FLT_MAX, 0 at -Inf and -FLT_MAX, NaN -> NaN;
 *             within max((L + 2) eps |y|, 2 FLT_MIN) of the exact y: relative
 *             as in the agreement check, with an absolute floor at the bottom
 *             of the float range, since a float32 implementation may flush
 *             results there to 0 (oneDNN's logistic returns 0 for every exact
 *             result below 1.41 FLT_MIN, x < -86.99)
 *   sigmoid bwd  dy * (1 - y) * y in plain IEEE arithmetic (Inf * 0 = NaN)
 * oneDNN's relu departs from the relu policy in two documented ways
 * (kernels/relu/onednn.c): fwd maps NaN to 0, and bwd multiplies dy by 0
 * where x <= 0, so NaN or Inf dy gives NaN there. Those elements are reported
 * as skipped for onednn (never counted as passed); every other element of
 * its output is checked like any variant's.
 * The special values sit in the unrolled main loops, the single-vector
 * loops and the masked tails (99 elements: 64 + 32 + 3). The sweep at the end
 * measures each sigmoid fwd variant's error over [-104, 104] and prints it. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "direct_run.h"
#include "kernbench/registry.h"
#include "reference.h"
#include "testing.h"

#define N 99
/* The absolute floor of the sigmoid fwd check (see above). */
#define SIGMOID_FLOOR (2 * (double)FLT_MIN)

static const float x_specials[] = {
    0.0f,   -0.0f,   NAN,     INFINITY, -INFINITY, 1.0f,    -1.0f, FLT_MIN, -FLT_MIN,
    1e-45f, -1e-45f, FLT_MAX, -FLT_MAX, 100.0f,    -100.0f, 88.8f, -88.8f,  87.4f,
    -87.4f, 20.0f,   -20.0f,  1e-8f,    -1e-8f,    0.5f,    -NAN,
};
static const float dy_specials[] = {1.0f, NAN, INFINITY, -INFINITY, 5.0f, -3.0f, 0.0f};

static void fill_cyclic(float *data, const float *values, size_t n_values) {
    for (int i = 0; i < N; i++) data[i] = values[(size_t)i % n_values];
}

static bool same_value(float got, float want) {
    return isnan(want) ? isnan(got) : got == want;
}

static bool is_onednn(const kb_variant *variant) {
    return strcmp(variant->name, "onednn") == 0;
}

static void relu_fwd(void) {
    kb_problem problem = kb_test_problem(KB_KERNEL_RELU, KB_DIR_FWD, "n99");
    float x[N], y[N];
    fill_cyclic(x, x_specials, sizeof x_specials / sizeof x_specials[0]);
    KB_FOR_EACH_RUN(KB_KERNEL_RELU, KB_DIR_FWD, &problem) {
        int departures = 0;
        TEST_CASE("relu fwd %s threads=%d: 0, -0, NaN, Inf, subnormals", variants[v]->name,
                  threads) {
            for (int i = 0; i < N; i++) y[i] = 42.0f;
            kb_args args = {0};
            args.tensor[KB_ARG_SRC] = x;
            args.tensor[KB_ARG_DST] = y;
            const kb_status status = kb_run_variant_once(variants[v], &problem, &args, threads);
            CHECK(status == KB_OK, "run: %s", kb_status_name(status));
            for (int i = 0; i < N; i++) {
                if (is_onednn(variants[v]) && isnan(x[i])) {
                    departures++;
                    continue;
                }
                const float want = isnan(x[i]) ? x[i] : x[i] <= 0 ? 0.0f : x[i];
                CHECK(same_value(y[i], want), "x[%d] = %g gives %g, want %g", i, x[i], y[i], want);
            }
        }
        kb_report_departures(departures, "relu fwd NaN inputs,", variants[v], threads,
                          "oneDNN's relu maps NaN to 0; the book's layer keeps NaN");
    }
}

static void relu_bwd(void) {
    kb_problem problem = kb_test_problem(KB_KERNEL_RELU, KB_DIR_BWD, "n99");
    float x[N], dy[N], dx[N];
    fill_cyclic(x, x_specials, sizeof x_specials / sizeof x_specials[0]);
    fill_cyclic(dy, dy_specials, sizeof dy_specials / sizeof dy_specials[0]);
    KB_FOR_EACH_RUN(KB_KERNEL_RELU, KB_DIR_BWD, &problem) {
        kb_args args = {0};
        args.tensor[KB_ARG_SRC] = x;
        args.tensor[KB_ARG_DIFF_DST] = dy;
        args.tensor[KB_ARG_DIFF_SRC] = dx;
        for (int i = 0; i < N; i++) dx[i] = 42.0f;
        const kb_status status = kb_run_variant_once(variants[v], &problem, &args, threads);
        /* oneDNN's 0 * dy where x <= 0 (see the top of the file). */
        int departures = 0;
        bool departs[N];
        for (int i = 0; i < N; i++) {
            departs[i] = is_onednn(variants[v]) && x[i] <= 0 && !isfinite(dy[i]);
            departures += departs[i];
        }
        TEST_CASE("relu bwd %s threads=%d: gradient at exactly 0 and -0 is 0", variants[v]->name,
                  threads) {
            CHECK(status == KB_OK, "run: %s", kb_status_name(status));
            for (int i = 0; i < N; i++)
                if (x[i] == 0 && !departs[i])
                    CHECK(dx[i] == 0, "x[%d] = %g, dy = %g gives %g", i, x[i], dy[i], dx[i]);
        }
        TEST_CASE("relu bwd %s threads=%d: NaN x passes dy, NaN/Inf dy masked where x <= 0",
                  variants[v]->name, threads) {
            for (int i = 0; i < N; i++) {
                if (departs[i]) continue;
                const float want = x[i] <= 0 ? 0.0f : dy[i];
                CHECK(same_value(dx[i], want), "x[%d] = %g, dy = %g gives %g, want %g", i, x[i],
                      dy[i], dx[i], want);
            }
        }
        kb_report_departures(departures, "relu bwd NaN/Inf dy where x <= 0,", variants[v], threads,
                          "oneDNN multiplies dy by 0 there (NaN); the book's mask sets 0");
    }
}

static void sigmoid_fwd_edges(void) {
    kb_problem problem = kb_test_problem(KB_KERNEL_SIGMOID, KB_DIR_FWD, "n99");
    const double bound =
        (double)(kb_problem_reduction_length(&problem, KB_ARG_DST) + 2) * FLT_EPSILON;
    float x[N], y[N];
    double wide[N], ref[N], mag[N];
    fill_cyclic(x, x_specials, sizeof x_specials / sizeof x_specials[0]);
    for (int i = 0; i < N; i++) wide[i] = x[i];
    kb_ref_sigmoid_fwd_f64(N, wide, ref, mag);
    KB_FOR_EACH_RUN(KB_KERNEL_SIGMOID, KB_DIR_FWD, &problem) {
        TEST_CASE("sigmoid fwd %s threads=%d: +-100, +-Inf, +-FLT_MAX, NaN, 0, subnormals",
                  variants[v]->name, threads) {
            for (int i = 0; i < N; i++) y[i] = 42.0f;
            kb_args args = {0};
            args.tensor[KB_ARG_SRC] = x;
            args.tensor[KB_ARG_DST] = y;
            const kb_status status = kb_run_variant_once(variants[v], &problem, &args, threads);
            CHECK(status == KB_OK, "run: %s", kb_status_name(status));
            for (int i = 0; i < N; i++) {
                if (isnan(x[i])) {
                    CHECK(isnan(y[i]), "x[%d] = NaN gives %g", i, y[i]);
                    continue;
                }
                CHECK(isfinite(y[i]) && y[i] >= 0 && y[i] <= 1, "x[%d] = %g gives %g", i, x[i],
                      y[i]);
                if (x[i] >= 100)
                    CHECK(y[i] == 1.0f, "x[%d] = %g gives %.9g, want 1", i, x[i], y[i]);
                if (x[i] == -INFINITY || x[i] == -FLT_MAX)
                    CHECK(y[i] == 0.0f, "x[%d] = %g gives %g, want 0", i, x[i], y[i]);
                const double err = fabs((double)y[i] - ref[i]);
                CHECK(err <= fmax(bound * ref[i], SIGMOID_FLOOR),
                      "x[%d] = %.9g gives %.9g, want %.9g (%.2f eps)", i, x[i], y[i], ref[i],
                      err / ref[i] / FLT_EPSILON);
            }
        }
    }
}

static void sigmoid_bwd_edges(void) {
    kb_problem problem = kb_test_problem(KB_KERNEL_SIGMOID, KB_DIR_BWD, "n99");
    const double bound =
        (double)(kb_problem_reduction_length(&problem, KB_ARG_DIFF_SRC) + 2) * FLT_EPSILON;
    static const float y_specials[] = {0.0f, 1.0f, 0.5f, NAN, 0.25f, 1e-30f, 0.99999994f, 1e-45f};
    float y[N], dy[N], dx[N];
    double wide_y[N], wide_dy[N], ref[N], mag[N];
    fill_cyclic(y, y_specials, sizeof y_specials / sizeof y_specials[0]);
    fill_cyclic(dy, dy_specials, sizeof dy_specials / sizeof dy_specials[0]);
    for (int i = 0; i < N; i++) wide_y[i] = y[i], wide_dy[i] = dy[i];
    kb_ref_sigmoid_bwd_f64(N, wide_y, wide_dy, ref, mag);
    KB_FOR_EACH_RUN(KB_KERNEL_SIGMOID, KB_DIR_BWD, &problem) {
        TEST_CASE("sigmoid bwd %s threads=%d: NaN and Inf in y and dy, y at 0 and 1",
                  variants[v]->name, threads) {
            for (int i = 0; i < N; i++) dx[i] = 42.0f;
            kb_args args = {0};
            args.tensor[KB_ARG_DST] = y;
            args.tensor[KB_ARG_DIFF_DST] = dy;
            args.tensor[KB_ARG_DIFF_SRC] = dx;
            const kb_status status = kb_run_variant_once(variants[v], &problem, &args, threads);
            CHECK(status == KB_OK, "run: %s", kb_status_name(status));
            for (int i = 0; i < N; i++) {
                const float want = (float)ref[i];
                const bool ok = isnan(want) || isinf(want)
                                    ? same_value(dx[i], want)
                                    : fabs((double)dx[i] - ref[i]) <= bound * mag[i];
                CHECK(ok, "y[%d] = %g, dy = %g gives %g, want %g", i, y[i], dy[i], dx[i], want);
            }
        }
    }
}

/* Every sigmoid fwd variant over 2^18 + 1 evenly spaced points of
 * [-104, 104] (each rounded to float): the largest error in eps relative to
 * the exact result, among the elements off by more than the 2 FLT_MIN floor,
 * printed as the measurement behind the tolerance of kernels/sigmoid/
 * problem.c, and how many results sit within the floor only (flushed). */
static void sigmoid_fwd_sweep(void) {
    const int n = (1 << 18) + 1;
    char text[32];
    snprintf(text, sizeof text, "n%d", n);
    kb_problem problem = kb_test_problem(KB_KERNEL_SIGMOID, KB_DIR_FWD, text);
    const double bound_eps = (double)(kb_problem_reduction_length(&problem, KB_ARG_DST) + 2);
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    double *wide = malloc((size_t)n * sizeof *wide), *ref = malloc((size_t)n * sizeof *ref);
    double *mag = malloc((size_t)n * sizeof *mag);
    for (int i = 0; i < n; i++) {
        x[i] = (float)(-104.0 + 208.0 * i / (n - 1));
        wide[i] = x[i];
    }
    kb_ref_sigmoid_fwd_f64(n, wide, ref, mag);
    KB_FOR_EACH_RUN(KB_KERNEL_SIGMOID, KB_DIR_FWD, &problem) {
        TEST_CASE("sigmoid fwd %s threads=%d: sweep of [-104, 104]", variants[v]->name, threads) {
            kb_args args = {0};
            args.tensor[KB_ARG_SRC] = x;
            args.tensor[KB_ARG_DST] = y;
            const kb_status status = kb_run_variant_once(variants[v], &problem, &args, threads);
            CHECK(status == KB_OK, "run: %s", kb_status_name(status));
            double worst = 0;
            float worst_x = 0;
            int floor_only = 0;
            for (int i = 0; i < n; i++) {
                const double err = fabs((double)y[i] - ref[i]);
                const double eps = err / ref[i] / FLT_EPSILON;
                if (err <= SIGMOID_FLOOR) {
                    floor_only += eps > bound_eps;
                } else if (eps > worst) {
                    worst = eps;
                    worst_x = x[i];
                }
            }
            printf("  sigmoid fwd %-7s threads=%d: max error %.3f eps (at x = %.9g; tolerance "
                   "%.0f eps); %d results within only the 2 FLT_MIN floor\n",
                   variants[v]->name, threads, worst, worst_x, bound_eps, floor_only);
            CHECK(worst <= bound_eps, "max error %.3f eps at x = %.9g", worst, worst_x);
        }
    }
    free(x), free(y), free(wide), free(ref), free(mag);
}

int main(void) {
    relu_fwd();
    relu_bwd();
    sigmoid_fwd_edges();
    sigmoid_bwd_edges();
    sigmoid_fwd_sweep();
    return kb_test_summary();
}
