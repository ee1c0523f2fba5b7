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

/* The first half of a group (rows n..n+7): the row maxima, e = exp(x - max)
 * into the L1 tile e. */
static inline __m256 group_exps(const kb_softmax_rows *r, int64_t n, float *e) {
    const int64_t classes = r->shape->classes;
    const float *x = r->x + n * classes;
    const __m256 max = kb_group_max(x, classes);
    for (int64_t v = 0; v < classes; v++)
        _mm256_store_ps(e + 8 * v, kb_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + 8 * v),
                                                           kb_group_spread(max, r->lane_row, v))));
    return max;
}

/* The second half: the row sums, y = e * (1/sum) written once (streamed
 * over the threshold), the loss terms. */
static inline void group_scale(const kb_softmax_rows *r, int64_t n, const float *e, __m256 max,
                               kb_softmax_loss_part parts[8]) {
    const int64_t classes = r->shape->classes;
    float *y = r->y + n * classes;
    const __m256 sum = kb_group_sum(e, classes);
    const __m256 inv = _mm256_div_ps(_mm256_set1_ps(1.0f), sum);
    for (int64_t v = 0; v < classes; v++)
        kb_store8(y + 8 * v,
                  _mm256_mul_ps(_mm256_load_ps(e + 8 * v), kb_group_spread(inv, r->lane_row, v)),
                  r->stream_groups);
    if (!r->loss) return;
    const float *x = r->x + n * classes;
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
 * KB_SOFTMAX_GROUP_MAX_CLASSES classes (softmax.h). A group alone is one
 * long dependency chain (maxima, exps, sums, reciprocal, scale) of more
 * operations than the core's reorder window holds, so the halves are
 * software-pipelined: group g's exps are issued next to group g-1's
 * scaling, and the two chains overlap. The same float operations per
 * element as row_into. */
static void groups_avx2(const kb_softmax_rows *r, int64_t n, int64_t groups,
                        kb_softmax_loss_part *parts) {
    float e[2][KB_SOFTMAX_GROUP_MAX_CLASSES * 8 + KB_GROUP_TILE_PAD] __attribute__((aligned(32)));
    __m256 max[2];
    max[0] = group_exps(r, n, e[0]);
    for (int64_t g = 1; g < groups; g++) {
        max[g & 1] = group_exps(r, n + 8 * g, e[g & 1]);
        group_scale(r, n + 8 * (g - 1), e[(g - 1) & 1], max[(g - 1) & 1], parts + 8 * (g - 1));
    }
    group_scale(r, n + 8 * (groups - 1), e[(groups - 1) & 1], max[(groups - 1) & 1],
                parts + 8 * (groups - 1));
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
