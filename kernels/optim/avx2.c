/* optim, AVX2: each rule's update on 8 floats per vector with FMA
 * (fused forms of the book's products and sums: fewer roundings, within the
 * bound of problem.c), vsqrtps and vdivps (correctly rounded, no reciprocal
 * estimates), the tail through vmaskmovps, split over ctx->threads threads in
 * contiguous cache-line-aligned blocks (core/parallel.h). */
#include <immintrin.h>

#include "core/parallel.h"
#include "kernbench/variant.h"
#include "optim/optim.h"

#define FULL 8

/* m is the number of lanes to touch: FULL (8) in the main loop, where
 * inlining turns these into plain loads/stores; fewer in the tail. */
static inline __m256i lanes(int m) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(m), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline __m256 ld(const float *p, int m) {
    return m == FULL ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes(m));
}
static inline void st(float *p, int m, __m256 v) {
    if (m == FULL)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, lanes(m), v);
}
static inline __m256 splat(float x) {
    return _mm256_set1_ps(x);
}

/* p -= step * numerator / (sqrt(h) + eps) */
static inline __m256 scaled_step(__m256 p, __m256 step_times_numerator, __m256 h) {
    const __m256 den = _mm256_add_ps(_mm256_sqrt_ps(h), splat(KB_OPTIM_EPSILON));
    return _mm256_sub_ps(p, _mm256_div_ps(step_times_numerator, den));
}

static inline void sgd8(const kb_optim_call *c, int64_t i, int m) {
    const __m256 g = ld(c->grads + i, m);
    st(c->params + i, m, _mm256_fnmadd_ps(splat(c->lr), g, ld(c->params + i, m)));
}

static inline void momentum8(const kb_optim_call *c, int64_t i, int m) {
    const __m256 g = ld(c->grads + i, m);
    const __m256 v =
        _mm256_fmsub_ps(splat(c->momentum), ld(c->state0 + i, m), _mm256_mul_ps(splat(c->lr), g));
    st(c->state0 + i, m, v);
    st(c->params + i, m, _mm256_add_ps(ld(c->params + i, m), v));
}

static inline void nesterov8(const kb_optim_call *c, int64_t i, int m) {
    const __m256 g = ld(c->grads + i, m);
    const __m256 v =
        _mm256_fmsub_ps(splat(c->momentum), ld(c->state0 + i, m), _mm256_mul_ps(splat(c->lr), g));
    st(c->state0 + i, m, v);
    const __m256 p = _mm256_fmadd_ps(splat(c->mu_squared), v, ld(c->params + i, m));
    st(c->params + i, m, _mm256_fnmadd_ps(splat(c->nesterov_lr), g, p));
}

static inline void adagrad8(const kb_optim_call *c, int64_t i, int m) {
    const __m256 g = ld(c->grads + i, m);
    const __m256 h = _mm256_fmadd_ps(g, g, ld(c->state0 + i, m));
    st(c->state0 + i, m, h);
    st(c->params + i, m, scaled_step(ld(c->params + i, m), _mm256_mul_ps(splat(c->lr), g), h));
}

static inline void rmsprop8(const kb_optim_call *c, int64_t i, int m) {
    const __m256 g = ld(c->grads + i, m);
    const __m256 h = _mm256_fmadd_ps(_mm256_mul_ps(splat(c->one_minus_decay), g), g,
                                     _mm256_mul_ps(splat(c->decay), ld(c->state0 + i, m)));
    st(c->state0 + i, m, h);
    st(c->params + i, m, scaled_step(ld(c->params + i, m), _mm256_mul_ps(splat(c->lr), g), h));
}

static inline void adam8(const kb_optim_call *c, int64_t i, int m) {
    const __m256 g = ld(c->grads + i, m);
    const __m256 m0 = ld(c->state0 + i, m), v0 = ld(c->state1 + i, m);
    const __m256 mt = _mm256_fmadd_ps(splat(c->one_minus_beta1), _mm256_sub_ps(g, m0), m0);
    const __m256 vt = _mm256_fmadd_ps(splat(c->one_minus_beta2), _mm256_fmsub_ps(g, g, v0), v0);
    st(c->state0 + i, m, mt);
    st(c->state1 + i, m, vt);
    st(c->params + i, m, scaled_step(ld(c->params + i, m), _mm256_mul_ps(splat(c->lr_t), mt), vt));
}

/* The call is copied into a local so the compiler sees that the array
 * stores cannot change the coefficients (they stay in registers). */
#define RANGE(rule)                                                                                \
    static void rule##_range(const void *data, int64_t begin, int64_t end) {                       \
        const kb_optim_call c = *(const kb_optim_call *)data;                                      \
        int64_t i = begin;                                                                         \
        for (; i + 8 <= end; i += 8) rule##8(&c, i, FULL);                                         \
        if (i < end) rule##8(&c, i, (int)(end - i));                                               \
    }
RANGE(sgd)
RANGE(momentum)
RANGE(nesterov)
RANGE(adagrad)
RANGE(rmsprop)
RANGE(adam)

static kb_range_fn *const ranges[KB_DIR_COUNT] = {
    [KB_DIR_SGD] = sgd_range,           [KB_DIR_MOMENTUM] = momentum_range,
    [KB_DIR_NESTEROV] = nesterov_range, [KB_DIR_ADAGRAD] = adagrad_range,
    [KB_DIR_RMSPROP] = rmsprop_range,   [KB_DIR_ADAM] = adam_range,
};

kb_status kb_optim__avx2(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                         void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_optim_run_ranges(problem, args, ctx->threads, ranges);
}

KB_OPTIM_VARIANTS(avx2, KB_ISA_AVX2, false,
                  "AVX2 FMA, vsqrtps/vdivps, vmaskmovps tail, one block per thread", kb_optim__avx2)
