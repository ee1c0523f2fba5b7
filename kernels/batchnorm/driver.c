/* The batchnorm driver shared by the omp, avx2 and avx512 variants: work
 * split, per-feature scalars, running statistics; each variant passes its
 * inner loops (batchnorm.h). Variance: two passes, the float mean first,
 * then sum (x - mean)^2 around it; the passes over one work item follow each
 * other, so the re-reads come from cache when the item fits (L2 and L3 for
 * the column blocks, see kb_bn_column_block; one channel of the ResNet-50
 * shapes up to 56x56 at batch 32 for the row path). When a call touches over
 * 32 MiB, the ISA variants write the output with non-temporal stores
 * (kb_bn_stream_output).
 *
 * Threads: one `omp parallel for` over work items (features on the row path,
 * feature blocks on the column path), static schedule: items cost the same.
 * Each thread writes only its own features' statistics and outputs. */
#include <assert.h>
#include <math.h>

#include "batchnorm/batchnorm.h"

kb_status kb_bn_fwd_train(const kb_bn_kernels *k, const kb_problem *problem, const kb_args *args,
                          int threads) {
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
    const float count = (float)g.count, eps = s->epsilon, momentum = s->momentum;
    const int64_t stride = g.features * g.inner;
    const bool stream = kb_bn_stream_output(&g, 2);

    if (g.inner > 1) {
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t f = 0; f < g.features; f++) {
            const float *xf = x + f * g.inner;
            const float mu = k->row_sum(xf, g.batch, stride, g.inner) / count;
            const float var = k->row_sum_squares(xf, g.batch, stride, g.inner, mu) / count;
            const float inv = 1.0f / sqrtf(var + eps);
            k->row_apply(xf, y + f * g.inner, g.batch, stride, g.inner, mu, gamma[f] * inv,
                         beta[f], stream);
            mean[f] = mu;
            variance[f] = var;
            running_mean[f] = kb_bn_running(momentum, running_mean[f], mu);
            running_variance[f] = kb_bn_running(momentum, running_variance[f], var);
        }
        return KB_OK;
    }
    const int64_t block = kb_bn_column_block(&g, threads, 1); /* x re-read */
    const int64_t blocks = (g.features + block - 1) / block;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t b = 0; b < blocks; b++) {
        const int64_t f0 = b * block;
        const int64_t width = g.features - f0 < block ? g.features - f0 : block;
        float a[KB_BN_MAX_BLOCK];
        float *mu = mean + f0, *var = variance + f0;
        k->col_sum(x + f0, g.batch, stride, width, mu);
        for (int64_t j = 0; j < width; j++) mu[j] /= count;
        k->col_sum_squares(x + f0, g.batch, stride, width, mu, var);
        for (int64_t j = 0; j < width; j++) {
            var[j] /= count;
            a[j] = gamma[f0 + j] * (1.0f / sqrtf(var[j] + eps));
            running_mean[f0 + j] = kb_bn_running(momentum, running_mean[f0 + j], mu[j]);
            running_variance[f0 + j] = kb_bn_running(momentum, running_variance[f0 + j], var[j]);
        }
        k->col_apply(x + f0, y + f0, g.batch, stride, width, mu, a, beta + f0, stream);
    }
    return KB_OK;
}

kb_status kb_bn_fwd_infer(const kb_bn_kernels *k, const kb_problem *problem, const kb_args *args,
                          int threads) {
    assert(problem->kernel == KB_KERNEL_BATCHNORM && problem->direction == KB_DIR_FWD_INFER);
    const kb_batchnorm_shape *s = &problem->batchnorm;
    const kb_bn_geometry g = kb_bn_geometry_of(s);
    const float *x = args->tensor[KB_ARG_SRC];
    const float *gamma = args->tensor[KB_ARG_SCALE], *beta = args->tensor[KB_ARG_SHIFT];
    const float *running_mean = args->tensor[KB_ARG_RUNNING_MEAN];
    const float *running_variance = args->tensor[KB_ARG_RUNNING_VARIANCE];
    float *y = args->tensor[KB_ARG_DST];
    assert(x && gamma && beta && running_mean && running_variance && y);
    const float eps = s->epsilon;
    const int64_t stride = g.features * g.inner;
    const bool stream = kb_bn_stream_output(&g, 2);

    if (g.inner > 1) {
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t f = 0; f < g.features; f++) {
            const float inv = 1.0f / sqrtf(running_variance[f] + eps);
            k->row_apply(x + f * g.inner, y + f * g.inner, g.batch, stride, g.inner,
                         running_mean[f], gamma[f] * inv, beta[f], stream);
        }
        return KB_OK;
    }
    const int64_t block = kb_bn_column_block(&g, threads, 0); /* no re-reads */
    const int64_t blocks = (g.features + block - 1) / block;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t b = 0; b < blocks; b++) {
        const int64_t f0 = b * block;
        const int64_t width = g.features - f0 < block ? g.features - f0 : block;
        float a[KB_BN_MAX_BLOCK];
        for (int64_t j = 0; j < width; j++)
            a[j] = gamma[f0 + j] * (1.0f / sqrtf(running_variance[f0 + j] + eps));
        k->col_apply(x + f0, y + f0, g.batch, stride, width, running_mean + f0, a, beta + f0,
                     stream);
    }
    return KB_OK;
}

