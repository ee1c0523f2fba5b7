/* conv2d problem rules: validation, tensor sizes, operation counts. */
/* Numerical edge policy (tests/test_conv2d_edges.c): IEEE propagation over
 * each output's reduction. An output whose taps touch a NaN, an Inf times 0
 * or Infs of both signs is NaN; one touching Infs of one sign (times nonzero
 * finite partners) is that Inf; every other output is finite and within the
 * checker's tolerance. Padding taps are not part of the reduction (the
 * reference skips them): a NaN/Inf weight whose tap falls in the padding
 * does not reach that output. Subnormal inputs are computed as such (bench
 * sets FTZ/DAZ, the tests do not); no variant flushes them in the tests.
 * Documented departures: im2col_gemm, avx2 and omp_tiled (explicitly
 * zero-padded buffers) and onednn bwd_weights multiply padding taps by
 * explicit zeros, so 0 * NaN or 0 * Inf gives NaN there (see im2col.c,
 * padded_input.c, avx2_bwd_data.c, avx2_bwd_weights.c, onednn_bwd_weights.c).
 * Sizes: every field up to KB_MAX_DIM, every tensor (and one image's im2col
 * matrix) up to KB_MAX_TENSOR_ELEMS; element counts, flops and bytes are
 * 64-bit (int64_t, size_t, double) and exact past 2^31 elements. */
#include <inttypes.h>
#include <stdio.h>

#include "conv2d.h"
#include "core/kernel_ops.h"

/* Multiplies sizes with an overflow check; false when the product exceeds
 * KB_MAX_TENSOR_ELEMS. */
static bool checked_product(const int64_t *factors, int n, int64_t *product) {
    int64_t p = 1;
    for (int i = 0; i < n; i++) {
        if (__builtin_mul_overflow(p, factors[i], &p) || p > KB_MAX_TENSOR_ELEMS) return false;
    }
    *product = p;
    return true;
}

kb_status kb_conv2d_validate(const kb_conv2d_shape *s, char *why, size_t why_len) {
    const struct {
        const char *field; /* benchdnn descriptor letters */
        int64_t value;
        int64_t min;
    } fields[] = {
        {"mb", s->batch, 1},        {"ic", s->in_channels, 1}, {"ih", s->in_height, 1},
        {"iw", s->in_width, 1},     {"oc", s->out_channels, 1}, {"oh", s->out_height, 1},
        {"ow", s->out_width, 1},    {"kh", s->kernel_h, 1},     {"kw", s->kernel_w, 1},
        {"sh", s->stride_h, 1},     {"sw", s->stride_w, 1},     {"ph", s->pad_top, 0},
        {"pw", s->pad_left, 0},     {"dh", s->dilation_h, 0},   {"dw", s->dilation_w, 0},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i].value < fields[i].min) {
            snprintf(why, why_len, "%s: %" PRId64 " must be >= %" PRId64, fields[i].field,
                     fields[i].value, fields[i].min);
            return KB_ERR_INVALID;
        }
        if (fields[i].value > KB_MAX_DIM) {
            snprintf(why, why_len, "%s: %" PRId64 " exceeds the limit %" PRId64, fields[i].field,
                     fields[i].value, KB_MAX_DIM);
            return KB_ERR_INVALID;
        }
    }
    const int64_t oh = kb_conv2d_out_size(s->in_height, s->kernel_h, s->stride_h, s->pad_top,
                                          s->dilation_h);
    const int64_t ow = kb_conv2d_out_size(s->in_width, s->kernel_w, s->stride_w, s->pad_left,
                                          s->dilation_w);
    if (oh < 1 || oh != s->out_height) {
        snprintf(why, why_len,
                 "oh: %" PRId64 " does not follow from ih, kh, sh, ph, dh (they give %" PRId64 ")",
                 s->out_height, oh);
        return KB_ERR_INVALID;
    }
    if (ow < 1 || ow != s->out_width) {
        snprintf(why, why_len,
                 "ow: %" PRId64 " does not follow from iw, kw, sw, pw, dw (they give %" PRId64 ")",
                 s->out_width, ow);
        return KB_ERR_INVALID;
    }
    const struct {
        const char *name;
        int64_t dims[4];
    } tensors[] = {
        {"src (mb*ic*ih*iw)", {s->batch, s->in_channels, s->in_height, s->in_width}},
        {"dst (mb*oc*oh*ow)", {s->batch, s->out_channels, s->out_height, s->out_width}},
        {"weights (oc*ic*kh*kw)", {s->out_channels, s->in_channels, s->kernel_h, s->kernel_w}},
        /* The reduction and the im2col matrix of one image must fit as well. */
        {"im2col (oh*ow*ic*kh*kw)", {s->out_height * s->out_width, s->in_channels, s->kernel_h,
                                     s->kernel_w}},
    };
    for (size_t i = 0; i < sizeof tensors / sizeof tensors[0]; i++) {
        int64_t elems;
        if (!checked_product(tensors[i].dims, 4, &elems)) {
            snprintf(why, why_len, "%s: more than 2^40 elements (%" PRId64 "*%" PRId64 "*%" PRId64
                     "*%" PRId64 ")", tensors[i].name, tensors[i].dims[0], tensors[i].dims[1],
                     tensors[i].dims[2], tensors[i].dims[3]);
            return KB_ERR_INVALID;
        }
    }
    return KB_OK;
}

