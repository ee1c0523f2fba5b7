/* pool2d fwd, omp: the row algorithm of the vector variants in portable C.
 * The algorithm, its limits and its threading are pool2d/rows.h's, here at
 * one lane (ISA: baseline x86-64; the compiler vectorises what it can). */
#include "pool2d/simd_scalar.h"
#include "pool2d/rows.h"

const kb_variant kb_pool2d_fwd__omp_variant = {
    .name = "omp",
    .kernel = KB_KERNEL_POOL2D,
    .direction = KB_DIR_FWD,
    .required_isa = SIMD_ISA,
    .summary = "the row algorithm in portable C (one lane), threads over planes",
    .workspace_bytes = rows_fwd_workspace_bytes,
    .run = rows_fwd_run,
};
