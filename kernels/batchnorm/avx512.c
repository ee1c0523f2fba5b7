/* batchnorm, avx512: AVX-512 inner loops on the shared driver (driver.c),
 * OpenMP over features (spatial / H*W > 1: one channel per work item) or
 * blocks of adjacent features (per feature), so no reduction crosses
 * threads. All three directions.
 *
 * Variance: two passes, sum (x - mean)^2 around the float mean of the first
 * (fused multiply-add of the deviation with itself), never E[x^2] - E[x]^2.
 *
 * Row path: four 16-lane accumulators per sum, the row's tail under a mask
 * (masked lanes are zero, and deviations are taken under the same mask so a
 * masked lane never contributes -mean). Column path: one accumulator per
 * feature in a small array (L1), four batch rows added together before each
 * accumulator update so the load-add-store chain is not per row. Outputs use
 * y = (x - mean) a + b with exact sqrt and division for a (no rsqrt14
 * estimate: its 2^-14 error would exceed the tolerance). */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#include "batchnorm/batchnorm.h"
#include "kernbench/variant.h"

enum { W = 16 };

static inline __mmask16 tail_mask(int64_t remaining) {
    return (__mmask16)((1u << remaining) - 1u);
}

/* Stores one row of `len` outputs, EXPR evaluated with the offset `i` and
 * the load mask `m` in scope (all lanes for a full vector). With `stream`,
 * the row's aligned middle goes out through non-temporal stores (after a
 * masked head up to the next 64-byte boundary): outputs that do not fit the
 * caches then skip the read-for-ownership of their lines, a third of the
 * traffic of a write-once pass. The caller ends with an sfence. */
#define STORE_ROW(q, len, stream, EXPR)                                                            \
    do {                                                                                           \
        int64_t i = 0;                                                                             \
        __mmask16 m = (__mmask16)0xffff;                                                           \
        if (stream) {                                                                              \
            int64_t head_ = (int64_t)((64u - ((uintptr_t)(q)&63u)) & 63u) / 4;                     \
            if (head_ > (len)) head_ = (len);                                                      \
            if (head_ > 0) {                                                                       \
                m = tail_mask(head_);                                                              \
                _mm512_mask_storeu_ps((q), m, (EXPR));                                             \
                m = (__mmask16)0xffff;                                                             \
            }                                                                                      \
            for (i = head_; i + W <= (len); i += W) _mm512_stream_ps((q) + i, (EXPR));             \
        } else {                                                                                   \
            for (; i + W <= (len); i += W) _mm512_storeu_ps((q) + i, (EXPR));                      \
        }                                                                                          \
        if (i < (len)) {                                                                           \
            m = tail_mask((len)-i);                                                                \
            _mm512_mask_storeu_ps((q) + i, m, (EXPR));                                             \
        }                                                                                          \
    } while (0)

static float row_sum(const float *x, int64_t rows, int64_t stride, int64_t len) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const __mmask16 m = tail_mask(len % W);
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        int64_t i = 0;
        for (; i + 4 * W <= len; i += 4 * W) {
            a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p + i));
            a1 = _mm512_add_ps(a1, _mm512_loadu_ps(p + i + W));
            a2 = _mm512_add_ps(a2, _mm512_loadu_ps(p + i + 2 * W));
            a3 = _mm512_add_ps(a3, _mm512_loadu_ps(p + i + 3 * W));
        }
        for (; i + W <= len; i += W) a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p + i));
        if (i < len) a1 = _mm512_add_ps(a1, _mm512_maskz_loadu_ps(m, p + i));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

static float row_sum_squares(const float *x, int64_t rows, int64_t stride, int64_t len,
                             float mean) {
    const __m512 mu = _mm512_set1_ps(mean);
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const __mmask16 m = tail_mask(len % W);
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        int64_t i = 0;
        for (; i + 4 * W <= len; i += 4 * W) {
            const __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(p + i), mu);
            const __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(p + i + W), mu);
            const __m512 d2 = _mm512_sub_ps(_mm512_loadu_ps(p + i + 2 * W), mu);
            const __m512 d3 = _mm512_sub_ps(_mm512_loadu_ps(p + i + 3 * W), mu);
            a0 = _mm512_fmadd_ps(d0, d0, a0);
            a1 = _mm512_fmadd_ps(d1, d1, a1);
            a2 = _mm512_fmadd_ps(d2, d2, a2);
            a3 = _mm512_fmadd_ps(d3, d3, a3);
        }
        for (; i + W <= len; i += W) {
            const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(p + i), mu);
            a0 = _mm512_fmadd_ps(d, d, a0);
        }
        if (i < len) {
            const __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, p + i), mu);
            a1 = _mm512_fmadd_ps(d, d, a1);
        }
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

