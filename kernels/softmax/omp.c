/* softmax and softmax_xent forward, omp: portable C rows (the textbook three
 * loops with libm expf, as naive) split over ctx->threads OpenMP threads by
 * softmax/drive.c, the loss terms per row in double and reduced without
 * races (one slot per thread, added in thread order). What threads alone
 * give, without hand vectorisation. */
#include <math.h>

#include "softmax/softmax.h"

static kb_softmax_loss_part row_omp(const kb_softmax_rows *r, int64_t n) {
    const kb_softmax_shape *s = r->shape;
    const int64_t classes = s->classes;
    const float *x = r->x + n * classes;
    float *y = r->y + n * classes;
    float max = x[0];
    for (int64_t j = 1; j < classes; j++) max = x[j] > max ? x[j] : max;
    float sum = 0.0f;
    for (int64_t j = 0; j < classes; j++) {
        y[j] = expf(x[j] - max);
        sum += y[j];
    }
    const float inv = 1.0f / sum;
    for (int64_t j = 0; j < classes; j++) y[j] *= inv;
    if (!r->loss) return KB_SOFTMAX_NO_LOSS;
    const int64_t t = kb_softmax_label(s, r->labels, n);
    return kb_softmax_loss_term(s->delta, y[t], sum, x[t], max);
}

static kb_status omp_fwd(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                         void *state, void *workspace) {
    (void)state;
    return kb_softmax_fwd_drive(problem, args, ctx, workspace, row_omp, NULL);
}

const kb_variant kb_softmax_fwd__omp_variant = {
    .name = "omp",
    .kernel = KB_KERNEL_SOFTMAX,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "portable C rows (libm expf), OpenMP over rows",
    .workspace_bytes = kb_softmax_workspace_bytes,
    .run = omp_fwd,
};

const kb_variant kb_softmax_xent_fwd__omp_variant = {
    .name = "omp",
    .kernel = KB_KERNEL_SOFTMAX_XENT,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "portable C rows + loss, OpenMP over rows, per-thread loss slots",
    .workspace_bytes = kb_softmax_workspace_bytes,
    .run = omp_fwd,
};
