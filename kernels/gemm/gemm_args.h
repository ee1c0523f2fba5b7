/* The row-major GEMM call of a gemm problem: leading dimensions and tensor
 * pointers, shared by the gemm variants. */
#ifndef KB_GEMM_ARGS_H
#define KB_GEMM_ARGS_H

#include <assert.h>

#include "kernbench/variant.h"

typedef struct kb_gemm_call {
    const kb_gemm_shape *s;
    const float *a, *b;
    float *c;
    int64_t lda, ldb, ldc; /* the stored row lengths */
} kb_gemm_call;

static inline kb_gemm_call kb_gemm_call_of(const kb_problem *problem, const kb_args *args) {
    assert(problem->kernel == KB_KERNEL_GEMM && problem->direction == KB_DIR_FWD);
    const kb_gemm_shape *s = &problem->gemm;
    const kb_gemm_call call = {
        .s = s,
        .a = args->tensor[KB_ARG_SRC],
        .b = args->tensor[KB_ARG_WEIGHTS],
        .c = args->tensor[KB_ARG_DST],
        .lda = s->trans_a ? s->m : s->k, /* A stored k x m, else m x k */
        .ldb = s->trans_b ? s->k : s->n, /* B stored n x k, else k x n */
        .ldc = s->n,
    };
    assert(call.a && call.b && call.c);
    return call;
}

#endif
