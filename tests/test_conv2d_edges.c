/* conv2d on the values the fillers never produce, every variant of every
 * direction at 1 and 2 threads, against the policy of
 * kernels/conv2d/problem.c:
 *   NaN and +-Inf propagate as IEEE arithmetic does over each output's
 *   reduction (fwd: the taps of its window inside the input times the
 *   weights, plus the bias; bwd_data: the diff_dst elements and weights that
 *   reach the input element; bwd_weights: src times diff_dst over the batch
 *   and the output positions, the bias gradient the sum of diff_dst): NaN
 *   where it touches a NaN, an Inf times 0 or Infs of both signs, that Inf
 *   where it touches Infs of one sign times nonzero finite values, finite
 *   and within the checker's tolerance elsewhere. Padding taps are not part
 *   of the reduction: a NaN weight meets only the real input elements, so
 *   an output whose NaN tap falls in the padding stays finite.
 *   Subnormal inputs (the tests run without FTZ/DAZ) give results within the
 *   tolerance plus one subnormal ulp per rounding (tests/direct_run.h), never
 *   NaN; a variant that flushes them is reported as skipped.
 * Departure: im2col_gemm (im2col.c), avx2 and omp_tiled (padded_input.c,
 * avx2_bwd_data.c, avx2_bwd_weights.c) and onednn bwd_weights compute the
 * padding taps as multiplications by explicit zeros, so 0 * NaN or 0 * Inf
 * turns an output the policy keeps finite (or +-Inf) into NaN: fwd and bwd_data where a
 * NaN/Inf weight meets padding, bwd_weights where a NaN/Inf diff_dst meets
 * a padding tap. Documented in those sources; an element where such a variant
 * gives NaN and the reference is not is reported as skipped (naive follows
 * the policy exactly and is checked on every element).
 * The special values sit on the image borders (padding windows), in the
 * interior and in the channel and width tails (oc 19, ow 19). Sizes: all 1
 * on every variant of every direction; the largest value each field
 * accepts; one past KB_MAX_DIM and tensors over 2^40 elements rejected
 * naming the field; exact 64-bit element counts, flops and bytes of a
 * problem with a src of 2^32 elements, which kb_case_check_memory refuses. */
#include "direct_run.h"

/* The variants that multiply explicit zeros for padding taps (see the top):
 * a NaN where the reference is not NaN is that departure. */
static const char *conv2d_departs(const kb_case *c, const kb_variant *variant, kb_arg arg,
                                  size_t i) {
    if (strcmp(variant->name, "naive") == 0 || !isnan(c->args.tensor[arg][i]) ||
        isnan(c->ref_outputs[arg][i]))
        return NULL;
    return "padding taps computed as explicit zeros (im2col, padded buffers, oneDNN): a NaN or "
           "Inf partner of a padding tap gives NaN; the policy leaves padding out";
}

static size_t nchw(const kb_case *c, kb_arg arg, int64_t n, int64_t ch, int64_t h, int64_t w) {
    const kb_conv2d_shape *s = &c->problem.conv2d;
    const bool in = arg == KB_ARG_SRC || arg == KB_ARG_DIFF_SRC;
    const int64_t channels = in ? s->in_channels : s->out_channels;
    const int64_t height = in ? s->in_height : s->out_height;
    const int64_t width = in ? s->in_width : s->out_width;
    return (size_t)(((n * channels + ch) * height + h) * width + w);
}

static size_t oihw(const kb_case *c, int64_t o, int64_t i, int64_t h, int64_t w) {
    const kb_conv2d_shape *s = &c->problem.conv2d;
    return (size_t)(((o * s->in_channels + i) * s->kernel_h + h) * s->kernel_w + w);
}

