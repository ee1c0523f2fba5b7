/* Kernel-independent problem entry points: each forwards to the kernel's own
 * implementation (kernels/<kernel>/problem.c). */
#include <stdio.h>

#include "conv2d/conv2d.h"
#include "kernbench/problem.h"

kb_status kb_problem_validate(const kb_problem *problem, char *why, size_t why_len) {
    if (problem->direction < 0 || problem->direction >= KB_DIR_COUNT) {
        snprintf(why, why_len, "direction: %d is not a direction", (int)problem->direction);
        return KB_ERR_INVALID;
    }
    switch (problem->kernel) {
    case KB_KERNEL_CONV2D: return kb_conv2d_validate(&problem->conv2d, why, why_len);
    case KB_KERNEL_COUNT: break;
    }
    snprintf(why, why_len, "kernel: %d is not a kernel", (int)problem->kernel);
    return KB_ERR_INVALID;
}

size_t kb_problem_arg_elems(const kb_problem *problem, kb_arg arg) {
    switch (problem->kernel) {
    case KB_KERNEL_CONV2D: return kb_conv2d_arg_elems(&problem->conv2d, problem->direction, arg);
    case KB_KERNEL_COUNT: break;
    }
    return 0;
}

bool kb_problem_arg_is_output(const kb_problem *problem, kb_arg arg) {
    switch (problem->kernel) {
    case KB_KERNEL_CONV2D: return kb_conv2d_arg_is_output(problem->direction, arg);
    case KB_KERNEL_COUNT: break;
    }
    return false;
}

int64_t kb_problem_reduction_length(const kb_problem *problem) {
    switch (problem->kernel) {
    case KB_KERNEL_CONV2D:
        return kb_conv2d_reduction_length(&problem->conv2d, problem->direction);
    case KB_KERNEL_COUNT: break;
    }
    return 0;
}

double kb_problem_flops(const kb_problem *problem) {
    switch (problem->kernel) {
    case KB_KERNEL_CONV2D: return kb_conv2d_flops(&problem->conv2d);
    case KB_KERNEL_COUNT: break;
    }
    return 0.0;
}

double kb_problem_min_bytes(const kb_problem *problem) {
    double bytes = 0.0;
    for (int arg = 0; arg < KB_ARG_COUNT; arg++)
        bytes += (double)kb_problem_arg_elems(problem, (kb_arg)arg) * sizeof(float);
    return bytes;
}

kb_status kb_problem_parse(kb_kernel kernel, const char *descriptor, kb_problem *problem,
                           char *why, size_t why_len) {
    switch (kernel) {
    case KB_KERNEL_CONV2D:
        problem->kernel = kernel;
        return kb_conv2d_parse(descriptor, &problem->conv2d, why, why_len);
    case KB_KERNEL_COUNT: break;
    }
    snprintf(why, why_len, "kernel: %d is not a kernel", (int)kernel);
    return KB_ERR_INVALID;
}

void kb_problem_format(const kb_problem *problem, char *buf, size_t buf_len) {
    switch (problem->kernel) {
    case KB_KERNEL_CONV2D: kb_conv2d_format(&problem->conv2d, buf, buf_len); return;
    case KB_KERNEL_COUNT: break;
    }
    snprintf(buf, buf_len, "?");
}
