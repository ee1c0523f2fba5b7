/* sigmoid fwd and bwd, omp: portable C split over ctx->threads threads in
 * contiguous cache-line-aligned blocks (core/parallel.h). fwd evaluates the
 * project's exp polynomial in plain C (sigmoid.h: no libm call, no branch),
 * which the compiler vectorises for the baseline ISA (SSE2). */
#include <assert.h>

#include "core/parallel.h"
#include "kernbench/variant.h"
#include "sigmoid/sigmoid.h"

static void fwd_range(const void *data, int64_t begin, int64_t end) {
    const kb_args *args = data;
    const float *restrict src = args->tensor[KB_ARG_SRC];
    float *restrict dst = args->tensor[KB_ARG_DST];
#pragma omp simd
    for (int64_t i = begin; i < end; i++) dst[i] = kb_sigmoid_poly(src[i]);
}

static void bwd_range(const void *data, int64_t begin, int64_t end) {
    const kb_args *args = data;
    const float *restrict dst = args->tensor[KB_ARG_DST];
    const float *restrict diff_dst = args->tensor[KB_ARG_DIFF_DST];
    float *restrict diff_src = args->tensor[KB_ARG_DIFF_SRC];
#pragma omp simd
    for (int64_t i = begin; i < end; i++) diff_src[i] = diff_dst[i] * (1.0f - dst[i]) * dst[i];
}

kb_status kb_sigmoid_fwd__omp(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                              void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_SIGMOID && problem->direction == KB_DIR_FWD);
    assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_DST]);
    kb_parallel_ranges(problem->eltwise.elems, ctx->threads, fwd_range, args);
    return KB_OK;
}

kb_status kb_sigmoid_bwd__omp(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                              void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_SIGMOID && problem->direction == KB_DIR_BWD);
    assert(args->tensor[KB_ARG_DST] && args->tensor[KB_ARG_DIFF_DST] &&
           args->tensor[KB_ARG_DIFF_SRC]);
    kb_parallel_ranges(problem->eltwise.elems, ctx->threads, bwd_range, args);
    return KB_OK;
}

const kb_variant kb_sigmoid_fwd__omp_variant = {
    .name = "omp",
    .kernel = KB_KERNEL_SIGMOID,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "portable C polynomial exp (compiler-vectorised, SSE2), one block per thread",
    .run = kb_sigmoid_fwd__omp,
};

const kb_variant kb_sigmoid_bwd__omp_variant = {
    .name = "omp",
    .kernel = KB_KERNEL_SIGMOID,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "portable C (compiler-vectorised, SSE2), one block per thread",
    .run = kb_sigmoid_bwd__omp,
};
