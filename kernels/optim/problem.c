/* optim problem rules: the book's optimizer updates (common/optimizer.py) of
 * a flat float32 parameter array p with its gradient g, in place; the rule is
 * the direction:
 *   sgd       p -= lr * g
 *   momentum  v = mu * v - lr * g;  p += v                          (state0 = v)
 *   nesterov  v *= mu;  v -= lr * g;  p += mu * mu * v;  p -= (1 + mu) * lr * g
 *                                                                   (state0 = v)
 *   adagrad   h += g * g;  p -= lr * g / (sqrt(h) + 1e-7)           (state0 = h)
 *   rmsprop   h *= d;  h += (1 - d) * g * g;  p -= lr * g / (sqrt(h) + 1e-7)
 *                                                                   (state0 = h)
 *   adam      lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 *             m += (1 - beta1) * (g - m);  v += (1 - beta2) * (g * g - v)
 *             p -= lr_t * m / (sqrt(v) + 1e-7)           (state0 = m, state1 = v)
 * Tensors: weights = p and the state are in-out, diff_weights = g is in.
 *
 * Descriptor: <field><value> tokens (core/descriptor.h), e.g.
 * "n1000003lr0.001t10":
 *   n      elements (required), 1 to KB_MAX_TENSOR_ELEMS
 *   lr     learning rate, > 0            default 0.01 (the book's SGD,
 *          Momentum, Nesterov, AdaGrad, RMSprop; its Adam uses 0.001: lr0.001)
 *   mu     momentum (momentum, nesterov), in [0, 1), default 0.9
 *   rho    decay rate d (rmsprop), in [0, 1), default 0.99
 *   b1 b2  Adam's beta1, beta2, in [0, 1), defaults 0.9, 0.999
 *   t      Adam's step, >= 1 (1 on the first update), default 1
 * Every field applies to every rule's problem (a rule ignores the others).
 * The canonical form prints n and then only the fields that differ from their
 * defaults, each real in its shortest exact decimal form.
 *
 * Tolerance, per output element: |got - ref| <= (L + 2) * FLT_EPSILON * mag
 * (bench/check.h). mag (reference/optim.c) is the sum of the absolute values
 * of the terms each output is made of, and L counts the roundings of a
 * float32 evaluation of the book's formula (u = FLT_EPSILON / 2 each; L eps
 * covers 2L roundings, as conv2d's L eps covers L multiply-adds), so the
 * bound holds for any order, FMA or not, with the per-call constants (mu*mu,
 * (1+mu)*lr, lr_t, 1-d, 1-beta) rounded to float once (u each):
 *   sgd       p: lr*g, the subtraction: 2u                         L = 1
 *   momentum  v: two products, one subtraction: 2u                 L = 1
 *             p: v's 2u plus the addition: 3u                      L = 2
 *   nesterov  v: 2u (L = 1); p: mu*mu and its product 2u on top of v's 2u,
 *             (1 + mu) * lr * g 3u, two additions 2u: 6u           L = 3
 *   adagrad   h: g*g, the addition (both terms >= 0): 2u           L = 1
 *             p: sqrt(h) 2u (h's 2u halved, plus its own), + 1e-7 u,
 *             lr*g u, division u, subtraction u: 6u                L = 3
 *   rmsprop   h: 1-d u, three products, one addition: 4u           L = 2
 *             p: sqrt(h) 3u, + 1e-7 u, lr*g u, division u, subtraction u: 7u
 *                                                                  L = 4
 *   adam      m: 1-beta1 u, g-m u, product u, addition u: 4u       L = 2
 *             v: 1-beta2 u, g*g u, g*g-v u, product u, addition u: 5u
 *                                                                  L = 3
 *             p: m's 4u, lr_t u, product u, division u, sqrt(v) 2.5u*R + u,
 *             + 1e-7 u, subtraction u: at most 12.5u with the reference's
 *             mag = |p| + lr_t * mag_m * R / (sqrt(v) + 1e-7), where
 *             R = mag_v / v >= 1 is how much g*g - v cancelled      L = 7
 * The magnitudes also carry these sums through cancellation (m and v above,
 * v in momentum's p), so a tiny result of large terms gets the tolerance of
 * its terms. No rule is exact on integer inputs (lr = 0.01 is not a binary
 * fraction; sqrt and division round), so integer_exact is false.
 *
 * Bytes (the default count): each in-out array read and written once, g read
 * once: sgd 12 bytes per element, momentum, nesterov, adagrad and rmsprop 20,
 * adam 28. No flops are counted: memory-bound, measured in GB/s.
 *
 * Fill: AdaGrad's and RMSprop's h and Adam's v are sums of squares, so their
 * inputs are made non-negative.
 *
 * Numerical edge policy (tests/test_optim_edges.c): element-wise IEEE
 * propagation. A NaN gradient, parameter or state makes that element's
 * parameter NaN, and its state NaN where the rule's state reads it; an Inf
 * gradient gives what IEEE gives (sgd -+Inf; adagrad, rmsprop, adam
 * Inf / Inf = NaN); every other element of the parameters and state arrays
 * is untouched by it (finite, within the tolerance). Every variant follows
 * it; subnormal gradients are computed as such (bench sets FTZ/DAZ, the
 * tests do not). Sizes: n up to KB_MAX_TENSOR_ELEMS; counts and bytes are
 * exact 64-bit values past 2^31 elements. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "core/descriptor.h"
#include "core/kernel_ops.h"
#include "optim/optim.h"

static const kb_optim_shape defaults = {
    .lr = 0.01f,
    .momentum = 0.9f,
    .decay_rate = 0.99f,
    .beta1 = 0.9f,
    .beta2 = 0.999f,
    .step = 1,
};

enum { F_N, F_LR, F_MU, F_RHO, F_B1, F_B2, F_T, F_COUNT };

kb_status kb_optim_validate(const kb_optim_shape *s, char *why, size_t why_len) {
    if (s->elems < 1 || s->elems > KB_MAX_TENSOR_ELEMS) {
        snprintf(why, why_len, "n: %" PRId64 " must be in [1, %" PRId64 "]", s->elems,
                 KB_MAX_TENSOR_ELEMS);
        return KB_ERR_INVALID;
    }
    if (!(isfinite(s->lr) && s->lr > 0)) {
        snprintf(why, why_len, "lr: %g must be a finite number > 0", (double)s->lr);
        return KB_ERR_INVALID;
    }
    const struct {
        const char *field;
        float value;
    } unit[] = {{"mu", s->momentum}, {"rho", s->decay_rate}, {"b1", s->beta1}, {"b2", s->beta2}};
    for (size_t i = 0; i < sizeof unit / sizeof unit[0]; i++) {
        if (!(unit[i].value >= 0 && unit[i].value < 1)) { /* NaN fails too */
            snprintf(why, why_len, "%s: %g must be in [0, 1)", unit[i].field,
                     (double)unit[i].value);
            return KB_ERR_INVALID;
        }
    }
    if (s->step < 1) {
        snprintf(why, why_len, "t: %" PRId64 " must be >= 1 (Adam's first step is t1)", s->step);
        return KB_ERR_INVALID;
    }
    return KB_OK;
}

