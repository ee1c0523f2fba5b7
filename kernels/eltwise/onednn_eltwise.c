/* See onednn_eltwise.h. */
#include "eltwise/onednn_eltwise.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

typedef struct onednn_eltwise_state {
    kb_onednn dnnl; /* engine, stream, the primitive, impl string */
    int step;
    bool backward;
    kb_arg saved;
    /* fwd: src, dst; bwd: saved (src or dst), diff_dst, diff_src. Plain
     * layouts on both sides: each user memory is the primitive's operand. */
    kb_onednn_tensor in, diff_dst, out;
} onednn_eltwise_state;
_Static_assert(offsetof(onednn_eltwise_state, dnnl) == 0, "kb_onednn must lead the state");

void kb_onednn_eltwise_release(void *state) {
    onednn_eltwise_state *st = state;
    if (!st) return;
    kb_onednn_tensor_destroy(&st->in);
    kb_onednn_tensor_destroy(&st->diff_dst);
    kb_onednn_tensor_destroy(&st->out);
    kb_onednn_destroy(&st->dnnl);
    free(st);
}

kb_status kb_onednn_eltwise_prepare(const kb_problem *problem, dnnl_alg_kind_t algorithm,
                                    kb_arg saved, void **state_out) {
    assert(problem && state_out);
    assert(problem->direction == KB_DIR_FWD || problem->direction == KB_DIR_BWD);
    assert(saved == KB_ARG_SRC || saved == KB_ARG_DST);
    *state_out = NULL;
    onednn_eltwise_state *st = calloc(1, sizeof *st);
    if (!st) return KB_ERR_NOMEM;
    st->backward = problem->direction == KB_DIR_BWD;
    st->saved = saved;
    kb_status status = KB_OK;
    dnnl_primitive_desc_t fwd_pd = NULL, bwd_pd = NULL;
    dnnl_memory_desc_t md;
    const dnnl_dims_t dims = {problem->eltwise.elems};
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md, 1, dims, dnnl_f32, dnnl_a));
    KB_ONEDNN_TRY(kb_onednn_init(&st->dnnl));

    dnnl_eltwise_desc_t fwd;
    KB_DNNL_TRY(dnnl_eltwise_forward_desc_init(
        &fwd, st->backward ? dnnl_forward_training : dnnl_forward_inference, algorithm, &md, 0.0f,
        0.0f));
    KB_ONEDNN_TRY(kb_onednn_pd_create(&fwd, st->dnnl.attr, st->dnnl.engine, NULL, &fwd_pd));
    const_dnnl_primitive_desc_t pd = fwd_pd;
    if (st->backward) {
        dnnl_eltwise_desc_t bwd;
        KB_DNNL_TRY(dnnl_eltwise_backward_desc_init(&bwd, algorithm, &md, &md, 0.0f, 0.0f));
        KB_ONEDNN_TRY(kb_onednn_pd_create(&bwd, st->dnnl.attr, st->dnnl.engine, fwd_pd, &bwd_pd));
        pd = bwd_pd;
    }
    kb_onednn_set_impl(&st->dnnl, pd);
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->in, &md, &md, false));
    if (st->backward)
        KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->diff_dst, &md, &md, false));
    KB_ONEDNN_TRY(kb_onednn_tensor_init(&st->dnnl, &st->out, &md, &md, true));
    KB_ONEDNN_TRY(kb_onednn_add_step(&st->dnnl, pd, &st->step));
    KB_ONEDNN_TRY(kb_onednn_commit(&st->dnnl));

fail:
    if (bwd_pd) dnnl_primitive_desc_destroy(bwd_pd);
    if (fwd_pd) dnnl_primitive_desc_destroy(fwd_pd);
    if (status != KB_OK) {
        kb_onednn_eltwise_release(st);
        return status;
    }
    *state_out = st;
    return KB_OK;
}

kb_status kb_onednn_eltwise_run(const kb_problem *problem, const kb_args *args, void *state) {
    (void)problem;
    assert(args && state);
    onednn_eltwise_state *st = state;
    kb_status status = KB_OK;
    if (st->backward) {
        assert(args->tensor[st->saved] && args->tensor[KB_ARG_DIFF_DST] &&
               args->tensor[KB_ARG_DIFF_SRC]);
        KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->in, args->tensor[st->saved]));
        KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->diff_dst, args->tensor[KB_ARG_DIFF_DST]));
        KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->out, args->tensor[KB_ARG_DIFF_SRC]));
        const dnnl_exec_arg_t a[] = {
            {st->saved == KB_ARG_SRC ? DNNL_ARG_SRC : DNNL_ARG_DST, st->in.prim},
            {DNNL_ARG_DIFF_DST, st->diff_dst.prim},
            {DNNL_ARG_DIFF_SRC, st->out.prim}};
        KB_ONEDNN_TRY(kb_onednn_execute(&st->dnnl, st->step, 3, a));
    } else {
        assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_DST]);
        KB_ONEDNN_TRY(kb_onednn_tensor_in(&st->dnnl, &st->in, args->tensor[KB_ARG_SRC]));
        KB_ONEDNN_TRY(kb_onednn_tensor_bind(&st->out, args->tensor[KB_ARG_DST]));
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, st->in.prim}, {DNNL_ARG_DST, st->out.prim}};
        KB_ONEDNN_TRY(kb_onednn_execute(&st->dnnl, st->step, 2, a));
    }
    KB_DNNL_TRY(dnnl_stream_wait(st->dnnl.stream));
fail:
    return status;
}
