/* batchnorm, avx2: AVX2 + FMA inner loops on the shared driver (driver.c),
 * OpenMP over features (spatial / H*W > 1: one channel per work item) or
 * blocks of adjacent features (per feature), so no reduction crosses
 * threads. All three directions.
 *
 * Variance: two passes, sum (x - mean)^2 around the float mean of the first
 * (fused multiply-add of the deviation with itself), never E[x^2] - E[x]^2.
 *
 * Row path: four 8-lane accumulators per sum; the row's tail goes through
 * vmaskmov (masked lanes read as zero) and deviations are ANDed with the
 * mask, so a masked lane never contributes -mean. Column path: one
 * accumulator per feature in a small array (L1), four batch rows added
 * together before each accumulator update. Outputs use y = (x - mean) a + b
 * with exact sqrt and division for a (no rsqrt estimate). */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#include "batchnorm/batchnorm.h"
#include "kernbench/variant.h"

enum { W = 8 };

/* Lanes [0, remaining) set, 0 < remaining <= 8. */
static inline __m256i tail_mask(int64_t remaining) {
    static const int32_t ones_then_zeros[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                0,  0,  0,  0,  0,  0,  0,  0};
    return _mm256_loadu_si256((const __m256i *)(ones_then_zeros + 8 - remaining));
}

static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Stores one row of `len` outputs, EXPR evaluated with the offset `i` in
 * scope and its loads written LDV(pointer): a plain load for a full vector,
 * vmaskmov under the tail mask otherwise. With `stream`, the row's aligned
 * middle goes out through non-temporal stores (after a masked head up to the
 * next 32-byte boundary): outputs that do not fit the caches then skip the
 * read-for-ownership of their lines, a third of the traffic of a write-once
 * pass. The caller ends with an sfence. */
#define LDV(ptr) (full_ ? _mm256_loadu_ps(ptr) : _mm256_maskload_ps((ptr), m_))
#define STORE_ROW(q, len, stream, EXPR)                                                            \
    do {                                                                                           \
        int64_t i = 0;                                                                             \
        bool full_ = true;                                                                         \
        __m256i m_ = _mm256_setzero_si256();                                                       \
        if (stream) {                                                                              \
            int64_t head_ = (int64_t)((32u - ((uintptr_t)(q)&31u)) & 31u) / 4;                     \
            if (head_ > (len)) head_ = (len);                                                      \
            if (head_ > 0) {                                                                       \
                full_ = false;                                                                     \
                m_ = tail_mask(head_);                                                             \
                _mm256_maskstore_ps((q), m_, (EXPR));                                              \
                full_ = true;                                                                      \
            }                                                                                      \
            for (i = head_; i + W <= (len); i += W) _mm256_stream_ps((q) + i, (EXPR));             \
        } else {                                                                                   \
            for (; i + W <= (len); i += W) _mm256_storeu_ps((q) + i, (EXPR));                      \
        }                                                                                          \
        if (i < (len)) {                                                                           \
            full_ = false;                                                                         \
            m_ = tail_mask((len)-i);                                                               \
            _mm256_maskstore_ps((q) + i, m_, (EXPR));                                              \
        }                                                                                          \
    } while (0)

static float row_sum(const float *x, int64_t rows, int64_t stride, int64_t len) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const __m256i m = tail_mask(len % W ? len % W : W);
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        int64_t i = 0;
        for (; i + 4 * W <= len; i += 4 * W) {
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
            a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + i + W));
            a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + i + 2 * W));
            a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + i + 3 * W));
        }
        for (; i + W <= len; i += W) a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
        if (i < len) a1 = _mm256_add_ps(a1, _mm256_maskload_ps(p + i, m));
    }
    return hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
}

