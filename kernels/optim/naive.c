/* optim, naive: the book's update of every rule as a scalar loop in its order
 * of operations (optim.h), one thread. The baseline the other variants are
 * measured against. */
#include "kernbench/variant.h"
#include "optim/optim.h"

kb_status kb_optim__naive(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                          void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    kb_optim_call c;
    const kb_status status = kb_optim_call_init(problem, args, &c);
    if (status != KB_OK) return status;
    const int64_t n = problem->optim.elems;
    switch (problem->direction) {
    case KB_DIR_SGD:
        for (int64_t i = 0; i < n; i++) kb_optim_sgd_elem(&c, i);
        break;
    case KB_DIR_MOMENTUM:
        for (int64_t i = 0; i < n; i++) kb_optim_momentum_elem(&c, i);
        break;
    case KB_DIR_NESTEROV:
        for (int64_t i = 0; i < n; i++) kb_optim_nesterov_elem(&c, i);
        break;
    case KB_DIR_ADAGRAD:
        for (int64_t i = 0; i < n; i++) kb_optim_adagrad_elem(&c, i);
        break;
    case KB_DIR_RMSPROP:
        for (int64_t i = 0; i < n; i++) kb_optim_rmsprop_elem(&c, i);
        break;
    case KB_DIR_ADAM:
        for (int64_t i = 0; i < n; i++) kb_optim_adam_elem(&c, i);
        break;
    default: return KB_ERR_INVALID;
    }
    return KB_OK;
}

KB_OPTIM_VARIANTS(naive, KB_ISA_SCALAR, true, "the book's update as a scalar loop, one thread",
                  kb_optim__naive)
