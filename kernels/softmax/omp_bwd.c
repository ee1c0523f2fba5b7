/* softmax_xent backward, omp: portable C, dx = y * (1/N) then the label
 * element (y_t - 1) * (1/N), rows over ctx->threads OpenMP threads (the
 * inner loop is plain enough for the compiler to vectorise at SSE2). */
#include "softmax/softmax.h"

static void row_bwd_omp(const kb_softmax_rows *r, int64_t n, int64_t t) {
    const int64_t classes = r->shape->classes;
    const float *y = r->y_in + n * classes;
    float *dx = r->dx + n * classes;
    const float inv = 1.0f / (float)r->shape->batch;
    for (int64_t j = 0; j < classes; j++) dx[j] = y[j] * inv;
    dx[t] = (y[t] - 1.0f) * inv;
}

static kb_status omp_bwd(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                         void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_softmax_bwd_drive(problem, args, ctx, row_bwd_omp, NULL, false);
}

const kb_variant kb_softmax_xent_bwd__omp_variant = {
    .name = "omp",
    .kernel = KB_KERNEL_SOFTMAX_XENT,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "portable C dx = y/N then the label element, OpenMP over rows",
    .run = omp_bwd,
};
