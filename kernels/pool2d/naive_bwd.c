/* pool2d backward, naive: diff_src zeroed, then every output's gradient added
 * to its window (kb_pool2d_bwd_one: the first maximum for max, diff_dst /
 * divisor on every tap inside for avg), outputs in order, one thread. */
#include <assert.h>
#include <string.h>

#include "kernbench/variant.h"
#include "pool2d/pool2d.h"

static kb_status naive_bwd_run(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_POOL2D && problem->direction == KB_DIR_BWD);
    const kb_pool2d_shape *s = &problem->pool2d;
    const float *src = args->tensor[KB_ARG_SRC]; /* max only */
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    assert(diff_dst && diff_src && (src || s->algorithm != KB_POOL_MAX));
    const int64_t planes = s->batch * s->channels;
    const int64_t in_plane = s->in_height * s->in_width, out_plane = s->out_height * s->out_width;
    memset(diff_src, 0, (size_t)(planes * in_plane) * sizeof *diff_src);
    for (int64_t p = 0; p < planes; p++)
        for (int64_t oh = 0; oh < s->out_height; oh++)
            for (int64_t ow = 0; ow < s->out_width; ow++)
                kb_pool2d_bwd_one(s, src ? src + p * in_plane : NULL, diff_src + p * in_plane, oh,
                                  ow, diff_dst[p * out_plane + oh * s->out_width + ow]);
    return KB_OK;
}

const kb_variant kb_pool2d_bwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_POOL2D,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "zero diff_src, add each output's gradient to its window, one thread",
    .single_threaded = true,
    .run = naive_bwd_run,
};
