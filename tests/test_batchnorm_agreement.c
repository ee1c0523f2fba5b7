/* Every registered batchnorm variant, in fwd_train, fwd_infer and bwd,
 * against the reference (tolerance: kernels/batchnorm/problem.c), at 1 and 2
 * threads, with integer and real inputs:
 *   1. the shared sweep over a table of shapes: both modes, batch 1, 2, 3 and
 *      64, feature / channel counts and H*W around the vector widths (8, 16)
 *      and the column-block size, non-default eps and momentum, and two
 *      shapes large enough for the streaming-store path;
 *   2. constant input (every feature constant, variance 0): dst must be beta,
 *      bwd (from those statistics) finite and equal to the reference;
 *   3. large offsets, x = 1e4 + uniform[-1, 1): a one-pass E[x^2] - E[x]^2
 *      loses every digit of the variance here; every variant must still pass,
 *      and a one-pass float computation is shown to fail the same check, so
 *      the test can tell the formulas apart. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "testing.h"

static const char *const shapes[] = {
    /* per feature (the book's N x D) */
    "mb1ic1",           /* one element: variance 0 */
    "mb1ic17",          /* batch 1: every feature constant */
    "mb2ic7",
    "mb2ic1",
    "mb3ic8",
    "mb3ic15",
    "mb3ic16",
    "mb3ic17",
    "mb64ic9",
    "mb64ic31",
    "mb64ic33",
    "mb64ic50",         /* the book's first BN layer at batch 64 */
    "mb5ic1000",        /* two column blocks at 2 threads */
    "mb64ic4500",       /* column blocks of 4096 and a partial 404 (1 thread) */
    "mb20000ic20",      /* the smallest blocks (16: batch x 16 floats over the
                           budget), then a tail of 4 */
    "mb3ic3ih2iw5",     /* 4-D input flattened to N x 30 */
    "mb7ic2ih3",        /* N x 18 */
    "mb100ic100eps1e-3mom0.5",
    "mb2ic9eps0.01mom0",
    /* spatial (NCHW, one statistic per channel over N*H*W) */
    "mb1ic1ih1spatial",
    "mb1ic17spatial",   /* H = W = 1: the per-feature path */
    "mb1ic3ih5spatial", /* H*W = 25 */
    "mb2ic5ih4spatial", /* 16 */
    "mb2ic3ih3iw5spatial",   /* 15 */
    "mb3ic7ih1iw17spatial",  /* 17 */
    "mb3ic2ih1iw33spatial",  /* 33 */
    "mb3ic4ih9iw7spatial",   /* 63 */
    "mb3ic2ih1iw65spatial",  /* 65 */
    "mb2ic2ih17spatial",     /* 289 */
    "mb64ic3ih2spatial",     /* 4: mostly tails */
    "mb64ic5ih1iw17spatial",
    "mb64ic2ih7spatial",
    "mb3ic5ih3spatialeps1e-3mom0.5",
};

/* Outputs over 32 MiB: non-temporal stores (batchnorm.h), rows that start off
 * the 64-byte grid and odd tails. Real-valued inputs only (the code paths do
 * not depend on the values), and not in the sanitizer pass (kb_agreement_large). */
static const char *const large_shapes[] = {
    "mb3ic3ih1000iw937spatial",
    "mb5ic1686601",
};

/* The reference outputs of `c` again, after its inputs were changed. */
static kb_status rerun_reference(kb_case *c) {
    char why[256];
    return kb_case_recompute_reference(c, why, sizeof why);
}

typedef enum { CONSTANT, LARGE_OFFSET } input_kind;

/* x: constant per feature (0.1 + 0.37 f: sums that round in float) or
 * 1e4 + uniform[-1, 1). */
static void fill_src(const kb_problem *p, input_kind kind, float *x, size_t count) {
    const kb_batchnorm_shape *s = &p->batchnorm;
    const int64_t hw = s->height * s->width;
    const int64_t features = s->spatial ? s->channels : s->channels * hw;
    const int64_t inner = s->spatial ? hw : 1;
    if (kind == LARGE_OFFSET) {
        kb_fill_values(x, count, true, 77);
        for (size_t i = 0; i < count; i++) x[i] += 1e4f;
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const int64_t f = (int64_t)(i / (size_t)inner) % features;
        x[i] = 0.1f + 0.37f * (float)f;
    }
}

