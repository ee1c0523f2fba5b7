/* softmax and softmax_xent forward, oneDNN: the library's softmax primitive
 * (oneDNN 2.6 C API, softmax_v2, softmax_accurate: max-subtracted, axis 1 of
 * a plain N x M "ab" tensor, forward_inference), then for softmax_xent the
 * loss in C from Y: oneDNN has no cross-entropy primitive.
 *
 * prepare() (untimed) builds the engine, the stream and the primitive (no
 * reorders: the user's layout is the primitive's). run() (timed) checks the
 * labels, executes the primitive, waits, then adds up the loss terms over
 * the rows (softmax/drive.c's driver over ctx->threads threads, race-free
 * per-thread slots, terms in double):
 * delta > 0: -log(y_t + delta); delta = 0: -log(y_t), which is the
 * log-softmax up to y_t's relative error while y_t is a normal float; a row
 * whose y_t is below FLT_MIN (underflowed or subnormal in oneDNN's output)
 * gets its exact log S - (x_t - max) from X in C, so the loss never becomes
 * inf (softmax.h). One-hot labels: the argmax of each label row in C.
 * ISA: whatever oneDNN dispatches; isa_used() names its implementation.
 * Threads: oneDNN's OpenMP runtime uses omp_get_max_threads(), which the
 * caller sets. */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/onednn.h"
#include "kernbench/variant.h"
#include "softmax/softmax.h"

typedef struct onednn_state {
    kb_onednn dnnl; /* engine, stream, steps, scratchpad, impl string */
    int softmax;    /* the primitive's step */
    kb_onednn_tensor src, dst;
} onednn_state;
/* kb_onednn_isa_used reads the state as its leading kb_onednn. */
_Static_assert(offsetof(onednn_state, dnnl) == 0, "kb_onednn must lead the state");

static void onednn_release(void *state) {
    onednn_state *st = state;
    if (!st) return;
    kb_onednn_tensor_destroy(&st->src);
    kb_onednn_tensor_destroy(&st->dst);
    kb_onednn_destroy(&st->dnnl);
    free(st);
}

static kb_status onednn_prepare(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void **state_out) {
    (void)args, (void)ctx;
    assert(problem->direction == KB_DIR_FWD);
    *state_out = NULL;
    onednn_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    kb_status status = KB_OK;
    dnnl_primitive_desc_t pd = NULL;
    const dnnl_dims_t dims = {problem->softmax.batch, problem->softmax.classes};
    dnnl_memory_desc_t md;
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md, 2, dims, dnnl_f32, dnnl_ab));
    KB_ONEDNN_TRY(kb_onednn_init(&st->dnnl));
    {
        dnnl_softmax_v2_desc_t desc;
        KB_DNNL_TRY(dnnl_softmax_v2_forward_desc_init(&desc, dnnl_forward_inference,
                                                      dnnl_softmax_accurate, &md, &md, 1));
        KB_ONEDNN_TRY(kb_onednn_pd_create(&desc, st->dnnl.attr, st->dnnl.engine, NULL, &pd));
    }
    kb_onednn_set_impl(&st->dnnl, pd);
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->src, &md, &md, false));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, pd, &st->softmax));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->dst, &md, &md, true));
    KB_ONEDNN_TRY(kb_onednn_commit(&st->dnnl));
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (status != KB_OK) {
        onednn_release(st);
        return status;
    }
    *state_out = st;
    return KB_OK;
}

/* The loss term of row n from oneDNN's Y (see the top of this file). */
static kb_softmax_loss_part loss_row(const kb_softmax_rows *r, int64_t n) {
    const kb_softmax_shape *s = r->shape;
    const int64_t classes = s->classes;
    const float *x = r->x + n * classes;
    const int64_t t = kb_softmax_label(s, r->labels, n);
    const float y_t = r->y[n * classes + t];
    if (s->delta > 0.0f) return (kb_softmax_loss_part){(double)y_t + (double)s->delta, 0.0};
    if (y_t >= FLT_MIN) return (kb_softmax_loss_part){y_t, 0.0};
    double max = x[0], sum = 0.0; /* exact log S - (x_t - max), in double */
    for (int64_t j = 1; j < classes; j++) max = fmax(max, x[j]);
    for (int64_t j = 0; j < classes; j++) sum += exp(x[j] - max);
    return (kb_softmax_loss_part){1.0 / sum, -(x[t] - max)};
}

static kb_status onednn_fwd(const kb_problem *problem, const kb_args *args,
                            const kb_context *ctx, void *state, void *workspace) {
    assert(state && problem->direction == KB_DIR_FWD);
    onednn_state *st = state;
    const kb_softmax_shape *s = &problem->softmax;
    const bool xent = problem->kernel == KB_KERNEL_SOFTMAX_XENT;
    const float *labels = args->tensor[KB_ARG_LABELS];
    float *y = args->tensor[KB_ARG_DST];
    assert(args->tensor[KB_ARG_SRC] && y && (!xent || (labels && args->tensor[KB_ARG_LOSS])));
    if (xent && !s->one_hot && !kb_softmax_index_labels_valid(s, labels)) return KB_ERR_INVALID;
    kb_status status = KB_OK;
    KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->src, args->tensor[KB_ARG_SRC]));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->dst, y));
    {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, st->src.prim}, {DNNL_ARG_DST, st->dst.prim}};
        KB_ONEDNN_TRY(kb_onednn_execute(&st->dnnl, st->softmax, 2, a));
    }
    KB_DNNL_TRY(dnnl_stream_wait(st->dnnl.stream));
    /* The loss terms over the rows, reduced race-free (softmax/drive.c). */
    if (xent) status = kb_softmax_fwd_drive(problem, args, ctx, workspace, loss_row, NULL);
fail:
    return status;
}

const kb_variant kb_softmax_fwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_SOFTMAX,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN 2.x softmax primitive (softmax_accurate, axis 1, plain layout)",
    .workspace_bytes = kb_softmax_workspace_bytes,
    .prepare = onednn_prepare,
    .run = onednn_fwd,
    .release = onednn_release,
    .isa_used = kb_onednn_isa_used, /* the state starts with its kb_onednn */
};

const kb_variant kb_softmax_xent_fwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_SOFTMAX_XENT,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "oneDNN softmax primitive, then the loss from Y in C",
    .workspace_bytes = kb_softmax_workspace_bytes,
    .prepare = onednn_prepare,
    .run = onednn_fwd,
    .release = onednn_release,
    .isa_used = kb_onednn_isa_used,
};
