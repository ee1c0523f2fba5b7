/* The packed (BLIS-style) GEMM, written once for every microkernel.
 *
 * A microkernel ISA file (avx2.c, avx512.c) provides a kit: its register
 * tile (MR x NR), the packing routines that lay op(A) and op(B) out the way
 * its microkernel reads them, and a macro-kernel that sweeps a packed A block
 * against a packed B panel. The five loops around it live here (single
 * thread: kb_gemm_packed) and in omp_tiled.c (threads share the B panel), with
 * block sizes computed at run time from the detected caches (kb_gemm_blocks_for).
 *
 * Loop nest:
 *   jc: NC-wide column blocks of C
 *     pc: KC-deep slices of the reduction: pack op(B) (kc x nc) into NR-wide
 *         slivers, each kc x NR contiguous, zero-padded to NR columns
 *       ic: MC-tall row blocks: pack op(A) (mc x kc) into MR-tall slivers,
 *           each kc x MR contiguous, zero-padded to MR rows
 *         jr: one B sliver (stays in L1 for the whole ir loop)
 *           ir: one A sliver (streamed from L2): the microkernel.
 * alpha is applied when a tile is written; beta on the first reduction slice
 * only (later slices add), so beta == 0 never reads C. */
#ifndef KB_GEMM_PACKED_H
#define KB_GEMM_PACKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reduction steps a microkernel still has to run when it prefetches its C
 * tile from L2 into L1: 16 steps are 100+ cycles of FMAs, several L2
 * latencies, and short enough that the lines are not evicted again. */
#define KB_GEMM_C_TAIL 16

typedef struct kb_gemm_blocks {
    int64_t kc, mc, nc; /* reduction depth, rows of op(A), columns of op(B) packed at once */
} kb_gemm_blocks;

/* Block sizes for an mr x nr microkernel on this CPU's caches
 * (core/cpu_caches.h); see packed.c for the rule. */
kb_gemm_blocks kb_gemm_blocks_for(int mr, int nr);

/* Packs `lines` lines (rows of op(A) or columns of op(B)) by `depth` steps,
 * element (l, p) at src[l * line_stride + p * depth_stride] (one stride is
 * 1), into slivers of the kit's width: sliver s holds, step after step, the
 * width values of its lines; missing lines are zero. */
typedef void kb_gemm_pack_fn(int64_t lines, int64_t depth, const float *src, int64_t line_stride,
                             int64_t depth_stride, float *restrict dst);

/* C block (rows x cols, row stride ldc) = alpha * packed A block (rows
 * padded to MR) * packed B panel (cols padded to NR) + beta * C block, every
 * edge tile included; beta == 0 never reads C. packed_b may start at any
 * sliver of a panel, so threads can split the columns. */
typedef void kb_gemm_macro_fn(int64_t rows, int64_t cols, int64_t depth, const float *packed_a,
                              const float *packed_b, float alpha, float beta, float *c,
                              int64_t ldc);

typedef struct kb_gemm_kit {
    const char *isa; /* kb_isa_name of what it needs */
    int mr, nr;
    kb_gemm_pack_fn *pack_a; /* slivers of MR rows of op(A) */
    kb_gemm_pack_fn *pack_b; /* slivers of NR columns of op(B) */
    kb_gemm_macro_fn *macro_kernel;
} kb_gemm_kit;

/* The kits; call a kit's functions only when the CPU has its ISA. */
extern const kb_gemm_kit kb_gemm_avx2_kit;
extern const kb_gemm_kit kb_gemm_avx512_kit;

/* The best kit this CPU runs (AVX-512, else AVX2), NULL when it has neither. */
const kb_gemm_kit *kb_gemm_best_kit(void);

/* Floats of one packed A block / B panel for `kit` with `blocks`. */
size_t kb_gemm_packed_a_floats(const kb_gemm_kit *kit, const kb_gemm_blocks *blocks);
size_t kb_gemm_packed_b_floats(const kb_gemm_kit *kit, const kb_gemm_blocks *blocks);

/* The step that cuts `total` into ceil(total / max) equal blocks, rounded up
 * to a multiple of `multiple` (max must be one too, so the step never
 * exceeds it): k = 257 with KC = 256 runs as 136 + 121, not 256 + 1. */
int64_t kb_gemm_block_step(int64_t total, int64_t max, int64_t multiple);

/* Bytes of the pack buffer kb_gemm_packed needs with `kit`. */
size_t kb_gemm_packed_bytes(const kb_gemm_kit *kit);

/* The single-threaded five loops with `kit` (contract of kb_gemm, gemm.h). */
void kb_gemm_packed(const kb_gemm_kit *kit, bool trans_a, bool trans_b, int64_t m, int64_t n,
                    int64_t k, float alpha, const float *a, int64_t lda, const float *b,
                    int64_t ldb, float beta, float *c, int64_t ldc, float *pack_buffer);

#endif
