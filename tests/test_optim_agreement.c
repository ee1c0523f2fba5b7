/* Every registered optim variant, every rule, one step against the reference
 * within the per-rule bounds of kernels/optim/problem.c: sizes around the
 * vector widths and one large odd size, the book's defaults and other
 * hyperparameters (Adam at a later step, betas below 1/2 so that 1 - beta
 * rounds, a large rate). Several steps in a row: test_optim_steps.c. */
#include "agreement.h"

/* clang-format off */
static const char *const shapes[] = {
    "n1", "n7", "n8", "n9", "n15", "n16", "n17", "n31", "n33", "n1000003",
    "n33lr0.001t10",                   /* the book's Adam rate, tenth step */
    "n17lr0.1mu0.5rho0.9b10.5b20.9t3",
    "n9b10.3b20.2rho0.3t2",            /* 1 - beta and 1 - d round in float */
    "n40lr1mu0t1000",                  /* no momentum; Adam's bias correction gone */
};
/* clang-format on */

int main(void) {
    return kb_agreement_run(KB_KERNEL_OPTIM, shapes, sizeof shapes / sizeof shapes[0]);
}
