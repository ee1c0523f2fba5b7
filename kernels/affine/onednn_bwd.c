/* affine backward, oneDNN: the library's inner-product backward-data and
 * backward-weights primitives (oneDNN 2.6 C API), run one after the other:
 *   bwd_data     dx = dout W          (W as OI: our W^T)
 *   bwd_weights  dW = dout^T x as OI, i.e. our x^T dout in IO storage;
 *                db = column sums of dout
 * Both need a forward_training inner product as a hint; prepare() (untimed)
 * builds the three, the tensors and any reorders; run() (timed) binds the
 * buffers and runs the two primitives.
 *
 * Layouts: everything as the user holds it, W and dW in our D x M buffers
 * through the io view (onednn_common.h), so no reorder runs (oneDNN 2.6 then
 * picks x64:gemm:jit for both). W changes every training step, so unlike
 * forward it cannot be repacked outside the timing: format "any" (brgemm)
 * would add a timed W reorder in and a dW reorder out. Measured, 1 thread,
 * best ms of 3 rounds on a shared, busy 2-core AMD EPYC (Zen 5):
 *   layer                 any + 2 reorders   as is
 *   mb100ic784oc50          0.203            0.184
 *   mb100ic50oc10           0.0075           0.0080
 *   mb100ic4320oc100        3.25             3.05
 *   mb100ic100oc10          0.0098           0.0128
 *   mb1024ic1024oc1024     57.6             44.9
 *   mb256ic4096oc4096     212              200
 *   mb1ic2048oc1000         5.41             0.98
 * Any size kernbench accepts. isa_used() reports both implementations.
 * Threads: oneDNN's OpenMP runtime uses omp_get_max_threads(), which the
 * caller sets. */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "affine/onednn_common.h"
#include "kernbench/variant.h"

typedef struct bwd_state {
    kb_onednn dnnl;            /* engine, stream, steps, scratchpad, impl string */
    int bwd_data, bwd_weights; /* the primitives' steps */
    kb_onednn_tensor weights, diff_dst_data, diff_src;               /* bwd_data */
    kb_onednn_tensor src, diff_dst_weights, diff_weights, diff_bias; /* bwd_weights */
} bwd_state;
/* kb_onednn_isa_used reads the state as its leading kb_onednn. */
_Static_assert(offsetof(bwd_state, dnnl) == 0, "kb_onednn must lead the state");

static void bwd_release(void *state) {
    bwd_state *st = state;
    if (!st) return;
    kb_onednn_tensor *tensors[] = {&st->weights,  &st->diff_dst_data,    &st->diff_src,
                                   &st->src,      &st->diff_dst_weights, &st->diff_weights,
                                   &st->diff_bias};
    for (size_t i = 0; i < sizeof tensors / sizeof tensors[0]; i++)
        kb_onednn_tensor_destroy(tensors[i]);
    kb_onednn_destroy(&st->dnnl);
    free(st);
}

static kb_status bwd_prepare(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                             void **state_out) {
    (void)args; /* nothing constant to repack: every tensor is read in run() */
    (void)ctx;  /* threads come from omp_get_max_threads(), set by the caller */
    assert(problem && state_out);
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_BWD);
    *state_out = NULL;

    bwd_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    kb_onednn_tensor *tensors[] = {&st->weights,  &st->diff_dst_data,    &st->diff_src,
                                   &st->src,      &st->diff_dst_weights, &st->diff_weights,
                                   &st->diff_bias};
    for (size_t i = 0; i < sizeof tensors / sizeof tensors[0]; i++) tensors[i]->reorder = -1;
    kb_status status = KB_OK;
    dnnl_primitive_desc_t hint = NULL, data_pd = NULL, weights_pd = NULL; /* prepare-only */

    kb_affine_onednn_mds md;
    KB_ONEDNN_TRY(kb_affine_onednn_mds_init(&problem->affine, &md));
    KB_ONEDNN_TRY(kb_onednn_init(&st->dnnl));
    const dnnl_memory_desc_t *weights_md = &md.weights; /* io, as the user holds W and dW */
    /* The hint only steers oneDNN's choice; it never runs, so it needs no
     * scratchpad attr. */
    KB_ONEDNN_TRY(kb_affine_onednn_fwd_pd(st->dnnl.engine, dnnl_forward_training, &md, weights_md,
                                          NULL, &hint));
    {
        dnnl_inner_product_desc_t desc;
        KB_DNNL_TRY(
            dnnl_inner_product_backward_data_desc_init(&desc, &md.src, weights_md, &md.dst));
        KB_ONEDNN_TRY(kb_onednn_pd_create(&desc, st->dnnl.attr, st->dnnl.engine, hint, &data_pd));
        KB_DNNL_TRY(dnnl_inner_product_backward_weights_desc_init(&desc, &md.src, weights_md,
                                                                  &md.bias, &md.dst));
        KB_ONEDNN_TRY(
            kb_onednn_pd_create(&desc, st->dnnl.attr, st->dnnl.engine, hint, &weights_pd));
    }

    /* Step order is run order: bwd_data, then bwd_weights. Every descriptor
     * given is plain, so no tensor gets a reorder step; the tensors still
     * go through kb_onednn_tensor so the binding code is the common one. */
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->weights, &md.weights,
        dnnl_primitive_desc_query_md(data_pd, dnnl_query_weights_md, 0), false));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->diff_dst_data, &md.dst,
        dnnl_primitive_desc_query_md(data_pd, dnnl_query_diff_dst_md, 0), false));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, data_pd, &st->bwd_data));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->diff_src, &md.src,
        dnnl_primitive_desc_query_md(data_pd, dnnl_query_diff_src_md, 0), true));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->src, &md.src,
        dnnl_primitive_desc_query_md(weights_pd, dnnl_query_src_md, 0), false));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->diff_dst_weights, &md.dst,
        dnnl_primitive_desc_query_md(weights_pd, dnnl_query_diff_dst_md, 0), false));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, weights_pd, &st->bwd_weights));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->diff_weights, &md.weights,
        dnnl_primitive_desc_query_md(weights_pd, dnnl_query_diff_weights_md, 0), true));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(
        &st->dnnl, &st->diff_bias, &md.bias,
        dnnl_primitive_desc_query_md(weights_pd, dnnl_query_diff_weights_md, 1), true));
    KB_ONEDNN_TRY(kb_onednn_commit(&st->dnnl));

    /* isa_used: both implementations, "data impl + weights impl". */
    {
        kb_onednn_set_impl(&st->dnnl, data_pd);
        char data_impl[sizeof st->dnnl.impl];
        memcpy(data_impl, st->dnnl.impl, sizeof data_impl);
        kb_onednn_set_impl(&st->dnnl, weights_pd);
        if (strcmp(data_impl, st->dnnl.impl) != 0) {
            char both[2 * sizeof st->dnnl.impl + 1];
            snprintf(both, sizeof both, "%s+%s", data_impl, st->dnnl.impl);
            size_t len = strlen(both);
            if (len >= sizeof st->dnnl.impl) len = sizeof st->dnnl.impl - 1; /* truncated */
            memcpy(st->dnnl.impl, both, len);
            st->dnnl.impl[len] = '\0';
        }
    }

