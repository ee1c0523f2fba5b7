/* gemm, avx512: the project's AVX-512 GEMM (gemm/avx512.c: packed panels, a
 * 12 x 32 microkernel, cache blocking from the detected caches), one thread,
 * the pack buffer in the workspace. */
#include "gemm/gemm_args.h"
#include "gemm/gemm_avx512.h"

static size_t avx512_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    (void)problem, (void)ctx;
    return kb_gemm_avx512_pack_bytes();
}

static kb_status avx512_run(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                            void *state, void *workspace) {
    (void)ctx, (void)state;
    const kb_gemm_call g = kb_gemm_call_of(problem, args);
    kb_gemm_avx512(g.s->trans_a, g.s->trans_b, g.s->m, g.s->n, g.s->k, g.s->alpha, g.a, g.lda, g.b,
                   g.ldb, g.s->beta, g.c, g.ldc, workspace);
    return KB_OK;
}

const kb_variant kb_gemm_fwd__avx512_variant = {
    .name = "avx512",
    .kernel = KB_KERNEL_GEMM,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX512,
    .summary = "packed BLIS-style loops, 12x32 AVX-512 microkernel, one thread",
    .single_threaded = true,
    .workspace_bytes = avx512_workspace_bytes,
    .run = avx512_run,
};
