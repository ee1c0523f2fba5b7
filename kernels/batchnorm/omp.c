/* batchnorm, omp: portable C loops on the shared driver (driver.c), OpenMP
 * over features (spatial, or any problem with H*W > 1: one channel per work
 * item) or blocks of adjacent features (per feature: the book's N x D), so no
 * reduction crosses threads. All three directions.
 *
 * Variance: two passes, sum (x - mean)^2 around the float mean of the first.
 *
 * The loops are written for the compiler's vectoriser without -ffast-math:
 * the row sums keep LANES independent partial sums (lane l adds elements
 * l, l + LANES, ...), an order the vectoriser may keep, and the column loops
 * are elementwise updates of one accumulator per feature. Outputs use plain
 * stores (the non-temporal ones of the ISA variants need intrinsics). */
#include "batchnorm/batchnorm.h"
#include "kernbench/variant.h"

enum { LANES = 8 };

static float lanes_total(const float *part) {
    float total = 0.0f;
    for (int l = 0; l < LANES; l++) total += part[l];
    return total;
}

static float row_sum(const float *x, int64_t rows, int64_t stride, int64_t len) {
    float part[LANES] = {0};
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        int64_t i = 0;
        for (; i + LANES <= len; i += LANES)
            for (int l = 0; l < LANES; l++) part[l] += p[i + l];
        for (; i < len; i++) part[i % LANES] += p[i];
    }
    return lanes_total(part);
}

static float row_sum_squares(const float *x, int64_t rows, int64_t stride, int64_t len,
                             float mean) {
    float part[LANES] = {0};
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        int64_t i = 0;
        for (; i + LANES <= len; i += LANES)
            for (int l = 0; l < LANES; l++) {
                const float d = p[i + l] - mean;
                part[l] += d * d;
            }
        for (; i < len; i++) {
            const float d = p[i] - mean;
            part[i % LANES] += d * d;
        }
    }
    return lanes_total(part);
}

static void row_apply(const float *x, float *y, int64_t rows, int64_t stride, int64_t len,
                      float mean, float a, float b, bool stream) {
    (void)stream; /* plain stores: see the top of the file */
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        float *q = y + n * stride;
        for (int64_t i = 0; i < len; i++) q[i] = (p[i] - mean) * a + b;
    }
}

static void row_bwd_sums(const float *x, const float *dy, int64_t rows, int64_t stride,
                         int64_t len, float mean, float *sum_dy, float *sum_dy_xc) {
    float part_dy[LANES] = {0}, part_dy_xc[LANES] = {0};
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride, *g = dy + n * stride;
        int64_t i = 0;
        for (; i + LANES <= len; i += LANES)
            for (int l = 0; l < LANES; l++) {
                part_dy[l] += g[i + l];
                part_dy_xc[l] += g[i + l] * (p[i + l] - mean);
            }
        for (; i < len; i++) {
            part_dy[i % LANES] += g[i];
            part_dy_xc[i % LANES] += g[i] * (p[i] - mean);
        }
    }
    *sum_dy = lanes_total(part_dy);
    *sum_dy_xc = lanes_total(part_dy_xc);
}

static void row_bwd_apply(const float *x, const float *dy, float *dx, int64_t rows,
                          int64_t stride, int64_t len, float mean, float c, float b, float k,
                          bool stream) {
    (void)stream;
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride, *g = dy + n * stride;
        float *q = dx + n * stride;
        for (int64_t i = 0; i < len; i++) q[i] = (c * g[i] - b) - (p[i] - mean) * k;
    }
}

static void col_sum(const float *x, int64_t rows, int64_t stride, int64_t width, float *acc) {
    for (int64_t j = 0; j < width; j++) acc[j] = 0.0f;
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        for (int64_t j = 0; j < width; j++) acc[j] += p[j];
    }
}

static void col_sum_squares(const float *x, int64_t rows, int64_t stride, int64_t width,
                            const float *mean, float *acc) {
    for (int64_t j = 0; j < width; j++) acc[j] = 0.0f;
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        for (int64_t j = 0; j < width; j++) {
            const float d = p[j] - mean[j];
            acc[j] += d * d;
        }
    }
}

static void col_apply(const float *x, float *y, int64_t rows, int64_t stride, int64_t width,
                      const float *mean, const float *a, const float *b, bool stream) {
    (void)stream;
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        float *q = y + n * stride;
        for (int64_t j = 0; j < width; j++) q[j] = (p[j] - mean[j]) * a[j] + b[j];
    }
}

static void col_bwd_sums(const float *x, const float *dy, int64_t rows, int64_t stride,
                         int64_t width, const float *mean, float *sum_dy, float *sum_dy_xc) {
    for (int64_t j = 0; j < width; j++) sum_dy[j] = sum_dy_xc[j] = 0.0f;
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride, *g = dy + n * stride;
        for (int64_t j = 0; j < width; j++) {
            sum_dy[j] += g[j];
            sum_dy_xc[j] += g[j] * (p[j] - mean[j]);
        }
    }
}

static void col_bwd_apply(const float *x, const float *dy, float *dx, int64_t rows,
                          int64_t stride, int64_t width, const float *mean, const float *c,
                          const float *b, const float *k, bool stream) {
    (void)stream;
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride, *g = dy + n * stride;
        float *q = dx + n * stride;
        for (int64_t j = 0; j < width; j++) q[j] = (c[j] * g[j] - b[j]) - (p[j] - mean[j]) * k[j];
    }
}

static const kb_bn_kernels kernels = {
    .row_sum = row_sum,
    .row_sum_squares = row_sum_squares,
    .row_apply = row_apply,
    .row_bwd_sums = row_bwd_sums,
    .row_bwd_apply = row_bwd_apply,
    .col_sum = col_sum,
    .col_sum_squares = col_sum_squares,
    .col_apply = col_apply,
    .col_bwd_sums = col_bwd_sums,
    .col_bwd_apply = col_bwd_apply,
};

static kb_status omp_fwd_train(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_bn_fwd_train(&kernels, problem, args, ctx->threads);
}
static kb_status omp_fwd_infer(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_bn_fwd_infer(&kernels, problem, args, ctx->threads);
}
static kb_status omp_bwd(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                         void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_bn_bwd(&kernels, problem, args, ctx->threads);
}

const kb_variant kb_batchnorm_fwd_train__omp_variant = {
    .name = "omp",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_FWD_TRAIN,
    .required_isa = KB_ISA_SCALAR,
    .summary = "portable C, two-pass variance, OpenMP over features, cache-blocked passes",
    .run = omp_fwd_train,
};
const kb_variant kb_batchnorm_fwd_infer__omp_variant = {
    .name = "omp",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_FWD_INFER,
    .required_isa = KB_ISA_SCALAR,
    .summary = "portable C, OpenMP over features",
    .run = omp_fwd_infer,
};
const kb_variant kb_batchnorm_bwd__omp_variant = {
    .name = "omp",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "portable C, OpenMP over features, one pass of sums then dx",
    .run = omp_bwd,
};
