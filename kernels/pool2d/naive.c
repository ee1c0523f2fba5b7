/* pool2d forward, naive: one output at a time, its window scanned in
 * row-major order with a bounds check per tap (kb_pool2d_fwd_one), one thread.
 * The baseline; any size, stride and padding, all three algorithms. */
#include <assert.h>

#include "kernbench/variant.h"
#include "pool2d/pool2d.h"

static kb_status naive_run(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                           void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_POOL2D && problem->direction == KB_DIR_FWD);
    const kb_pool2d_shape *s = &problem->pool2d;
    const float *src = args->tensor[KB_ARG_SRC];
    float *dst = args->tensor[KB_ARG_DST];
    assert(src && dst);
    const int64_t planes = s->batch * s->channels;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t oh = 0; oh < s->out_height; oh++)
            for (int64_t ow = 0; ow < s->out_width; ow++)
                dst[(p * s->out_height + oh) * s->out_width + ow] =
                    kb_pool2d_fwd_one(s, src + p * s->in_height * s->in_width, oh, ow);
    return KB_OK;
}

const kb_variant kb_pool2d_fwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_POOL2D,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "one output at a time, bounds check per tap, one thread",
    .single_threaded = true,
    .run = naive_run,
};
