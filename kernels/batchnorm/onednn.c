/* batchnorm fwd_train and fwd_infer, oneDNN: the library's batch
 * normalization primitive (oneDNN 2.6 C API) with separate scale and shift
 * (dnnl_use_scale | dnnl_use_shift), the peer the own variants are measured
 * against.
 *
 * Modes: spatial on the user's NCHW tensor; per feature as an N x D x 1 x 1
 * tensor, which oneDNN normalises per "channel" d over the batch: exactly the
 * book's layer (onednn_common.h), so both modes are supported.
 * fwd_train: prop forward_training writes dst, mean and variance (oneDNN's
 * variance is the biased one, divided by the count, as kernbench's); oneDNN
 * keeps no running statistics, so run() updates them afterwards, a loop over
 * the F features (negligible next to the tensor). fwd_infer: prop
 * forward_inference with dnnl_use_global_stats, the running mean and variance
 * as its mean and variance. Variance formula: oneDNN's; its documentation
 * defines it as the mean of the squared deviations from the mean (two
 * passes), and the large-offset test (tests/test_batchnorm_agreement.c), which
 * a one-pass E[x^2] - E[x]^2 fails, passes on the implementations it picks
 * for the tested shapes.
 *
 * Layout: the user's when oneDNN has a JIT kernel for it, else nChw16c or nChw8c with
 * timed reorders in and out (measurements in onednn_common.h). Everything is
 * created in prepare(); run() binds the buffers, reorders and executes. Threads: oneDNN's OpenMP
 * runtime uses omp_get_max_threads(), which the caller sets. */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

#include "batchnorm/batchnorm.h"
#include "batchnorm/onednn_common.h"
#include "kernbench/variant.h"

typedef struct onednn_state {
    kb_onednn dnnl; /* engine, stream, steps, scratchpad, impl string */
    int bnorm;
    kb_onednn_tensor src, dst; /* reordered when the primitive runs blocked */
    dnnl_memory_t scale, shift, mean, variance;
} onednn_state;
_Static_assert(offsetof(onednn_state, dnnl) == 0, "kb_onednn must lead the state");

static void onednn_release(void *state) {
    onednn_state *st = state;
    if (!st) return;
    kb_onednn_tensor_destroy(&st->src);
    kb_onednn_tensor_destroy(&st->dst);
    dnnl_memory_t *m[] = {&st->scale, &st->shift, &st->mean, &st->variance};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (*m[i]) dnnl_memory_destroy(*m[i]);
    kb_onednn_destroy(&st->dnnl);
    free(st);
}

typedef struct fwd_pd_context {
    onednn_state *st;
    const kb_batchnorm_shape *s;
    dnnl_prop_kind_t prop;
    unsigned flags;
} fwd_pd_context;

static kb_status fwd_pd_on(void *context, const dnnl_memory_desc_t *data,
                           dnnl_primitive_desc_t *pd) {
    const fwd_pd_context *c = context;
    return kb_onednn_bn_fwd_pd(c->st->dnnl.engine, c->s, data, c->prop, c->flags,
                               c->st->dnnl.attr, pd);
}

