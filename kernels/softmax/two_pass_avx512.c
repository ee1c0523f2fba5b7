/* softmax and softmax_xent forward, two_pass: M. Dukhan and A. Ablavatski,
 * "The Two-Pass Softmax Algorithm" (2020), with AVX-512.
 *
 * The three-pass softmax reads a row for the max, again for the sum of
 * exp(x - max), and a third time (x or the stored exponentials) to scale.
 * Here every exponential is kept as a pair e^x = p * 2^n (p = e^r in
 * [0.70, 1.42], n an integer, softmax.h's reduction), so no max is needed
 * before summing:
 *   pass 1  one read of x: per lane a running exponent nmax and a running sum
 *           acc of p * 2^(n - nmax); when nmax grows, acc is rescaled by
 *           2^(old - new). Both scalings are powers of two (vscalefps), exact
 *           unless the term is below 2^-126 of the running sum, where it is
 *           negligible. The lanes and the four accumulators are merged the
 *           same way at the end: S' = sum_k e^{x_k} / 2^Nmax.
 *   pass 2  second read of x: y = p / S' * 2^(n - Nmax), written once, so
 *           memory traffic is 2 reads of x (the second from cache for rows up
 *           to L1/L2 size) and one write of y. Plain stores: non-temporal
 *           ones (aligned body per row) measured slower at 1 thread on the
 *           AMD Zen 5 machine, 16 against 22 GB/s on mb32768ic1000 (see
 *           avx512_bwd.c).
 * Accuracy: no x - max subtraction, so each e^x has only the exp's own error;
 * the sum and the division as in the three-pass bound (problem.c). Range:
 * a row with any |x| > KB_SOFTMAX_TWO_PASS_MAX_ABS = 2^16 (or NaN; softmax.h
 * says why) is detected during pass 1 (one compare per vector) and recomputed with the
 * three-pass row of simd_avx512.h, so every finite input is handled.
 * Loss (softmax_xent): delta > 0: -log(y_t + delta) with y_t recomputed
 * exactly as pass 2 wrote it; delta = 0: log S' + Nmax ln 2 - x_t in double
 * (the log-softmax, softmax.h).
 * Threads: rows over ctx->threads (softmax/drive.c). ISA: AVX-512 F. */
#include <float.h>
#include <stdint.h>

#include "softmax/simd_avx512.h"

/* One step of the running (sum, exponent) pair of a lane: adds p * 2^n. */
static inline void accumulate(__m512 *acc, __m512 *nmax, __m512 p, __m512 n) {
    const __m512 grown = _mm512_max_ps(*nmax, n);
    *acc = _mm512_add_ps(_mm512_scalef_ps(*acc, _mm512_sub_ps(*nmax, grown)),
                         _mm512_scalef_ps(p, _mm512_sub_ps(n, grown)));
    *nmax = grown;
}

static inline void accumulate_masked(__m512 *acc, __m512 *nmax, __mmask16 valid, __m512 p,
                                     __m512 n) {
    __m512 a = *acc, m = *nmax;
    accumulate(&a, &m, p, n);
    *acc = _mm512_mask_mov_ps(*acc, valid, a);
    *nmax = _mm512_mask_mov_ps(*nmax, valid, m);
}

/* y of one vector: p / S' * 2^(n - Nmax). */
static inline __m512 output(__m512 x, __m512 inv_sum, __m512 top) {
    __m512 n;
    const __m512 p = kb_exp512_pn(x, &n);
    return _mm512_scalef_ps(_mm512_mul_ps(p, inv_sum), _mm512_sub_ps(n, top));
}

