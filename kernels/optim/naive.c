/* optim, naive: the book's update of every rule as a plain C loop in its
 * order of operations (optim.h), one thread. The baseline the other variants
 * are measured against (gcc vectorises these loops for SSE2 on its own, after
 * a run-time check that the arrays do not overlap). */
#include "kernbench/variant.h"
#include "optim/optim.h"

#define RANGE(rule)                                                                                \
    static void rule##_range(const void *data, int64_t begin, int64_t end) {                       \
        for (int64_t i = begin; i < end; i++) kb_optim_##rule##_elem(data, i);                     \
    }
RANGE(sgd)
RANGE(momentum)
RANGE(nesterov)
RANGE(adagrad)
RANGE(rmsprop)
RANGE(adam)

static kb_range_fn *const ranges[KB_DIR_COUNT] = {
    [KB_DIR_SGD] = sgd_range,           [KB_DIR_MOMENTUM] = momentum_range,
    [KB_DIR_NESTEROV] = nesterov_range, [KB_DIR_ADAGRAD] = adagrad_range,
    [KB_DIR_RMSPROP] = rmsprop_range,   [KB_DIR_ADAM] = adam_range,
};

kb_status kb_optim__naive(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                          void *state, void *workspace) {
    (void)ctx, (void)state, (void)workspace;
    return kb_optim_run_ranges(problem, args, 1, ranges);
}

KB_OPTIM_VARIANTS(naive, KB_ISA_SCALAR, true, "the book's update as a plain C loop, one thread",
                  kb_optim__naive)