static kb_status onednn_prepare(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void **state_out) {
    (void)args, (void)ctx; /* threads come from omp_get_max_threads(), set by the caller */
    assert(problem && problem->kernel == KB_KERNEL_BATCHNORM && state_out);
    const bool train = problem->direction == KB_DIR_FWD_TRAIN;
    assert(train || problem->direction == KB_DIR_FWD_INFER);
    *state_out = NULL;
    onednn_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    st->src.reorder = st->dst.reorder = -1;
    kb_status status = KB_OK;
    dnnl_primitive_desc_t pd = NULL;
    const kb_batchnorm_shape *s = &problem->batchnorm;
    kb_onednn_bn_mds md;
    KB_ONEDNN_TRY(kb_onednn_bn_mds_init(s, &md));
    KB_ONEDNN_TRY(kb_onednn_init(&st->dnnl));
    const unsigned flags =
        dnnl_use_scale | dnnl_use_shift | (train ? 0u : (unsigned)dnnl_use_global_stats);
    const dnnl_prop_kind_t prop = train ? dnnl_forward_training : dnnl_forward_inference;
    fwd_pd_context make = {st, s, prop, flags};
    const dnnl_memory_desc_t *data = NULL;
    KB_ONEDNN_TRY(kb_onednn_bn_choose_layout(&st->dnnl, &md, fwd_pd_on, &make, &pd, &data));
    /* Step order is run order: src reorder, batch normalisation, dst reorder. */
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->src, &md.user, data, false));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, pd, &st->bnorm));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->dst, &md.user, data, true));
    KB_ONEDNN_TRY(kb_onednn_commit(&st->dnnl));
    KB_ONEDNN_TRY(kb_onednn_bn_memory(st->dnnl.engine, &md.stats, &st->scale));
    KB_ONEDNN_TRY(kb_onednn_bn_memory(st->dnnl.engine, &md.stats, &st->shift));
    KB_ONEDNN_TRY(kb_onednn_bn_memory(st->dnnl.engine, &md.stats, &st->mean));
    KB_ONEDNN_TRY(kb_onednn_bn_memory(st->dnnl.engine, &md.stats, &st->variance));
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (status != KB_OK) {
        onednn_release(st);
        return status;
    }
    *state_out = st;
    return KB_OK;
}

static kb_status onednn_run(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                            void *state, void *workspace) {
    (void)ctx, (void)workspace;
    assert(problem && args && state);
    onednn_state *st = state;
    const bool train = problem->direction == KB_DIR_FWD_TRAIN;
    /* Training writes the batch statistics; inference reads the running ones. */
    float *mean = args->tensor[train ? KB_ARG_MEAN : KB_ARG_RUNNING_MEAN];
    float *variance = args->tensor[train ? KB_ARG_VARIANCE : KB_ARG_RUNNING_VARIANCE];
    kb_status status = KB_OK;
    KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->src, args->tensor[KB_ARG_SRC]));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->dst, args->tensor[KB_ARG_DST]));
    KB_DNNL_TRY(dnnl_memory_set_data_handle(st->scale, args->tensor[KB_ARG_SCALE]));
    KB_DNNL_TRY(dnnl_memory_set_data_handle(st->shift, args->tensor[KB_ARG_SHIFT]));
    KB_DNNL_TRY(dnnl_memory_set_data_handle(st->mean, mean));
    KB_DNNL_TRY(dnnl_memory_set_data_handle(st->variance, variance));
    {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, st->src.prim},  {DNNL_ARG_DST, st->dst.prim},
                                     {DNNL_ARG_SCALE, st->scale},   {DNNL_ARG_SHIFT, st->shift},
                                     {DNNL_ARG_MEAN, st->mean},     {DNNL_ARG_VARIANCE, st->variance}};
        KB_ONEDNN_TRY(kb_onednn_execute(&st->dnnl, st->bnorm, 6, a));
    }
    KB_ONEDNN_TRY(kb_onednn_tensor_out(&st->dnnl, &st->dst));
    KB_DNNL_TRY(dnnl_stream_wait(st->dnnl.stream));
    if (train) {
        const kb_bn_geometry g = kb_bn_geometry_of(&problem->batchnorm);
        const float m = problem->batchnorm.momentum;
        float *running_mean = args->tensor[KB_ARG_RUNNING_MEAN];
        float *running_variance = args->tensor[KB_ARG_RUNNING_VARIANCE];
        for (int64_t f = 0; f < g.features; f++) {
            running_mean[f] = kb_bn_running(m, running_mean[f], mean[f]);
            running_variance[f] = kb_bn_running(m, running_variance[f], variance[f]);
        }
    }
fail:
    return status;
}

const kb_variant kb_batchnorm_fwd_train__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_FWD_TRAIN,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN batch normalization (training, scale+shift; JIT layout), running stats after",
    .prepare = onednn_prepare,
    .run = onednn_run,
    .release = onednn_release,
    .isa_used = kb_onednn_isa_used,
};

const kb_variant kb_batchnorm_fwd_infer__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_FWD_INFER,
    .required_isa = KB_ISA_SCALAR,
    .summary = "oneDNN batch normalization (inference, global stats, scale+shift; JIT layout)",
    .prepare = onednn_prepare,
    .run = onednn_run,
    .release = onednn_release,
    .isa_used = kb_onednn_isa_used,
};
