/* pool2d fwd, avx2: vectors across the output width.
 * The algorithm, its limits and its threading are pool2d/rows.h's, here at
 * 8 lanes (ISA: AVX2). */
#include "pool2d/simd_avx2.h"
#include "pool2d/rows.h"

const kb_variant kb_pool2d_fwd__avx2_variant = {
    .name = "avx2",
    .kernel = KB_KERNEL_POOL2D,
    .direction = KB_DIR_FWD,
    .required_isa = SIMD_ISA,
    .summary = "separable: H rows per input row, 8 outputs per ymm, threads over planes",
    .workspace_bytes = rows_fwd_workspace_bytes,
    .run = rows_fwd_run,
};
