/* affine forward, openblas: the peer. The bias is copied into every row of y,
 * then cblas_sgemm adds x W with beta = 1 (row-major, no transposes: W is
 * D x M as the GEMM's B). OpenBLAS runs ctx->threads of its own threads
 * (openblas_set_num_threads before every call: the setting is global and
 * other variants change it). isa_used reports the OpenBLAS core that ran.
 * Any size (every size is at most 2^24, so fits blasint). */
#include <assert.h>

#include "affine/affine.h"
#include "affine/affine_openblas.h"
#include "kernbench/variant.h"

kb_status kb_affine_fwd__openblas(const kb_problem *problem, const kb_args *args,
                                  const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    assert(problem->kernel == KB_KERNEL_AFFINE && problem->direction == KB_DIR_FWD);
    assert(ctx->threads >= 1);
    const kb_affine_shape *s = &problem->affine;
    const float *src = args->tensor[KB_ARG_SRC];
    const float *weights = args->tensor[KB_ARG_WEIGHTS];
    const float *bias = args->tensor[KB_ARG_BIAS];
    float *dst = args->tensor[KB_ARG_DST];
    assert(src && weights && bias && dst);

    const int64_t batch = s->batch, in = s->in_features, out = s->out_features;
    openblas_set_num_threads(ctx->threads);
    kb_affine_broadcast_bias(s, bias, 0, batch, 0, out, dst);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)batch, (blasint)out,
                (blasint)in, 1.0f, src, (blasint)in, weights, (blasint)out, 1.0f, dst,
                (blasint)out);
    return KB_OK;
}

const kb_variant kb_affine_fwd__openblas_variant = {
    .name = "openblas",
    .kernel = KB_KERNEL_AFFINE,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_SCALAR, /* OpenBLAS dispatches itself */
    .summary = "bias copy + OpenBLAS cblas_sgemm (beta = 1), OpenBLAS threads",
    .run = kb_affine_fwd__openblas,
    .isa_used = kb_affine_openblas_isa_used,
};
