/* sigmoid's shared pieces: the overflow-free formulation, the exp polynomial
 * every hand-written vector variant evaluates, and a portable-C copy of it
 * that compilers vectorise.
 *
 * Formulation: with t = exp(-|x|), which is in (0, 1] and never overflows,
 *   sigmoid(x) = 1 / (1 + t)   for x >= 0
 *              = t / (1 + t)   for x <  0   (the same value, e^x / (1 + e^x))
 * so x = +-100 gives 1 and 3.7e-44 with no infinity on the way; NaN stays NaN,
 * +Inf gives 1 and -Inf gives 0.
 *
 * exp(z) for z in [-104, 0] (below -104 exp(z) < 2^-150 rounds to 0, so the
 * argument is clamped there; the clamp keeps NaN):
 *   n = round(z / ln 2), r = z - n ln 2 (|r| <= ln2 / 2, two-part ln 2),
 *   exp(r) ~ p(r) of degree 6: the Chebyshev interpolant of exp on
 *   [-ln2/2, ln2/2] in monomial form (maximum relative error 2.5e-9 with exact
 *   coefficients, 0.02 ulp), evaluated by Horner,
 *   exp(z) = p(r) * 2^n, applied in two halves (2^(n/2) * 2^(n - n/2)) so that
 *   results below FLT_MIN come out as correctly scaled subnormals (AVX-512 uses
 *   vscalefps, one rounding).
 * (softmax has its own polynomial exp, kernels/softmax/softmax.h, written at
 * the same time; the constants here are prefixed KB_SIGMOID_EXP_ so the two
 * never collide. One exp in core/ for both is left to a later change.)
 * Measured over every float z in [-104, 0] against exp in double: within
 * 1.08 ulp (0.76 eps relative) with FMA, 1.37 ulp (0.97 eps) without
 * (kernels/sigmoid/problem.c has the sigmoid's numbers and the tolerance). */
#ifndef KB_SIGMOID_H
#define KB_SIGMOID_H

#include <math.h>
#include <stdint.h>

#define KB_SIGMOID_EXP_MIN_ARG (-104.0f)
#define KB_SIGMOID_EXP_LOG2E 1.44269502f
/* ln 2 in two parts for fused multiply-add reduction: hi is ln 2 rounded to
 * float, lo the rest. */
#define KB_SIGMOID_EXP_LN2_HI 0.693147182f
#define KB_SIGMOID_EXP_LN2_LO (-1.90465421e-09f)
/* ln 2 in two parts for reduction without FMA: hi has 9 significant bits, so
 * n * hi is exact for |n| <= 2^15. */
#define KB_SIGMOID_EXP_LN2_HI_SHORT 0.693359375f
#define KB_SIGMOID_EXP_LN2_LO_SHORT (-2.12194440e-4f)
/* p(r) = C0 + C1 r + ... + C6 r^6 (C0 = C1 = 1 and C2 = 1/2 after rounding). */
#define KB_SIGMOID_EXP_C2 0.5f
#define KB_SIGMOID_EXP_C3 0.166664153f
#define KB_SIGMOID_EXP_C4 0.0416663513f
#define KB_SIGMOID_EXP_C5 0.00837512594f
#define KB_SIGMOID_EXP_C6 0.00139411085f

/* The textbook scalar form with libm's expf (the naive variant). */
static inline float kb_sigmoid_libm(float x) {
    const float t = expf(-fabsf(x));
    return x >= 0 ? 1.0f / (1.0f + t) : t / (1.0f + t);
}

/* Float <-> bits through a union: unlike memcpy, gcc vectorises it. */
static inline float kb_float_from_bits(uint32_t bits) {
    const union {
        uint32_t bits;
        float value;
    } u = {.bits = bits};
    return u.value;
}
static inline uint32_t kb_float_bits(float value) {
    const union {
        float value;
        uint32_t bits;
    } u = {.value = value};
    return u.bits;
}

/* exp(z) for z with the sign bit set (z = -|x|), by the polynomial above, in
 * portable C that gcc vectorises under `#pragma omp simd` for the baseline
 * ISA: no FMA, and no floating-point select or branch (with the default
 * -ftrapping-math gcc will not if-convert those), so the clamp to -104 is an
 * unsigned minimum on the bits (for negative floats a larger bit pattern is a
 * larger magnitude; NaN and -Inf clamp too: callers restore NaN). Rounding to
 * nearest uses the 1.5 * 2^23 trick (|z / ln 2| < 2^22). */
static inline float kb_exp_nonpositive(float z) {
    const uint32_t bits = kb_float_bits(z), limit = kb_float_bits(KB_SIGMOID_EXP_MIN_ARG);
    z = kb_float_from_bits(bits < limit ? bits : limit);
    const float shifter = 12582912.0f; /* 1.5 * 2^23 */
    const float n = (z * KB_SIGMOID_EXP_LOG2E + shifter) - shifter;
    float r = z - n * KB_SIGMOID_EXP_LN2_HI_SHORT;
    r = r - n * KB_SIGMOID_EXP_LN2_LO_SHORT;
    float p = KB_SIGMOID_EXP_C6;
    p = p * r + KB_SIGMOID_EXP_C5;
    p = p * r + KB_SIGMOID_EXP_C4;
    p = p * r + KB_SIGMOID_EXP_C3;
    p = p * r + KB_SIGMOID_EXP_C2;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const int32_t k = (int32_t)n; /* in [-150, 0] */
    const int32_t k1 = k / 2, k2 = k - k1;
    return p * kb_float_from_bits((uint32_t)(k1 + 127) << 23) *
           kb_float_from_bits((uint32_t)(k2 + 127) << 23);
}

/* The selects are on bits as well: the numerator is t where x has its sign
 * bit set (x < 0, and -0, where t / (1 + t) = 1 / (1 + t) = 1/2 anyway),
 * else 1. */
static inline float kb_sigmoid_poly(float x) {
    const float t = kb_exp_nonpositive(-fabsf(x));
    const uint32_t negative = 0u - (kb_float_bits(x) >> 31);
    const float numerator =
        kb_float_from_bits((kb_float_bits(t) & negative) | (kb_float_bits(1.0f) & ~negative));
    const float y = numerator / (1.0f + t);
    return isnan(x) ? x : y;
}

#endif
