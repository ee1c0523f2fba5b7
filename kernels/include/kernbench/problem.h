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

typedef enum kb_kernel { KB_KERNEL_CONV2D = 0, KB_KERNEL_COUNT } kb_kernel;

typedef enum kb_direction {
    KB_DIR_FWD = 0,
    KB_DIR_BWD_DATA,
    KB_DIR_BWD_WEIGHTS,
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

typedef struct kb_problem {
    kb_kernel kernel;
    kb_direction direction;
    union {
        kb_conv2d_shape conv2d;
    };
} kb_problem;

/* Tensor slots, named as oneDNN names its arguments. A kernel uses a subset;
 * kb_problem_arg_elems() says which (0 elements = unused). */
typedef enum kb_arg {
    KB_ARG_SRC = 0,
    KB_ARG_WEIGHTS,
    KB_ARG_BIAS,
    KB_ARG_DST,
    KB_ARG_DIFF_SRC,
    KB_ARG_DIFF_WEIGHTS,
    KB_ARG_DIFF_BIAS,
    KB_ARG_DIFF_DST,
    KB_ARG_COUNT
} kb_arg;

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
/* True for the tensors the direction writes. */
bool kb_problem_arg_is_output(const kb_problem *problem, kb_arg arg);
/* Length of the dot product behind each output element (C*KH*KW for conv2d
 * forward): the tolerance of a real-valued comparison grows with it. */
int64_t kb_problem_reduction_length(const kb_problem *problem);
/* Floating-point operations of one run. conv2d: 2*N*K*P*Q*C*R*S, padding taps
 * included (every variant does the same work; zero taps are not subtracted). */
double kb_problem_flops(const kb_problem *problem);
/* Minimum bytes moved: every input read once, every output written once. */
double kb_problem_min_bytes(const kb_problem *problem);

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
