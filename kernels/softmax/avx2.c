/* softmax and softmax_xent forward, AVX2: the three-pass row of
 * simd_avx2.h (vector max; exp(x - max) with the project's polynomial,
 * stored and summed; scale by 1/sum), the rows ahead prefetched, y written
 * once through streaming stores when x and y exceed 32 MiB (core/stream.h);
 * rows split over ctx->threads OpenMP threads (softmax/drive.c), one-hot
 * labels by a vector argmax, the loss terms per row in double. ISA: AVX2 +
 * FMA (file compiled with -mavx2 -mfma). */
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

/* The loss terms of rows n..n+7 from their tile e, maxima, sums and
 * reciprocals. */
static void group_loss(const kb_softmax_rows *r, int64_t n, const float *e, __m256 max,
                       __m256 sum, __m256 inv, kb_softmax_loss_part parts[8]) {
    const float *x = r->x + n * r->shape->classes;
    int32_t at[8];
    float maxs[8], sums[8], invs[8];
    _mm256_storeu_si256((__m256i *)at, kb_group_label_offsets(r, n));
    _mm256_storeu_ps(maxs, max);
    _mm256_storeu_ps(sums, sum);
    _mm256_storeu_ps(invs, inv);
    for (int i = 0; i < 8; i++) /* y_t as y holds it: e_t * (1/sum) */
        parts[i] = kb_softmax_loss_term(r->shape->delta, e[at[i]] * invs[i], sums[i], x[at[i]],
                                        maxs[i]);
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
                                                            kb_softmax_loss_part *parts,
                                                            const int64_t classes) {
    float e[2][KB_SOFTMAX_GROUP_MAX_CLASSES * 8 + KB_GROUP_TILE_PAD] __attribute__((aligned(32)));
    for (int t = 0; t < 2; t++) /* the pad kb_group_sum reads past the group (masked off) */
        memset(e[t] + 8 * classes, 0, KB_GROUP_TILE_PAD * sizeof(float));
    const int32_t *const lane_row = r->lane_row;
    const bool stream = r->stream_groups, loss = r->loss;
    const int64_t stride = 8 * classes;
    const float *x = r->x + n * classes;
    float *y = r->y + n * classes;
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
            group_loss(r, n + 8 * (g - 1), e_prev, max_prev, sum_prev, inv_prev,
                       parts + 8 * (g - 1));
        if (g == groups) break;
        const __m256 max_next = g + 1 < groups ? kb_group_max(xg + stride, classes) : max;
        max_prev = max;
        sum_prev = kb_group_sum(e_cur, classes);
        inv_prev = _mm256_div_ps(_mm256_set1_ps(1.0f), sum_prev);
        max = max_next;
    }
}

/* The book's 10 classes get a copy with the count a constant (unrolled
 * reductions and passes). */
static void groups_avx2(const kb_softmax_rows *r, int64_t n, int64_t groups,
                        kb_softmax_loss_part *parts) {
    if (r->shape->classes == 10)
        groups_of(r, n, groups, parts, 10);
    else
        groups_of(r, n, groups, parts, r->shape->classes);
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
