/* AVX2 + FMA pieces of the softmax variants: the polynomial exp of
 * softmax.h, the first-maximum argmax of a one-hot row and the three-pass
 * row. Include only from files compiled with -mavx2 -mfma (*avx2*.c). */
#ifndef KB_SOFTMAX_SIMD_AVX2_H
#define KB_SOFTMAX_SIMD_AVX2_H

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "core/stream_avx2.h"
#include "softmax/softmax.h"

/* All-ones in lanes [0, count), count in [0, 8] (maskload/maskstore). */
static inline __m256i kb_mask8(int64_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count < 8 ? count : 8)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* e^x for x <= 0 (the three-pass rows pass x - max): reduction and
 * polynomial of softmax.h, then 2^n built from exponent bits. n >= -127
 * after the clamp at -88: n = -127 gives the bit pattern 0 (0.0f), so
 * anything below 2^-126.5 becomes 0 (the flush problem.c allows); n = -126
 * with p < 1 makes the subnormal product correctly. max(c, x) passes NaN.
 * n is rounded by adding KB_EXP_ROUND in the FMA that scales x: the sum's
 * low mantissa bits are then n + 127, so one shift makes 2^n (13 vector
 * operations; a round and a convert instead cost two more, and the exp is
 * most of a softmax row's work). */
#define KB_EXP_ROUND (0x1.8p23f + 127.0f)
static inline __m256 kb_exp256(__m256 x) {
    x = _mm256_max_ps(_mm256_set1_ps(KB_EXP_AVX2_MIN_ARG), x);
    const __m256 biased = _mm256_fmadd_ps(x, _mm256_set1_ps(KB_EXP_LOG2E),
                                          _mm256_set1_ps(KB_EXP_ROUND));
    const __m256 k = _mm256_sub_ps(biased, _mm256_set1_ps(KB_EXP_ROUND));
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(KB_EXP_LN2_HI), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(KB_EXP_LN2_LO), r);
    __m256 q = _mm256_set1_ps(KB_EXP_C6);
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(KB_EXP_C5));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(KB_EXP_C4));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(KB_EXP_C3));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(KB_EXP_C2));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f));
    const __m256 p = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_castps_si256(biased), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

static inline float kb_hmax256(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

static inline float kb_hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Each lane's first maximum over the row's columns lane, lane + 8, ...:
 * its value in *best (-inf where nothing is greater) and column in *index
 * (0 there). A NaN never wins (strictly greater, ordered); lanes past the
 * row read as -inf. */
static inline void kb_first_max_lanes(const float *row, int64_t classes, __m256 *best,
                                      __m256i *index) {
    const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
    __m256 b = neg_inf;
    __m256i at = _mm256_setzero_si256();
    __m256i column = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int64_t j = 0; j < classes; j += 8) {
        __m256 v;
        if (j + 8 <= classes) {
            v = _mm256_loadu_ps(row + j);
        } else {
            const __m256i valid = kb_mask8(classes - j);
            v = _mm256_blendv_ps(neg_inf, _mm256_maskload_ps(row + j, valid),
                                 _mm256_castsi256_ps(valid));
        }
        /* Strictly greater: each lane keeps its first maximum. */
        const __m256 greater = _mm256_cmp_ps(v, b, _CMP_GT_OQ);
        b = _mm256_blendv_ps(b, v, greater);
        at = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(at),
                                                  _mm256_castsi256_ps(column), greater));
        column = _mm256_add_epi32(column, _mm256_set1_epi32(8));
    }
    *best = b;
    *index = at;
}

/* First index of the row maximum (NaN never wins; an all-NaN row gives 0). */
static inline int64_t kb_argmax_avx2(const float *row, int64_t classes) {
    __m256 best;
    __m256i best_index;
    kb_first_max_lanes(row, classes, &best, &best_index);
    /* The smallest index among the lanes holding the maximum is the first. */
    const float max = kb_hmax256(best);
    int32_t lanes[8];
    float values[8];
    _mm256_storeu_si256((__m256i *)lanes, best_index);
    _mm256_storeu_ps(values, best);
    int64_t first = -1;
    for (int l = 0; l < 8; l++)
        if (values[l] == max && (first < 0 || lanes[l] < first)) first = lanes[l];
    return first < 0 ? 0 : first;
}

