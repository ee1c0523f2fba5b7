/* See optim.h. */
#include "optim/optim.h"

#include <assert.h>
#include <math.h>

float kb_optim_adam_lr_t(const kb_optim_shape *s) {
    const double t = (double)s->step;
    return (float)((double)s->lr * sqrt(1.0 - pow((double)s->beta2, t)) /
                   (1.0 - pow((double)s->beta1, t)));
}

kb_status kb_optim_call_init(const kb_problem *problem, const kb_args *args, kb_optim_call *call) {
    assert(problem && args && call);
    char why[160];
    if (problem->kernel != KB_KERNEL_OPTIM ||
        kb_problem_validate(problem, why, sizeof why) != KB_OK)
        return KB_ERR_INVALID;
    const kb_optim_shape *s = &problem->optim;
    *call = (kb_optim_call){
        .params = args->tensor[KB_ARG_WEIGHTS],
        .grads = args->tensor[KB_ARG_DIFF_WEIGHTS],
        .state0 = args->tensor[KB_ARG_STATE0],
        .state1 = args->tensor[KB_ARG_STATE1],
        .lr = s->lr,
        .momentum = s->momentum,
        .mu_squared = s->momentum * s->momentum,
        .nesterov_lr = (1.0f + s->momentum) * s->lr,
        .decay = s->decay_rate,
        .one_minus_decay = 1.0f - s->decay_rate,
        .one_minus_beta1 = 1.0f - s->beta1,
        .one_minus_beta2 = 1.0f - s->beta2,
        .lr_t = kb_optim_adam_lr_t(s),
    };
    assert(call->params && call->grads);
    assert(kb_problem_arg_role(problem, KB_ARG_STATE0) == KB_ROLE_NONE || call->state0);
    assert(kb_problem_arg_role(problem, KB_ARG_STATE1) == KB_ROLE_NONE || call->state1);
    return KB_OK;
}

kb_status kb_optim_run_ranges(const kb_problem *problem, const kb_args *args, int threads,
                              kb_range_fn *const ranges[KB_DIR_COUNT]) {
    kb_optim_call call;
    const kb_status status = kb_optim_call_init(problem, args, &call);
    if (status != KB_OK) return status;
    assert(ranges[problem->direction]);
    kb_parallel_ranges(problem->optim.elems, threads, ranges[problem->direction], &call);
    return KB_OK;
}
