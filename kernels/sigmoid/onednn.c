/* sigmoid fwd and bwd, oneDNN: the library's eltwise primitive
 * (kernels/eltwise/onednn_eltwise.c). fwd uses dnnl_eltwise_logistic; bwd
 * uses dnnl_eltwise_logistic_use_dst_for_bwd, which reads the saved output y
 * (DNNL_ARG_DST) like the book's layer. oneDNN picks its own ISA and threads
 * (omp_get_max_threads(), set by the caller); isa_used() reports its
 * implementation. */
#include "eltwise/onednn_eltwise.h"
#include "kernbench/variant.h"

static kb_status prepare(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                         void **state) {
    (void)args, (void)ctx;
    if (problem->direction == KB_DIR_FWD)
        return kb_onednn_eltwise_prepare(problem, dnnl_eltwise_logistic, KB_ARG_SRC, state);
    return kb_onednn_eltwise_prepare(problem, dnnl_eltwise_logistic_use_dst_for_bwd, KB_ARG_DST,
                                     state);
}

static kb_status run(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                     void *state, void *workspace) {
    (void)ctx, (void)workspace;
    return kb_onednn_eltwise_run(problem, args, state);
}

const kb_variant kb_sigmoid_fwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_SIGMOID,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN 2.x eltwise primitive, logistic",
    .prepare = prepare,
    .run = run,
    .release = kb_onednn_eltwise_release,
    .isa_used = kb_onednn_isa_used, /* the state starts with its kb_onednn */
};

const kb_variant kb_sigmoid_bwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_SIGMOID,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "oneDNN 2.x eltwise backward primitive, logistic_use_dst_for_bwd",
    .prepare = prepare,
    .run = run,
    .release = kb_onednn_eltwise_release,
    .isa_used = kb_onednn_isa_used,
};