/* --- groups of eight short rows (softmax.h) ---------------------------------
 * Lane r of a "row vector" holds a value of row r of the group; the group's
 * floats are M whole vectors, vector v holding floats 8v..8v+7. */

/* The offset of each row in the group: r * classes. */
static inline __m256i kb_group_row_starts(int64_t classes) {
    return _mm256_mullo_epi32(_mm256_set1_epi32((int32_t)classes),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* The row vector `per_row` spread over vector v: each lane gets its row's
 * value (one lane permute with the driver's lane_row table). */
static inline __m256 kb_group_spread(__m256 per_row, const int32_t *lane_row, int64_t v) {
    return _mm256_permutevar8x32_ps(per_row,
                                    _mm256_loadu_si256((const __m256i *)(lane_row + 8 * v)));
}

static inline __m256 kb_max_or_add(__m256 a, __m256 b, bool max) {
    return max ? _mm256_max_ps(a, b) : _mm256_add_ps(a, b);
}

/* The row vector whose lane q reduces (max or add) rows[q] across its
 * lanes: pairs of lane shuffles, twice, then a 128-bit swap, 21 operations
 * for eight rows. */
static inline __m256 kb_lanes_reduce8(const __m256 rows[8], bool max) {
    /* After each shuffle round, lane group q of each 128-bit half holds that
     * half's values of row q (rows 0-3, then 4-7). */
    __m256 pairs[4], quads[2];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++)
        pairs[i] = kb_max_or_add(_mm256_shuffle_ps(rows[2 * i], rows[2 * i + 1], 0x88),
                                 _mm256_shuffle_ps(rows[2 * i], rows[2 * i + 1], 0xDD), max);
#pragma GCC unroll 2
    for (int i = 0; i < 2; i++)
        quads[i] = kb_max_or_add(_mm256_shuffle_ps(pairs[2 * i], pairs[2 * i + 1], 0x88),
                                 _mm256_shuffle_ps(pairs[2 * i], pairs[2 * i + 1], 0xDD), max);
    return kb_max_or_add(_mm256_permute2f128_ps(quads[0], quads[1], 0x20),
                         _mm256_permute2f128_ps(quads[0], quads[1], 0x31), max);
}

/* The row vector of the maxima of the group's eight rows of `classes`
 * floats at x: each row folded into one vector, then kb_lanes_reduce8 (a
 * gather per column cost about 30 cycles each on a Zen 3). A row of 8 or
 * more classes is covered by whole loads, the last one ending at the row's
 * end (an overlap does not change a maximum); a shorter row's load runs into
 * the next rows, whose lanes are set to -inf, and is masked where it would
 * run past the group (the last rows; nothing past the group is read). */
static inline __m256 kb_group_max(const float *x, int64_t classes) {
    const int64_t whole = (classes - 1) / 8; /* loads before each row's last */
    const __m256i in_row = kb_mask8(classes);
    const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
    __m256 rows[8];
#pragma GCC unroll 8 /* rows[] in registers */
    for (int r = 0; r < 8; r++) {
        const float *row = x + r * classes;
        __m256 a;
        if (classes >= 8) {
            a = _mm256_loadu_ps(row + classes - 8);
            for (int64_t k = 0; k < whole; k++) a = _mm256_max_ps(a, _mm256_loadu_ps(row + 8 * k));
        } else { /* a whole load while it stays inside the group */
            const bool inside = r * classes + 8 <= 8 * classes;
            a = _mm256_blendv_ps(neg_inf,
                                 inside ? _mm256_loadu_ps(row) : _mm256_maskload_ps(row, in_row),
                                 _mm256_castsi256_ps(in_row));
        }
        rows[r] = a;
    }
    return kb_lanes_reduce8(rows, true);
}

/* The row vector of the sums of the group's rows from the tile e that holds
 * them (just stored, and KB_GROUP_TILE_PAD initialised floats after them):
 * each row's whole loads, the last one's lanes past the row set to 0. */
#define KB_GROUP_TILE_PAD 8
static inline __m256 kb_group_sum(const float *e, int64_t classes) {
    const int64_t whole = (classes - 1) / 8;
    const __m256 last = _mm256_castsi256_ps(kb_mask8(classes - 8 * whole));
    __m256 rows[8];
#pragma GCC unroll 8 /* rows[] in registers */
    for (int r = 0; r < 8; r++) {
        const float *row = e + r * classes;
        __m256 a = _mm256_and_ps(_mm256_loadu_ps(row + 8 * whole), last);
        for (int64_t k = 0; k < whole; k++) a = _mm256_add_ps(a, _mm256_loadu_ps(row + 8 * k));
        rows[r] = a;
    }
    return kb_lanes_reduce8(rows, false);
}

/* Of two (value, index) candidates per lane, the greater value, on a tie the
 * smaller index: *v, *i become the winners. */
static inline void kb_first_max_pick(__m256 *v, __m256 *i, __m256 other_v, __m256 other_i) {
    const __m256 take = _mm256_or_ps(
        _mm256_cmp_ps(other_v, *v, _CMP_GT_OQ),
        _mm256_and_ps(_mm256_cmp_ps(other_v, *v, _CMP_EQ_OQ),
                      _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_castps_si256(*i),
                                                             _mm256_castps_si256(other_i)))));
    *v = _mm256_blendv_ps(*v, other_v, take);
    *i = _mm256_blendv_ps(*i, other_i, take);
}