static kb_status parse(const char *descriptor, kb_problem *p, char *why, size_t why_len) {
    kb_desc_field f[F_COUNT] = {
        [F_N] = {.name = "n", .max = KB_MAX_TENSOR_ELEMS},
        [F_LR] = {.name = "lr", .real = true},
        [F_MU] = {.name = "mu", .real = true},
        [F_RHO] = {.name = "rho", .real = true},
        [F_B1] = {.name = "b1", .real = true},
        [F_B2] = {.name = "b2", .real = true},
        [F_T] = {.name = "t", .max = INT64_MAX},
    };
    kb_status status = kb_desc_parse(descriptor, f, F_COUNT, why, why_len);
    if (status != KB_OK) return status;
    if (!f[F_N].given) {
        snprintf(why, why_len, "n: missing in '%s' (the element count, e.g. n1000003)", descriptor);
        return KB_ERR_INVALID;
    }
    kb_optim_shape *s = &p->optim;
    *s = defaults;
    s->elems = f[F_N].value;
    if (f[F_LR].given) s->lr = f[F_LR].real_value;
    if (f[F_MU].given) s->momentum = f[F_MU].real_value;
    if (f[F_RHO].given) s->decay_rate = f[F_RHO].real_value;
    if (f[F_B1].given) s->beta1 = f[F_B1].real_value;
    if (f[F_B2].given) s->beta2 = f[F_B2].real_value;
    if (f[F_T].given) s->step = f[F_T].value;
    return kb_optim_validate(s, why, why_len);
}