static kb_softmax_loss_part row_two_pass(const kb_softmax_rows *r, int64_t row) {
    const kb_softmax_shape *s = r->shape;
    const int64_t classes = s->classes;
    const float *x = r->x + row * classes;
    float *y = r->y + row * classes;

    /* Pass 1. -FLT_MAX (not -inf) as the empty exponent: the first rescale
     * is then scalef(0, -huge) = 0, never inf - inf. */
    const __m512 empty = _mm512_set1_ps(-FLT_MAX), limit = _mm512_set1_ps(KB_SOFTMAX_TWO_PASS_MAX_ABS);
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m512 e0 = empty, e1 = empty, e2 = empty, e3 = empty;
    __mmask16 outside = 0;
    int64_t j = 0;
    for (; j + 64 <= classes; j += 64) {
        const __m512 x0 = _mm512_loadu_ps(x + j), x1 = _mm512_loadu_ps(x + j + 16);
        const __m512 x2 = _mm512_loadu_ps(x + j + 32), x3 = _mm512_loadu_ps(x + j + 48);
        /* Not <= limit: also true for NaN. */
        outside |= _mm512_cmp_ps_mask(_mm512_abs_ps(x0), limit, _CMP_NLE_UQ) |
                   _mm512_cmp_ps_mask(_mm512_abs_ps(x1), limit, _CMP_NLE_UQ) |
                   _mm512_cmp_ps_mask(_mm512_abs_ps(x2), limit, _CMP_NLE_UQ) |
                   _mm512_cmp_ps_mask(_mm512_abs_ps(x3), limit, _CMP_NLE_UQ);
        __m512 n0, n1, n2, n3;
        const __m512 p0 = kb_exp512_pn(x0, &n0), p1 = kb_exp512_pn(x1, &n1);
        const __m512 p2 = kb_exp512_pn(x2, &n2), p3 = kb_exp512_pn(x3, &n3);
        accumulate(&a0, &e0, p0, n0);
        accumulate(&a1, &e1, p1, n1);
        accumulate(&a2, &e2, p2, n2);
        accumulate(&a3, &e3, p3, n3);
    }
    for (; j < classes; j += 16) {
        const __mmask16 valid = kb_mask16(classes - j);
        const __m512 v = _mm512_maskz_loadu_ps(valid, x + j);
        outside |= _mm512_mask_cmp_ps_mask(valid, _mm512_abs_ps(v), limit, _CMP_NLE_UQ);
        __m512 n;
        const __m512 p = kb_exp512_pn(v, &n);
        accumulate_masked(&a0, &e0, valid, p, n);
    }
    if (outside) { /* huge or NaN logits: the max-subtracting three-pass row */
        float max, sum;
        kb_softmax_row_avx512(x, y, classes, &max, &sum);
        if (!r->loss) return KB_SOFTMAX_NO_LOSS;
        const float *one_hot = kb_softmax_onehot_row(r, row);
        const int64_t t = one_hot ? kb_argmax_avx512(one_hot, classes) : (int64_t)r->labels[row];
        return kb_softmax_loss_term(s->delta, y[t], sum, x[t], max);
    }
    /* Merge the accumulators, then the lanes, at the largest exponent. */
    const __m512 top_lanes = _mm512_max_ps(_mm512_max_ps(e0, e1), _mm512_max_ps(e2, e3));
    const __m512 merged = _mm512_add_ps(
        _mm512_add_ps(_mm512_scalef_ps(a0, _mm512_sub_ps(e0, top_lanes)),
                      _mm512_scalef_ps(a1, _mm512_sub_ps(e1, top_lanes))),
        _mm512_add_ps(_mm512_scalef_ps(a2, _mm512_sub_ps(e2, top_lanes)),
                      _mm512_scalef_ps(a3, _mm512_sub_ps(e3, top_lanes))));
    const float top = _mm512_reduce_max_ps(top_lanes);
    const __m512 vtop = _mm512_set1_ps(top);
    const float sum = _mm512_reduce_add_ps(_mm512_scalef_ps(merged, _mm512_sub_ps(top_lanes, vtop)));
    const __m512 inv = _mm512_set1_ps(1.0f / sum);

    /* Pass 2. */
    for (j = 0; j + 64 <= classes; j += 64) {
        _mm512_storeu_ps(y + j, output(_mm512_loadu_ps(x + j), inv, vtop));
        _mm512_storeu_ps(y + j + 16, output(_mm512_loadu_ps(x + j + 16), inv, vtop));
        _mm512_storeu_ps(y + j + 32, output(_mm512_loadu_ps(x + j + 32), inv, vtop));
        _mm512_storeu_ps(y + j + 48, output(_mm512_loadu_ps(x + j + 48), inv, vtop));
    }
    for (; j + 16 <= classes; j += 16)
        _mm512_storeu_ps(y + j, output(_mm512_loadu_ps(x + j), inv, vtop));
    if (j < classes) {
        const __mmask16 valid = kb_mask16(classes - j);
        _mm512_mask_storeu_ps(y + j, valid, output(_mm512_maskz_loadu_ps(valid, x + j), inv, vtop));
    }
    if (!r->loss) return KB_SOFTMAX_NO_LOSS;
    const float *one_hot = kb_softmax_onehot_row(r, row);
    const int64_t t = one_hot ? kb_argmax_avx512(one_hot, classes) : (int64_t)r->labels[row];
    if (s->delta > 0.0f) {
        /* y_t as pass 2 computed it. */
        const float y_t = _mm512_cvtss_f32(output(_mm512_set1_ps(x[t]), inv, vtop));
        return (kb_softmax_loss_part){(double)y_t + (double)s->delta, 0.0};
    }
    /* log S' + Nmax ln2 - x_t = -log(1/S') + (Nmax ln2 - x_t). */
    return (kb_softmax_loss_part){1.0 / (double)sum, (double)top * M_LN2 - (double)x[t]};
}

static kb_status two_pass_fwd(const kb_problem *problem, const kb_args *args,
                              const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    return kb_softmax_fwd_drive(problem, args, ctx, workspace, row_two_pass, NULL);
}

const kb_variant kb_softmax_fwd__two_pass_variant = {
    .name = "two_pass",
    .kernel = KB_KERNEL_SOFTMAX,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX512,
    .summary = "Dukhan-Ablavatski two-pass softmax (running exponent and sum), AVX-512, threads",
    .workspace_bytes = kb_softmax_workspace_bytes,
    .run = two_pass_fwd,
};

const kb_variant kb_softmax_xent_fwd__two_pass_variant = {
    .name = "two_pass",
    .kernel = KB_KERNEL_SOFTMAX_XENT,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX512,
    .summary = "two-pass softmax (AVX-512) + loss per row, threads over rows",
    .workspace_bytes = kb_softmax_workspace_bytes,
    .run = two_pass_fwd,
};
