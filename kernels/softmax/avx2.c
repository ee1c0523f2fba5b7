/* softmax and softmax_xent forward, AVX2: the three-pass row of
 * simd_avx2.h (vector max; exp(x - max) with the project's polynomial,
 * stored and summed; scale by 1/sum), the rows ahead prefetched, y written
 * once through streaming stores when x and y exceed 32 MiB (core/stream.h);
 * rows split over ctx->threads OpenMP threads (softmax/drive.c), one-hot
 * labels by a vector argmax, the loss terms per row in double. ISA: AVX2 +
 * FMA (file compiled with -mavx2 -mfma). */
#include "softmax/simd_avx2.h"

/* Row n; with `scratch` (streaming, see kb_softmax_row_avx2) its exps go
 * there and y is written once. */
static inline kb_softmax_loss_part row_into(const kb_softmax_rows *r, int64_t n, float *scratch) {
    const int64_t classes = r->shape->classes;
    const float *x = r->x + n * classes;
    float *y = r->y + n * classes;
    float max, sum;
    kb_softmax_row_avx2(x, y, classes, kb_softmax_prefetch_ahead(r->shape, r->x, n), scratch,
                        &max, &sum);
    if (!r->loss) return KB_SOFTMAX_NO_LOSS;
    const float *one_hot = kb_softmax_onehot_row(r, n);
    const int64_t t = one_hot ? kb_argmax_avx2(one_hot, classes) : (int64_t)r->labels[n];
    /* y[t] as the row wrote it, from scratch rather than from a line just
     * streamed out. */
    const float y_t = scratch ? scratch[t] * (1.0f / sum) : y[t];
    return kb_softmax_loss_term(r->shape->delta, y_t, sum, x[t], max);
}

/* The 16 KiB scratch lives only in this frame: short rows (the book's 10
 * classes) do not pay for setting up and probing it on every row. */
static __attribute__((noinline)) kb_softmax_loss_part row_streamed(const kb_softmax_rows *r,
                                                                   int64_t n) {
    float scratch[KB_SOFTMAX_SCRATCH] __attribute__((aligned(32)));
    return row_into(r, n, scratch);
}

static kb_softmax_loss_part row_avx2(const kb_softmax_rows *r, int64_t n) {
    return r->stream ? row_streamed(r, n) : row_into(r, n, NULL);
}

static kb_status avx2_fwd(const kb_problem *problem, const kb_args *args,
                            const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    return kb_softmax_fwd_drive(problem, args, ctx, workspace, row_avx2);
}

const kb_variant kb_softmax_fwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_SOFTMAX,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX2,
    .summary =
        "AVX2 three-pass rows (max, exp + sum, scale), prefetch ahead, NT stores over 32 MiB",
    .workspace_bytes = kb_softmax_workspace_bytes,
    .run = avx2_fwd,
};

const kb_variant kb_softmax_xent_fwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_SOFTMAX_XENT,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2 three-pass rows + loss, prefetch ahead, NT stores over 32 MiB",
    .workspace_bytes = kb_softmax_workspace_bytes,
    .run = avx2_fwd,
};