/* The first maximum of each of the group's eight one-hot label rows of
 * `classes` floats at p, by kb_argmax_avx2's rules (a NaN never wins; a row
 * with nothing above -inf gives 0): each row folded by kb_first_max_lanes, then
 * the eight (value, index) vectors reduced across lanes together with the
 * shuffles of kb_lanes_reduce8. kb_argmax_avx2 on eight rows one by one was
 * most of a 10-class one-hot group's time (bwd: 50 cycles a row against 6
 * with index labels). */
static inline __m256i kb_group_argmax(const float *p, int64_t classes) {
    __m256 best[8], index[8];
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) {
        __m256i at;
        kb_first_max_lanes(p + r * classes, classes, &best[r], &at);
        index[r] = _mm256_castsi256_ps(at);
    }
    /* kb_lanes_reduce8's shuffles, each pair of candidates resolved by
     * kb_first_max_pick. */
    __m256 pv[4], pi[4], qv[2], qi[2];
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        pv[k] = _mm256_shuffle_ps(best[2 * k], best[2 * k + 1], 0x88);
        pi[k] = _mm256_shuffle_ps(index[2 * k], index[2 * k + 1], 0x88);
        kb_first_max_pick(&pv[k], &pi[k], _mm256_shuffle_ps(best[2 * k], best[2 * k + 1], 0xDD),
                          _mm256_shuffle_ps(index[2 * k], index[2 * k + 1], 0xDD));
    }
#pragma GCC unroll 2
    for (int k = 0; k < 2; k++) {
        qv[k] = _mm256_shuffle_ps(pv[2 * k], pv[2 * k + 1], 0x88);
        qi[k] = _mm256_shuffle_ps(pi[2 * k], pi[2 * k + 1], 0x88);
        kb_first_max_pick(&qv[k], &qi[k], _mm256_shuffle_ps(pv[2 * k], pv[2 * k + 1], 0xDD),
                          _mm256_shuffle_ps(pi[2 * k], pi[2 * k + 1], 0xDD));
    }
    __m256 v = _mm256_permute2f128_ps(qv[0], qv[1], 0x20);
    __m256 i = _mm256_permute2f128_ps(qi[0], qi[1], 0x20);
    kb_first_max_pick(&v, &i, _mm256_permute2f128_ps(qv[0], qv[1], 0x31),
                      _mm256_permute2f128_ps(qi[0], qi[1], 0x31));
    return _mm256_castps_si256(i);
}

/* The class of each of the group's rows n..n+7 as an offset in the group
 * (r * classes + t_r): index labels (validated by the driver) converted,
 * one-hot rows through kb_group_argmax. */
static inline __m256i kb_group_label_offsets(const kb_softmax_rows *r, int64_t n) {
    const int64_t classes = r->shape->classes;
    const __m256i t = r->shape->one_hot
                          ? kb_group_argmax(r->labels + n * classes, classes)
                          : _mm256_cvttps_epi32(_mm256_loadu_ps(r->labels + n));
    return _mm256_add_epi32(kb_group_row_starts(classes), t);
}