/* Specials in the inputs of the case's direction (see the top). */
static void place_specials(kb_case *c) {
    const kb_conv2d_shape *s = &c->problem.conv2d;
    const int64_t ih = s->in_height - 1, iw = s->in_width - 1, oh = s->out_height - 1,
                  ow = s->out_width - 1, ic = s->in_channels - 1, oc = s->out_channels - 1;
    if (c->elems[KB_ARG_SRC]) {
        kb_edge_set(c, KB_ARG_SRC, nchw(c, KB_ARG_SRC, 0, 1, ih / 2, iw / 2), NAN);
        kb_edge_set(c, KB_ARG_SRC, nchw(c, KB_ARG_SRC, 1, 0, 0, 0), INFINITY);
        kb_edge_set(c, KB_ARG_SRC, nchw(c, KB_ARG_SRC, 1, ic, ih, iw), -INFINITY);
    }
    if (c->elems[KB_ARG_WEIGHTS]) {
        kb_edge_set(c, KB_ARG_WEIGHTS, oihw(c, oc - 2, 0, 0, 0), NAN);
        kb_edge_set(c, KB_ARG_WEIGHTS, oihw(c, 2, 0, s->kernel_h / 2, s->kernel_w / 2), 0.0f);
        kb_edge_set(c, KB_ARG_WEIGHTS, oihw(c, oc, ic, s->kernel_h - 1, 0), INFINITY);
    }
    if (c->elems[KB_ARG_BIAS]) kb_edge_set(c, KB_ARG_BIAS, 4, NAN);
    if (c->elems[KB_ARG_DIFF_DST]) {
        kb_edge_set(c, KB_ARG_DIFF_DST, nchw(c, KB_ARG_DIFF_DST, 0, 3, oh / 2, ow / 3), NAN);
        kb_edge_set(c, KB_ARG_DIFF_DST, nchw(c, KB_ARG_DIFF_DST, 1, oc, oh, ow), -INFINITY);
        kb_edge_set(c, KB_ARG_DIFF_DST, nchw(c, KB_ARG_DIFF_DST, 1, 7, 0, ow), INFINITY);
    }
}

static void conv2d_specials(const char *text, kb_direction direction) {
    kb_case c;
    kb_edge_case(&c, KB_KERNEL_CONV2D, direction, text);
    place_specials(&c);
    char why[256];
    if (kb_case_recompute_reference(&c, why, sizeof why) != KB_OK) printf("%s\n", why);
    kb_edge_check_variants(&c, text, conv2d_departs, NULL);
    kb_case_free(&c);
}

static const kb_direction directions[] = {KB_DIR_FWD, KB_DIR_BWD_DATA, KB_DIR_BWD_WEIGHTS};

