/* The accuracy of the project's vector exp (kernels/softmax/softmax.h),
 * measured against exp() in double, and held to the contract the softmax
 * tolerances assume (KB_SOFTMAX_MATH_ULPS * FLT_EPSILON relative error):
 *   - e^x for x in [-87.3, 0], the three-pass variants' arguments x - max,
 *     where the result is a normal float (relative error); below that, the
 *     result must be within 4 * FLT_MIN of the true value (the flush the
 *     softmax tolerance allows, kernels/softmax/problem.c);
 *   - the two-pass form e^x = p * 2^n for x in [-2^16, 2^16] (the two-pass
 *     variant's direct range, KB_SOFTMAX_TWO_PASS_MAX_ABS): the relative
 *     error of p against exp(x - n ln 2) in double.
 * By default every 17th float of each range (about 6.6e7 arguments for the
 * first); KB_EXP_EXHAUSTIVE=1 takes every float (about 1.1e9 and 2.3e9
 * arguments). libm's expf, which the naive and omp variants call, is
 * measured too (every 221st float) and held to the same contract. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/softmax/softmax.h"
#include "kernbench/isa.h"
#include "testing.h"

enum { CHUNK = 1 << 16 };

typedef void exp_fn(const float *x, float *y, size_t count);

static void libm_exp(const float *x, float *y, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] = expf(x[i]);
}

static float from_bits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint32_t to_bits(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

typedef struct sweep {
    double max_rel;      /* in FLT_EPSILON units, normal results */
    double worst_x;
    double max_flush;    /* in FLT_MIN units, results below FLT_MIN */
    unsigned long count;
} sweep;

/* e^x over the negative floats from -0 down to `lowest`, every `stride`th. */
static sweep sweep_exp(exp_fn *fn, float lowest, uint32_t stride) {
    sweep r = {0};
    float *x = malloc(CHUNK * sizeof *x), *y = malloc(CHUNK * sizeof *y);
    const uint32_t first = to_bits(-0.0f), last = to_bits(lowest);
    uint32_t bits = first;
    while (bits <= last) {
        size_t n = 0;
        for (; n < CHUNK && bits <= last; n++, bits += stride) x[n] = from_bits(bits);
        fn(x, y, n);
        for (size_t i = 0; i < n; i++) {
            const double ref = exp((double)x[i]);
            const double err = fabs((double)y[i] - ref);
            if (ref >= FLT_MIN) {
                const double rel = err / ref / FLT_EPSILON;
                if (rel > r.max_rel) r.max_rel = rel, r.worst_x = x[i];
            } else if (err / FLT_MIN > r.max_flush) {
                r.max_flush = err / FLT_MIN;
            }
        }
        r.count += n;
        if (bits < stride) break; /* wrapped */
    }
    free(x), free(y);
    return r;
}

/* The two-pass form over [-limit, limit], every `stride`th float. */
static sweep sweep_pn(float limit, uint32_t stride) {
    sweep r = {0};
    float *x = malloc(CHUNK * sizeof *x), *p = malloc(CHUNK * sizeof *p);
    float *k = malloc(CHUNK * sizeof *k);
    for (int sign = 0; sign < 2; sign++) {
        const uint32_t first = sign ? to_bits(-0.0f) : 0, last = to_bits(sign ? -limit : limit);
        uint32_t bits = first;
        while (bits <= last) {
            size_t n = 0;
            for (; n < CHUNK && bits <= last; n++, bits += stride) x[n] = from_bits(bits);
            kb_softmax_exp_pn_avx512(x, p, k, n);
            for (size_t i = 0; i < n; i++) {
                const double ref = exp((double)x[i] - (double)k[i] * M_LN2);
                const double rel = fabs((double)p[i] - ref) / ref / FLT_EPSILON;
                if (rel > r.max_rel) r.max_rel = rel, r.worst_x = x[i];
            }
            r.count += n;
        }
    }
    free(x), free(p), free(k);
    return r;
}

int main(void) {
    const bool exhaustive = getenv("KB_EXP_EXHAUSTIVE") && atoi(getenv("KB_EXP_EXHAUSTIVE"));
    const uint32_t stride = exhaustive ? 1 : 17;
    /* Below -87.34 e^x < FLT_MIN; -104 is past the last subnormal. */
    const float lowest = -104.0f;
    const double contract = KB_SOFTMAX_MATH_ULPS;
    const struct {
        const char *name;
        kb_isa isa;
        exp_fn *fn;
    } exps[] = {{"avx2", KB_ISA_AVX2, kb_softmax_exp_avx2},
                {"avx512", KB_ISA_AVX512, kb_softmax_exp_avx512}};
    sweep libm = sweep_exp(libm_exp, lowest, stride * 13);
    printf("libm expf: max relative error %.3f FLT_EPSILON (x = %.9g), %lu arguments\n",
           libm.max_rel, libm.worst_x, libm.count);
    /* The naive and omp variants use it: it is held to the contract too. */
    TEST_CASE("libm expf within %g FLT_EPSILON", contract) {
        CHECK(libm.max_rel <= contract, "max relative error %.3f FLT_EPSILON", libm.max_rel);
    }
    for (size_t e = 0; e < sizeof exps / sizeof exps[0]; e++) {
        if (!kb_cpu_has(exps[e].isa)) {
            kb_test_skip(exps[e].name, "the CPU lacks the ISA (or KB_MAX_ISA caps it)");
            continue;
        }
        const sweep r = sweep_exp(exps[e].fn, lowest, stride);
        printf("%s exp, x in [-104, 0]: max relative error %.3f FLT_EPSILON (x = %.9g) where "
               "e^x >= FLT_MIN, max absolute error %.3f FLT_MIN below, %lu arguments\n",
               exps[e].name, r.max_rel, r.worst_x, r.max_flush, r.count);
        TEST_CASE("%s exp within %g FLT_EPSILON", exps[e].name, contract) {
            CHECK(r.max_rel <= contract, "max relative error %.3f FLT_EPSILON", r.max_rel);
            CHECK(r.max_flush <= 4.0, "below FLT_MIN: absolute error %.3f FLT_MIN", r.max_flush);
        }
    }
    if (kb_cpu_has(KB_ISA_AVX512)) {
        const sweep r = sweep_pn(KB_SOFTMAX_TWO_PASS_MAX_ABS, stride);
        printf("avx512 two-pass p * 2^n, x in [-2^16, 2^16]: max relative error of p %.3f "
               "FLT_EPSILON (x = %.9g), %lu arguments\n",
               r.max_rel, r.worst_x, r.count);
        TEST_CASE("two-pass exp within %g FLT_EPSILON", contract) {
            CHECK(r.max_rel <= contract, "max relative error %.3f FLT_EPSILON", r.max_rel);
        }
    } else {
        kb_test_skip("two-pass exp", "the CPU lacks AVX-512 (or KB_MAX_ISA caps it)");
    }
    return kb_test_summary();
}
