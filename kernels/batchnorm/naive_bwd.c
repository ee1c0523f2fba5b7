/* batchnorm bwd, naive: the book's backward pass term by term, one thread,
 * one feature at a time, float accumulators, from the saved mean and
 * variance (no statistics are recomputed, so no variance formula is
 * involved):
 *   dbeta  = sum dy                dgamma = sum dy x̂
 *   dx̂     = gamma dy
 *   dvar   = sum dx̂ (x - mean) * (-1/2) (var + eps)^(-3/2)
 *   dmean  = -sum dx̂ / std        (the path through var carries the factor
 *                                  sum (x - mean) = 0 at the batch mean, so it is
 *                                  left out: see reference/batchnorm.c)
 *   dx     = dx̂ / std + dvar * 2 (x - mean) / M + dmean / M */
#include <assert.h>
#include <math.h>

#include "batchnorm/batchnorm.h"
#include "kernbench/variant.h"

static kb_status naive_bwd(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                           void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_BATCHNORM && problem->direction == KB_DIR_BWD);
    const kb_batchnorm_shape *s = &problem->batchnorm;
    const kb_bn_geometry g = kb_bn_geometry_of(s);
    const float *x = args->tensor[KB_ARG_SRC], *dy = args->tensor[KB_ARG_DIFF_DST];
    const float *gamma = args->tensor[KB_ARG_SCALE];
    const float *mean = args->tensor[KB_ARG_MEAN], *variance = args->tensor[KB_ARG_VARIANCE];
    float *dx = args->tensor[KB_ARG_DIFF_SRC];
    float *dgamma = args->tensor[KB_ARG_DIFF_SCALE], *dbeta = args->tensor[KB_ARG_DIFF_SHIFT];
    assert(x && dy && gamma && mean && variance && dx && dgamma && dbeta);
    const float count = (float)g.count;

    for (int64_t f = 0; f < g.features; f++) {
        const float std = sqrtf(variance[f] + s->epsilon);
        float sum_dy = 0.0f, sum_dy_xhat = 0.0f, sum_dxhat_xc = 0.0f, sum_dxhat = 0.0f;
        for (int64_t n = 0; n < g.batch; n++)
            for (int64_t i = 0; i < g.inner; i++) {
                const int64_t k = (n * g.features + f) * g.inner + i;
                const float xc = x[k] - mean[f];
                const float dxhat = gamma[f] * dy[k];
                sum_dy += dy[k];
                sum_dy_xhat += dy[k] * (xc / std);
                sum_dxhat_xc += dxhat * xc;
                sum_dxhat += dxhat;
            }
        const float dvar = -0.5f * sum_dxhat_xc / (std * std * std);
        const float dmean = -sum_dxhat / std;
        for (int64_t n = 0; n < g.batch; n++)
            for (int64_t i = 0; i < g.inner; i++) {
                const int64_t k = (n * g.features + f) * g.inner + i;
                const float xc = x[k] - mean[f];
                const float dxhat = gamma[f] * dy[k];
                dx[k] = dxhat / std + dvar * 2.0f * xc / count + dmean / count;
            }
        dbeta[f] = sum_dy;
        dgamma[f] = sum_dy_xhat;
    }
    return KB_OK;
}

const kb_variant kb_batchnorm_bwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "the book's backward term by term (dvar, dmean), one thread",
    .single_threaded = true,
    .run = naive_bwd,
};
