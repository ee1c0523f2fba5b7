/* Dispatch from a problem to the reference of its kernel and direction. */
#include "reference.h"

kb_status kb_reference_run(const kb_problem *p, const kb_args *args,
                           const kb_ref_magnitudes *magnitudes) {
    double *no_magnitudes[KB_ARG_COUNT] = {0};
    double *const *mag = magnitudes ? magnitudes->tensor : no_magnitudes;
    float *const *t = args->tensor;
    switch (p->kernel) {
    case KB_KERNEL_CONV2D:
        switch (p->direction) {
        case KB_DIR_FWD:
            kb_ref_conv2d_fwd(&p->conv2d, t[KB_ARG_SRC], t[KB_ARG_WEIGHTS], t[KB_ARG_BIAS],
                              t[KB_ARG_DST], mag[KB_ARG_DST]);
            return KB_OK;
        default: return KB_ERR_UNSUPPORTED;
        }
    case KB_KERNEL_COUNT: break;
    }
    return KB_ERR_INVALID;
}
