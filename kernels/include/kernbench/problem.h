/* Problems: plain structs with every size spelled out, one per kernel, and the
 * kernel/direction names shared by the CLI, the tests and the CSV rows. */
#ifndef KERNBENCH_PROBLEM_H
#define KERNBENCH_PROBLEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernbench/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every kernel of the book's network. A kernel whose folder is not built yet
 * has no entry in the kernel table (kernels/core/kernels.inc): the CLI says so
 * and no variant, shape set or reference exists for it. */
typedef enum kb_kernel {
    KB_KERNEL_CONV2D = 0,
    KB_KERNEL_GEMM,
    KB_KERNEL_AFFINE,
    KB_KERNEL_SOFTMAX,
    KB_KERNEL_SOFTMAX_XENT,
    KB_KERNEL_BATCHNORM,
    KB_KERNEL_POOL2D,
    KB_KERNEL_RELU,
    KB_KERNEL_SIGMOID,
    KB_KERNEL_OPTIM,
    KB_KERNEL_COUNT
} kb_kernel;

/* What a run computes. Each kernel accepts a subset (its kernel table entry
 * lists them): conv2d {fwd, bwd_data, bwd_weights}; gemm {fwd}; affine,
 * softmax_xent, pool2d, relu, sigmoid {fwd, bwd}; softmax {fwd}; batchnorm
 * {fwd_train, fwd_infer, bwd}; optim: one direction per update rule. */
typedef enum kb_direction {
    KB_DIR_FWD = 0,
    KB_DIR_BWD_DATA,
    KB_DIR_BWD_WEIGHTS,
    KB_DIR_BWD, /* every gradient of the layer at once (dx, dW, db) */
    KB_DIR_FWD_TRAIN,
    KB_DIR_FWD_INFER,
    KB_DIR_SGD,
    KB_DIR_MOMENTUM,
    KB_DIR_NESTEROV,
    KB_DIR_ADAGRAD,
    KB_DIR_RMSPROP,
    KB_DIR_ADAM,
    KB_DIR_COUNT
} kb_direction;

/* 2-D convolution, NCHW activations, OIHW weights, one bias per output channel.
 * Conventions follow oneDNN and benchdnn:
 *   - dilation is the gap between kernel taps: 0 means a dense kernel, so the
 *     effective kernel height is (kernel_h - 1) * (dilation_h + 1) + 1;
 *   - pad_top/pad_left are the zero rows/columns before the input; the padding
 *     after it is whatever the output size needs:
 *     pad_bottom = (out_height - 1) * stride_h + effective_kernel_h - in_height - pad_top,
 *     which may be smaller than pad_top (even negative: trailing rows unused). */
typedef struct kb_conv2d_shape {
    int64_t batch;
    int64_t in_channels, in_height, in_width;
    int64_t out_channels, out_height, out_width;
    int64_t kernel_h, kernel_w;
    int64_t stride_h, stride_w;
    int64_t pad_top, pad_left;
    int64_t dilation_h, dilation_w;
} kb_conv2d_shape;

/* C = alpha * op(A) * op(B) + beta * C, row-major, op(A) m x k, op(B) k x n.
 * A is stored k x m when trans_a (else m x k), B n x k when trans_b (else
 * k x n); leading dimensions are the stored row lengths. beta == 0 never
 * reads C (C is then an output only, NaN in it is ignored). */
typedef struct kb_gemm_shape {
    int64_t m, n, k;
    bool trans_a, trans_b;
    float alpha, beta;
} kb_gemm_shape;

/* The book's Affine layer: x (batch x in_features) times W (in_features x
 * out_features) plus b (out_features). fwd: y = x W + b. bwd (from dout):
 * dx = dout W^T, dW = x^T dout, db = column sums of dout. */
typedef struct kb_affine_shape {
    int64_t batch, in_features, out_features;
} kb_affine_shape;

/* softmax / softmax_xent over the last axis of a batch x classes matrix.
 * one_hot: labels are a batch x classes one-hot matrix (turned into indices by
 * argmax, first maximum wins), else batch class indices stored as floats.
 * delta: added inside the log of the loss (the book's 1e-7; 0 = exact). */
typedef struct kb_softmax_shape {
    int64_t batch, classes;
    bool one_hot;
    float delta;
} kb_softmax_shape;

/* Batch normalisation. spatial: NCHW, one mean/variance per channel over
 * batch*height*width (oneDNN, PyTorch). Otherwise per feature, the book's
 * layer: the input is batch x (channels*height*width), one statistic per
 * feature over the batch. */
typedef struct kb_batchnorm_shape {
    int64_t batch, channels, height, width;
    bool spatial;
    float epsilon, momentum;
} kb_batchnorm_shape;

