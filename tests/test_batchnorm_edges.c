/* batchnorm on the values the fillers never produce, every variant of every
 * direction at 1 and 2 threads, against the policy of
 * kernels/batchnorm/problem.c:
 *   NaN and +-Inf propagate as IEEE arithmetic does, feature by feature (a
 *   channel with spatial): a NaN in one feature's src makes that feature's
 *   mean, variance, running statistics and every dst element of it NaN; an
 *   Inf gives an Inf mean and a NaN variance (Inf - Inf), so NaN outputs in
 *   that feature; in bwd a NaN or Inf diff_dst poisons its feature's
 *   diff_scale, diff_shift and diff_src. Every other feature stays finite
 *   and within the checker's tolerance (no lane or tail is corrupted).
 *   fwd_infer has no reduction: a NaN or Inf src element reaches only its own
 *   dst element, a NaN running statistic only its feature.
 *   Subnormal src (the tests run without FTZ/DAZ) gives results within the
 *   tolerance plus one subnormal ulp per rounding (tests/direct_run.h), never
 *   NaN; a variant that flushes them is reported as skipped.
 * The special values sit in vector blocks and tails of the feature axis
 * (37 features per-feature, 19 channels spatial). Sizes: all 1 on every
 * variant of every direction; the largest value each field accepts; one past
 * KB_MAX_DIM rejected naming the field; exact 64-bit element counts and
 * bytes of a problem with a src of 2^32 elements, which kb_case_check_memory
 * refuses. */
#include "direct_run.h"

static const kb_direction directions[] = {KB_DIR_FWD_TRAIN, KB_DIR_FWD_INFER, KB_DIR_BWD};

/* Element of sample n, feature (or channel) f, position hw (spatial only). */
static size_t at(const kb_case *c, int64_t n, int64_t f, int64_t hw) {
    const kb_batchnorm_shape *s = &c->problem.batchnorm;
    const int64_t area = s->height * s->width;
    return s->spatial ? (size_t)((n * s->channels + f) * area + hw)
                      : (size_t)(n * s->channels * area + f);
}

static void batchnorm_specials(const char *text, kb_direction direction) {
    kb_case c;
    kb_edge_case(&c, KB_KERNEL_BATCHNORM, direction, text);
    const kb_batchnorm_shape *s = &c.problem.batchnorm;
    const int64_t last = (s->spatial ? s->channels : s->channels * s->height * s->width) - 1;
    kb_edge_set(&c, KB_ARG_SRC, at(&c, 1, 3, 0), NAN);
    kb_edge_set(&c, KB_ARG_SRC, at(&c, 0, 20 % last, 1), INFINITY);
    kb_edge_set(&c, KB_ARG_SRC, at(&c, s->batch - 1, last, 0), -INFINITY);
    if (c.elems[KB_ARG_DIFF_DST]) {
        kb_edge_set(&c, KB_ARG_DIFF_DST, at(&c, 0, 5, 0), NAN);
        kb_edge_set(&c, KB_ARG_DIFF_DST, at(&c, 1, 11, 2), INFINITY);
    }
    if (c.elems[KB_ARG_RUNNING_MEAN] && direction == KB_DIR_FWD_INFER)
        kb_edge_set(&c, KB_ARG_RUNNING_MEAN, 7, NAN);
    char why[256];
    TEST_CASE("batchnorm %s %s: reference of the specials", text, kb_direction_name(direction)) {
        CHECK(kb_case_recompute_reference(&c, why, sizeof why) == KB_OK, "%s", why);
        if (direction == KB_DIR_FWD_TRAIN) {
            const float *mean = c.ref_outputs[KB_ARG_MEAN], *var = c.ref_outputs[KB_ARG_VARIANCE];
            CHECK(isnan(mean[3]) && isnan(var[3]), "NaN feature: NaN statistics");
            CHECK(isfinite(mean[4]) && isfinite(var[4]), "next feature finite");
            CHECK(isnan(c.ref_outputs[KB_ARG_DST][at(&c, 0, 3, 0)]), "NaN feature: NaN dst");
            CHECK(isfinite(c.ref_outputs[KB_ARG_DST][at(&c, 0, 4, 0)]), "next feature finite");
        }
    }
    kb_edge_check_variants(&c, text, NULL, NULL);
    kb_case_free(&c);
}

