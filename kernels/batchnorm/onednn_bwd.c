/* batchnorm bwd, oneDNN: the batch normalization primitive's backward
 * (prop backward: diff_src and diff_scale/diff_shift, dnnl_use_scale |
 * dnnl_use_shift), from the saved mean and variance, with a forward-training
 * primitive descriptor of the same problem and layout as its hint. It
 * computes dx = gamma inv (dy - dbeta/M - x̂ dgamma/M) from the given
 * statistics, the same function as kernbench's reference
 * (reference/batchnorm.c). Per feature runs as an N x D x 1 x 1 tensor; the
 * layout is the user's when oneDNN has a JIT kernel for it, else nChw16c or nChw8c with
 * src and diff_dst reordered in and diff_src out, all timed
 * (onednn_common.h). No variance is computed here. */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

#include "batchnorm/onednn_common.h"
#include "kernbench/variant.h"

typedef struct onednn_state {
    kb_onednn dnnl;
    int bnorm;
    kb_onednn_tensor src, diff_dst, diff_src; /* reordered when the primitive runs blocked */
    dnnl_memory_t scale, mean, variance, diff_scale, diff_shift;
    /* oneDNN 2.6 refuses to execute the backward with dnnl_use_shift unless a
     * shift is bound (invalid_arguments), though the gradient does not depend
     * on it: a buffer of its own, allocated once. */
    dnnl_memory_t unused_shift;
} onednn_state;
_Static_assert(offsetof(onednn_state, dnnl) == 0, "kb_onednn must lead the state");

static void onednn_release(void *state) {
    onednn_state *st = state;
    if (!st) return;
    kb_onednn_tensor_destroy(&st->src);
    kb_onednn_tensor_destroy(&st->diff_dst);
    kb_onednn_tensor_destroy(&st->diff_src);
    dnnl_memory_t *m[] = {&st->scale,      &st->mean,       &st->variance,
                          &st->diff_scale, &st->diff_shift, &st->unused_shift};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (*m[i]) dnnl_memory_destroy(*m[i]);
    kb_onednn_destroy(&st->dnnl);
    free(st);
}

/* The backward primitive descriptor on `data`, with its forward hint. */
static kb_status bwd_pd(onednn_state *st, const kb_batchnorm_shape *s,
                        const dnnl_memory_desc_t *data, unsigned flags,
                        dnnl_primitive_desc_t *pd) {
    kb_status status = KB_OK;
    dnnl_primitive_desc_t hint = NULL;
    dnnl_batch_normalization_desc_t desc;
    *pd = NULL;
    KB_ONEDNN_TRY(kb_onednn_bn_fwd_pd(st->dnnl.engine, s, data, dnnl_forward_training, flags,
                                      NULL, &hint));
    KB_DNNL_TRY(dnnl_batch_normalization_backward_desc_init(&desc, dnnl_backward, data, data,
                                                            s->epsilon, flags));
    KB_ONEDNN_TRY(kb_onednn_pd_create(&desc, st->dnnl.attr, st->dnnl.engine, hint, pd));
fail:
    if (hint) dnnl_primitive_desc_destroy(hint);
    return status;
}

typedef struct bwd_pd_context {
    onednn_state *st;
    const kb_batchnorm_shape *s;
    unsigned flags;
} bwd_pd_context;

static kb_status bwd_pd_on(void *context, const dnnl_memory_desc_t *data,
                           dnnl_primitive_desc_t *pd) {
    const bwd_pd_context *c = context;
    return bwd_pd(c->st, c->s, data, c->flags, pd);
}