static float row_sum_squares(const float *x, int64_t rows, int64_t stride, int64_t len,
                             float mean) {
    const __m256 mu = _mm256_set1_ps(mean);
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const __m256i m = tail_mask(len % W ? len % W : W);
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        int64_t i = 0;
        for (; i + 4 * W <= len; i += 4 * W) {
            const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(p + i), mu);
            const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(p + i + W), mu);
            const __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(p + i + 2 * W), mu);
            const __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(p + i + 3 * W), mu);
            a0 = _mm256_fmadd_ps(d0, d0, a0);
            a1 = _mm256_fmadd_ps(d1, d1, a1);
            a2 = _mm256_fmadd_ps(d2, d2, a2);
            a3 = _mm256_fmadd_ps(d3, d3, a3);
        }
        for (; i + W <= len; i += W) {
            const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(p + i), mu);
            a0 = _mm256_fmadd_ps(d, d, a0);
        }
        if (i < len) {
            const __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(p + i, m), mu),
                                           _mm256_castsi256_ps(m));
            a1 = _mm256_fmadd_ps(d, d, a1);
        }
    }
    return hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
}

static void row_apply(const float *x, float *y, int64_t rows, int64_t stride, int64_t len,
                      float mean, float a, float b, bool stream) {
    const __m256 mu = _mm256_set1_ps(mean), va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        float *q = y + n * stride;
        STORE_ROW(q, len, stream, _mm256_fmadd_ps(_mm256_sub_ps(LDV(p + i), mu), va, vb));
    }
    if (stream) _mm_sfence();
}

static void row_bwd_sums(const float *x, const float *dy, int64_t rows, int64_t stride,
                         int64_t len, float mean, float *sum_dy, float *sum_dy_xc) {
    const __m256 mu = _mm256_set1_ps(mean);
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, t0 = s0, t1 = s0;
    const __m256i m = tail_mask(len % W ? len % W : W);
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride, *g = dy + n * stride;
        int64_t i = 0;
        for (; i + 2 * W <= len; i += 2 * W) {
            const __m256 g0 = _mm256_loadu_ps(g + i), g1 = _mm256_loadu_ps(g + i + W);
            s0 = _mm256_add_ps(s0, g0);
            s1 = _mm256_add_ps(s1, g1);
            t0 = _mm256_fmadd_ps(g0, _mm256_sub_ps(_mm256_loadu_ps(p + i), mu), t0);
            t1 = _mm256_fmadd_ps(g1, _mm256_sub_ps(_mm256_loadu_ps(p + i + W), mu), t1);
        }
        for (; i + W <= len; i += W) {
            const __m256 g0 = _mm256_loadu_ps(g + i);
            s0 = _mm256_add_ps(s0, g0);
            t0 = _mm256_fmadd_ps(g0, _mm256_sub_ps(_mm256_loadu_ps(p + i), mu), t0);
        }
        if (i < len) { /* masked dy lanes are zero, so their products are too */
            const __m256 g0 = _mm256_maskload_ps(g + i, m);
            s1 = _mm256_add_ps(s1, g0);
            t1 = _mm256_fmadd_ps(g0, _mm256_sub_ps(_mm256_maskload_ps(p + i, m), mu), t1);
        }
    }
    *sum_dy = hsum(_mm256_add_ps(s0, s1));
    *sum_dy_xc = hsum(_mm256_add_ps(t0, t1));
}

static void row_bwd_apply(const float *x, const float *dy, float *dx, int64_t rows,
                          int64_t stride, int64_t len, float mean, float c, float b, float k,
                          bool stream) {
    const __m256 mu = _mm256_set1_ps(mean), vc = _mm256_set1_ps(c), vb = _mm256_set1_ps(b),
                 vk = _mm256_set1_ps(k);
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride, *g = dy + n * stride;
        float *q = dx + n * stride;
        STORE_ROW(q, len, stream,
                  _mm256_fnmadd_ps(_mm256_sub_ps(LDV(p + i), mu), vk,
                                   _mm256_fmsub_ps(vc, LDV(g + i), vb)));
    }
    if (stream) _mm_sfence();
}

/* Column path. Loads and stores of the last, partial vector of a block go
 * through the mask; the feature arrays are only `width` long. */
#define LOAD(ptr, j, m) ((j) + W <= width ? _mm256_loadu_ps(ptr + (j)) : _mm256_maskload_ps(ptr + (j), m))
#define STORE(ptr, j, m, v)                                                                        \
    do {                                                                                           \
        if ((j) + W <= width) _mm256_storeu_ps(ptr + (j), v);                                      \
        else _mm256_maskstore_ps(ptr + (j), m, v);                                                 \
    } while (0)