static void row_apply(const float *x, float *y, int64_t rows, int64_t stride, int64_t len,
                      float mean, float a, float b, bool stream) {
    const __m512 mu = _mm512_set1_ps(mean), va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride;
        float *q = y + n * stride;
        STORE_ROW(q, len, stream,
                  _mm512_fmadd_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, p + i), mu), va, vb));
    }
    if (stream) _mm_sfence();
}

static void row_bwd_sums(const float *x, const float *dy, int64_t rows, int64_t stride,
                         int64_t len, float mean, float *sum_dy, float *sum_dy_xc) {
    const __m512 mu = _mm512_set1_ps(mean);
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, t0 = s0, t1 = s0;
    const __mmask16 m = tail_mask(len % W);
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride, *g = dy + n * stride;
        int64_t i = 0;
        for (; i + 2 * W <= len; i += 2 * W) {
            const __m512 g0 = _mm512_loadu_ps(g + i), g1 = _mm512_loadu_ps(g + i + W);
            s0 = _mm512_add_ps(s0, g0);
            s1 = _mm512_add_ps(s1, g1);
            t0 = _mm512_fmadd_ps(g0, _mm512_sub_ps(_mm512_loadu_ps(p + i), mu), t0);
            t1 = _mm512_fmadd_ps(g1, _mm512_sub_ps(_mm512_loadu_ps(p + i + W), mu), t1);
        }
        for (; i + W <= len; i += W) {
            const __m512 g0 = _mm512_loadu_ps(g + i);
            s0 = _mm512_add_ps(s0, g0);
            t0 = _mm512_fmadd_ps(g0, _mm512_sub_ps(_mm512_loadu_ps(p + i), mu), t0);
        }
        if (i < len) {
            const __m512 g0 = _mm512_maskz_loadu_ps(m, g + i);
            s1 = _mm512_add_ps(s1, g0);
            t1 = _mm512_fmadd_ps(g0, _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, p + i), mu), t1);
        }
    }
    *sum_dy = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    *sum_dy_xc = _mm512_reduce_add_ps(_mm512_add_ps(t0, t1));
}

static void row_bwd_apply(const float *x, const float *dy, float *dx, int64_t rows,
                          int64_t stride, int64_t len, float mean, float c, float b, float k,
                          bool stream) {
    const __m512 mu = _mm512_set1_ps(mean), vc = _mm512_set1_ps(c), vb = _mm512_set1_ps(b),
                 vk = _mm512_set1_ps(k);
    for (int64_t n = 0; n < rows; n++) {
        const float *p = x + n * stride, *g = dy + n * stride;
        float *q = dx + n * stride;
        STORE_ROW(q, len, stream,
                  _mm512_fnmadd_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, p + i), mu), vk,
                                   _mm512_fmsub_ps(vc, _mm512_maskz_loadu_ps(m, g + i), vb)));
    }
    if (stream) _mm_sfence();
}

/* Column path: rows are added four at a time into the per-feature
 * accumulators `acc` (L1-resident, at most KB_BN_MAX_BLOCK floats). */
static void col_sum(const float *x, int64_t rows, int64_t stride, int64_t width, float *acc) {
    const bool fetch = kb_bn_from_memory(rows, stride, 2); /* x read, y written */
    const __mmask16 m = tail_mask(width % W);
    for (int64_t j = 0; j < width; j += W) {
        const __mmask16 mj = j + W <= width ? (__mmask16)0xffff : m;
        _mm512_mask_storeu_ps(acc + j, mj, _mm512_setzero_ps());
    }
    int64_t n = 0;
    for (; n + 4 <= rows; n += 4) {
        const float *p0 = x + n * stride, *p1 = p0 + stride, *p2 = p1 + stride, *p3 = p2 + stride;
        const int64_t ahead = !fetch ? 0 : rows - n - 4 < 4 ? rows - n - 4 : 4;
        for (int64_t j = 0; j < width; j += W) {
            kb_bn_prefetch_rows(p0 + 4 * stride + j, stride, ahead);
            const __mmask16 mj = j + W <= width ? (__mmask16)0xffff : m;
            const __m512 s01 = _mm512_add_ps(_mm512_maskz_loadu_ps(mj, p0 + j), _mm512_maskz_loadu_ps(mj, p1 + j));
            const __m512 s23 = _mm512_add_ps(_mm512_maskz_loadu_ps(mj, p2 + j), _mm512_maskz_loadu_ps(mj, p3 + j));
            const __m512 s = _mm512_add_ps(_mm512_maskz_loadu_ps(mj, acc + j), _mm512_add_ps(s01, s23));
            _mm512_mask_storeu_ps(acc + j, mj, s);
        }
    }
    for (; n < rows; n++) {
        const float *p = x + n * stride;
        for (int64_t j = 0; j < width; j += W) {
            const __mmask16 mj = j + W <= width ? (__mmask16)0xffff : m;
            _mm512_mask_storeu_ps(acc + j, mj, _mm512_add_ps(_mm512_maskz_loadu_ps(mj, acc + j),
                                                             _mm512_maskz_loadu_ps(mj, p + j)));
        }
    }
}

