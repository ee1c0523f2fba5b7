/* pool2d fwd, avx512: vectors across the output width.
 * The algorithm, its limits and its threading are pool2d/rows.h's, here at
 * 16 lanes (ISA: AVX-512 F/BW/DQ/VL). */
#include "pool2d/simd_avx512.h"
#include "pool2d/rows.h"

const kb_variant kb_pool2d_fwd__avx512_variant = {
    .name = "avx512",
    .kernel = KB_KERNEL_POOL2D,
    .direction = KB_DIR_FWD,
    .required_isa = SIMD_ISA,
    .summary = "separable: H rows per input row, 16 outputs per zmm, threads over planes",
    .workspace_bytes = rows_fwd_workspace_bytes,
    .run = rows_fwd_run,
};
