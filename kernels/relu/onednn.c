/* relu fwd and bwd, oneDNN: the library's eltwise primitive with
 * dnnl_eltwise_relu, alpha 0 (kernels/eltwise/onednn_eltwise.c). Backward
 * reads src, as the book's mask does. oneDNN picks its own ISA and threads
 * (omp_get_max_threads(), set by the caller); isa_used() reports its
 * implementation.
 *
 * Two departures from the book's NaN/Inf policy (kernels/relu/problem.c),
 * left as the library behaves and reported as skips by
 * tests/test_eltwise_edges.c: fwd maps NaN to 0, and bwd multiplies dy by 0
 * where x <= 0, so NaN or Inf dy gives NaN there instead of 0. */
#include "eltwise/onednn_eltwise.h"
#include "kernbench/variant.h"

static kb_status prepare(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                         void **state) {
    (void)args, (void)ctx;
    return kb_onednn_eltwise_prepare(problem, dnnl_eltwise_relu, KB_ARG_SRC, state);
}

static kb_status run(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                     void *state, void *workspace) {
    (void)ctx, (void)workspace;
    return kb_onednn_eltwise_run(problem, args, state);
}

const kb_variant kb_relu_fwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_RELU,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN 2.x eltwise primitive, relu",
    .prepare = prepare,
    .run = run,
    .release = kb_onednn_eltwise_release,
    .isa_used = kb_onednn_isa_used, /* the state starts with its kb_onednn */
};

const kb_variant kb_relu_bwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_RELU,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "oneDNN 2.x eltwise backward primitive, relu (reads src)",
    .prepare = prepare,
    .run = run,
    .release = kb_onednn_eltwise_release,
    .isa_used = kb_onednn_isa_used,
};