static kb_status onednn_prepare(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void **state_out) {
    (void)args, (void)ctx;
    assert(problem && problem->kernel == KB_KERNEL_BATCHNORM && problem->direction == KB_DIR_BWD);
    *state_out = NULL;
    onednn_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    st->src.reorder = st->diff_dst.reorder = st->diff_src.reorder = -1;
    kb_status status = KB_OK;
    dnnl_primitive_desc_t pd = NULL;
    const kb_batchnorm_shape *s = &problem->batchnorm;
    const unsigned flags = dnnl_use_scale | dnnl_use_shift;
    kb_onednn_bn_mds md;
    KB_ONEDNN_TRY(kb_onednn_bn_mds_init(s, &md));
    KB_ONEDNN_TRY(kb_onednn_init(&st->dnnl));
    bwd_pd_context make = {st, s, flags};
    const dnnl_memory_desc_t *data = NULL;
    KB_ONEDNN_TRY(kb_onednn_bn_choose_layout(&st->dnnl, &md, bwd_pd_on, &make, &pd, &data));
    /* Step order is run order: reorders in, the backward, diff_src reorder. */
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->src, &md.user, data, false));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->diff_dst, &md.user, data, false));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, pd, &st->bnorm));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->diff_src, &md.user, data, true));
    KB_ONEDNN_TRY(kb_onednn_commit(&st->dnnl));
    KB_ONEDNN_TRY(kb_onednn_bn_memory(st->dnnl.engine, &md.stats, &st->scale));
    KB_ONEDNN_TRY(kb_onednn_bn_memory(st->dnnl.engine, &md.stats, &st->mean));
    KB_ONEDNN_TRY(kb_onednn_bn_memory(st->dnnl.engine, &md.stats, &st->variance));
    KB_ONEDNN_TRY(kb_onednn_bn_memory(st->dnnl.engine, &md.stats, &st->diff_scale));
    KB_ONEDNN_TRY(kb_onednn_bn_memory(st->dnnl.engine, &md.stats, &st->diff_shift));
    KB_DNNL_TRY(dnnl_memory_create(&st->unused_shift, &md.stats, st->dnnl.engine,
                                   DNNL_MEMORY_ALLOCATE));
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (status != KB_OK) {
        onednn_release(st);
        return status;
    }
    *state_out = st;
    return KB_OK;
}

static kb_status onednn_bwd(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                            void *state, void *workspace) {
    (void)problem, (void)ctx, (void)workspace;
    assert(args && state);
    onednn_state *st = state;
    kb_status status = KB_OK;
    KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->src, args->tensor[KB_ARG_SRC]));
    KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->diff_dst, args->tensor[KB_ARG_DIFF_DST]));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->diff_src, args->tensor[KB_ARG_DIFF_SRC]));
    KB_DNNL_TRY(dnnl_memory_set_data_handle(st->scale, args->tensor[KB_ARG_SCALE]));
    KB_DNNL_TRY(dnnl_memory_set_data_handle(st->mean, args->tensor[KB_ARG_MEAN]));
    KB_DNNL_TRY(dnnl_memory_set_data_handle(st->variance, args->tensor[KB_ARG_VARIANCE]));
    KB_DNNL_TRY(dnnl_memory_set_data_handle(st->diff_scale, args->tensor[KB_ARG_DIFF_SCALE]));
    KB_DNNL_TRY(dnnl_memory_set_data_handle(st->diff_shift, args->tensor[KB_ARG_DIFF_SHIFT]));
    {
        /* Nine arguments plus the scratchpad: more than kb_onednn_execute
         * takes, so the step is executed here, with its scratchpad appended
         * the same way. */
        const int step = st->bnorm;
        dnnl_exec_arg_t a[10] = {
            {DNNL_ARG_SRC, st->src.prim},
            {DNNL_ARG_DIFF_DST, st->diff_dst.prim},
            {DNNL_ARG_SCALE, st->scale},
            {DNNL_ARG_SHIFT, st->unused_shift},
            {DNNL_ARG_MEAN, st->mean},
            {DNNL_ARG_VARIANCE, st->variance},
            {DNNL_ARG_DIFF_SRC, st->diff_src.prim},
            {DNNL_ARG_DIFF_SCALE, st->diff_scale},
            {DNNL_ARG_DIFF_SHIFT, st->diff_shift},
        };
        int n = 9;
        if (st->dnnl.scratch[step])
            a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, st->dnnl.scratch[step]};
        KB_DNNL_TRY(dnnl_primitive_execute(st->dnnl.step[step], st->dnnl.stream, n, a));
    }
    KB_ONEDNN_TRY(kb_onednn_tensor_out(&st->dnnl, &st->diff_src));
    KB_DNNL_TRY(dnnl_stream_wait(st->dnnl.stream));
fail:
    return status;
}

const kb_variant kb_batchnorm_bwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "oneDNN batch normalization backward (diff scale+shift; JIT layout)",
    .prepare = onednn_prepare,
    .run = onednn_bwd,
    .release = onednn_release,
    .isa_used = kb_onednn_isa_used,
};