static void format(const kb_problem *p, char *buf, size_t buf_len) {
    const kb_optim_shape *s = &p->optim;
    int at = snprintf(buf, buf_len, "n%" PRId64, s->elems);
    const struct {
        const char *field;
        float value, fallback;
    } reals[] = {{"lr", s->lr, defaults.lr},
                 {"mu", s->momentum, defaults.momentum},
                 {"rho", s->decay_rate, defaults.decay_rate},
                 {"b1", s->beta1, defaults.beta1},
                 {"b2", s->beta2, defaults.beta2}};
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        if (reals[i].value == reals[i].fallback || at < 0 || (size_t)at >= buf_len) continue;
        char text[32];
        kb_desc_format_real(reals[i].value, text, sizeof text);
        at += snprintf(buf + at, buf_len - (size_t)at, "%s%s", reals[i].field, text);
    }
    if (s->step != defaults.step && at >= 0 && (size_t)at < buf_len)
        snprintf(buf + at, buf_len - (size_t)at, "t%" PRId64, s->step);
}

static kb_status validate(const kb_problem *p, char *why, size_t why_len) {
    return kb_optim_validate(&p->optim, why, why_len);
}

static kb_arg_role arg_role(const kb_problem *p, kb_arg arg) {
    const bool one_state = p->direction == KB_DIR_MOMENTUM || p->direction == KB_DIR_NESTEROV ||
                           p->direction == KB_DIR_ADAGRAD || p->direction == KB_DIR_RMSPROP;
    const bool two_states = p->direction == KB_DIR_ADAM;
    if (!one_state && !two_states && p->direction != KB_DIR_SGD) return KB_ROLE_NONE;
    switch (arg) {
    case KB_ARG_WEIGHTS:
        return KB_ROLE_INOUT;
    case KB_ARG_DIFF_WEIGHTS:
        return KB_ROLE_IN;
    case KB_ARG_STATE0:
        return one_state || two_states ? KB_ROLE_INOUT : KB_ROLE_NONE;
    case KB_ARG_STATE1:
        return two_states ? KB_ROLE_INOUT : KB_ROLE_NONE;
    default:
        return KB_ROLE_NONE;
    }
}

static size_t arg_elems(const kb_problem *p, kb_arg arg) {
    return arg_role(p, arg) != KB_ROLE_NONE ? (size_t)p->optim.elems : 0;
}

static int64_t reduction_length(const kb_problem *p, kb_arg arg) {
    const bool params = arg == KB_ARG_WEIGHTS;
    switch (p->direction) {
    case KB_DIR_SGD:
        return 1;
    case KB_DIR_MOMENTUM:
        return params ? 2 : 1;
    case KB_DIR_NESTEROV:
        return params ? 3 : 1;
    case KB_DIR_ADAGRAD:
        return params ? 3 : 1;
    case KB_DIR_RMSPROP:
        return params ? 4 : 2;
    case KB_DIR_ADAM:
        return params ? 7 : arg == KB_ARG_STATE0 ? 2 : 3;
    default:
        return 0;
    }
}

static bool integer_exact(const kb_problem *p) {
    (void)p;
    return false;
}

static bool fill(const kb_problem *p, kb_arg arg, float *data, size_t count, bool real,
                 uint64_t seed) {
    const bool squares = (arg == KB_ARG_STATE0 &&
                          (p->direction == KB_DIR_ADAGRAD || p->direction == KB_DIR_RMSPROP)) ||
                         (arg == KB_ARG_STATE1 && p->direction == KB_DIR_ADAM);
    if (!squares) return false;
    kb_fill_values(data, count, real, seed);
    for (size_t i = 0; i < count; i++) data[i] = fabsf(data[i]);
    return true;
}

/* --working-set varies the parameter count. */
static bool set_extent(kb_problem *p, int64_t extent) {
    p->optim.elems = extent;
    return true;
}

const kb_kernel_ops kb_optim_ops = {
    .kernel = KB_KERNEL_OPTIM,
    .directions = KB_DIRECTION_BIT(KB_DIR_SGD) | KB_DIRECTION_BIT(KB_DIR_MOMENTUM) |
                  KB_DIRECTION_BIT(KB_DIR_NESTEROV) | KB_DIRECTION_BIT(KB_DIR_ADAGRAD) |
                  KB_DIRECTION_BIT(KB_DIR_RMSPROP) | KB_DIRECTION_BIT(KB_DIR_ADAM),
    .parse = parse,
    .format = format,
    .validate = validate,
    .arg_elems = arg_elems,
    .arg_role = arg_role,
    .reduction_length = reduction_length,
    .integer_exact = integer_exact,
    .fill = fill,
    .set_extent = set_extent,
};
