/* relu fwd and bwd, omp: the naive loop as portable C (the compiler
 * vectorises it for the baseline ISA, SSE2), split over ctx->threads threads in
 * contiguous cache-line-aligned blocks (core/parallel.h). */
#include <assert.h>

#include "core/parallel.h"
#include "kernbench/variant.h"

static void fwd_range(const void *data, int64_t begin, int64_t end) {
    const kb_args *args = data;
    const float *restrict src = args->tensor[KB_ARG_SRC];
    float *restrict dst = args->tensor[KB_ARG_DST];
#pragma omp simd
    for (int64_t i = begin; i < end; i++) dst[i] = src[i] <= 0 ? 0.0f : src[i];
}

static void bwd_range(const void *data, int64_t begin, int64_t end) {
    const kb_args *args = data;
    const float *restrict src = args->tensor[KB_ARG_SRC];
    const float *restrict diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *restrict diff_src = args->tensor[KB_ARG_DIFF_SRC];
    /* dy is loaded unconditionally: a load inside the select would be
     * control flow, and the loop would stay scalar. */
#pragma omp simd
    for (int64_t i = begin; i < end; i++) {
        const float dy = diff_dst[i];
        diff_src[i] = src[i] <= 0 ? 0.0f : dy;
    }
}

kb_status kb_relu_fwd__omp(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                           void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_RELU && problem->direction == KB_DIR_FWD);
    assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_DST]);
    kb_parallel_ranges(problem->eltwise.elems, ctx->threads, fwd_range, args);
    return KB_OK;
}

kb_status kb_relu_bwd__omp(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                           void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_RELU && problem->direction == KB_DIR_BWD);
    assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_DIFF_DST] &&
           args->tensor[KB_ARG_DIFF_SRC]);
    kb_parallel_ranges(problem->eltwise.elems, ctx->threads, bwd_range, args);
    return KB_OK;
}

const kb_variant kb_relu_fwd__omp_variant = {
    .name = "omp",
    .kernel = KB_KERNEL_RELU,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "portable C (compiler-vectorised, SSE2), one block per thread",
    .run = kb_relu_fwd__omp,
};

const kb_variant kb_relu_bwd__omp_variant = {
    .name = "omp",
    .kernel = KB_KERNEL_RELU,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "portable C (compiler-vectorised, SSE2), one block per thread",
    .run = kb_relu_bwd__omp,
};
