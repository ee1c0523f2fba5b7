/* affine forward, omp_tiled: y = x W + b cut into one block of whole rows
 * (or, for short wide problems such as batch 1, whole columns) of y per
 * thread (kb_affine_plan). Each thread broadcasts the bias into its block and
 * adds its part of x W with one call of kb_gemm (gemm.h: the best GEMM the
 * CPU has) with beta = 1, using its own pack buffer from the workspace. Every
 * y element has one writer; no barrier, no reduction.
 *
 * Each thread packs its own copy of the B panel it needs (all of W for a row
 * split): D*M element copies against (N/threads)*D*M multiply-adds, a small
 * share at batch 100, and it keeps the GEMM single-threaded and reentrant.
 * A layer too small to pay for a fork runs on fewer threads than asked
 * (kb_affine_parts: the book's 100 x 50 x 10 layer on one).
 * Any size. ISA: that of kb_gemm (isa_used reports it). */
#include <assert.h>
#include <omp.h>

#include "affine/affine.h"
#include "core/buffer.h"
#include "gemm/gemm.h"
#include "kernbench/variant.h"

/* Grains of the split: the AVX2 GEMM's 6 x 16 register tile, so only the
 * last part has edge tiles (correct for any GEMM the dispatcher picks). */
enum { ROW_GRAIN = 6, COL_GRAIN = 16 };

static size_t omp_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    (void)problem;
    assert(ctx->threads >= 1);
    return (size_t)ctx->threads * kb_align_up(kb_gemm_pack_bytes());
}

/* Part `part` of `parts` of y = x W + b, cut by `plan`: the bias into the
 * block, then one GEMM with beta = 1 adds x W. */
static void fwd_part(const kb_affine_shape *s, const float *src, const float *weights,
                     const float *bias, float *dst, kb_affine_split_plan plan, int part, int parts,
                     float *pack) {
    const int64_t batch = s->batch, in = s->in_features, out = s->out_features;
    if (plan.by_rows) {
        const int64_t r0 = kb_affine_split(batch, plan.grain, part, parts);
        const int64_t r1 = kb_affine_split(batch, plan.grain, part + 1, parts);
        if (r0 == r1) return;
        kb_affine_broadcast_bias(s, bias, r0, r1, 0, out, dst);
        kb_gemm(false, false, r1 - r0, out, in, 1.0f, src + r0 * in, in, weights, out, 1.0f,
                dst + r0 * out, out, pack);
    } else {
        const int64_t c0 = kb_affine_split(out, plan.grain, part, parts);
        const int64_t c1 = kb_affine_split(out, plan.grain, part + 1, parts);
        if (c0 == c1) return;
        kb_affine_broadcast_bias(s, bias, 0, batch, c0, c1, dst);
        kb_gemm(false, false, batch, c1 - c0, in, 1.0f, src, in, weights + c0, out, 1.0f, dst + c0,
                out, pack);
    }
}

kb_status kb_affine_fwd__omp_tiled(const kb_problem *problem, const kb_args *args,
                                   const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_FWD);
    assert(ctx->threads >= 1 && workspace);
    const kb_affine_shape *s = &problem->affine;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    const float *bias = args->tensor[KB_ARG_BIAS];
    float *dst = args->tensor[KB_ARG_DST];
    assert(src && weights && bias && dst);

    /* Tiny layers run on fewer threads than asked (kb_affine_parts); on one,
     * without entering the OpenMP runtime at all. */
    const int parts = kb_affine_parts(ctx->threads, (double)s->batch * (double)s->in_features *
                                                        (double)s->out_features);
    const kb_affine_split_plan plan =
        kb_affine_plan(s->batch, s->out_features, parts, ROW_GRAIN, COL_GRAIN);
    if (parts == 1) {
        fwd_part(s, src, weights, bias, dst, plan, 0, 1, workspace);
        return KB_OK;
    }
    const size_t pack_bytes = kb_align_up(kb_gemm_pack_bytes());
#pragma omp parallel num_threads(parts)
    {
        /* Work is cut into `parts` parts (one pack buffer each); if the
         * runtime grants fewer threads, each takes every threads-th part. */
        const int thread = omp_get_thread_num(), threads = omp_get_num_threads();
        assert(threads <= parts);
        float *pack = (float *)((char *)workspace + (size_t)thread * pack_bytes);
        for (int part = thread; part < parts; part += threads)
            fwd_part(s, src, weights, bias, dst, plan, part, parts, pack);
    }
    return KB_OK;
}

const kb_variant kb_affine_fwd__omp_tiled_variant = {
    .name = "omp_tiled",
    .kernel = KB_KERNEL_AFFINE,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR, /* kb_gemm picks its ISA at run time */
    .summary = "OpenMP row (or column) blocks of y, one kb_gemm (best own GEMM) per thread",
    .workspace_bytes = omp_workspace_bytes,
    .run = kb_affine_fwd__omp_tiled,
    .isa_used = kb_gemm_isa_used,
};
