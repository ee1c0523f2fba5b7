/* The kernel table: what each kernel's problem code provides to the generic
 * entry points of kernbench/problem.h. One entry per kernel, defined in
 * kernels/<kernel>/problem.c as `const kb_kernel_ops kb_<kernel>_ops` and
 * listed in kernels/core/kernels.inc. */
#ifndef KB_KERNEL_OPS_H
#define KB_KERNEL_OPS_H

#include "kernbench/problem.h"

#define KB_DIRECTION_BIT(direction) (1u << (direction))

typedef struct kb_kernel_ops {
    kb_kernel kernel;
    unsigned directions; /* KB_DIRECTION_BIT of each accepted direction */
    /* Mandatory. */
    kb_status (*parse)(const char *descriptor, kb_problem *problem, char *why, size_t why_len);
    void (*format)(const kb_problem *problem, char *buf, size_t buf_len);
    kb_status (*validate)(const kb_problem *problem, char *why, size_t why_len);
    size_t (*arg_elems)(const kb_problem *problem, kb_arg arg);
    kb_arg_role (*arg_role)(const kb_problem *problem, kb_arg arg);
    int64_t (*reduction_length)(const kb_problem *problem, kb_arg arg);
    /* Optional: NULL means 0 flops, the default byte count, exact integers,
     * the generic filler, no batch. */
    double (*flops)(const kb_problem *problem);
    double (*min_bytes)(const kb_problem *problem);
    bool (*integer_exact)(const kb_problem *problem);
    /* Returns false to leave `arg` to the generic filler. */
    bool (*fill)(const kb_problem *problem, kb_arg arg, float *data, size_t count, bool real,
                 uint64_t seed);
    bool (*set_batch)(kb_problem *problem, int64_t batch);
    /* The tensor's true shape (C order), returns the number of dimensions;
     * NULL = one dimension of arg_elems. */
    int (*arg_dims)(const kb_problem *problem, kb_arg arg, int64_t dims[KB_MAX_ARG_DIMS]);
} kb_kernel_ops;

/* NULL when this build lacks the kernel. */
const kb_kernel_ops *kb_kernel_ops_get(kb_kernel kernel);

#endif
