/* batchnorm fwd_train and fwd_infer, naive: the textbook formulas, one
 * thread, one feature at a time, element by element in (n, i) order, float
 * accumulators.
 *
 * Variance: two passes. The mean first (sum / M), then the mean of the
 * squared deviations from it, sum (x - mean)^2 / M, as the book's
 * `np.mean(xc**2, axis=0)`. Never E[x^2] - E[x]^2, which cancels when the
 * mean is large against the spread. */
#include <assert.h>
#include <math.h>

#include "batchnorm/batchnorm.h"
#include "kernbench/variant.h"

static kb_status naive_fwd_train(const kb_problem *problem, const kb_args *args,
                                 const kb_context *ctx, void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_BATCHNORM && problem->direction == KB_DIR_FWD_TRAIN);
    const kb_batchnorm_shape *s = &problem->batchnorm;
    const kb_bn_geometry g = kb_bn_geometry_of(s);
    const float *x = args->tensor[KB_ARG_SRC];
    const float *gamma = args->tensor[KB_ARG_SCALE], *beta = args->tensor[KB_ARG_SHIFT];
    float *y = args->tensor[KB_ARG_DST];
    float *mean = args->tensor[KB_ARG_MEAN], *variance = args->tensor[KB_ARG_VARIANCE];
    float *running_mean = args->tensor[KB_ARG_RUNNING_MEAN];
    float *running_variance = args->tensor[KB_ARG_RUNNING_VARIANCE];
    assert(x && gamma && beta && y && mean && variance && running_mean && running_variance);
    const float count = (float)g.count;

    for (int64_t f = 0; f < g.features; f++) {
        float sum = 0.0f;
        for (int64_t n = 0; n < g.batch; n++)
            for (int64_t i = 0; i < g.inner; i++) sum += x[(n * g.features + f) * g.inner + i];
        const float mu = sum / count;
        float squares = 0.0f;
        for (int64_t n = 0; n < g.batch; n++)
            for (int64_t i = 0; i < g.inner; i++) {
                const float d = x[(n * g.features + f) * g.inner + i] - mu;
                squares += d * d;
            }
        const float var = squares / count;
        const float std = sqrtf(var + s->epsilon);
        for (int64_t n = 0; n < g.batch; n++)
            for (int64_t i = 0; i < g.inner; i++) {
                const int64_t k = (n * g.features + f) * g.inner + i;
                const float xhat = (x[k] - mu) / std;
                y[k] = gamma[f] * xhat + beta[f];
            }
        mean[f] = mu;
        variance[f] = var;
        running_mean[f] = kb_bn_running(s->momentum, running_mean[f], mu);
        running_variance[f] = kb_bn_running(s->momentum, running_variance[f], var);
    }
    return KB_OK;
}

static kb_status naive_fwd_infer(const kb_problem *problem, const kb_args *args,
                                 const kb_context *ctx, void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_BATCHNORM && problem->direction == KB_DIR_FWD_INFER);
    const kb_batchnorm_shape *s = &problem->batchnorm;
    const kb_bn_geometry g = kb_bn_geometry_of(s);
    const float *x = args->tensor[KB_ARG_SRC];
    const float *gamma = args->tensor[KB_ARG_SCALE], *beta = args->tensor[KB_ARG_SHIFT];
    const float *running_mean = args->tensor[KB_ARG_RUNNING_MEAN];
    const float *running_variance = args->tensor[KB_ARG_RUNNING_VARIANCE];
    float *y = args->tensor[KB_ARG_DST];
    assert(x && gamma && beta && running_mean && running_variance && y);

    for (int64_t f = 0; f < g.features; f++) {
        const float std = sqrtf(running_variance[f] + s->epsilon);
        for (int64_t n = 0; n < g.batch; n++)
            for (int64_t i = 0; i < g.inner; i++) {
                const int64_t k = (n * g.features + f) * g.inner + i;
                y[k] = gamma[f] * ((x[k] - running_mean[f]) / std) + beta[f];
            }
    }
    return KB_OK;
}

const kb_variant kb_batchnorm_fwd_train__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_FWD_TRAIN,
    .required_isa = KB_ISA_SCALAR,
    .summary = "textbook two-pass mean/variance per feature, one thread",
    .single_threaded = true,
    .run = naive_fwd_train,
};

const kb_variant kb_batchnorm_fwd_infer__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_FWD_INFER,
    .required_isa = KB_ISA_SCALAR,
    .summary = "textbook normalisation with the running statistics, one thread",
    .single_threaded = true,
    .run = naive_fwd_infer,
};
