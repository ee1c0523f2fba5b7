/* softmax and softmax_xent forward, AVX-512: the three-pass row of
 * simd_avx512.h (vector max; exp(x - max) with the project's polynomial,
 * stored and summed; scale by 1/sum), rows split over ctx->threads OpenMP
 * threads (softmax/drive.c), one-hot labels by a vector argmax, the loss
 * terms per row in double. ISA: AVX-512 F (file compiled with the AVX-512
 * flags). */
#include "softmax/simd_avx512.h"

static kb_softmax_loss_part row_avx512(const kb_softmax_rows *r, int64_t n) {
    const int64_t classes = r->shape->classes;
    const float *x = r->x + n * classes;
    float *y = r->y + n * classes;
    float max, sum;
    kb_softmax_row_avx512(x, y, classes, &max, &sum);
    if (!r->loss) return KB_SOFTMAX_NO_LOSS;
    const float *one_hot = kb_softmax_onehot_row(r, n);
    const int64_t t = one_hot ? kb_argmax_avx512(one_hot, classes) : (int64_t)r->labels[n];
    return kb_softmax_loss_term(r->shape->delta, y[t], sum, x[t], max);
}

static kb_status avx512_fwd(const kb_problem *problem, const kb_args *args,
                            const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    return kb_softmax_fwd_drive(problem, args, ctx, workspace, row_avx512, NULL);
}

const kb_variant kb_softmax_fwd__avx512_variant = {
    .name = "avx512",
    .kernel = KB_KERNEL_SOFTMAX,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX512,
    .summary = "AVX-512 three-pass rows (max, polynomial exp + sum, scale), threads over rows",
    .workspace_bytes = kb_softmax_workspace_bytes,
    .run = avx512_fwd,
};

const kb_variant kb_softmax_xent_fwd__avx512_variant = {
    .name = "avx512",
    .kernel = KB_KERNEL_SOFTMAX_XENT,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX512,
    .summary = "AVX-512 three-pass rows + loss per row, threads over rows",
    .workspace_bytes = kb_softmax_workspace_bytes,
    .run = avx512_fwd,
};
