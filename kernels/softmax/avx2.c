/* softmax and softmax_xent forward, AVX2: the three-pass row of
 * simd_avx2.h (vector max; exp(x - max) with the project's polynomial,
 * stored and summed; scale by 1/sum), the rows ahead prefetched, y written
 * once through streaming stores when x and y exceed 32 MiB (core/stream.h);
 * rows split over ctx->threads OpenMP threads (softmax/drive.c), one-hot
 * labels by a vector argmax, the loss terms per row in double (short rows:
 * eight lanes at once, kb_softmax_group_loss). ISA: AVX2 + FMA (file
 * compiled with -mavx2 -mfma). */
#include <string.h>

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

/* One pass over the vectors of two groups: e = exp(x - max) of the group
 * at x into the tile e (`exps`), and y = e_prev * (1/sum) of the group
 * before it into y_prev (`scale`, streamed when `stream`). */
static inline __attribute__((always_inline)) void group_pass(
    bool exps, const float *x, __m256 max, float *e, bool scale, float *y_prev,
    const float *e_prev, __m256 inv_prev, bool stream, int64_t classes, const int32_t *lane_row) {
    for (int64_t v = 0; v < classes; v++) {
        const __m256i rows = _mm256_loadu_si256((const __m256i *)(lane_row + 8 * v));
        if (exps)
            _mm256_store_ps(e + 8 * v, kb_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + 8 * v),
                                                               _mm256_permutevar8x32_ps(max, rows))));
        if (scale)
            kb_store8(y_prev + 8 * v,
                      _mm256_mul_ps(_mm256_load_ps(e_prev + 8 * v),
                                    _mm256_permutevar8x32_ps(inv_prev, rows)),
                      stream);
    }
}

/* The running loss of the groups' rows, lane i for row i of each group
 * (kb_softmax_group_loss), in registers. */
typedef struct group_loss_lanes {
    __m256d product[2], offset[2];
    __m256i exponent[2];
} group_loss_lanes;

/* product in [1, 2) again, its exponent moved to `exponent` (the product is
 * a normal double: frexp by the bits). */
static inline void renormalise_lanes(__m256d *product, __m256i *exponent) {
    const __m256i bits = _mm256_castpd_si256(*product);
    *exponent = _mm256_add_epi64(
        *exponent, _mm256_sub_epi64(_mm256_srli_epi64(bits, 52), _mm256_set1_epi64x(1023)));
    const __m256i mantissa = _mm256_and_si256(bits, _mm256_set1_epi64x(0x000fffffffffffff));
    *product = _mm256_castsi256_pd(_mm256_or_si256(mantissa, _mm256_set1_epi64x(INT64_C(1023) << 52)));
}

/* Adds the loss terms of rows n..n+7 (their tile e, maxima, sums and
 * reciprocals) to `lanes`: per row the factor and offset of
 * kb_softmax_loss_term, from the same floats, y_t as y holds it
 * (e_t * (1/sum)). */
static inline void group_loss(const kb_softmax_rows *r, int64_t n, const float *e, __m256 max,
                              __m256 sum, __m256 inv, group_loss_lanes *lanes) {
    const __m256i at = kb_group_label_offsets(r, n);
    const float delta = r->shape->delta;
    __m256d factor[2], offset[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()};
    if (delta > 0.0f) {
        const __m256 y_t = _mm256_mul_ps(_mm256_i32gather_ps(e, at, 4), inv);
        const __m256d delta_d = _mm256_set1_pd((double)delta);
        factor[0] = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(y_t)), delta_d);
        factor[1] = _mm256_add_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(y_t, 1)), delta_d);
    } else {
        const __m256 x_t = _mm256_i32gather_ps(r->x + n * r->shape->classes, at, 4);
        const __m256d one = _mm256_set1_pd(1.0);
        for (int h = 0; h < 2; h++) {
            const __m128 sum_h = h ? _mm256_extractf128_ps(sum, 1) : _mm256_castps256_ps128(sum);
            const __m128 x_h = h ? _mm256_extractf128_ps(x_t, 1) : _mm256_castps256_ps128(x_t);
            const __m128 max_h = h ? _mm256_extractf128_ps(max, 1) : _mm256_castps256_ps128(max);
            factor[h] = _mm256_div_pd(one, _mm256_cvtps_pd(sum_h));
            offset[h] = _mm256_sub_pd(_mm256_setzero_pd(),
                                      _mm256_sub_pd(_mm256_cvtps_pd(x_h), _mm256_cvtps_pd(max_h)));
        }
    }
    for (int h = 0; h < 2; h++) {
        lanes->product[h] = _mm256_mul_pd(lanes->product[h], factor[h]);
        lanes->offset[h] = _mm256_add_pd(lanes->offset[h], offset[h]);
        renormalise_lanes(&lanes->product[h], &lanes->exponent[h]);
    }
}

