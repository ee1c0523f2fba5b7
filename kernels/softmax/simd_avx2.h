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
 * with p < 1 makes the subnormal product correctly. max(c, x) passes NaN. */
static inline __m256 kb_exp256(__m256 x) {
    x = _mm256_max_ps(_mm256_set1_ps(KB_EXP_AVX2_MIN_ARG), x);
    const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(KB_EXP_LOG2E)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(KB_EXP_LN2_HI), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(KB_EXP_LN2_LO), r);
    __m256 q = _mm256_set1_ps(KB_EXP_C6);
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(KB_EXP_C5));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(KB_EXP_C4));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(KB_EXP_C3));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(KB_EXP_C2));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f));
    const __m256 p = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f));
    const __m256i bits =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

/* Lanes [0, count) of v to p, count in [0, 8): through a stack copy and
 * scalar stores. A vmaskmovps store is microcoded on AMD Zen (a dozen or more
 * cycles each), and short rows (the book's 10 classes) end in one per row
 * (10-class backward, 1 thread, Zen 3: 3.4-4.1 GB/s with it, 3.7-4.6 without). */
static inline void kb_store_first(float *p, __m256 v, int64_t count) {
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    for (int64_t i = 0; i < count; i++) p[i] = lanes[i];
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

/* First index of the row maximum (NaN never wins; an all-NaN row gives 0). */
static inline int64_t kb_argmax_avx2(const float *row, int64_t classes) {
    const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
    __m256 best = neg_inf;
    __m256i best_index = _mm256_setzero_si256();
    __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int64_t j = 0; j < classes; j += 8) {
        __m256 v;
        if (j + 8 <= classes) {
            v = _mm256_loadu_ps(row + j);
        } else { /* lanes past the row read as -inf: never greater */
            const __m256i valid = kb_mask8(classes - j);
            v = _mm256_blendv_ps(neg_inf, _mm256_maskload_ps(row + j, valid),
                                 _mm256_castsi256_ps(valid));
        }
        /* Strictly greater: each lane keeps its first maximum. */
        const __m256 greater = _mm256_cmp_ps(v, best, _CMP_GT_OQ);
        best = _mm256_blendv_ps(best, v, greater);
        best_index = _mm256_castps_si256(_mm256_blendv_ps(
            _mm256_castsi256_ps(best_index), _mm256_castsi256_ps(index), greater));
        index = _mm256_add_epi32(index, _mm256_set1_epi32(8));
    }
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