typedef enum kb_pool_algorithm {
    KB_POOL_MAX = 0,
    KB_POOL_AVG_EXCLUDE_PAD, /* divisor: the taps inside the input (the default avg) */
    KB_POOL_AVG_INCLUDE_PAD, /* divisor: kernel_h * kernel_w */
} kb_pool_algorithm;

/* 2-D pooling, NCHW, padding as for conv2d (pad_top/pad_left, trailing padding
 * whatever the output size needs); padding taps are never read. Policies
 * (kernels/pool2d/problem.c has the details):
 *   max  the first maximum of the window in row-major order; NaN propagates
 *        (a window holding a NaN gives NaN, bwd routes to its first NaN);
 *        bwd adds each output gradient to that one input, so overlapping
 *        windows (stride < kernel) accumulate;
 *   avg  the sum of the taps inside the input over the divisor above; bwd
 *        spreads diff_dst / divisor over those taps;
 *   a window entirely in padding (pad >= kernel) gives -inf for max, 0 for
 *   avg, and its gradient goes nowhere.
 * fwd: src -> dst. bwd: diff_dst (and src for max) -> diff_src. */
typedef struct kb_pool2d_shape {
    kb_pool_algorithm algorithm;
    int64_t batch, channels, in_height, in_width, out_height, out_width;
    int64_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
} kb_pool2d_shape;

/* relu, sigmoid: a flat tensor. */
typedef struct kb_eltwise_shape {
    int64_t elems;
} kb_eltwise_shape;

/* Optimizer updates of a flat parameter array (the rule is the direction).
 * step: Adam's t (1 on the first update). momentum: Momentum's and Nesterov's
 * mu; decay_rate: RMSprop's; beta1, beta2: Adam's (kernels/optim/problem.c
 * has the rules). */
typedef struct kb_optim_shape {
    int64_t elems;
    float lr, momentum, decay_rate, beta1, beta2;
    int64_t step;
} kb_optim_shape;

/* The book's 1e-7 added to sqrt(h) (AdaGrad, RMSprop) and sqrt(v) (Adam), as
 * the float every variant adds (the reference widens the same float). */
#define KB_OPTIM_EPSILON 1e-7f

typedef struct kb_problem {
    kb_kernel kernel;
    kb_direction direction;
    union {
        kb_conv2d_shape conv2d;
        kb_gemm_shape gemm;
        kb_affine_shape affine;
        kb_softmax_shape softmax; /* softmax and softmax_xent */
        kb_batchnorm_shape batchnorm;
        kb_pool2d_shape pool2d;
        kb_eltwise_shape eltwise; /* relu and sigmoid */
        kb_optim_shape optim;
    };
} kb_problem;

/* Tensor slots, named as oneDNN names its arguments. A kernel uses a subset;
 * kb_problem_arg_role() says which and how. gemm: A = src, B = weights,
 * C = dst. optim: the parameters are weights (in-out), the gradient
 * diff_weights, the per-rule state state0/state1 (in-out). Labels are class
 * indices (or one-hot rows) stored as floats; loss is one float. */
typedef enum kb_arg {
    KB_ARG_SRC = 0,
    KB_ARG_WEIGHTS,
    KB_ARG_BIAS,
    KB_ARG_DST,
    KB_ARG_DIFF_SRC,
    KB_ARG_DIFF_WEIGHTS,
    KB_ARG_DIFF_BIAS,
    KB_ARG_DIFF_DST,
    KB_ARG_LABELS,
    KB_ARG_LOSS,
    KB_ARG_SCALE, /* batchnorm gamma */
    KB_ARG_SHIFT, /* batchnorm beta */
    KB_ARG_MEAN,  /* batch statistics: written by fwd_train, read by bwd */
    KB_ARG_VARIANCE,
    KB_ARG_RUNNING_MEAN, /* running statistics: updated by fwd_train, read by fwd_infer */
    KB_ARG_RUNNING_VARIANCE,
    KB_ARG_DIFF_SCALE,
    KB_ARG_DIFF_SHIFT,
    KB_ARG_STATE0,
    KB_ARG_STATE1,
    KB_ARG_COUNT
} kb_arg;

/* How a direction uses a tensor. An in-out tensor is read and then
 * overwritten (optimizer state, running statistics, C when beta != 0): bench
 * and the tests restore its initial values before every checked run. */
typedef enum kb_arg_role { KB_ROLE_NONE = 0, KB_ROLE_IN, KB_ROLE_OUT, KB_ROLE_INOUT } kb_arg_role;

/* Dense float32 tensors in C order, in the boundary layouts above. Inputs are
 * never written by a variant; outputs are fully overwritten. */
typedef struct kb_args {
    float *tensor[KB_ARG_COUNT];
} kb_args;

