/* Reference gemm: C = alpha * op(A) * op(B) + beta * C, row-major, in double
 * on double arrays, the textbook triple loop. beta == 0 never reads C (BLAS
 * semantics: NaN in C is ignored). Each element also gets its magnitude,
 * |alpha| * sum |a * b| + |beta * c|, the scale of the checker's tolerance
 * (kernels/gemm/problem.c explains the bound). */
#include <math.h>

#include "reference.h"

void kb_ref_gemm_f64(const kb_gemm_shape *s, const double *a, const double *b, double *c,
                     double *magnitude) {
    for (int64_t i = 0; i < s->m; i++)
        for (int64_t j = 0; j < s->n; j++) {
            double sum = 0.0, size = 0.0;
            for (int64_t p = 0; p < s->k; p++) {
                const double x = s->trans_a ? a[p * s->m + i] : a[i * s->k + p];
                const double y = s->trans_b ? b[j * s->k + p] : b[p * s->n + j];
                sum += x * y;
                size += fabs(x * y);
            }
            double *to = &c[i * s->n + j];
            const double scaled = (double)s->beta * (s->beta != 0.0f ? *to : 0.0);
            magnitude[i * s->n + j] = fabs((double)s->alpha) * size + fabs(scaled);
            *to = (double)s->alpha * sum + scaled;
        }
}

kb_status kb_ref_gemm(const kb_problem *p, double *const *t, double *const *mag) {
    if (p->direction != KB_DIR_FWD) return KB_ERR_UNSUPPORTED;
    kb_ref_gemm_f64(&p->gemm, t[KB_ARG_SRC], t[KB_ARG_WEIGHTS], t[KB_ARG_DST], mag[KB_ARG_DST]);
    return KB_OK;
}
