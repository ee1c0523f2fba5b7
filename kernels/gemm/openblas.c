/* gemm, openblas: cblas_sgemm, the peer every own variant is measured
 * against. Row-major with the transposes passed through, so OpenBLAS does
 * its own packing exactly as a user's call would.
 *
 * Threads: OpenBLAS (the Debian pthread build) runs its own thread pool,
 * sized with openblas_set_num_threads (a process-wide setting): prepare sets
 * it, outside the timing, so the pool exists before the first timed call, and
 * run sets it again (a cheap store when unchanged) in case another OpenBLAS
 * user changed it in between. ISA: OpenBLAS picks its kernels at load time;
 * isa_used reports the core it chose (openblas_get_corename, e.g. "Haswell"
 * or "SkylakeX"; the environment's OPENBLAS_CORETYPE overrides the choice). */
/* Numerical edge departure (kernels/gemm/problem.c): alpha == 0 takes cblas_sgemm's BLAS shortcut C = beta * C, so NaN
 * or Inf in A or B does not reach C where the policy (IEEE alpha * (A B))
 * gives NaN; tests/test_gemm_edges.c reports those elements as skipped. */
#include <cblas.h>

#include "gemm/gemm_args.h"

static kb_status openblas_prepare(const kb_problem *problem, const kb_args *args,
                                  const kb_context *ctx, void **state) {
    (void)problem, (void)args;
    openblas_set_num_threads(ctx->threads);
    *state = NULL;
    return KB_OK;
}

static kb_status openblas_run(const kb_problem *problem, const kb_args *args,
                              const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    const kb_gemm_call g = kb_gemm_call_of(problem, args);
    openblas_set_num_threads(ctx->threads);
    cblas_sgemm(CblasRowMajor, g.s->trans_a ? CblasTrans : CblasNoTrans,
                g.s->trans_b ? CblasTrans : CblasNoTrans, (blasint)g.s->m, (blasint)g.s->n,
                (blasint)g.s->k, g.s->alpha, g.a, (blasint)g.lda, g.b, (blasint)g.ldb, g.s->beta,
                g.c, (blasint)g.ldc);
    return KB_OK;
}

/* blasint is 32-bit in this build: refuse what does not fit. */
static bool openblas_supports(const kb_problem *problem, const char **why_not) {
    const kb_gemm_shape *s = &problem->gemm;
    if (s->m > INT32_MAX || s->n > INT32_MAX || s->k > INT32_MAX) {
        *why_not = "a size beyond OpenBLAS's 32-bit blasint";
        return false;
    }
    return true;
}

static const char *openblas_isa_used(void *state) {
    (void)state;
    return openblas_get_corename();
}

const kb_variant kb_gemm_fwd__openblas_variant = {
    .name = "openblas",
    .kernel = KB_KERNEL_GEMM,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR, /* OpenBLAS dispatches itself */
    .summary = "OpenBLAS cblas_sgemm (row-major), its own thread pool",
    .supports = openblas_supports,
    .prepare = openblas_prepare,
    .run = openblas_run,
    .isa_used = openblas_isa_used,
};
