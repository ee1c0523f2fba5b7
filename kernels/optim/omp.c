/* optim, omp: the book's updates (optim.h) as portable C, the loop marked
 * `omp simd` so the compiler vectorises it for the baseline ISA (SSE2, with
 * its sqrtps and divps), split over ctx->threads threads in contiguous
 * cache-line-aligned blocks (core/parallel.h). */
#include "core/parallel.h"
#include "kernbench/variant.h"
#include "optim/optim.h"

#define RANGE(rule)                                                                                \
    static void rule##_range(const void *data, int64_t begin, int64_t end) {                       \
        const kb_optim_call *c = data;                                                             \
        _Pragma("omp simd") for (int64_t i = begin; i < end; i++) kb_optim_##rule##_elem(c, i);    \
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

kb_status kb_optim__omp(const kb_problem *problem, const kb_args *args, const kb_context *ctx,
                        void *state, void *workspace) {
    (void)state, (void)workspace;
    return kb_optim_run_ranges(problem, args, ctx->threads, ranges);
}

KB_OPTIM_VARIANTS(omp, KB_ISA_SCALAR, false, "portable C, omp simd (SSE2), one block per thread",
                  kb_optim__omp)
