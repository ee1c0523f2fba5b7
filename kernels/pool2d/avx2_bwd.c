/* pool2d bwd, avx2: vectors across the output width.
 * The algorithm, its limits and its threading are pool2d/rows.h's, here at
 * 8 lanes (ISA: AVX2). */
#include "pool2d/simd_avx2.h"
#include "pool2d/rows.h"

const kb_variant kb_pool2d_bwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_POOL2D,
    .direction = KB_DIR_BWD,
    .required_isa = SIMD_ISA,
    .summary = "argmax masks / gathered shares with ymm, 8 outputs per vector, threads over planes",
    .supports = rows_bwd_supports,
    .workspace_bytes = rows_bwd_workspace_bytes,
    .run = rows_bwd_run,
};