static void col_sum_squares(const float *x, int64_t rows, int64_t stride, int64_t width,
                            const float *mean, float *acc) {
    const __mmask16 m = tail_mask(width % W);
    for (int64_t j = 0; j < width; j += W) {
        const __mmask16 mj = j + W <= width ? (__mmask16)0xffff : m;
        _mm512_mask_storeu_ps(acc + j, mj, _mm512_setzero_ps());
    }
    int64_t n = 0;
    for (; n + 4 <= rows; n += 4) {
        const float *p0 = x + n * stride, *p1 = p0 + stride, *p2 = p1 + stride, *p3 = p2 + stride;
        for (int64_t j = 0; j < width; j += W) {
            const __mmask16 mj = j + W <= width ? (__mmask16)0xffff : m;
            const __m512 mu = _mm512_maskz_loadu_ps(mj, mean + j);
            const __m512 d0 = _mm512_sub_ps(_mm512_maskz_loadu_ps(mj, p0 + j), mu);
            const __m512 d1 = _mm512_sub_ps(_mm512_maskz_loadu_ps(mj, p1 + j), mu);
            const __m512 d2 = _mm512_sub_ps(_mm512_maskz_loadu_ps(mj, p2 + j), mu);
            const __m512 d3 = _mm512_sub_ps(_mm512_maskz_loadu_ps(mj, p3 + j), mu);
            const __m512 s01 = _mm512_fmadd_ps(d1, d1, _mm512_mul_ps(d0, d0));
            const __m512 s23 = _mm512_fmadd_ps(d3, d3, _mm512_mul_ps(d2, d2));
            const __m512 s = _mm512_add_ps(_mm512_maskz_loadu_ps(mj, acc + j), _mm512_add_ps(s01, s23));
            _mm512_mask_storeu_ps(acc + j, mj, s);
        }
    }
    for (; n < rows; n++) {
        const float *p = x + n * stride;
        for (int64_t j = 0; j < width; j += W) {
            const __mmask16 mj = j + W <= width ? (__mmask16)0xffff : m;
            const __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(mj, p + j), _mm512_maskz_loadu_ps(mj, mean + j));
            _mm512_mask_storeu_ps(acc + j, mj, _mm512_fmadd_ps(d, d, _mm512_maskz_loadu_ps(mj, acc + j)));
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
                  (kb_bn_prefetch_rows(p + stride + i, stride, ahead),
                   _mm512_fmadd_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, p + i),
                                                 _mm512_maskz_loadu_ps(m, mean + i)),
                                   _mm512_maskz_loadu_ps(m, a + i),
                                   _mm512_maskz_loadu_ps(m, b + i))));
    }
    if (stream) _mm_sfence();
}