/* `groups` groups of eight rows from row n, of at most
 * KB_SOFTMAX_GROUP_MAX_CLASSES classes (softmax.h). A group is one chain
 * (maxima, exps, sums, reciprocal, scale) of more operations than the
 * core's window holds, so the work is software-pipelined: each pass over
 * the vectors computes group g's exps and scales group g-1 by the
 * reciprocals found after the previous pass, and the next group's maxima
 * are found before this group's sums (10 classes, L2, one thread, Zen 3:
 * 26-31 cycles a row one group after the other, 21-26 pipelined).
 * Prefetching x ahead, as the backward does, measured no gain here. The row
 * fields are read into locals: as far as the compiler knows, y's stores may
 * alias *r. The same float operations per element as row_into. */
static inline __attribute__((always_inline)) void groups_of(const kb_softmax_rows *r, int64_t n,
                                                            int64_t groups,
                                                            kb_softmax_group_loss *loss_out,
                                                            const int64_t classes) {
    float e[2][KB_SOFTMAX_GROUP_MAX_CLASSES * 8 + KB_GROUP_TILE_PAD] __attribute__((aligned(32)));
    for (int t = 0; t < 2; t++) /* the pad kb_group_sum reads past the group (masked off) */
        memset(e[t] + 8 * classes, 0, KB_GROUP_TILE_PAD * sizeof(float));
    const int32_t *const lane_row = r->lane_row;
    const bool stream = r->stream_groups, loss = r->loss;
    const int64_t stride = 8 * classes;
    const float *x = r->x + n * classes;
    float *y = r->y + n * classes;
    group_loss_lanes lanes;
    for (int h = 0; h < 2; h++) {
        lanes.product[h] = _mm256_loadu_pd(loss_out->product + 4 * h);
        lanes.offset[h] = _mm256_loadu_pd(loss_out->offset + 4 * h);
        lanes.exponent[h] = _mm256_loadu_si256((const __m256i *)(loss_out->exponent + 4 * h));
    }
    __m256 max = kb_group_max(x, classes);
    __m256 max_prev = _mm256_setzero_ps(), sum_prev = max_prev, inv_prev = max_prev;
    for (int64_t g = 0; g <= groups; g++) {
        float *e_cur = e[g & 1];
        const float *e_prev = e[(g + 1) & 1];
        const float *xg = x + g * stride;
        float *y_prev = y + (g - 1) * stride;
        if (g == 0)
            group_pass(true, xg, max, e_cur, false, NULL, NULL, inv_prev, stream, classes,
                       lane_row);
        else if (g < groups)
            group_pass(true, xg, max, e_cur, true, y_prev, e_prev, inv_prev, stream, classes,
                       lane_row);
        else
            group_pass(false, NULL, max, NULL, true, y_prev, e_prev, inv_prev, stream, classes,
                       lane_row);
        if (g > 0 && loss)
            group_loss(r, n + 8 * (g - 1), e_prev, max_prev, sum_prev, inv_prev, &lanes);
        if (g == groups) break;
        const __m256 max_next = g + 1 < groups ? kb_group_max(xg + stride, classes) : max;
        max_prev = max;
        sum_prev = kb_group_sum(e_cur, classes);
        inv_prev = _mm256_div_ps(_mm256_set1_ps(1.0f), sum_prev);
        max = max_next;
    }
    for (int h = 0; h < 2; h++) {
        _mm256_storeu_pd(loss_out->product + 4 * h, lanes.product[h]);
        _mm256_storeu_pd(loss_out->offset + 4 * h, lanes.offset[h]);
        _mm256_storeu_si256((__m256i *)(loss_out->exponent + 4 * h), lanes.exponent[h]);
    }
}

/* The book's 10 classes get a copy with the count a constant (unrolled
 * reductions and passes). */
static void groups_avx2(const kb_softmax_rows *r, int64_t n, int64_t groups,
                        kb_softmax_group_loss *loss) {
    if (r->shape->classes == 10)
        groups_of(r, n, groups, loss, 10);
    else
        groups_of(r, n, groups, loss, r->shape->classes);
}

static kb_status avx2_fwd(const kb_problem *problem, const kb_args *args,
                            const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    return kb_softmax_fwd_drive(problem, args, ctx, workspace, row_avx2, groups_avx2);
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