const char *kb_kernel_name(kb_kernel kernel);
bool kb_kernel_from_name(const char *name, kb_kernel *kernel);
const char *kb_direction_name(kb_direction direction);
bool kb_direction_from_name(const char *name, kb_direction *direction);
const char *kb_arg_name(kb_arg arg);
/* Whether this build has the kernel (its folder and kernel table entry), and
 * whether the kernel accepts the direction. */
bool kb_kernel_available(kb_kernel kernel);
bool kb_kernel_has_direction(kb_kernel kernel, kb_direction direction);

/* Effective (dilated) kernel extent. */
static inline int64_t kb_conv2d_effective_kernel(int64_t kernel, int64_t dilation) {
    return (kernel - 1) * (dilation + 1) + 1;
}

/* Largest value accepted for any single size; keeps every index product of two
 * sizes far from int64 overflow. */
#define KB_MAX_DIM ((int64_t)1 << 24)
/* Largest tensor accepted, in elements (2^40 floats = 4 TiB): beyond this no
 * machine we target has the memory, and the byte count still fits size_t. */
#define KB_MAX_TENSOR_ELEMS ((int64_t)1 << 40)

/* Checks every size (positive, consistent output size, tensors that fit the
 * limits above). On failure writes one line naming the field and the value to
 * `why` and returns KB_ERR_INVALID. */
kb_status kb_problem_validate(const kb_problem *problem, char *why, size_t why_len);

/* Number of float elements of tensor `arg`, 0 when the kernel/direction does
 * not use it. Valid only for a validated problem. */
size_t kb_problem_arg_elems(const kb_problem *problem, kb_arg arg);
kb_arg_role kb_problem_arg_role(const kb_problem *problem, kb_arg arg);
/* True for the tensors the direction writes (out or in-out). */
bool kb_problem_arg_is_output(const kb_problem *problem, kb_arg arg);
/* The error-growth factor L of output `arg`: the checker's real-valued
 * tolerance is (L + 2) * FLT_EPSILON * magnitude (bench/check.h). For a dot
 * product it is its length (C*KH*KW for conv2d forward); other kernels
 * document theirs in kernels/<kernel>/problem.c. */
int64_t kb_problem_reduction_length(const kb_problem *problem, kb_arg arg);
/* Whether integer-valued inputs give outputs that every correct variant
 * computes exactly (sums of small integers); when false the integer-filled
 * check uses the real-valued tolerance too. */
bool kb_problem_integer_exact(const kb_problem *problem);
/* Floating-point operations of one run. conv2d: 2*N*K*P*Q*C*R*S, padding taps
 * included (every variant does the same work; zero taps are not subtracted).
 * 0 for kernels measured in bytes only. */
double kb_problem_flops(const kb_problem *problem);
/* Minimum bytes moved: every input read once, every output written once (an
 * in-out tensor counts twice), unless the kernel documents otherwise. */
double kb_problem_min_bytes(const kb_problem *problem);
/* Fills input `arg` for a check: the kernel's own rule where its inputs must
 * obey one (class indices in range, positive variances), else the generic
 * kb_fill_values. `real` picks uniform [-1, 1) over small integers. */
void kb_problem_fill(const kb_problem *problem, kb_arg arg, float *data, size_t count, bool real,
                     uint64_t seed);
/* The generic filler: integers in [-2, 2] or uniform reals in [-1, 1),
 * deterministic for a seed (splitmix64). */
void kb_fill_values(float *data, size_t count, bool real, uint64_t seed);
uint64_t kb_random_next(uint64_t *state);
/* The shape of tensor `arg` in C order (NCHW, OIHW, N x D, ...): returns the
 * number of dimensions (0 for an unused tensor, or a scalar such as the loss
 * — check kb_problem_arg_elems). */
#define KB_MAX_ARG_DIMS 4
int kb_problem_arg_dims(const kb_problem *problem, kb_arg arg, int64_t dims[KB_MAX_ARG_DIMS]);
/* Sets the batch (mb) of the problem where the kernel has one; false when it
 * has none (bench --batch is then refused). */
bool kb_problem_set_batch(kb_problem *problem, int64_t batch);
/* Sets the size that working-set sizing varies (the batch, or the element
 * count of flat kernels); false when the kernel has none. */
bool kb_problem_set_extent(kb_problem *problem, int64_t extent);

/* benchdnn-style descriptors, e.g. "mb1ic64ih56oc64oh56kh3ph1". Parsing applies
 * benchdnn's defaults and inference rules (see kernels/conv2d/descriptor.c);
 * formatting prints the canonical form, which parses back to the same problem.
 * The problem's direction is left as the caller set it. */
kb_status kb_problem_parse(kb_kernel kernel, const char *descriptor, kb_problem *problem,
                           char *why, size_t why_len);
void kb_problem_format(const kb_problem *problem, char *buf, size_t buf_len);

#ifdef __cplusplus
}
#endif
#endif
