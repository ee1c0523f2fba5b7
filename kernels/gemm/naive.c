/* gemm, naive: the textbook triple loop, one thread, one float accumulator
 * per element summed in reduction order. The baseline. */
#include "gemm/gemm_args.h"

static kb_status naive_run(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                           void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    const kb_gemm_call g = kb_gemm_call_of(problem, args);
    const kb_gemm_shape *s = g.s;
    for (int64_t i = 0; i < s->m; i++)
        for (int64_t j = 0; j < s->n; j++) {
            float sum = 0.0f;
            for (int64_t p = 0; p < s->k; p++)
                sum += (s->trans_a ? g.a[p * g.lda + i] : g.a[i * g.lda + p]) *
                       (s->trans_b ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j]);
            float *to = &g.c[i * g.ldc + j];
            /* beta == 0 never reads C (NaN there is ignored). */
            *to = s->beta == 0.0f ? s->alpha * sum : s->alpha * sum + s->beta * *to;
        }
    return KB_OK;
}

const kb_variant kb_gemm_fwd__naive_variant = {
    .name = "naive",
    .kernel = KB_KERNEL_GEMM,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR,
    .summary = "textbook triple loop, one thread",
    .single_threaded = true,
    .run = naive_run,
};