static void batchnorm_sizes(void) {
    const char *smallest[] = {"mb1ic1", "mb1ic1spatial"};
    for (size_t i = 0; i < 2; i++)
        for (size_t d = 0; d < 3; d++)
            kb_edge_check_plain(KB_KERNEL_BATCHNORM, directions[d], smallest[i]);
    kb_expect_accepted(KB_KERNEL_BATCHNORM, KB_DIR_FWD_TRAIN, "mb16777216ic1");
    kb_expect_accepted(KB_KERNEL_BATCHNORM, KB_DIR_FWD_TRAIN, "mb1ic16777216");
    kb_expect_accepted(KB_KERNEL_BATCHNORM, KB_DIR_FWD_TRAIN, "mb1ic1ih16777216iw1spatial");
    kb_expect_accepted(KB_KERNEL_BATCHNORM, KB_DIR_FWD_TRAIN, "mb1ic1ih1iw16777216");
    kb_expect_rejected(KB_KERNEL_BATCHNORM, "mb16777217ic1", "mb");
    kb_expect_rejected(KB_KERNEL_BATCHNORM, "mb1ic16777217", "ic");
    kb_expect_rejected(KB_KERNEL_BATCHNORM, "mb1ic1ih16777217iw1", "ih");
    kb_expect_rejected(KB_KERNEL_BATCHNORM, "mb1ic1ih1iw16777217", "iw");
    /* src of 2^32 elements: mb65536 ic65536 (per feature) and the same
     * sizes spatial (channels 65536 of 1 x 1). */
    const uint64_t x = (uint64_t)1 << 32, f = (uint64_t)1 << 16;
    uint64_t train[KB_ARG_COUNT] = {0}, infer[KB_ARG_COUNT] = {0}, bwd[KB_ARG_COUNT] = {0};
    train[KB_ARG_SRC] = train[KB_ARG_DST] = x;
    train[KB_ARG_SCALE] = train[KB_ARG_SHIFT] = train[KB_ARG_MEAN] = train[KB_ARG_VARIANCE] = f;
    train[KB_ARG_RUNNING_MEAN] = train[KB_ARG_RUNNING_VARIANCE] = f;
    infer[KB_ARG_SRC] = infer[KB_ARG_DST] = x;
    infer[KB_ARG_SCALE] = infer[KB_ARG_SHIFT] = f;
    infer[KB_ARG_RUNNING_MEAN] = infer[KB_ARG_RUNNING_VARIANCE] = f;
    bwd[KB_ARG_SRC] = bwd[KB_ARG_DIFF_DST] = bwd[KB_ARG_DIFF_SRC] = x;
    bwd[KB_ARG_SCALE] = bwd[KB_ARG_MEAN] = bwd[KB_ARG_VARIANCE] = f;
    bwd[KB_ARG_DIFF_SCALE] = bwd[KB_ARG_DIFF_SHIFT] = f;
    for (int spatial = 0; spatial < 2; spatial++) {
        const char *text = spatial ? "mb65536ic65536spatial" : "mb65536ic65536";
        /* fwd_train: src, dst; scale, shift, mean, variance once; the
         * running statistics read and written. */
        kb_check_size_arithmetic(KB_KERNEL_BATCHNORM, KB_DIR_FWD_TRAIN, text, train, 0,
                                 4.0 * (double)(2 * x + 8 * f));
        kb_check_size_arithmetic(KB_KERNEL_BATCHNORM, KB_DIR_FWD_INFER, text, infer, 0,
                                 4.0 * (double)(2 * x + 4 * f));
        kb_check_size_arithmetic(KB_KERNEL_BATCHNORM, KB_DIR_BWD, text, bwd, 0,
                                 4.0 * (double)(3 * x + 5 * f));
    }
}

int main(void) {
    const char *shapes[] = {"mb8ic37", "mb4ic19ih3iw5spatial"};
    for (size_t i = 0; i < 2; i++)
        for (size_t d = 0; d < 3; d++) {
            batchnorm_specials(shapes[i], directions[d]);
            kb_edge_check_subnormals(KB_KERNEL_BATCHNORM, directions[d], shapes[i], KB_ARG_SRC,
                                     "subnormal src");
        }
    batchnorm_sizes();
    return kb_test_summary();
}
