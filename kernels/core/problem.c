/* Kernel-independent problem entry points: each forwards to the kernel's
 * entry in the kernel table (kernels/<kernel>/problem.c). */
#include <stdio.h>
#include <string.h>

#include "core/kernel_ops.h"

#define KB_KERNEL(name, id) extern const kb_kernel_ops kb_##name##_ops;
#include "core/kernels.inc"
#undef KB_KERNEL

static const kb_kernel_ops *const kernel_table[] = {
#define KB_KERNEL(name, id) &kb_##name##_ops,
#include "core/kernels.inc"
#undef KB_KERNEL
};

const kb_kernel_ops *kb_kernel_ops_get(kb_kernel kernel) {
    for (size_t i = 0; i < sizeof kernel_table / sizeof kernel_table[0]; i++)
        if (kernel_table[i]->kernel == kernel) return kernel_table[i];
    return NULL;
}

bool kb_kernel_available(kb_kernel kernel) { return kb_kernel_ops_get(kernel) != NULL; }

bool kb_kernel_has_direction(kb_kernel kernel, kb_direction direction) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(kernel);
    return ops && direction >= 0 && direction < KB_DIR_COUNT &&
           (ops->directions & KB_DIRECTION_BIT(direction));
}

kb_status kb_problem_validate(const kb_problem *problem, char *why, size_t why_len) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(problem->kernel);
    if (!ops) {
        snprintf(why, why_len, "kernel: %d is not a kernel of this build", (int)problem->kernel);
        return KB_ERR_INVALID;
    }
    if (!kb_kernel_has_direction(problem->kernel, problem->direction)) {
        snprintf(why, why_len, "direction: %s has no direction %s",
                 kb_kernel_name(problem->kernel), kb_direction_name(problem->direction));
        return KB_ERR_INVALID;
    }
    const kb_status status = ops->validate(problem, why, why_len);
    if (status != KB_OK) kb_text_one_line(why);
    return status;
}

size_t kb_problem_arg_elems(const kb_problem *problem, kb_arg arg) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(problem->kernel);
    return ops && kb_problem_arg_role(problem, arg) != KB_ROLE_NONE ? ops->arg_elems(problem, arg)
                                                                     : 0;
}

kb_arg_role kb_problem_arg_role(const kb_problem *problem, kb_arg arg) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(problem->kernel);
    return ops && arg >= 0 && arg < KB_ARG_COUNT ? ops->arg_role(problem, arg) : KB_ROLE_NONE;
}

bool kb_problem_arg_is_output(const kb_problem *problem, kb_arg arg) {
    const kb_arg_role role = kb_problem_arg_role(problem, arg);
    return role == KB_ROLE_OUT || role == KB_ROLE_INOUT;
}

int64_t kb_problem_reduction_length(const kb_problem *problem, kb_arg arg) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(problem->kernel);
    return ops ? ops->reduction_length(problem, arg) : 0;
}

bool kb_problem_integer_exact(const kb_problem *problem) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(problem->kernel);
    return ops && (!ops->integer_exact || ops->integer_exact(problem));
}

double kb_problem_flops(const kb_problem *problem) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(problem->kernel);
    return ops && ops->flops ? ops->flops(problem) : 0.0;
}

double kb_problem_min_bytes(const kb_problem *problem) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(problem->kernel);
    if (ops && ops->min_bytes) return ops->min_bytes(problem);
    double bytes = 0.0;
    for (int arg = 0; arg < KB_ARG_COUNT; arg++) {
        const kb_arg_role role = kb_problem_arg_role(problem, (kb_arg)arg);
        const double passes = role == KB_ROLE_INOUT ? 2.0 : role == KB_ROLE_NONE ? 0.0 : 1.0;
        bytes += passes * (double)kb_problem_arg_elems(problem, (kb_arg)arg) * sizeof(float);
    }
    return bytes;
}

uint64_t kb_random_next(uint64_t *state) {
    /* splitmix64: tiny, fast and good enough to fill test tensors. */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void kb_fill_values(float *data, size_t count, bool real, uint64_t seed) {
    uint64_t state = seed;
    for (size_t i = 0; i < count; i++) {
        const uint64_t r = kb_random_next(&state);
        if (real) /* 24 random bits -> [-1, 1) */
            data[i] = (float)((double)(r >> 40) / (double)(1 << 23) - 1.0);
        else
            data[i] = (float)((int)(r % 5) - 2);
    }
}

void kb_problem_fill(const kb_problem *problem, kb_arg arg, float *data, size_t count, bool real,
                     uint64_t seed) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(problem->kernel);
    if (ops && ops->fill && ops->fill(problem, arg, data, count, real, seed)) return;
    kb_fill_values(data, count, real, seed);
}

int kb_problem_arg_dims(const kb_problem *problem, kb_arg arg, int64_t dims[KB_MAX_ARG_DIMS]) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(problem->kernel);
    const size_t elems = kb_problem_arg_elems(problem, arg);
    if (!ops || elems == 0) return 0;
    if (ops->arg_dims) return ops->arg_dims(problem, arg, dims);
    dims[0] = (int64_t)elems;
    return 1;
}

bool kb_problem_set_batch(kb_problem *problem, int64_t batch) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(problem->kernel);
    return ops && ops->set_batch && ops->set_batch(problem, batch);
}

kb_status kb_problem_parse(kb_kernel kernel, const char *descriptor, kb_problem *problem,
                           char *why, size_t why_len) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(kernel);
    if (!ops) {
        snprintf(why, why_len, "kernel: %s is not in this build", kb_kernel_name(kernel));
        return KB_ERR_INVALID;
    }
    const kb_direction direction = problem->direction;
    memset(problem, 0, sizeof *problem);
    problem->kernel = kernel;
    problem->direction = direction;
    const kb_status status = ops->parse(descriptor, problem, why, why_len);
    if (status != KB_OK) kb_text_one_line(why);
    return status;
}

void kb_problem_format(const kb_problem *problem, char *buf, size_t buf_len) {
    const kb_kernel_ops *ops = kb_kernel_ops_get(problem->kernel);
    if (ops)
        ops->format(problem, buf, buf_len);
    else
        snprintf(buf, buf_len, "?");
}
