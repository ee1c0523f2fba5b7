/* softmax and softmax_xent forward, naive: the textbook three loops per row
 * (max, exp and sum, divide), libm expf and logf, float accumulation, one
 * thread. The baseline the other variants are measured against. */
#include <assert.h>
#include <math.h>

#include "softmax/softmax.h"

static kb_status naive_fwd(const kb_problem *problem, const kb_args *args,
                           const kb_context *ctx, void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->direction == KB_DIR_FWD);
    const kb_softmax_shape *s = &problem->softmax;
    const bool xent = problem->kernel == KB_KERNEL_SOFTMAX_XENT;
    const float *x = args->tensor[KB_ARG_SRC];
    const float *labels = xent ? args->tensor[KB_ARG_LABELS] : NULL;
    float *y = args->tensor[KB_ARG_DST];
    assert(x && y && (!xent || (labels && args->tensor[KB_ARG_LOSS])));
    if (xent && !s->one_hot && !kb_softmax_index_labels_valid(s, labels)) return KB_ERR_INVALID;

    const int64_t m_classes = s->classes;
    float loss = 0.0f;
    for (int64_t n = 0; n < s->batch; n++) {
        const float *xr = x + n * m_classes;
        float *yr = y + n * m_classes;
        float max = xr[0];
        for (int64_t j = 1; j < m_classes; j++)
            if (xr[j] > max) max = xr[j];
        float sum = 0.0f;
        for (int64_t j = 0; j < m_classes; j++) {
            yr[j] = expf(xr[j] - max);
            sum += yr[j];
        }
        for (int64_t j = 0; j < m_classes; j++) yr[j] /= sum;
        if (xent) {
            const int64_t t = kb_softmax_label(s, labels, n);
            /* delta 0: the log-softmax (softmax.h); the book's formula
             * otherwise. */
            loss += s->delta > 0.0f ? -logf(yr[t] + s->delta) : logf(sum) - (xr[t] - max);
        }
    }
    if (xent) args->tensor[KB_ARG_LOSS][0] = loss / (float)s->batch;
    return KB_OK;
}

const kb_variant kb_softmax_fwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_SOFTMAX,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "textbook max / exp+sum / divide per row, libm expf, one thread",
    .single_threaded = true,
    .run = naive_fwd,
};

const kb_variant kb_softmax_xent_fwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_SOFTMAX_XENT,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "textbook softmax per row, then -log(y_t + delta) summed in float, one thread",
    .single_threaded = true,
    .run = naive_fwd,
};
