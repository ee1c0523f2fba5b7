/* gemm, naive: the textbook triple loop, one thread, no blocking and no
 * intrinsics. Loop order i-p-j: row i of C is accumulated in a float row
 * (the workspace), one reduction step p at a time, so each element is summed
 * in reduction order exactly as a dot-product loop would, but the inner loop
 * walks rows of B (stored k x n) instead of its columns: a 2048^3 problem
 * takes seconds instead of minutes. alpha and beta are applied once per
 * element at the end; beta == 0 never reads C (NaN there is ignored). */
#include <string.h>

#include "gemm/gemm_args.h"

static size_t naive_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    (void)ctx;
    return (size_t)problem->gemm.n * sizeof(float);
}

static kb_status naive_run(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                           void *state, void *workspace) {
    (void)ctx, (void)state;
    const kb_gemm_call g = kb_gemm_call_of(problem, args);
    const kb_gemm_shape *s = g.s;
    float *row = workspace;
    for (int64_t i = 0; i < s->m; i++) {
        memset(row, 0, (size_t)s->n * sizeof(float));
        for (int64_t p = 0; p < s->k; p++) {
            const float a = s->trans_a ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
            for (int64_t j = 0; j < s->n; j++)
                row[j] += a * (s->trans_b ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j]);
        }
        float *c = g.c + i * g.ldc;
        for (int64_t j = 0; j < s->n; j++)
            c[j] = s->beta == 0.0f ? s->alpha * row[j] : s->alpha * row[j] + s->beta * c[j];
    }
    return KB_OK;
}

const kb_variant kb_gemm_fwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_GEMM,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "textbook triple loop (i-p-j, one C row accumulated), one thread",
    .single_threaded = true,
    .workspace_bytes = naive_workspace_bytes,
    .run = naive_run,
};
