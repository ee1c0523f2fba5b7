/* Dispatch from a problem to the reference of its kernel and direction: float
 * inputs are widened to double, the double reference runs, and each output is
 * rounded once to float. */
#include <stdlib.h>

#include "reference.h"

static double *widen(const float *data, size_t count) {
    double *wide = malloc((count ? count : 1) * sizeof *wide);
    if (wide)
        for (size_t i = 0; i < count; i++) wide[i] = data[i];
    return wide;
}

kb_status kb_reference_run(const kb_problem *p, const kb_args *args,
                           const kb_ref_magnitudes *magnitudes) {
    if (p->kernel != KB_KERNEL_CONV2D) return KB_ERR_UNSUPPORTED;
    double *wide[KB_ARG_COUNT] = {0}, *mag[KB_ARG_COUNT] = {0};
    kb_status status = KB_OK;
    for (int a = 0; a < KB_ARG_COUNT && status == KB_OK; a++) {
        const size_t count = kb_problem_arg_elems(p, (kb_arg)a);
        if (count == 0) continue;
        const bool output = kb_problem_arg_is_output(p, (kb_arg)a);
        wide[a] = output ? malloc(count * sizeof(double)) : widen(args->tensor[a], count);
        mag[a] = output ? malloc(count * sizeof(double)) : NULL;
        if (!wide[a] || (output && !mag[a])) status = KB_ERR_NOMEM;
    }
    if (status == KB_OK) {
        const kb_conv2d_shape *s = &p->conv2d;
        switch (p->direction) {
        case KB_DIR_FWD:
            kb_ref_conv2d_fwd_f64(s, wide[KB_ARG_SRC], wide[KB_ARG_WEIGHTS], wide[KB_ARG_BIAS],
                                  wide[KB_ARG_DST], mag[KB_ARG_DST]);
            break;
        case KB_DIR_BWD_DATA:
            kb_ref_conv2d_bwd_data_f64(s, wide[KB_ARG_DIFF_DST], wide[KB_ARG_WEIGHTS],
                                       wide[KB_ARG_DIFF_SRC], mag[KB_ARG_DIFF_SRC]);
            break;
        case KB_DIR_BWD_WEIGHTS:
            kb_ref_conv2d_bwd_weights_f64(s, wide[KB_ARG_SRC], wide[KB_ARG_DIFF_DST],
                                          wide[KB_ARG_DIFF_WEIGHTS], wide[KB_ARG_DIFF_BIAS],
                                          mag[KB_ARG_DIFF_WEIGHTS], mag[KB_ARG_DIFF_BIAS]);
            break;
        default: status = KB_ERR_UNSUPPORTED; break;
        }
    }
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
