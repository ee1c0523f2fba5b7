/* softmax_xent backward, naive: dx = (y - t) / N element by element, the
 * class of each row from its label, one thread. */
#include <assert.h>

#include "softmax/softmax.h"

static kb_status naive_bwd(const kb_problem *problem, const kb_args *args,
                           const kb_context *ctx, void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_SOFTMAX_XENT && problem->direction == KB_DIR_BWD);
    const kb_softmax_shape *s = &problem->softmax;
    const float *y = args->tensor[KB_ARG_DST];
    const float *labels = args->tensor[KB_ARG_LABELS];
    float *dx = args->tensor[KB_ARG_DIFF_SRC];
    assert(y && labels && dx);
    if (!s->one_hot && !kb_softmax_index_labels_valid(s, labels)) return KB_ERR_INVALID;
    const float batch = (float)s->batch;
    for (int64_t n = 0; n < s->batch; n++) {
        const int64_t t = kb_softmax_label(s, labels, n);
        for (int64_t j = 0; j < s->classes; j++) {
            const int64_t i = n * s->classes + j;
            dx[i] = (y[i] - (j == t ? 1.0f : 0.0f)) / batch;
        }
    }
    return KB_OK;
}

const kb_variant kb_softmax_xent_bwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_SOFTMAX_XENT,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "dx = (y - t) / N element by element, one thread",
    .single_threaded = true,
    .run = naive_bwd,
};
