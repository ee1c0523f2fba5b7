/* gemm, onednn: dnnl_sgemm (oneDNN 2.6), row-major with 'N'/'T', the other
 * peer. No primitive and nothing to prepare: each call packs for itself, as
 * a user's call would. Threads: oneDNN's OpenMP runtime uses
 * omp_get_max_threads(), which the caller sets; this file never touches the
 * OpenMP settings. ISA: oneDNN's jit sgemm picks its kernels for the
 * effective ISA, which isa_used reports (e.g. "sgemm:avx512_core"). */
/* Numerical edge departure (kernels/gemm/problem.c): alpha == 0 takes dnnl_sgemm's BLAS shortcut C = beta * C, so NaN
 * or Inf in A or B does not reach C where the policy (IEEE alpha * (A B))
 * gives NaN; tests/test_gemm_edges.c reports those elements as skipped. */
#include <stdio.h>

#include <dnnl.h>

#include "core/onednn.h"
#include "gemm/gemm_args.h"

static kb_status onednn_run(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                            void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    const kb_gemm_call g = kb_gemm_call_of(problem, args);
    const dnnl_status_t st = dnnl_sgemm(g.s->trans_a ? 'T' : 'N', g.s->trans_b ? 'T' : 'N',
                                        g.s->m, g.s->n, g.s->k, g.s->alpha, g.a, g.lda, g.b,
                                        g.ldb, g.s->beta, g.c, g.ldc);
    return st == dnnl_success ? KB_OK : kb_onednn_status(st);
}

static const char *onednn_isa_used(void *state) {
    (void)state;
    static __thread char name[64];
    snprintf(name, sizeof name, "sgemm:%s", kb_onednn_cpu_isa_name());
    return name;
}

const kb_variant kb_gemm_fwd__onednn_variant = {
    .name = "onednn",
    .kernel = KB_KERNEL_GEMM,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR, /* oneDNN dispatches itself */
    .summary = "oneDNN dnnl_sgemm (row-major), OpenMP threads",
    .run = onednn_run,
    .isa_used = onednn_isa_used,
};