/* The three-pass softmax of one row: max; e = exp(x - max), stored and
 * summed; y = e * (1/sum). Four accumulators hide the add and max latencies.
 *
 * Two things keep a DRAM-sized batch from serialising memory and compute:
 *   next     `classes` floats of x further on (NULL for none), one prefetch
 *            per cache line of them issued while this row's exps are
 *            computed, so the misses of the rows to come overlap that work
 *            instead of stalling their max pass (kb_softmax_prefetch_ahead);
 *   scratch  NULL: e goes to y and is scaled in place. Otherwise (at least
 *            `classes` floats, L1-resident): e goes there and y is written
 *            once, from its first 32-byte boundary on with streaming stores
 *            (core/stream.h), which saves the read-for-ownership of y's lines.
 *            The caller ends its rows with an sfence. */
static inline void kb_softmax_row_avx2(const float *x, float *y, int64_t classes, const float *next,
                                       float *scratch, float *max_out, float *sum_out) {
    const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
    __m256 m0 = neg_inf, m1 = neg_inf, m2 = neg_inf, m3 = neg_inf;
    int64_t j = 0;
    for (; j + 32 <= classes; j += 32) {
        m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + j));
        m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + j + 8));
        m2 = _mm256_max_ps(m2, _mm256_loadu_ps(x + j + 16));
        m3 = _mm256_max_ps(m3, _mm256_loadu_ps(x + j + 24));
    }
    for (; j + 8 <= classes; j += 8) m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + j));
    const __m256i tail = kb_mask8(classes - j);
    if (j < classes)
        m1 = _mm256_max_ps(m1, _mm256_blendv_ps(neg_inf, _mm256_maskload_ps(x + j, tail),
                                                _mm256_castsi256_ps(tail)));
    const float max =
        kb_hmax256(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
    const __m256 vmax = _mm256_set1_ps(max);
    float *e = scratch ? scratch : y;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (j = 0; j + 32 <= classes; j += 32) {
        if (next) { /* 32 floats: two lines */
            _mm_prefetch((const char *)(next + j), _MM_HINT_T0);
            _mm_prefetch((const char *)(next + j + 16), _MM_HINT_T0);
        }
        const __m256 e0 = kb_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), vmax));
        const __m256 e1 = kb_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j + 8), vmax));
        const __m256 e2 = kb_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j + 16), vmax));
        const __m256 e3 = kb_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j + 24), vmax));
        _mm256_storeu_ps(e + j, e0);
        _mm256_storeu_ps(e + j + 8, e1);
        _mm256_storeu_ps(e + j + 16, e2);
        _mm256_storeu_ps(e + j + 24, e3);
        s0 = _mm256_add_ps(s0, e0);
        s1 = _mm256_add_ps(s1, e1);
        s2 = _mm256_add_ps(s2, e2);
        s3 = _mm256_add_ps(s3, e3);
    }
    if (next)
        for (int64_t k = j; k < classes; k += 16)
            _mm_prefetch((const char *)(next + k), _MM_HINT_T0);
    for (; j + 8 <= classes; j += 8) {
        const __m256 v = kb_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), vmax));
        _mm256_storeu_ps(e + j, v);
        s0 = _mm256_add_ps(s0, v);
    }
    if (j < classes) {
        /* Masked-off lanes load 0; their exp is dropped from the sum. */
        const __m256 v =
            _mm256_and_ps(kb_exp256(_mm256_sub_ps(_mm256_maskload_ps(x + j, tail), vmax)),
                          _mm256_castsi256_ps(tail));
        kb_store_first(e + j, v, classes - j);
        s1 = _mm256_add_ps(s1, v);
    }
    const float sum = kb_hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    const float inv_sum = 1.0f / sum;
    const __m256 inv = _mm256_set1_ps(inv_sum);
    j = 0;
    if (scratch) /* up to y's first 32-byte boundary, then streaming */
        for (; j < classes && !kb_aligned32(y + j); j++) y[j] = e[j] * inv_sum;
    for (; j + 8 <= classes; j += 8)
        kb_store8(y + j, _mm256_mul_ps(_mm256_loadu_ps(e + j), inv), scratch != NULL);
    if (j < classes) {
        const __m256i rest = kb_mask8(classes - j);
        kb_store_first(y + j, _mm256_mul_ps(_mm256_maskload_ps(e + j, rest), inv), classes - j);
    }
    *max_out = max;
    *sum_out = sum;
}

#endif