static void col_sum(const float *x, int64_t rows, int64_t stride, int64_t width, float *acc) {
    const bool fetch = kb_bn_from_memory(rows, stride, 2); /* x read, y written */
    const __m256i m = tail_mask(width % W ? width % W : W);
    for (int64_t j = 0; j < width; j += W) STORE(acc, j, m, _mm256_setzero_ps());
    int64_t n = 0;
    for (; n + 4 <= rows; n += 4) {
        const float *p0 = x + n * stride, *p1 = p0 + stride, *p2 = p1 + stride, *p3 = p2 + stride;
        const int64_t ahead = !fetch ? 0 : rows - n - 4 < 4 ? rows - n - 4 : 4;
        for (int64_t j = 0; j < width; j += W) {
            if ((j & 15) == 0) kb_bn_prefetch_rows(p0 + 4 * stride + j, stride, ahead);
            const __m256 s01 = _mm256_add_ps(LOAD(p0, j, m), LOAD(p1, j, m));
            const __m256 s23 = _mm256_add_ps(LOAD(p2, j, m), LOAD(p3, j, m));
            STORE(acc, j, m, _mm256_add_ps(LOAD(acc, j, m), _mm256_add_ps(s01, s23)));
        }
    }
    for (; n < rows; n++) {
        const float *p = x + n * stride;
        for (int64_t j = 0; j < width; j += W)
            STORE(acc, j, m, _mm256_add_ps(LOAD(acc, j, m), LOAD(p, j, m)));
    }
}

static void col_sum_squares(const float *x, int64_t rows, int64_t stride, int64_t width,
                            const float *mean, float *acc) {
    /* Masked lanes load x = 0 and mean = 0: their deviations are zero. */
    const __m256i m = tail_mask(width % W ? width % W : W);
    for (int64_t j = 0; j < width; j += W) STORE(acc, j, m, _mm256_setzero_ps());
    int64_t n = 0;
    for (; n + 4 <= rows; n += 4) {
        const float *p0 = x + n * stride, *p1 = p0 + stride, *p2 = p1 + stride, *p3 = p2 + stride;
        for (int64_t j = 0; j < width; j += W) {
            const __m256 mu = LOAD(mean, j, m);
            const __m256 d0 = _mm256_sub_ps(LOAD(p0, j, m), mu), d1 = _mm256_sub_ps(LOAD(p1, j, m), mu);
            const __m256 d2 = _mm256_sub_ps(LOAD(p2, j, m), mu), d3 = _mm256_sub_ps(LOAD(p3, j, m), mu);
            const __m256 s01 = _mm256_fmadd_ps(d1, d1, _mm256_mul_ps(d0, d0));
            const __m256 s23 = _mm256_fmadd_ps(d3, d3, _mm256_mul_ps(d2, d2));
            STORE(acc, j, m, _mm256_add_ps(LOAD(acc, j, m), _mm256_add_ps(s01, s23)));
        }
    }
    for (; n < rows; n++) {
        const float *p = x + n * stride;
        for (int64_t j = 0; j < width; j += W) {
            const __m256 d = _mm256_sub_ps(LOAD(p, j, m), LOAD(mean, j, m));
            STORE(acc, j, m, _mm256_fmadd_ps(d, d, LOAD(acc, j, m)));
        }
    }
}

static void col_apply(const float *x, float *y, int64_t rows, int64_t stride, int64_t width,
                      const float *mean, const float *a, const float *b, bool stream) {
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        float *q = y + n * stride;
        const int64_t ahead = stream && n + 1 < rows ? 1 : 0; /* stream: from memory */
        STORE_ROW(q, width, stream,
                  ((i & 15) == 0 ? kb_bn_prefetch_rows(p + stride + i, stride, ahead) : (void)0,
                   _mm256_fmadd_ps(_mm256_sub_ps(LDV(p + i), LDV(mean + i)), LDV(a + i),
                                   LDV(b + i))));
    }
    if (stream) _mm_sfence();
}

