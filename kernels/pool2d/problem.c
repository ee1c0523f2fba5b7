/* pool2d problem rules: descriptors, validation, tensor sizes, tolerances.
 *
 * Descriptors are benchdnn's pool descriptors plus the algorithm:
 *   "max_mb1ic64ih112oh56kh3sh2ph1", "mb1ic2048ih7oh1kh7_avg"
 * Grammar: an optional algorithm word at the start or at the end (before the
 * optional n"name"), joined by '_' or a blank or nothing, and <field><integer>
 * tokens (core/descriptor.h) in any order:
 *   algorithm  max (the default when absent), avg (= avg_excl: padding
 *              excluded from the divisor), avg_incl (padding included);
 *   fields     mb ic ih iw oh ow kh kw sh sw ph pw.
 * Defaults and inference follow benchdnn (shared with conv2d): mb 2, strides
 * 1; when no w field is given every one copies its h twin (and the other way
 * round); a missing output size is (i + 2p - k) / s + 1; a missing pad with a
 * given output size is ((o-1)s - i + k) / 2. The trailing padding is whatever
 * the output size needs (conv2d's convention). The canonical form puts the
 * algorithm first and prints iw/ow/kw/sw/pw only for non-square problems:
 * "avg_incl_mb2ic3ih9iw8oh5ow4kh3kw3sh2sw2ph1pw1"; it parses back to the same
 * problem.
 *
 * Tolerances (bench/check.h: |got - ref| <= (L + 2) * FLT_EPSILON * mag):
 *   max fwd   a selection, no arithmetic: every correct variant returns the
 *             reference's value bit for bit, so the reference writes mag = 0
 *             and the tolerance is 0 for real inputs too (L = 0);
 *   max bwd   each diff_src element is a float sum of the gradients routed to
 *             it, at most one per covering window: L = ceil(kh/sh)*ceil(kw/sw),
 *             mag = sum of their |values|; integer inputs are exact;
 *   avg fwd   a float sum of at most kh*kw taps, then one division (or a
 *             reciprocal and a product): error <= (kh*kw + 1) u sum|taps|/div,
 *             so L = kh*kw, mag = sum|taps| / divisor;
 *   avg bwd   a float sum of at most ceil(kh/sh)*ceil(kw/sw) shares
 *             diff_dst/divisor, each rounded once (twice with a reciprocal):
 *             L = that coverage, mag = sum of |shares|.
 * Integer inputs are exact for max only (avg divides).
 *
 * Cost: no flops are reported (pooling is bandwidth-bound: bench reports
 * GB/s). min_bytes is the default: every tensor the direction uses once, in
 * float32: fwd src + dst; max bwd src + diff_dst + diff_src; avg bwd
 * diff_dst + diff_src. With stride > kernel some src elements are never read
 * and this over-counts; the bandwidth shape sets have stride <= kernel. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/descriptor.h"
#include "core/kernel_ops.h"
#include "pool2d.h"

/* The algorithm words, longest first so a prefix never hides a longer word. */
static const struct {
    const char *word;
    kb_pool_algorithm algorithm;
} algorithm_words[] = {
    {"avg_incl", KB_POOL_AVG_INCLUDE_PAD},
    {"avg_excl", KB_POOL_AVG_EXCLUDE_PAD},
    {"avg", KB_POOL_AVG_EXCLUDE_PAD},
    {"max", KB_POOL_MAX},
};
enum { N_WORDS = sizeof algorithm_words / sizeof algorithm_words[0] };

static const char *algorithm_name(kb_pool_algorithm algorithm) {
    switch (algorithm) {
    case KB_POOL_MAX:
        return "max";
    case KB_POOL_AVG_EXCLUDE_PAD:
        return "avg";
    case KB_POOL_AVG_INCLUDE_PAD:
        return "avg_incl";
    }
    return "?";
}

/* Multiplies sizes with an overflow check; false when the product exceeds
 * KB_MAX_TENSOR_ELEMS. */
static bool checked_product(const int64_t *factors, int n, int64_t *product) {
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        if (__builtin_mul_overflow(p, factors[i], &p) || p > KB_MAX_TENSOR_ELEMS) return false;
    *product = p;
    return true;
}