fail:
    if (weights_pd) dnnl_primitive_desc_destroy(weights_pd);
    if (data_pd) dnnl_primitive_desc_destroy(data_pd);
    if (hint) dnnl_primitive_desc_destroy(hint);
    if (status != KB_OK) {
        bwd_release(st);
        return status;
    }
    *state_out = st;
    return KB_OK;
}

kb_status kb_affine_bwd__onednn(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void *state, void *workspace) {
    (void)problem, (void)ctx, (void)workspace;
    assert(problem && args && state);
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_BWD);
    bwd_state *st = state;
    assert(args->tensor[KB_ARG_DIFF_DST] && args->tensor[KB_ARG_SRC] &&
           args->tensor[KB_ARG_WEIGHTS] && args->tensor[KB_ARG_DIFF_SRC] &&
           args->tensor[KB_ARG_DIFF_WEIGHTS] && args->tensor[KB_ARG_DIFF_BIAS]);
    kb_status status = KB_OK;

    /* The args' buffers may move between calls: rebind every time. */
    KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->weights, args->tensor[KB_ARG_WEIGHTS]));
    KB_ONEDNN_TRY(
        kb_onednn_tensor_in(&st->dnnl, &st->diff_dst_data, args->tensor[KB_ARG_DIFF_DST]));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->diff_src, args->tensor[KB_ARG_DIFF_SRC]));
    {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_DIFF_DST, st->diff_dst_data.prim},
                                     {DNNL_ARG_WEIGHTS, st->weights.prim},
                                     {DNNL_ARG_DIFF_SRC, st->diff_src.prim}};
        KB_ONEDNN_TRY(kb_onednn_execute(&st->dnnl, st->bwd_data, 3, a));
    }
    KB_ONEDNN_TRY(kb_onednn_tensor_out(&st->dnnl, &st->diff_src));

    KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->src, args->tensor[KB_ARG_SRC]));
    KB_ONEDNN_TRY(
        kb_onednn_tensor_in(&st->dnnl, &st->diff_dst_weights, args->tensor[KB_ARG_DIFF_DST]));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->diff_weights, args->tensor[KB_ARG_DIFF_WEIGHTS]));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->diff_bias, args->tensor[KB_ARG_DIFF_BIAS]));
    {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, st->src.prim},
                                     {DNNL_ARG_DIFF_DST, st->diff_dst_weights.prim},
                                     {DNNL_ARG_DIFF_WEIGHTS, st->diff_weights.prim},
                                     {DNNL_ARG_DIFF_BIAS, st->diff_bias.prim}};
        KB_ONEDNN_TRY(kb_onednn_execute(&st->dnnl, st->bwd_weights, 4, a));
    }
    KB_ONEDNN_TRY(kb_onednn_tensor_out(&st->dnnl, &st->diff_weights));
    KB_ONEDNN_TRY(kb_onednn_tensor_out(&st->dnnl, &st->diff_bias));
    KB_DNNL_TRY(dnnl_stream_wait(st->dnnl.stream));
fail:
    return status;
}

const kb_variant kb_affine_bwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_AFFINE,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN 2.x inner-product backward data + backward weights",
    .prepare = bwd_prepare,
    .run = kb_affine_bwd__onednn,
    .release = bwd_release,
    .isa_used = kb_onednn_isa_used, /* the state starts with its kb_onednn */
};