/* The float-rounded batch statistics of x (what fwd_train saves). */
static void batch_statistics(const kb_problem *p, const float *x, size_t count, float *mean,
                             float *variance) {
    const size_t features = kb_problem_arg_elems(p, KB_ARG_SCALE); /* every direction has gamma */
    double *xd = malloc(count * sizeof *xd), *y = malloc(count * sizeof *y);
    double *gamma = malloc(features * sizeof *gamma), *beta = malloc(features * sizeof *beta);
    double *m = malloc(features * sizeof *m), *v = malloc(features * sizeof *v);
    for (size_t i = 0; i < count; i++) xd[i] = x[i];
    for (size_t f = 0; f < features; f++) gamma[f] = 1.0, beta[f] = 0.0;
    kb_ref_batchnorm_fwd_train_f64(&p->batchnorm, xd, gamma, beta, y, m, v);
    for (size_t f = 0; f < features; f++) mean[f] = (float)m[f], variance[f] = (float)v[f];
    free(xd), free(y), free(gamma), free(beta), free(m), free(v);
}

/* Builds a case of `descriptor` in `direction` with special inputs (real fill
 * for the rest), checks the reference's own outputs where the answer is
 * known, and runs every variant on it. */
static void special_case(const char *descriptor, kb_direction direction, input_kind kind) {
    const char *kind_name = kind == CONSTANT ? "constant input" : "large offset";
    kb_problem p = {.direction = direction};
    char why[256];
    const bool ok = kb_problem_parse(KB_KERNEL_BATCHNORM, descriptor, &p, why, sizeof why) == KB_OK;
    TEST_CASE("%s descriptor %s", kind_name, descriptor) { CHECK(ok, "%s", why); }
    if (!ok) return;
    kb_case c;
    if (kb_case_init(&c, &p, KB_FILL_REAL, 4242, why, sizeof why) != KB_OK) {
        TEST_CASE("%s case %s", kind_name, descriptor) { CHECK(0, "%s", why); }
        return;
    }
    float *x = c.args.tensor[KB_ARG_SRC];
    fill_src(&p, kind, x, c.elems[KB_ARG_SRC]);
    /* bwd reads the saved statistics of x; fwd_infer running statistics near
     * them (same offset) */
    if (direction == KB_DIR_BWD)
        batch_statistics(&p, x, c.elems[KB_ARG_SRC], c.args.tensor[KB_ARG_MEAN],
                         c.args.tensor[KB_ARG_VARIANCE]);
    if (direction == KB_DIR_FWD_INFER)
        batch_statistics(&p, x, c.elems[KB_ARG_SRC], c.args.tensor[KB_ARG_RUNNING_MEAN],
                         c.args.tensor[KB_ARG_RUNNING_VARIANCE]);
    const kb_status status = rerun_reference(&c);
    TEST_CASE("%s reference %s %s", kind_name, descriptor, kb_direction_name(direction)) {
        CHECK(status == KB_OK, "%s", kb_status_name(status));
        for (int arg = 0; arg < KB_ARG_COUNT; arg++)
            for (size_t i = 0; c.ref_outputs[arg] && i < c.elems[arg]; i++)
                if (!isfinite(c.ref_outputs[arg][i])) {
                    CHECK(0, "%s[%zu] = %g", kb_arg_name((kb_arg)arg), i, c.ref_outputs[arg][i]);
                    break;
                }
        if (kind == CONSTANT && direction == KB_DIR_FWD_TRAIN) {
            /* x̂ = 0 exactly: y = beta, variance 0 */
            const float *y = c.ref_outputs[KB_ARG_DST], *beta = c.args.tensor[KB_ARG_SHIFT];
            const size_t features = c.elems[KB_ARG_SHIFT];
            const size_t inner = c.elems[KB_ARG_SRC] / features / (size_t)p.batchnorm.batch;
            size_t bad = 0;
            for (size_t i = 0; i < c.elems[KB_ARG_DST]; i++)
                bad += y[i] != beta[(i / inner) % features];
            CHECK(bad == 0, "%zu outputs differ from beta", bad);
            for (size_t f = 0; f < features; f++)
                if (c.ref_outputs[KB_ARG_VARIANCE][f] != 0.0f) {
                    CHECK(0, "variance[%zu] = %g", f, c.ref_outputs[KB_ARG_VARIANCE][f]);
                    break;
                }
        }
    }
    char label[128];
    snprintf(label, sizeof label, "%s (%s)", descriptor, kind_name);
    const kb_variant *variants[64];
    const size_t n = kb_registry_select(KB_KERNEL_BATCHNORM, direction, NULL, 0, variants, 64);
    for (size_t v = 0; v < n && status == KB_OK; v++)
        kb_agreement_check_variant(variants[v], &c, label);
    kb_case_free(&c);
}

/* The negative control: the variance of the large-offset input computed in
 * float by the one-pass formula E[x^2] - E[x]^2 must fail the check every
 * variant passes, so the test distinguishes the formulas. */
