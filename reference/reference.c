/* Dispatch from a problem to the reference of its kernel: float inputs (and
 * the initial values of in-out tensors) are widened to double, the double
 * reference runs, and each output is rounded once to float. */
#include <stdlib.h>

#include "reference.h"

#define KB_KERNEL(name, id) kb_ref_kernel_fn kb_ref_##name;
#include "core/kernels.inc"
#undef KB_KERNEL

static const struct {
    kb_kernel kernel;
    kb_ref_kernel_fn *run;
} references[] = {
#define KB_KERNEL(name, id) {id, kb_ref_##name},
#include "core/kernels.inc"
#undef KB_KERNEL
};

static kb_ref_kernel_fn *find_reference(kb_kernel kernel) {
    for (size_t i = 0; i < sizeof references / sizeof references[0]; i++)
        if (references[i].kernel == kernel) return references[i].run;
    return NULL;
}

kb_status kb_reference_run(const kb_problem *p, const kb_args *args,
                           const kb_ref_magnitudes *magnitudes) {
    kb_ref_kernel_fn *run = find_reference(p->kernel);
    if (!run) return KB_ERR_UNSUPPORTED;
    double *wide[KB_ARG_COUNT] = {0}, *mag[KB_ARG_COUNT] = {0};
    kb_status status = KB_OK;
    for (int a = 0; a < KB_ARG_COUNT && status == KB_OK; a++) {
        const kb_arg_role role = kb_problem_arg_role(p, (kb_arg)a);
        const size_t count = kb_problem_arg_elems(p, (kb_arg)a);
        if (role == KB_ROLE_NONE || count == 0) continue;
        wide[a] = malloc(count * sizeof(double));
        if (!wide[a]) status = KB_ERR_NOMEM;
        else if (role != KB_ROLE_OUT)
            for (size_t i = 0; i < count; i++) wide[a][i] = args->tensor[a][i];
        if (role != KB_ROLE_IN) {
            mag[a] = calloc(count, sizeof(double));
            if (!mag[a]) status = KB_ERR_NOMEM;
        }
    }
    if (status == KB_OK) status = run(p, wide, mag);
    for (int a = 0; a < KB_ARG_COUNT; a++) {
        const size_t count = kb_problem_arg_elems(p, (kb_arg)a);
        if (status == KB_OK && mag[a]) {
            for (size_t i = 0; i < count; i++) args->tensor[a][i] = (float)wide[a][i];
            if (magnitudes && magnitudes->tensor[a])
                for (size_t i = 0; i < count; i++) magnitudes->tensor[a][i] = mag[a][i];
        }
        free(wide[a]);
        free(mag[a]);
    }
    return status;
}
