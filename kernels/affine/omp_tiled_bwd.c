/* affine backward, omp_tiled: the three gradients in one parallel region,
 * each cut into one block per thread so that every output element has one
 * writer (no reduction, no per-thread copy of dW, no barrier between them):
 *   dx (N x D) = dout W^T   blocks of whole rows of dx (columns for short,
 *                           wide cases: kb_affine_plan), one kb_gemm each
 *                           (op(B) = W^T read in place);
 *   dW (D x M) = x^T dout   blocks of whole rows of dW, i.e. of columns of x
 *                           (whole columns of dW when D is short and M
 *                           wide), one kb_gemm each (op(A) = x^T in place);
 *                           the reduction over the batch stays inside one
 *                           GEMM, so no thread ever adds into another's dW;
 *   db                      column ranges of whole cache lines (16 floats),
 *                           each summed over every row in order.
 * kb_gemm (gemm.h) is the best GEMM the CPU has; each thread packs into its
 * own buffer of the workspace, used by its two GEMMs in turn. A layer too
 * small to pay for a fork runs on fewer threads than asked (kb_affine_parts).
 * Any size. ISA: that of kb_gemm (isa_used reports it). */
#include <assert.h>
#include <omp.h>

#include "affine/affine.h"
#include "core/buffer.h"
#include "gemm/gemm.h"
#include "kernbench/variant.h"

/* Grains of the GEMM splits: the AVX2 GEMM's 6 x 16 register tile (see
 * omp_tiled.c); db columns by cache line. */
enum { ROW_GRAIN = 6, COL_GRAIN = 16, BIAS_GRAIN = 16 };

static size_t omp_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    (void)problem;
    assert(ctx->threads >= 1);
    return (size_t)ctx->threads * kb_align_up(kb_gemm_pack_bytes());
}

/* Part `part` of C (m x n) = alpha op(A) op(B), beta = 0, cut by `plan`:
 * a row block takes the matching rows of op(A), a column block the matching
 * columns of op(B); the pointers move by the stored layout. */
static void gemm_part(kb_affine_split_plan plan, int part, int parts, bool trans_a, bool trans_b,
                      int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                      int64_t ldb, float *c, int64_t ldc, float *pack) {
    const int64_t total = plan.by_rows ? m : n;
    const int64_t begin = kb_affine_split(total, plan.grain, part, parts);
    const int64_t end = kb_affine_split(total, plan.grain, part + 1, parts);
    if (begin == end) return;
    if (plan.by_rows) {
        /* Rows i of op(A): row i of A, or column i of A^T's storage. */
        const float *a_part = trans_a ? a + begin : a + begin * lda;
        kb_gemm(trans_a, trans_b, end - begin, n, k, 1.0f, a_part, lda, b, ldb, 0.0f,
                c + begin * ldc, ldc, pack);
    } else {
        /* Columns j of op(B): column j of B, or row j of B^T's storage. */
        const float *b_part = trans_b ? b + begin * ldb : b + begin;
        kb_gemm(trans_a, trans_b, m, end - begin, k, 1.0f, a, lda, b_part, ldb, 0.0f, c + begin,
                ldc, pack);
    }
}

/* Part `part` of `parts` of every gradient: a block of dx, a block of dW and
 * a column range of db. */
static void bwd_part(const kb_affine_shape *s, const float *diff_dst, const float *src,
                     const float *weights, float *diff_src, float *diff_weights, float *diff_bias,
                     kb_affine_split_plan dx_plan, kb_affine_split_plan dw_plan, int part,
                     int parts, float *pack) {
    const int64_t batch = s->batch, in = s->in_features, out = s->out_features;
    /* dx (N x D) = dout (N x M) * W^T, W stored D x M. */
    gemm_part(dx_plan, part, parts, false, true, batch, in, out, diff_dst, out, weights, out,
              diff_src, in, pack);
    /* dW (D x M) = x^T * dout, x stored N x D. */
    gemm_part(dw_plan, part, parts, true, false, in, out, batch, src, in, diff_dst, out,
              diff_weights, out, pack);
    kb_affine_column_sums(s, diff_dst, kb_affine_split(out, BIAS_GRAIN, part, parts),
                          kb_affine_split(out, BIAS_GRAIN, part + 1, parts), diff_bias);
}

kb_status kb_affine_bwd__omp_tiled(const kb_problem *problem, const kb_args *args,
                                   const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_BWD);
    assert(ctx->threads >= 1 && workspace);
    const kb_affine_shape *s = &problem->affine;
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    const float *src = args->tensor[KB_ARG_SRC];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    float *diff_weights = args->tensor[KB_ARG_DIFF_WEIGHTS];
    float *diff_bias = args->tensor[KB_ARG_DIFF_BIAS];
    assert(diff_dst && src && weights && diff_src && diff_weights && diff_bias);

    const int64_t batch = s->batch, in = s->in_features, out = s->out_features;
    /* Tiny layers run on fewer threads than asked (kb_affine_parts); on one,
     * without entering the OpenMP runtime at all. */
    const int parts = kb_affine_parts(ctx->threads, 2.0 * (double)batch * (double)in * (double)out);
    const kb_affine_split_plan dx_plan = kb_affine_plan(batch, in, parts, ROW_GRAIN, COL_GRAIN);
    const kb_affine_split_plan dw_plan = kb_affine_plan(in, out, parts, ROW_GRAIN, COL_GRAIN);
    if (parts == 1) {
        bwd_part(s, diff_dst, src, weights, diff_src, diff_weights, diff_bias, dx_plan, dw_plan, 0,
                 1, workspace);
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
            bwd_part(s, diff_dst, src, weights, diff_src, diff_weights, diff_bias, dx_plan, dw_plan,
                     part, parts, pack);
    }
    return KB_OK;
}

const kb_variant kb_affine_bwd__omp_tiled_variant = {
    .name = "omp_tiled",
    .kernel = KB_KERNEL_AFFINE,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR, /* kb_gemm picks its ISA at run time */
    .summary = "OpenMP blocks of dx rows, dW rows and db columns, one kb_gemm per block",
    .workspace_bytes = omp_workspace_bytes,
    .run = kb_affine_bwd__omp_tiled,
    .isa_used = kb_gemm_isa_used,
};