static void one_pass_fails(const char *descriptor) {
    kb_problem p = {.direction = KB_DIR_FWD_TRAIN};
    char why[256];
    kb_case c;
    const bool ok = kb_problem_parse(KB_KERNEL_BATCHNORM, descriptor, &p, why, sizeof why) == KB_OK &&
                    kb_case_init(&c, &p, KB_FILL_REAL, 4242, why, sizeof why) == KB_OK;
    TEST_CASE("one-pass variance fails the large-offset check, %s", descriptor) {
        CHECK(ok, "%s", why);
        if (ok) {
            fill_src(&p, LARGE_OFFSET, c.args.tensor[KB_ARG_SRC], c.elems[KB_ARG_SRC]);
            CHECK(rerun_reference(&c) == KB_OK, "reference");
            const kb_batchnorm_shape *s = &p.batchnorm;
            const int64_t inner = s->spatial ? s->height * s->width : 1;
            const int64_t features = (int64_t)c.elems[KB_ARG_VARIANCE];
            const float *x = c.args.tensor[KB_ARG_SRC];
            float *one_pass = malloc((size_t)features * sizeof *one_pass);
            for (int64_t f = 0; f < features; f++) {
                float sum = 0, squares = 0;
                for (int64_t n = 0; n < s->batch; n++)
                    for (int64_t i = 0; i < inner; i++) {
                        const float v = x[(n * features + f) * inner + i];
                        sum += v;
                        squares += v * v;
                    }
                const float count = (float)(s->batch * inner), mean = sum / count;
                one_pass[f] = squares / count - mean * mean;
            }
            const kb_check_result r = kb_check_compare(
                one_pass, c.ref_outputs[KB_ARG_VARIANCE], c.magnitudes.tensor[KB_ARG_VARIANCE],
                (size_t)features, kb_problem_reduction_length(&p, KB_ARG_VARIANCE), false);
            CHECK(!r.pass, "one-pass variance passed (worst err/tolerance %g)", r.worst_ratio);
            printf("  one-pass variance on %s: %zu of %lld features fail, worst err/tolerance %.3g\n",
                   descriptor, r.mismatches, (long long)features, r.worst_ratio);
            free(one_pass);
            kb_case_free(&c);
        }
    }
}

/* Every descriptor's canonical form parses back to the same problem. */
static void canonical_forms_parse_back(void) {
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        kb_problem p = {.direction = KB_DIR_FWD_TRAIN}, q = p;
        char why[256], canonical[192], again[192];
        bool ok = kb_problem_parse(KB_KERNEL_BATCHNORM, shapes[i], &p, why, sizeof why) == KB_OK;
        if (ok) {
            kb_problem_format(&p, canonical, sizeof canonical);
            ok = kb_problem_parse(KB_KERNEL_BATCHNORM, canonical, &q, why, sizeof why) == KB_OK;
        }
        TEST_CASE("canonical form of %s parses back", shapes[i]) {
            CHECK(ok, "%s", why);
            if (ok) {
                kb_problem_format(&q, again, sizeof again);
                const kb_batchnorm_shape *a = &p.batchnorm, *b = &q.batchnorm;
                CHECK(a->batch == b->batch && a->channels == b->channels &&
                          a->height == b->height && a->width == b->width &&
                          a->spatial == b->spatial && a->epsilon == b->epsilon &&
                          a->momentum == b->momentum && strcmp(canonical, again) == 0,
                      "%s -> %s -> %s", shapes[i], canonical, again);
            }
        }
    }
}

int main(void) {
    canonical_forms_parse_back();
    static const char *const constant_shapes[] = {"mb1ic5", "mb3ic7", "mb64ic17",
                                                  "mb3ic5ih4spatial", "mb2ic3ih7spatial",
                                                  "mb64ic2ih3iw5spatial"};
    static const char *const offset_shapes[] = {"mb2ic9", "mb64ic17", "mb256ic33",
                                                "mb3ic5ih7spatial", "mb64ic3ih5spatial",
                                                "mb32ic4ih14spatial"};
    const kb_direction directions[] = {KB_DIR_FWD_TRAIN, KB_DIR_FWD_INFER, KB_DIR_BWD};
    for (size_t d = 0; d < 3; d++) {
        for (size_t i = 0; i < sizeof constant_shapes / sizeof constant_shapes[0]; i++)
            special_case(constant_shapes[i], directions[d], CONSTANT);
        for (size_t i = 0; i < sizeof offset_shapes / sizeof offset_shapes[0]; i++)
            special_case(offset_shapes[i], directions[d], LARGE_OFFSET);
    }
    for (size_t i = 0; i < sizeof offset_shapes / sizeof offset_shapes[0]; i++)
        one_pass_fails(offset_shapes[i]);
    kb_agreement_large(KB_KERNEL_BATCHNORM, large_shapes,
                       sizeof large_shapes / sizeof large_shapes[0]);
    return kb_agreement_run(KB_KERNEL_BATCHNORM, shapes, sizeof shapes / sizeof shapes[0]);
}