kb_status kb_bn_bwd(const kb_bn_kernels *k, const kb_problem *problem, const kb_args *args,
                    int threads) {
    assert(problem->kernel == KB_KERNEL_BATCHNORM && problem->direction == KB_DIR_BWD);
    const kb_batchnorm_shape *s = &problem->batchnorm;
    const kb_bn_geometry g = kb_bn_geometry_of(s);
    const float *x = args->tensor[KB_ARG_SRC], *dy = args->tensor[KB_ARG_DIFF_DST];
    const float *gamma = args->tensor[KB_ARG_SCALE];
    const float *mean = args->tensor[KB_ARG_MEAN], *variance = args->tensor[KB_ARG_VARIANCE];
    float *dx = args->tensor[KB_ARG_DIFF_SRC];
    float *dgamma = args->tensor[KB_ARG_DIFF_SCALE], *dbeta = args->tensor[KB_ARG_DIFF_SHIFT];
    assert(x && dy && gamma && mean && variance && dx && dgamma && dbeta);
    const float count = (float)g.count, eps = s->epsilon;
    const int64_t stride = g.features * g.inner;
    const bool stream = kb_bn_stream_output(&g, 3);

    /* dx = gamma inv (dy - dbeta/M - x̂ dgamma/M) = c dy - b - (x - mean) k with
     * c = gamma inv, b = c dbeta / M, k = c inv dgamma / M. */
    if (g.inner > 1) {
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t f = 0; f < g.features; f++) {
            const int64_t o = f * g.inner;
            float sum_dy, sum_dy_xc;
            k->row_bwd_sums(x + o, dy + o, g.batch, stride, g.inner, mean[f], &sum_dy, &sum_dy_xc);
            const float inv = 1.0f / sqrtf(variance[f] + eps);
            const float dg = sum_dy_xc * inv, c = gamma[f] * inv;
            k->row_bwd_apply(x + o, dy + o, dx + o, g.batch, stride, g.inner, mean[f], c,
                             c * (sum_dy / count), c * inv * (dg / count), stream);
            dbeta[f] = sum_dy;
            dgamma[f] = dg;
        }
        return KB_OK;
    }
    const int64_t block = kb_bn_column_block(&g, threads, 2); /* x and dy re-read */
    const int64_t blocks = (g.features + block - 1) / block;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t b = 0; b < blocks; b++) {
        const int64_t f0 = b * block;
        const int64_t width = g.features - f0 < block ? g.features - f0 : block;
        float c[KB_BN_MAX_BLOCK], off[KB_BN_MAX_BLOCK], slope[KB_BN_MAX_BLOCK];
        float *sum_dy = dbeta + f0, *dg = dgamma + f0;
        k->col_bwd_sums(x + f0, dy + f0, g.batch, stride, width, mean + f0, sum_dy, dg);
        for (int64_t j = 0; j < width; j++) {
            const float inv = 1.0f / sqrtf(variance[f0 + j] + eps);
            dg[j] *= inv;
            c[j] = gamma[f0 + j] * inv;
            off[j] = c[j] * (sum_dy[j] / count);
            slope[j] = c[j] * inv * (dg[j] / count);
        }
        k->col_bwd_apply(x + f0, dy + f0, dx + f0, g.batch, stride, width, mean + f0, c, off,
                         slope, stream);
    }
    return KB_OK;
}