static void col_bwd_sums(const float *x, const float *dy, int64_t rows, int64_t stride,
                         int64_t width, const float *mean, float *sum_dy, float *sum_dy_xc) {
    const bool fetch = kb_bn_from_memory(rows, stride, 3); /* x, dy read, dx written */
    const __mmask16 m = tail_mask(width % W);
    for (int64_t j = 0; j < width; j += W) {
        const __mmask16 mj = j + W <= width ? (__mmask16)0xffff : m;
        _mm512_mask_storeu_ps(sum_dy + j, mj, _mm512_setzero_ps());
        _mm512_mask_storeu_ps(sum_dy_xc + j, mj, _mm512_setzero_ps());
    }
    int64_t n = 0;
    for (; n + 2 <= rows; n += 2) {
        const float *p0 = x + n * stride, *p1 = p0 + stride;
        const float *g0 = dy + n * stride, *g1 = g0 + stride;
        const int64_t ahead = !fetch ? 0 : rows - n - 2 < 2 ? rows - n - 2 : 2;
        for (int64_t j = 0; j < width; j += W) {
            kb_bn_prefetch_rows(p0 + 2 * stride + j, stride, ahead);
            kb_bn_prefetch_rows(g0 + 2 * stride + j, stride, ahead);
            const __mmask16 mj = j + W <= width ? (__mmask16)0xffff : m;
            const __m512 mu = _mm512_maskz_loadu_ps(mj, mean + j);
            const __m512 dy0 = _mm512_maskz_loadu_ps(mj, g0 + j), dy1 = _mm512_maskz_loadu_ps(mj, g1 + j);
            const __m512 t = _mm512_fmadd_ps(dy1, _mm512_sub_ps(_mm512_maskz_loadu_ps(mj, p1 + j), mu),
                                             _mm512_mul_ps(dy0, _mm512_sub_ps(_mm512_maskz_loadu_ps(mj, p0 + j), mu)));
            _mm512_mask_storeu_ps(sum_dy + j, mj, _mm512_add_ps(_mm512_maskz_loadu_ps(mj, sum_dy + j), _mm512_add_ps(dy0, dy1)));
            _mm512_mask_storeu_ps(sum_dy_xc + j, mj, _mm512_add_ps(_mm512_maskz_loadu_ps(mj, sum_dy_xc + j), t));
        }
    }
    for (; n < rows; n++) {
        const float *p = x + n * stride, *g = dy + n * stride;
        for (int64_t j = 0; j < width; j += W) {
            const __mmask16 mj = j + W <= width ? (__mmask16)0xffff : m;
            const __m512 dyv = _mm512_maskz_loadu_ps(mj, g + j);
            const __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(mj, p + j), _mm512_maskz_loadu_ps(mj, mean + j));
            _mm512_mask_storeu_ps(sum_dy + j, mj, _mm512_add_ps(_mm512_maskz_loadu_ps(mj, sum_dy + j), dyv));
            _mm512_mask_storeu_ps(sum_dy_xc + j, mj, _mm512_fmadd_ps(dyv, d, _mm512_maskz_loadu_ps(mj, sum_dy_xc + j)));
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
                  _mm512_fnmadd_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, p + i),
                                                 _mm512_maskz_loadu_ps(m, mean + i)),
                                   _mm512_maskz_loadu_ps(m, k + i),
                                   _mm512_fmsub_ps(_mm512_maskz_loadu_ps(m, c + i),
                                                   _mm512_maskz_loadu_ps(m, g + i),
                                                   _mm512_maskz_loadu_ps(m, b + i))));
    }
    if (stream) _mm_sfence();
}

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

static kb_status avx512_fwd_train(const kb_problem *problem, const kb_args *args,
                                  const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_bn_fwd_train(&kernels, problem, args, ctx->threads);
}
static kb_status avx512_fwd_infer(const kb_problem *problem, const kb_args *args,
                                  const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_bn_fwd_infer(&kernels, problem, args, ctx->threads);
}
static kb_status avx512_bwd(const kb_problem *problem, const kb_args *args,
                            const kb_context *ctx, void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_bn_bwd(&kernels, problem, args, ctx->threads);
}

const kb_variant kb_batchnorm_fwd_train__avx512_variant = {
    .name = "avx512",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_FWD_TRAIN,
    .required_isa = KB_ISA_AVX512,
    .summary = "AVX-512, two-pass variance, OpenMP over features, cache-blocked passes",
    .run = avx512_fwd_train,
};
const kb_variant kb_batchnorm_fwd_infer__avx512_variant = {
    .name = "avx512",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_FWD_INFER,
    .required_isa = KB_ISA_AVX512,
    .summary = "AVX-512 y = (x - mean) a + b, OpenMP over features",
    .run = avx512_fwd_infer,
};
const kb_variant kb_batchnorm_bwd__avx512_variant = {
    .name = "avx512",
    .kernel = KB_KERNEL_BATCHNORM,
    .direction = KB_DIR_BWD,
    .required_isa = KB_ISA_AVX512,
    .summary = "AVX-512, one pass of sums then dx, OpenMP over features",
    .run = avx512_bwd,
};
