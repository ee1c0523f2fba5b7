/* affine backward, openblas: the peer, all three gradients with OpenBLAS:
 *   dx = dout W^T  cblas_sgemm (NoTrans, Trans): W read as stored;
 *   dW = x^T dout  cblas_sgemm (Trans, NoTrans): x read as stored;
 *   db = dout^T 1  cblas_sgemv (Trans) against a vector of N ones: BLAS has
 *                  no column sum, and multiplying by 1 is exact, so this is
 *                  a plain sum of each column.
 * The ones vector is made in prepare (untimed). OpenBLAS runs ctx->threads
 * of its own threads (set before every run: the setting is global).
 * isa_used reports the OpenBLAS core that ran. Any size (every size is at
 * most 2^24, so fits blasint). */
#include <assert.h>
#include <stdlib.h>

#include "affine/affine_openblas.h"
#include "core/buffer.h"
#include "kernbench/variant.h"

static kb_status openblas_prepare(const kb_problem *problem, const kb_args *args,
                                  const kb_context *ctx, void **state) {
    (void)args, (void)ctx;
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_BWD);
    const int64_t batch = problem->affine.batch;
    float *ones = kb_aligned_alloc((size_t)batch * sizeof(float));
    if (!ones) return KB_ERR_NOMEM;
    for (int64_t i = 0; i < batch; i++) ones[i] = 1.0f;
    *state = ones;
    return KB_OK;
}

static void openblas_release(void *state) {
    kb_aligned_free(state);
}

kb_status kb_affine_bwd__openblas(const kb_problem *problem, const kb_args *args,
                                  const kb_context *ctx, void *state, void *workspace) {
    (void)workspace;
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_BWD);
    assert(ctx->threads >= 1 && state);
    const kb_affine_shape *s = &problem->affine;
    const float *diff_dst = args->tensor[KB_ARG_DIFF_DST];
    const float *src = args->tensor[KB_ARG_SRC];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    float *diff_src = args->tensor[KB_ARG_DIFF_SRC];
    float *diff_weights = args->tensor[KB_ARG_DIFF_WEIGHTS];
    float *diff_bias = args->tensor[KB_ARG_DIFF_BIAS];
    assert(diff_dst && src && weights && diff_src && diff_weights && diff_bias);
    const float *ones = state;

    const blasint batch = (blasint)s->batch, in = (blasint)s->in_features,
                  out = (blasint)s->out_features;
    openblas_set_num_threads(ctx->threads);
    /* dx (N x D) = dout (N x M) * W^T, W stored D x M. */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, in, out, 1.0f, diff_dst, out,
                weights, out, 0.0f, diff_src, in);
    /* dW (D x M) = x^T * dout, x stored N x D. */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, batch, 1.0f, src, in, diff_dst,
                out, 0.0f, diff_weights, out);
    /* db (M) = dout^T (M x N) * ones (N). */
    cblas_sgemv(CblasRowMajor, CblasTrans, batch, out, 1.0f, diff_dst, out, ones, 1, 0.0f,
                diff_bias, 1);
    return KB_OK;
}

const kb_variant kb_affine_bwd__openblas_variant = {
    .name = "openblas",
    .kernel = KB_KERNEL_AFFINE,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_SCALAR, /* OpenBLAS dispatches itself */
    .summary = "OpenBLAS cblas_sgemm for dx and dW, cblas_sgemv against ones for db",
    .prepare = openblas_prepare,
    .run = kb_affine_bwd__openblas,
    .release = openblas_release,
    .isa_used = kb_affine_openblas_isa_used,
};