static void col_bwd_sums(const float *x, const float *dy, int64_t rows, int64_t stride,
                         int64_t width, const float *mean, float *sum_dy, float *sum_dy_xc) {
    const bool fetch = kb_bn_from_memory(rows, stride, 3); /* x, dy read, dx written */
    const __m256i m = tail_mask(width % W ? width % W : W);
    for (int64_t j = 0; j < width; j += W) {
        STORE(sum_dy, j, m, _mm256_setzero_ps());
        STORE(sum_dy_xc, j, m, _mm256_setzero_ps());
    }
    int64_t n = 0;
    for (; n + 2 <= rows; n += 2) {
        const float *p0 = x + n * stride, *p1 = p0 + stride;
        const float *g0 = dy + n * stride, *g1 = g0 + stride;
        const int64_t ahead = !fetch ? 0 : rows - n - 2 < 2 ? rows - n - 2 : 2;
        for (int64_t j = 0; j < width; j += W) {
            if ((j & 15) == 0) {
                kb_bn_prefetch_rows(p0 + 2 * stride + j, stride, ahead);
                kb_bn_prefetch_rows(g0 + 2 * stride + j, stride, ahead);
            }
            const __m256 mu = LOAD(mean, j, m);
            const __m256 dy0 = LOAD(g0, j, m), dy1 = LOAD(g1, j, m);
            const __m256 t = _mm256_fmadd_ps(dy1, _mm256_sub_ps(LOAD(p1, j, m), mu),
                                             _mm256_mul_ps(dy0, _mm256_sub_ps(LOAD(p0, j, m), mu)));
            STORE(sum_dy, j, m, _mm256_add_ps(LOAD(sum_dy, j, m), _mm256_add_ps(dy0, dy1)));
            STORE(sum_dy_xc, j, m, _mm256_add_ps(LOAD(sum_dy_xc, j, m), t));
        }
    }
    for (; n < rows; n++) {
        const float *p = x + n * stride, *g = dy + n * stride;
        for (int64_t j = 0; j < width; j += W) {
            const __m256 dyv = LOAD(g, j, m);
            const __m256 d = _mm256_sub_ps(LOAD(p, j, m), LOAD(mean, j, m));
            STORE(sum_dy, j, m, _mm256_add_ps(LOAD(sum_dy, j, m), dyv));
            STORE(sum_dy_xc, j, m, _mm256_fmadd_ps(dyv, d, LOAD(sum_dy_xc, j, m)));
        }
    }
}

static void col_bwd_apply(const float *x, const float *dy, float *dx, int64_t rows,
                          int64_t stride, int64_t width, const float *mean, const float *c,
                          const float *b, const float *k, bool stream) {
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride, *g = dy + n * stride;
        float *q = dx + n * stride;
        STORE_ROW(q, width, stream,
                  _mm256_fnmadd_ps(_mm256_sub_ps(LDV(p + i), LDV(mean + i)), LDV(k + i),
                                   _mm256_fmsub_ps(LDV(c + i), LDV(g + i), LDV(b + i))));
    }
    if (stream) _mm_sfence();
}
#undef LOAD
#undef STORE
#undef STORE_ROW
#undef LDV

static const kb_bn_kernels kernels = {
    .row_sum = row_sum,
    .row_sum_squares = row_sum_squares,
    .row_apply = row_apply,
    .row_bwd_sums = row_bwd_sums,
    .row_bwd_apply = row_bwd_apply,
    .col_sum = col_sum,
    .col_sum_squares = col_sum_squares,
    .col_apply = col_apply,
    .col_bwd_sums = col_bwd_sums,
    .col_bwd_apply = col_bwd_apply,
};

static kb_status avx2_fwd_train(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_bn_fwd_train(&kernels, problem, args, ctx->threads);
}
static kb_status avx2_fwd_infer(const kb_problem *problem, const kb_args *args,
                                const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_bn_fwd_infer(&kernels, problem, args, ctx->threads);
}
static kb_status avx2_bwd(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                          void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_bn_bwd(&kernels, problem, args, ctx->threads);
}

const kb_variant kb_batchnorm_fwd_train__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_FWD_TRAIN,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2, two-pass variance, OpenMP over features, cache-blocked passes",
    .run = avx2_fwd_train,
};
const kb_variant kb_batchnorm_fwd_infer__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_FWD_INFER,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2 y = (x - mean) a + b, OpenMP over features",
    .run = avx2_fwd_infer,
};
const kb_variant kb_batchnorm_bwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_AVX2,
    .summary = "AVX2, one pass of sums then dx, OpenMP over features",
    .run = avx2_bwd,
};
