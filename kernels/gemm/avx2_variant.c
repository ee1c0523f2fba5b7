/* gemm, avx2: the project's AVX2 + FMA GEMM (gemm/avx2.c: packed panels, a
 * 6 x 16 microkernel, cache blocking from the detected caches), one thread,
 * the pack buffer in the workspace. */
#include "gemm/gemm_args.h"
#include "gemm/gemm_avx2.h"

static size_t avx2_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    (void)problem, (void)ctx;
    return kb_gemm_avx2_pack_bytes();
}

static kb_status avx2_run(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                          void *state, void *workspace) {
    (void)ctx, (void)state;
    const kb_gemm_call g = kb_gemm_call_of(problem, args);
    kb_gemm_avx2(g.s->trans_a, g.s->trans_b, g.s->m, g.s->n, g.s->k, g.s->alpha, g.a, g.lda, g.b,
                 g.ldb, g.s->beta, g.c, g.ldc, workspace);
    return KB_OK;
}

const kb_variant kb_gemm_fwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_GEMM,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX2,
    .summary = "packed BLIS-style loops, 6x16 AVX2+FMA microkernel, one thread",
    .single_threaded = true,
    .workspace_bytes = avx2_workspace_bytes,
    .run = avx2_run,
};
