/* Reference optimizer updates (kernels/optim/problem.c has the rules and the
 * tolerance), in double from the float hyperparameters, one element at a
 * time. Each output's magnitude is the sum of the absolute values of the
 * terms it is made of, carried through the steps (see problem.c for why each
 * one bounds the rounding error of a float32 evaluation):
 *   sgd       p:  |p| + |lr g|
 *   momentum  v:  |mu v| + |lr g|                     p: |p| + mag_v
 *   nesterov  v:  as momentum     p: |p| + mu^2 mag_v + (1 + mu) |lr g|
 *   adagrad   h:  |h| + g^2                           p: |p| + |q|
 *   rmsprop   h:  d |h| + (1 - d) g^2                 p: |p| + |q|
 *             (q = lr g / (sqrt(h') + eps))
 *   adam      m:  |m| + (1 - b1) (|g| + |m|)
 *             v:  |v| + (1 - b2) (g^2 + |v|)
 *             p:  |p| + lr_t mag_m R / (sqrt(v') + eps), R = mag_v / v' (1 when
 *                 v' = 0): how far g^2 - v cancelled, which sqrt(v') inherits. */
#include <math.h>

#include "reference.h"

static double adam_lr_t(const kb_optim_shape *s) {
    const double t = (double)s->step;
    return (double)s->lr * sqrt(1.0 - pow((double)s->beta2, t)) / (1.0 - pow((double)s->beta1, t));
}

void kb_ref_optim_step_f64(const kb_optim_shape *s, kb_direction rule, double *p, const double *g,
                           double *s0, double *s1, double *mag_p, double *mag_s0, double *mag_s1) {
    const double lr = s->lr, mu = s->momentum, d = s->decay_rate, eps = KB_OPTIM_EPSILON;
    const double b1 = s->beta1, b2 = s->beta2, lr_t = adam_lr_t(s);
    for (int64_t i = 0; i < s->elems; i++) {
        switch (rule) {
        case KB_DIR_SGD:
            mag_p[i] = fabs(p[i]) + fabs(lr * g[i]);
            p[i] -= lr * g[i];
            break;
        case KB_DIR_MOMENTUM:
        case KB_DIR_NESTEROV: {
            const double v = mu * s0[i] - lr * g[i];
            mag_s0[i] = fabs(mu * s0[i]) + fabs(lr * g[i]);
            s0[i] = v;
            if (rule == KB_DIR_MOMENTUM) {
                mag_p[i] = fabs(p[i]) + mag_s0[i];
                p[i] += v;
            } else {
                mag_p[i] = fabs(p[i]) + mu * mu * mag_s0[i] + (1 + mu) * fabs(lr * g[i]);
                p[i] += mu * mu * v - (1 + mu) * lr * g[i];
            }
            break;
        }
        case KB_DIR_ADAGRAD:
        case KB_DIR_RMSPROP: {
            const double h =
                rule == KB_DIR_ADAGRAD ? s0[i] + g[i] * g[i] : d * s0[i] + (1 - d) * g[i] * g[i];
            mag_s0[i] = rule == KB_DIR_ADAGRAD ? fabs(s0[i]) + g[i] * g[i]
                                               : d * fabs(s0[i]) + (1 - d) * g[i] * g[i];
            s0[i] = h;
            const double q = lr * g[i] / (sqrt(h) + eps);
            mag_p[i] = fabs(p[i]) + fabs(q);
            p[i] -= q;
            break;
        }
        case KB_DIR_ADAM: {
            const double m = s0[i] + (1 - b1) * (g[i] - s0[i]);
            const double v = s1[i] + (1 - b2) * (g[i] * g[i] - s1[i]);
            mag_s0[i] = fabs(s0[i]) + (1 - b1) * (fabs(g[i]) + fabs(s0[i]));
            mag_s1[i] = fabs(s1[i]) + (1 - b2) * (g[i] * g[i] + fabs(s1[i]));
            s0[i] = m;
            s1[i] = v;
            const double den = sqrt(v) + eps;
            const double cancelled = v > 0 ? mag_s1[i] / v : 1.0;
            mag_p[i] = fabs(p[i]) + lr_t * mag_s0[i] * (cancelled > 1 ? cancelled : 1.0) / den;
            p[i] -= lr_t * m / den;
            break;
        }
        default:
            break;
        }
    }
}

kb_status kb_ref_optim(const kb_problem *p, double *const *t, double *const *mag) {
    switch (p->direction) {
    case KB_DIR_SGD:
    case KB_DIR_MOMENTUM:
    case KB_DIR_NESTEROV:
    case KB_DIR_ADAGRAD:
    case KB_DIR_RMSPROP:
    case KB_DIR_ADAM:
        kb_ref_optim_step_f64(&p->optim, p->direction, t[KB_ARG_WEIGHTS], t[KB_ARG_DIFF_WEIGHTS],
                              t[KB_ARG_STATE0], t[KB_ARG_STATE1], mag[KB_ARG_WEIGHTS],
                              mag[KB_ARG_STATE0], mag[KB_ARG_STATE1]);
        return KB_OK;
    default:
        return KB_ERR_UNSUPPORTED;
    }
}