static void conv2d_sizes(void) {
    for (size_t d = 0; d < 3; d++)
        kb_edge_check_plain(KB_KERNEL_CONV2D, directions[d], "mb1ic1ih1oc1kh1");
    kb_expect_accepted(KB_KERNEL_CONV2D, KB_DIR_FWD, "mb16777216ic1ih1oc1kh1");
    kb_expect_accepted(KB_KERNEL_CONV2D, KB_DIR_FWD, "mb1ic16777216ih1oc1kh1");
    kb_expect_accepted(KB_KERNEL_CONV2D, KB_DIR_FWD, "mb1ic1ih1oc16777216kh1");
    kb_expect_accepted(KB_KERNEL_CONV2D, KB_DIR_FWD, "mb1ic1ih16777216iw1oc1kh16777216kw1");
    kb_expect_accepted(KB_KERNEL_CONV2D, KB_DIR_FWD, "mb1ic1ih1iw16777216oc1kh1kw16777216");
    kb_expect_accepted(KB_KERNEL_CONV2D, KB_DIR_FWD, "mb1ic1ih16777216iw1oc1kh1kw1sh16777216");
    kb_expect_accepted(KB_KERNEL_CONV2D, KB_DIR_FWD, "mb1ic1ih1iw1oc1kh1kw1sh16777216sw16777216ph16777216pw16777216");
    kb_expect_accepted(KB_KERNEL_CONV2D, KB_DIR_FWD, "mb1ic1ih1iw1oc1kh2kw1dh16777216ph16777216");
    kb_expect_rejected(KB_KERNEL_CONV2D, "mb16777217ic1ih1oc1kh1", "mb");
    kb_expect_rejected(KB_KERNEL_CONV2D, "mb1ic16777217ih1oc1kh1", "ic");
    kb_expect_rejected(KB_KERNEL_CONV2D, "mb1ic1ih1oc16777217kh1", "oc");
    kb_expect_rejected(KB_KERNEL_CONV2D, "mb1ic1ih1iw16777217oc1kh1kw1", "iw");
    kb_expect_rejected(KB_KERNEL_CONV2D, "mb1ic1ih16777217iw1oc1kh16777217kw1", "ih");
    kb_expect_rejected(KB_KERNEL_CONV2D, "mb1ic1ih5iw1oc1kh1kw1sh16777217", "sh");
    kb_expect_rejected(KB_KERNEL_CONV2D, "mb1ic1ih5iw1oc1kh1kw1ph16777217", "ph");
    kb_expect_rejected(KB_KERNEL_CONV2D, "mb1ic1ih5iw1oc1kh2kw1dh16777217", "dh");
    kb_expect_rejected(KB_KERNEL_CONV2D, "mb16777216ic1ih1oc16777216kh1", "dst (mb*oc*oh*ow)");
    kb_expect_rejected(KB_KERNEL_CONV2D, "mb1ic16777216ih1oc16777216kh1",
                       "weights (oc*ic*kh*kw)");
    kb_expect_rejected(KB_KERNEL_CONV2D, "mb1ic65537ih4096iw4096oc1kh1kw1",
                       "src (mb*ic*ih*iw)");
    /* src of 2^32 elements: mb64 ic64 1024x1024, one 1x1 filter. */
    const uint64_t src = (uint64_t)1 << 32, dst = (uint64_t)1 << 26, weights = 64;
    const double flops = 0x1p33; /* 2 * 64 * 1 * 2^20 * 64 */
    uint64_t fwd[KB_ARG_COUNT] = {0}, bwd_data[KB_ARG_COUNT] = {0},
             bwd_weights[KB_ARG_COUNT] = {0};
    fwd[KB_ARG_SRC] = src, fwd[KB_ARG_WEIGHTS] = weights, fwd[KB_ARG_BIAS] = 1,
    fwd[KB_ARG_DST] = dst;
    bwd_data[KB_ARG_DIFF_DST] = dst, bwd_data[KB_ARG_WEIGHTS] = weights,
    bwd_data[KB_ARG_DIFF_SRC] = src;
    bwd_weights[KB_ARG_SRC] = src, bwd_weights[KB_ARG_DIFF_DST] = dst,
    bwd_weights[KB_ARG_DIFF_WEIGHTS] = weights, bwd_weights[KB_ARG_DIFF_BIAS] = 1;
    const char *text = "mb64ic64ih1024oc1kh1";
    kb_check_size_arithmetic(KB_KERNEL_CONV2D, KB_DIR_FWD, text, fwd, flops,
                             4.0 * (double)(src + weights + 1 + dst));
    kb_check_size_arithmetic(KB_KERNEL_CONV2D, KB_DIR_BWD_DATA, text, bwd_data, flops,
                             4.0 * (double)(src + weights + dst));
    kb_check_size_arithmetic(KB_KERNEL_CONV2D, KB_DIR_BWD_WEIGHTS, text, bwd_weights, flops,
                             4.0 * (double)(src + weights + 1 + dst));
}

int main(void) {
    const char *shapes[] = {"mb2ic3ih11iw19oc19kh3kw3ph1pw1",
                            "mb2ic5ih9iw17oc19kh3kw3sh2sw2ph1pw1dh1dw0"};
    for (size_t i = 0; i < 2; i++)
        for (size_t d = 0; d < 3; d++) conv2d_specials(shapes[i], directions[d]);
    /* The data inputs (src, or diff_dst for bwd_data) scaled into the
     * subnormal range. */
    for (size_t d = 0; d < 3; d++)
        kb_edge_check_subnormals(KB_KERNEL_CONV2D, directions[d], shapes[0],
                                 directions[d] == KB_DIR_BWD_DATA ? KB_ARG_DIFF_DST : KB_ARG_SRC,
                                 "subnormal data");
    conv2d_sizes();
    return kb_test_summary();
}