size_t kb_conv2d_arg_elems(const kb_conv2d_shape *s, kb_direction direction, kb_arg arg) {
    const size_t src = (size_t)(s->batch * s->in_channels * s->in_height * s->in_width);
    const size_t dst = (size_t)(s->batch * s->out_channels * s->out_height * s->out_width);
    const size_t weights = (size_t)(s->out_channels * s->in_channels * s->kernel_h * s->kernel_w);
    const size_t bias = (size_t)s->out_channels;
    switch (direction) {
    case KB_DIR_FWD:
        switch (arg) {
        case KB_ARG_SRC: return src;
        case KB_ARG_WEIGHTS: return weights;
        case KB_ARG_BIAS: return bias;
        case KB_ARG_DST: return dst;
        default: return 0;
        }
    case KB_DIR_BWD_DATA:
        switch (arg) {
        case KB_ARG_DIFF_DST: return dst;
        case KB_ARG_WEIGHTS: return weights;
        case KB_ARG_DIFF_SRC: return src;
        default: return 0;
        }
    case KB_DIR_BWD_WEIGHTS:
        switch (arg) {
        case KB_ARG_SRC: return src;
        case KB_ARG_DIFF_DST: return dst;
        case KB_ARG_DIFF_WEIGHTS: return weights;
        case KB_ARG_DIFF_BIAS: return bias;
        default: return 0;
        }
    default: break;
    }
    return 0;
}

bool kb_conv2d_arg_is_output(kb_direction direction, kb_arg arg) {
    switch (direction) {
    case KB_DIR_FWD: return arg == KB_ARG_DST;
    case KB_DIR_BWD_DATA: return arg == KB_ARG_DIFF_SRC;
    case KB_DIR_BWD_WEIGHTS: return arg == KB_ARG_DIFF_WEIGHTS || arg == KB_ARG_DIFF_BIAS;
    default: break;
    }
    return false;
}

int64_t kb_conv2d_reduction_length(const kb_conv2d_shape *s, kb_direction direction) {
    switch (direction) {
    case KB_DIR_FWD: return s->in_channels * s->kernel_h * s->kernel_w;
    case KB_DIR_BWD_DATA: return s->out_channels * s->kernel_h * s->kernel_w;
    case KB_DIR_BWD_WEIGHTS: return s->batch * s->out_height * s->out_width;
    default: break;
    }
    return 0;
}

double kb_conv2d_flops(const kb_conv2d_shape *s) {
    return 2.0 * (double)s->batch * (double)s->out_channels * (double)s->out_height *
           (double)s->out_width * (double)s->in_channels * (double)s->kernel_h *
           (double)s->kernel_w;
}

/* --- the kernel table entry --------------------------------------------------- */

static kb_status parse(const char *descriptor, kb_problem *p, char *why, size_t why_len) {
    return kb_conv2d_parse(descriptor, &p->conv2d, why, why_len);
}
static void format(const kb_problem *p, char *buf, size_t buf_len) {
    kb_conv2d_format(&p->conv2d, buf, buf_len);
}
static kb_status validate(const kb_problem *p, char *why, size_t why_len) {
    return kb_conv2d_validate(&p->conv2d, why, why_len);
}
static size_t arg_elems(const kb_problem *p, kb_arg arg) {
    return kb_conv2d_arg_elems(&p->conv2d, p->direction, arg);
}
static kb_arg_role arg_role(const kb_problem *p, kb_arg arg) {
    if (kb_conv2d_arg_is_output(p->direction, arg)) return KB_ROLE_OUT;
    return kb_conv2d_arg_elems(&p->conv2d, p->direction, arg) ? KB_ROLE_IN : KB_ROLE_NONE;
}
static int64_t reduction_length(const kb_problem *p, kb_arg arg) {
    (void)arg; /* bwd_weights: the bias sums over N*P*Q too */
    return kb_conv2d_reduction_length(&p->conv2d, p->direction);
}
static double flops(const kb_problem *p) { return kb_conv2d_flops(&p->conv2d); }
static bool set_batch(kb_problem *p, int64_t batch) {
    p->conv2d.batch = batch;
    return true;
}

static int arg_dims(const kb_problem *p, kb_arg arg, int64_t dims[KB_MAX_ARG_DIMS]) {
    const kb_conv2d_shape *s = &p->conv2d;
    const int64_t src[4] = {s->batch, s->in_channels, s->in_height, s->in_width};
    const int64_t dst[4] = {s->batch, s->out_channels, s->out_height, s->out_width};
    const int64_t weights[4] = {s->out_channels, s->in_channels, s->kernel_h, s->kernel_w};
    const int64_t *from = NULL;
    switch (arg) {
    case KB_ARG_SRC:
    case KB_ARG_DIFF_SRC: from = src; break;
    case KB_ARG_DST:
    case KB_ARG_DIFF_DST: from = dst; break;
    case KB_ARG_WEIGHTS:
    case KB_ARG_DIFF_WEIGHTS: from = weights; break;
    case KB_ARG_BIAS:
    case KB_ARG_DIFF_BIAS: dims[0] = s->out_channels; return 1;
    default: return 0;
    }
    for (int i = 0; i < 4; i++) dims[i] = from[i];
    return 4;
}

const kb_kernel_ops kb_conv2d_ops = {
    .kernel = KB_KERNEL_CONV2D,
    .directions = KB_DIRECTION_BIT(KB_DIR_FWD) | KB_DIRECTION_BIT(KB_DIR_BWD_DATA) |
                  KB_DIRECTION_BIT(KB_DIR_BWD_WEIGHTS),
    .parse = parse,
    .format = format,
    .validate = validate,
    .arg_elems = arg_elems,
    .arg_role = arg_role,
    .reduction_length = reduction_length,
    .flops = flops,
    .set_batch = set_batch,
    .arg_dims = arg_dims,
};
