/* softmax_xent backward, AVX2: dx = y * (1/N) by vectors with the label lane
 * replaced by (y_t - 1) * (1/N) in its vector (computed from the vector
 * itself: an early load of y[t] would be a DRAM miss at the start of every
 * row), rows over ctx->threads OpenMP threads; dx goes out through streaming
 * stores when y and dx exceed 32 MiB (core/stream.h). ISA: AVX2 + FMA. */
#include "softmax/simd_avx2.h"

static void row_bwd_avx2(const kb_softmax_rows *r, int64_t n, int64_t t) {
    const int64_t classes = r->shape->classes;
    const float *y = r->y_in + n * classes;
    float *dx = r->dx + n * classes;
    if (t < 0) t = kb_argmax_avx2(kb_softmax_onehot_row(r, n), classes);
    const float inv = 1.0f / (float)r->shape->batch;
    const __m256 vinv = _mm256_set1_ps(inv);
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int64_t j = 0;
    if (r->stream) { /* up to dx's first 32-byte boundary, then streaming */
        for (; j < classes && !kb_aligned32(dx + j); j++) dx[j] = y[j] * inv;
        if (t < j) dx[t] = (y[t] - 1.0f) * inv;
    }
    for (; j + 8 <= classes; j += 8) {
        const __m256 yv = _mm256_loadu_ps(y + j);
        __m256 v = _mm256_mul_ps(yv, vinv);
        if (t >= j && t < j + 8) {
            const __m256 at = _mm256_castsi256_ps(
                _mm256_cmpeq_epi32(lane, _mm256_set1_epi32((int)(t - j))));
            v = _mm256_blendv_ps(v, _mm256_mul_ps(_mm256_sub_ps(yv, one), vinv), at);
        }
        kb_store8(dx + j, v, r->stream);
    }
    if (j < classes) {
        const __m256i valid = kb_mask8(classes - j);
        const __m256 yv = _mm256_maskload_ps(y + j, valid);
        __m256 v = _mm256_mul_ps(yv, vinv);
        if (t >= j) {
            const __m256 at = _mm256_castsi256_ps(
                _mm256_cmpeq_epi32(lane, _mm256_set1_epi32((int)(t - j))));
            v = _mm256_blendv_ps(v, _mm256_mul_ps(_mm256_sub_ps(yv, one), vinv), at);
        }
        kb_store_first(dx + j, v, classes - j);
    }
}

/* `groups` groups of eight rows from row n, of at most
 * KB_SOFTMAX_GROUP_MAX_CLASSES classes (softmax.h): whole vectors of
 * dx = (y - [lane is its row's label]) * (1/N), the label lanes found by
 * comparing each lane's offset in the group with its row's label offset;
 * the same float operations as row_bwd_avx2. y is prefetched
 * KB_SOFTMAX_GROUP_PREFETCH floats ahead, one line per prefetch (at one
 * thread the DRAM case otherwise waits on each group's misses). The row
 * fields are read into locals: as far as the compiler knows, dx's stores may
 * alias *r. */
static void groups_bwd_avx2(const kb_softmax_rows *r, int64_t n, int64_t groups) {
    const int64_t classes = r->shape->classes, stride = 8 * classes;
    const int32_t *const lane_row = r->lane_row;
    const bool stream = r->stream_groups;
    const float *y = r->y_in + n * classes;
    const float *const prefetch_end = r->y_in + r->shape->batch * classes;
    float *dx = r->dx + n * classes;
    const __m256 vinv = _mm256_set1_ps(1.0f / (float)r->shape->batch);
    const __m256 one = _mm256_set1_ps(1.0f);
    for (int64_t g = 0; g < groups; g++, y += stride, dx += stride) {
        const float *ahead = y + KB_SOFTMAX_GROUP_PREFETCH;
        for (int64_t k = 0; k < stride && ahead + k < prefetch_end; k += 16)
            _mm_prefetch((const char *)(ahead + k), _MM_HINT_T0);
        const __m256 label_at = _mm256_castsi256_ps(kb_group_label_offsets(r, n + 8 * g));
        __m256i offset = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        for (int64_t v = 0; v < classes; v++) {
            const __m256i label = _mm256_castps_si256(kb_group_spread(label_at, lane_row, v));
            const __m256 t =
                _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(offset, label)), one);
            kb_store8(dx + 8 * v, _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(y + 8 * v), t), vinv),
                      stream);
            offset = _mm256_add_epi32(offset, _mm256_set1_epi32(8));
        }
    }
}

static kb_status avx2_bwd(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                          void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_softmax_bwd_drive(problem, args, ctx, row_bwd_avx2, groups_bwd_avx2, true);
}

const kb_variant kb_softmax_xent_bwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_SOFTMAX_XENT,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2 dx = y/N, label lane fixed in its vector, NT stores over 32 MiB",
    .run = avx2_bwd,
};
