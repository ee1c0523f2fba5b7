/* What the optim variants share: the per-call coefficients (computed once
 * per call, in the same way by every variant), the run-time check that keeps
 * a bad problem from touching the arrays, and the book's per-element updates
 * in scalar C (naive and omp). The rules themselves are documented in
 * kernels/optim/problem.c. */
#ifndef KB_OPTIM_H
#define KB_OPTIM_H

#include <math.h>

#include "core/parallel.h"
#include "kernbench/variant.h"

kb_status kb_optim_validate(const kb_optim_shape *shape, char *why, size_t why_len);

/* Adam's step size with the bias correction folded in,
 * lr * sqrt(1 - beta2^t) / (1 - beta1^t), computed in double (1 - beta^t
 * cancels badly in float for small t) and rounded once. */
float kb_optim_adam_lr_t(const kb_optim_shape *shape);

/* One update call: the arrays and the float coefficients of the rule. */
typedef struct kb_optim_call {
    float *params;      /* weights, in-out */
    const float *grads; /* diff_weights */
    float *state0;      /* v (momentum, nesterov), h (adagrad, rmsprop), m (adam) */
    float *state1;      /* v (adam) */
    float lr;
    float momentum;    /* mu */
    float mu_squared;  /* nesterov: mu * mu */
    float nesterov_lr; /* nesterov: (1 + mu) * lr */
    float decay;       /* rmsprop: d */
    float one_minus_decay;
    float one_minus_beta1, one_minus_beta2;
    float lr_t; /* adam */
} kb_optim_call;

/* Checks the problem (kb_optim_validate: a NaN rate or Adam's t = 0 would
 * poison every element) and fills `call`; KB_ERR_INVALID when the problem is
 * invalid, before any array is read or written, so a failed call leaves the
 * parameters and the state as they were. */
kb_status kb_optim_call_init(const kb_problem *problem, const kb_args *args, kb_optim_call *call);

/* What every variant's run() does: checks the problem and fills the call
 * (kb_optim_call_init), then runs the rule's range function, indexed by
 * direction, over the array on `threads` threads (core/parallel.h). */
kb_status kb_optim_run_ranges(const kb_problem *problem, const kb_args *args, int threads,
                              kb_range_fn *const ranges[KB_DIR_COUNT]);

/* The book's updates of element i, in its order of operations. */
static inline void kb_optim_sgd_elem(const kb_optim_call *c, int64_t i) {
    c->params[i] -= c->lr * c->grads[i];
}
static inline void kb_optim_momentum_elem(const kb_optim_call *c, int64_t i) {
    c->state0[i] = c->momentum * c->state0[i] - c->lr * c->grads[i];
    c->params[i] += c->state0[i];
}
static inline void kb_optim_nesterov_elem(const kb_optim_call *c, int64_t i) {
    c->state0[i] *= c->momentum;
    c->state0[i] -= c->lr * c->grads[i];
    c->params[i] += c->mu_squared * c->state0[i];
    c->params[i] -= c->nesterov_lr * c->grads[i];
}
static inline void kb_optim_adagrad_elem(const kb_optim_call *c, int64_t i) {
    const float g = c->grads[i];
    c->state0[i] += g * g;
    c->params[i] -= c->lr * g / (sqrtf(c->state0[i]) + KB_OPTIM_EPSILON);
}
static inline void kb_optim_rmsprop_elem(const kb_optim_call *c, int64_t i) {
    const float g = c->grads[i];
    c->state0[i] *= c->decay;
    c->state0[i] += c->one_minus_decay * g * g;
    c->params[i] -= c->lr * g / (sqrtf(c->state0[i]) + KB_OPTIM_EPSILON);
}
static inline void kb_optim_adam_elem(const kb_optim_call *c, int64_t i) {
    const float g = c->grads[i];
    c->state0[i] += c->one_minus_beta1 * (g - c->state0[i]);
    c->state1[i] += c->one_minus_beta2 * (g * g - c->state1[i]);
    c->params[i] -= c->lr_t * c->state0[i] / (sqrtf(c->state1[i]) + KB_OPTIM_EPSILON);
}

/* The variant struct of `rule` (sgd, ...; RULE: SGD, ...) for a file whose
 * run() serves every rule: optim variants come in sets of six. */
#define KB_OPTIM_VARIANT(rule, RULE, variant, isa, single, text, run_fn)                           \
    const kb_variant kb_optim_##rule##__##variant##_variant = {                                    \
        .name = #variant,                                                                          \
        .kernel = KB_KERNEL_OPTIM,                                                                 \
        .direction = KB_DIR_##RULE,                                                                \
        .required_isa = isa,                                                                       \
        .summary = text,                                                                           \
        .single_threaded = single,                                                                 \
        .run = run_fn,                                                                             \
    };
#define KB_OPTIM_VARIANTS(variant, isa, single, text, run_fn)                                      \
    KB_OPTIM_VARIANT(sgd, SGD, variant, isa, single, text, run_fn)                                 \
    KB_OPTIM_VARIANT(momentum, MOMENTUM, variant, isa, single, text, run_fn)                       \
    KB_OPTIM_VARIANT(nesterov, NESTEROV, variant, isa, single, text, run_fn)                       \
    KB_OPTIM_VARIANT(adagrad, ADAGRAD, variant, isa, single, text, run_fn)                         \
    KB_OPTIM_VARIANT(rmsprop, RMSPROP, variant, isa, single, text, run_fn)                         \
    KB_OPTIM_VARIANT(adam, ADAM, variant, isa, single, text, run_fn)

#endif