static kb_status validate_shape(const kb_pool2d_shape *s, char *why, size_t why_len) {
    if (s->algorithm != KB_POOL_MAX && s->algorithm != KB_POOL_AVG_EXCLUDE_PAD &&
        s->algorithm != KB_POOL_AVG_INCLUDE_PAD) {
        snprintf(why, why_len, "algorithm: %d is not max, avg or avg_incl", (int)s->algorithm);
        return KB_ERR_INVALID;
    }
    const struct {
        const char *field;
        int64_t value, min;
    } fields[] = {
        {"mb", s->batch, 1},    {"ic", s->channels, 1},   {"ih", s->in_height, 1},
        {"iw", s->in_width, 1}, {"oh", s->out_height, 1}, {"ow", s->out_width, 1},
        {"kh", s->kernel_h, 1}, {"kw", s->kernel_w, 1},   {"sh", s->stride_h, 1},
        {"sw", s->stride_w, 1}, {"ph", s->pad_top, 0},    {"pw", s->pad_left, 0},
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
    const int64_t oh = kb_window_out_size(s->in_height, s->kernel_h, s->stride_h, s->pad_top);
    const int64_t ow = kb_window_out_size(s->in_width, s->kernel_w, s->stride_w, s->pad_left);
    if (oh < 1 || oh != s->out_height) {
        snprintf(why, why_len,
                 "oh: %" PRId64 " does not follow from ih, kh, sh, ph (they give %" PRId64 ")",
                 s->out_height, oh);
        return KB_ERR_INVALID;
    }
    if (ow < 1 || ow != s->out_width) {
        snprintf(why, why_len,
                 "ow: %" PRId64 " does not follow from iw, kw, sw, pw (they give %" PRId64 ")",
                 s->out_width, ow);
        return KB_ERR_INVALID;
    }
    const struct {
        const char *name;
        int64_t dims[4];
    } tensors[] = {
        {"src (mb*ic*ih*iw)", {s->batch, s->channels, s->in_height, s->in_width}},
        {"dst (mb*ic*oh*ow)", {s->batch, s->channels, s->out_height, s->out_width}},
        {"window (kh*kw)", {s->kernel_h, s->kernel_w, 1, 1}},
    };
    for (size_t i = 0; i < sizeof tensors / sizeof tensors[0]; i++) {
        int64_t elems;
        if (!checked_product(tensors[i].dims, 4, &elems)) {
            snprintf(why, why_len,
                     "%s: more than 2^40 elements (%" PRId64 "*%" PRId64 "*%" PRId64 "*%" PRId64
                     ")",
                     tensors[i].name, tensors[i].dims[0], tensors[i].dims[1], tensors[i].dims[2],
                     tensors[i].dims[3]);
            return KB_ERR_INVALID;
        }
    }
    return KB_OK;
}

/* Finds an algorithm word at the start or the end of [*begin, *end) and cuts
 * it off; 0 found, 1 found, -1 found at both ends. */
static int take_algorithm(const char **begin, const char **end, kb_pool_algorithm *algorithm) {
    int found = 0;
    for (int w = 0; w < N_WORDS; w++) {
        const size_t len = strlen(algorithm_words[w].word);
        if ((size_t)(*end - *begin) >= len && strncmp(*begin, algorithm_words[w].word, len) == 0) {
            *algorithm = algorithm_words[w].algorithm;
            *begin += len;
            found = 1;
            break;
        }
    }
    for (int w = 0; w < N_WORDS; w++) {
        const size_t len = strlen(algorithm_words[w].word);
        if ((size_t)(*end - *begin) >= len &&
            strncmp(*end - len, algorithm_words[w].word, len) == 0) {
            if (found) return -1;
            *algorithm = algorithm_words[w].algorithm;
            *end -= len;
            return 1;
        }
    }
    return found;
}

enum { F_MB, F_IC, F_IH, F_IW, F_OH, F_OW, F_KH, F_KW, F_SH, F_SW, F_PH, F_PW, F_COUNT };

static kb_status parse(const char *descriptor, kb_problem *p, char *why, size_t why_len) {
    kb_desc_field f[F_COUNT] = {
        [F_MB] = {"mb"}, [F_IC] = {"ic"}, [F_IH] = {"ih"}, [F_IW] = {"iw"},
        [F_OH] = {"oh"}, [F_OW] = {"ow"}, [F_KH] = {"kh"}, [F_KW] = {"kw"},
        [F_SH] = {"sh"}, [F_SW] = {"sw"}, [F_PH] = {"ph"}, [F_PW] = {"pw"},
    };
    const char *begin = descriptor, *end;
    kb_status status = kb_desc_body_end(descriptor, &end, why, why_len);
    if (status != KB_OK) return status;
    while (end > begin && (end[-1] == ' ' || end[-1] == '\t')) end--; /* before n"name" */
    kb_pool_algorithm algorithm = KB_POOL_MAX;
    if (take_algorithm(&begin, &end, &algorithm) < 0) {
        snprintf(why, why_len, "algorithm: given twice in '%s'", descriptor);
        return KB_ERR_INVALID;
    }
    status = kb_desc_parse_fields(descriptor, begin, end, f, F_COUNT, why, why_len);
    if (status != KB_OK) return status;
    if (!f[F_IC].given) {
        snprintf(why, why_len, "ic: missing in '%s'", descriptor);
        return KB_ERR_INVALID;
    }
    const kb_desc_axis axes[2] = {{F_IH, F_OH, F_KH, F_SH, F_PH, -1},
                                  {F_IW, F_OW, F_KW, F_SW, F_PW, -1}};
    status = kb_desc_window_axes(f, axes, descriptor, why, why_len);
    if (status != KB_OK) return status;
    p->pool2d = (kb_pool2d_shape){
        .algorithm = algorithm,
        .batch = f[F_MB].given ? f[F_MB].value : 2,
        .channels = f[F_IC].value,
        .in_height = f[F_IH].value,
        .in_width = f[F_IW].value,
        .out_height = f[F_OH].value,
        .out_width = f[F_OW].value,
        .kernel_h = f[F_KH].value,
        .kernel_w = f[F_KW].value,
        .stride_h = f[F_SH].value,
        .stride_w = f[F_SW].value,
        .pad_top = f[F_PH].value,
        .pad_left = f[F_PW].value,
    };
    return validate_shape(&p->pool2d, why, why_len);
}

static void format(const kb_problem *p, char *buf, size_t buf_len) {
    const kb_pool2d_shape *s = &p->pool2d;
    const bool square = s->in_width == s->in_height && s->out_width == s->out_height &&
                        s->kernel_w == s->kernel_h && s->stride_w == s->stride_h &&
                        s->pad_left == s->pad_top;
    if (square)
        snprintf(buf, buf_len,
                 "%s_mb%" PRId64 "ic%" PRId64 "ih%" PRId64 "oh%" PRId64 "kh%" PRId64 "sh%" PRId64
                 "ph%" PRId64,
                 algorithm_name(s->algorithm), s->batch, s->channels, s->in_height, s->out_height,
                 s->kernel_h, s->stride_h, s->pad_top);
    else
        snprintf(buf, buf_len,
                 "%s_mb%" PRId64 "ic%" PRId64 "ih%" PRId64 "iw%" PRId64 "oh%" PRId64 "ow%" PRId64
                 "kh%" PRId64 "kw%" PRId64 "sh%" PRId64 "sw%" PRId64 "ph%" PRId64 "pw%" PRId64,
                 algorithm_name(s->algorithm), s->batch, s->channels, s->in_height, s->in_width,
                 s->out_height, s->out_width, s->kernel_h, s->kernel_w, s->stride_h, s->stride_w,
                 s->pad_top, s->pad_left);
}

static kb_status validate(const kb_problem *p, char *why, size_t why_len) {
    return validate_shape(&p->pool2d, why, why_len);
}

static size_t arg_elems(const kb_problem *p, kb_arg arg) {
    const kb_pool2d_shape *s = &p->pool2d;
    const size_t src = (size_t)(s->batch * s->channels * s->in_height * s->in_width);
    const size_t dst = (size_t)(s->batch * s->channels * s->out_height * s->out_width);
    if (p->direction == KB_DIR_FWD) {
        if (arg == KB_ARG_SRC) return src;
        if (arg == KB_ARG_DST) return dst;
    } else if (p->direction == KB_DIR_BWD) {
        if (arg == KB_ARG_DIFF_DST) return dst;
        if (arg == KB_ARG_DIFF_SRC) return src;
        if (arg == KB_ARG_SRC && s->algorithm == KB_POOL_MAX) return src; /* finds the maxima */
    }
    return 0;
}

static kb_arg_role arg_role(const kb_problem *p, kb_arg arg) {
    if (arg_elems(p, arg) == 0) return KB_ROLE_NONE;
    return arg == KB_ARG_DST || arg == KB_ARG_DIFF_SRC ? KB_ROLE_OUT : KB_ROLE_IN;
}

static int64_t reduction_length(const kb_problem *p, kb_arg arg) {
    (void)arg; /* one output per direction */
    const kb_pool2d_shape *s = &p->pool2d;
    if (p->direction == KB_DIR_BWD) return kb_pool2d_coverage(s);
    return s->algorithm == KB_POOL_MAX ? 0 : s->kernel_h * s->kernel_w;
}

static bool integer_exact(const kb_problem *p) {
    return p->pool2d.algorithm == KB_POOL_MAX;
}

static bool set_batch(kb_problem *p, int64_t batch) {
    p->pool2d.batch = batch;
    return true;
}

const kb_kernel_ops kb_pool2d_ops = {
    .kernel = KB_KERNEL_POOL2D,
    .directions = KB_DIRECTION_BIT(KB_DIR_FWD) | KB_DIRECTION_BIT(KB_DIR_BWD),
    .parse = parse,
    .format = format,
    .validate = validate,
    .arg_elems = arg_elems,
    .arg_role = arg_role,
    .reduction_length = reduction_length,
    .integer_exact = integer_exact,
    .set_batch = set_batch,
};
