/* optim, AVX-512: each rule's update on 16 floats per vector with FMA
 * (fused forms of the book's products and sums: fewer roundings, within the
 * bound of problem.c), vsqrtps and vdivps (correctly rounded, no reciprocal
 * estimates), the tail under a lane mask, split over ctx->threads threads in
 * contiguous cache-line-aligned blocks (core/parallel.h). */
#include <immintrin.h>

#include "core/parallel.h"
#include "kernbench/variant.h"
#include "optim/optim.h"

#define FULL ((__mmask16)0xffff)

/* With a constant full mask, inlining turns these into plain loads/stores. */
static inline __m512 ld(const float *p, __mmask16 m) {
    return m == FULL ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}
static inline void st(float *p, __mmask16 m, __m512 v) {
    if (m == FULL)
        _mm512_storeu_ps(p, v);
    else
        _mm512_mask_storeu_ps(p, m, v);
}
static inline __m512 splat(float x) {
    return _mm512_set1_ps(x);
}

/* p -= step * numerator / (sqrt(h) + eps) */
static inline __m512 scaled_step(__m512 p, __m512 step_times_numerator, __m512 h) {
    const __m512 den = _mm512_add_ps(_mm512_sqrt_ps(h), splat(KB_OPTIM_EPSILON));
    return _mm512_sub_ps(p, _mm512_div_ps(step_times_numerator, den));
}

static inline void sgd16(const kb_optim_call *c, int64_t i, __mmask16 m) {
    const __m512 g = ld(c->grads + i, m);
    st(c->params + i, m, _mm512_fnmadd_ps(splat(c->lr), g, ld(c->params + i, m)));
}

static inline void momentum16(const kb_optim_call *c, int64_t i, __mmask16 m) {
    const __m512 g = ld(c->grads + i, m);
    const __m512 v =
        _mm512_fmsub_ps(splat(c->momentum), ld(c->state0 + i, m), _mm512_mul_ps(splat(c->lr), g));
    st(c->state0 + i, m, v);
    st(c->params + i, m, _mm512_add_ps(ld(c->params + i, m), v));
}

static inline void nesterov16(const kb_optim_call *c, int64_t i, __mmask16 m) {
    const __m512 g = ld(c->grads + i, m);
    const __m512 v =
        _mm512_fmsub_ps(splat(c->momentum), ld(c->state0 + i, m), _mm512_mul_ps(splat(c->lr), g));
    st(c->state0 + i, m, v);
    const __m512 p = _mm512_fmadd_ps(splat(c->mu_squared), v, ld(c->params + i, m));
    st(c->params + i, m, _mm512_fnmadd_ps(splat(c->nesterov_lr), g, p));
}

static inline void adagrad16(const kb_optim_call *c, int64_t i, __mmask16 m) {
    const __m512 g = ld(c->grads + i, m);
    const __m512 h = _mm512_fmadd_ps(g, g, ld(c->state0 + i, m));
    st(c->state0 + i, m, h);
    st(c->params + i, m, scaled_step(ld(c->params + i, m), _mm512_mul_ps(splat(c->lr), g), h));
}

static inline void rmsprop16(const kb_optim_call *c, int64_t i, __mmask16 m) {
    const __m512 g = ld(c->grads + i, m);
    const __m512 h = _mm512_fmadd_ps(_mm512_mul_ps(splat(c->one_minus_decay), g), g,
                                     _mm512_mul_ps(splat(c->decay), ld(c->state0 + i, m)));
    st(c->state0 + i, m, h);
    st(c->params + i, m, scaled_step(ld(c->params + i, m), _mm512_mul_ps(splat(c->lr), g), h));
}

static inline void adam16(const kb_optim_call *c, int64_t i, __mmask16 m) {
    const __m512 g = ld(c->grads + i, m);
    const __m512 m0 = ld(c->state0 + i, m), v0 = ld(c->state1 + i, m);
    const __m512 mt = _mm512_fmadd_ps(splat(c->one_minus_beta1), _mm512_sub_ps(g, m0), m0);
    const __m512 vt = _mm512_fmadd_ps(splat(c->one_minus_beta2), _mm512_fmsub_ps(g, g, v0), v0);
    st(c->state0 + i, m, mt);
    st(c->state1 + i, m, vt);
    st(c->params + i, m, scaled_step(ld(c->params + i, m), _mm512_mul_ps(splat(c->lr_t), mt), vt));
}

/* The call is copied into a local so the compiler sees that the array
 * stores cannot change the coefficients (they stay in registers). */
#define RANGE(rule)                                                                                \
    static void rule##_range(const void *data, int64_t begin, int64_t end) {                       \
        const kb_optim_call c = *(const kb_optim_call *)data;                                      \
        int64_t i = begin;                                                                         \
        for (; i + 16 <= end; i += 16) rule##16(&c, i, FULL);                                      \
        if (i < end) rule##16(&c, i, (__mmask16)((1u << (end - i)) - 1));                          \
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

kb_status kb_optim__avx512(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                           void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_optim_run_ranges(problem, args, ctx->threads, ranges);
}

KB_OPTIM_VARIANTS(avx512, KB_ISA_AVX512, false,
                  "AVX-512 FMA, vsqrtps/vdivps, masked tail, one block per thread",
                  kb_optim__avx512)
