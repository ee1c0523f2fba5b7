/* softmax_xent backward, AVX-512: dx = y * (1/N) by vectors with the label
 * lane replaced by (y_t - 1) * (1/N) in its vector, rows over ctx->threads
 * OpenMP threads. Plain stores: non-temporal stores (64-byte aligned body per
 * row) were tried and were slower on the AMD Zen 5 machine at 1 thread
 * (20 against 22-31 GB/s on mb32768ic1000): its full-line sequential stores
 * already avoid most of the read-for-ownership (a row-wise scale loop
 * measured 32 GB/s with plain or non-temporal stores alike). ISA:
 * AVX-512 F. */

#include "softmax/simd_avx512.h"

/* y[j..j+16) * (1/N), with the label lane (if in this chunk) (y_t - 1)/N:
 * every dx element is stored once. */
static inline __m512 chunk(const float *y, __mmask16 valid, int64_t j, int64_t t, __m512 vinv,
                           float label_value) {
    __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(valid, y + j), vinv);
    if (t >= j && t < j + 16)
        v = _mm512_mask_mov_ps(v, (__mmask16)(1u << (t - j)), _mm512_set1_ps(label_value));
    return v;
}

static void row_bwd_avx512(const kb_softmax_rows *r, int64_t n, int64_t t) {
    const int64_t classes = r->shape->classes;
    const float *y = r->y_in + n * classes;
    float *dx = r->dx + n * classes;
    if (t < 0) t = kb_argmax_avx512(kb_softmax_onehot_row(r, n), classes);
    const float inv = 1.0f / (float)r->shape->batch;
    const float label_value = (y[t] - 1.0f) * inv;
    const __m512 vinv = _mm512_set1_ps(inv);
    int64_t j = 0;
    for (; j + 16 <= classes; j += 16)
        _mm512_storeu_ps(dx + j, chunk(y, 0xffff, j, t, vinv, label_value));
    if (j < classes) {
        const __mmask16 valid = kb_mask16(classes - j);
        _mm512_mask_storeu_ps(dx + j, valid, chunk(y, valid, j, t, vinv, label_value));
    }
}

static kb_status avx512_bwd(const kb_problem *problem, const kb_args *args,
                            const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_softmax_bwd_drive(problem, args, ctx, row_bwd_avx512, NULL, true);
}

const kb_variant kb_softmax_xent_bwd__avx512_variant = {
    .name = "avx512",
    .kernel = KB_KERNEL_SOFTMAX_XENT,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_AVX512,
    .summary = "AVX-512 dx = y/N with the label lane fixed in its vector, threads over rows",
    .run = avx512_bwd,
};
