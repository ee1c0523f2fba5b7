/* The single-threaded five loops and the cache blocking of the packed GEMMs
 * (see packed.h). Compiled without ISA flags: it only calls the kits'
 * functions, which the caller picked after run-time detection.
 *
 * Block sizes, from the detected caches (core/cpu_caches.h):
 *   KC: one B sliver (KC x NR) and one A sliver (KC x MR) fill L1 less one
 *       of its W ways. The B sliver is reused by every microkernel call of the
 *       ir loop while A slivers stream past it; in an LRU W-way cache the
 *       streaming data takes at most the ways it needs, so B survives when
 *       both together leave one way free (the BLIS analytical model, Low et
 *       al., "Analytical modeling is enough for high-performance BLIS", 2016),
 *       which also leaves room for the C tile. Rounded down to a multiple of
 *       32. Half of L1 (the usual rule of thumb) would give KC = 128 for the
 *       12 x 32 AVX-512 kernel on 48 KiB: measured 4-7% slower than 256 at
 *       n = 1024 and 2048 on Zen 5 (best of 4-12 runs, process CPU time on
 *       a shared machine; more passes over C, more microkernel calls).
 *   MC: the packed A block (MC x KC) fills half of L2, next to the B slivers
 *       streaming through; rounded down to a multiple of MR.
 *   NC: the packed B panel (KC x NC) takes 1/8 of the L3 but at most 4 MiB:
 *       the reported L3 may be a whole socket's (508 MiB in a VM on a 16-CCD
 *       EPYC) while a core only sees its CCD's share (32 MiB for 8 cores), and
 *       single-threaded callers keep one panel per thread; rounded down to a
 *       multiple of NR.
 * On the Zen 5 this was tuned on (48 KiB 12-way L1D, 1 MiB L2, 32 MiB L3 per
 * CCD, 508 MiB reported):
 *   AVX2 6 x 16:     KC = 512, MC = 252, NC = 2048 (it ran with fixed 256,
 *                    144, 3072 before: 256/510 and 512/252 measured the same,
 *                    93-104 GFLOP/s at n = 512..2048, one thread)
 *   AVX-512 12 x 32: KC = 256, MC = 504, NC = 4096
 * Each dimension is then cut into equal blocks (kb_gemm_block_step). */
/* Numerical edge departure (kernels/gemm/problem.c): alpha == 0 only scales C by beta (kb_gemm_blocked, the avx2 and avx512 variants) without reading A and B, so NaN
 * or Inf in A or B does not reach C where the policy (IEEE alpha * (A B))
 * gives NaN; tests/test_gemm_edges.c reports those elements as skipped. */
#include "gemm/packed.h"

#include <assert.h>

#include "core/cpu_caches.h"
#include "gemm/gemm_blocked.h"
#include "kernbench/isa.h"

enum { PANEL_MAX_BYTES = 4 << 20 };

static inline int64_t min_i64(int64_t x, int64_t y) { return x < y ? x : y; }
static inline int64_t max_i64(int64_t x, int64_t y) { return x > y ? x : y; }

kb_gemm_blocks kb_gemm_blocks_for(int mr, int nr) {
    const kb_cpu_caches *caches = kb_cpu_caches_get();
    const int64_t f = (int64_t)sizeof(float);
    const int64_t l1_usable = (int64_t)caches->l1d / caches->l1d_ways * (caches->l1d_ways - 1);
    int64_t kc = l1_usable / ((mr + nr) * f) / 32 * 32;
    kc = max_i64(kc, 32);
    int64_t mc = (int64_t)(caches->l2 / 2) / (kc * f) / mr * mr;
    mc = max_i64(mc, mr);
    const int64_t panel = min_i64((int64_t)(caches->l3 / 8), PANEL_MAX_BYTES);
    int64_t nc = panel / (kc * f) / nr * nr;
    nc = max_i64(nc, nr);
    return (kb_gemm_blocks){.kc = kc, .mc = mc, .nc = nc};
}

const kb_gemm_kit *kb_gemm_best_kit(void) {
    if (kb_cpu_has(KB_ISA_AVX512)) return &kb_gemm_avx512_kit;
    if (kb_cpu_has(KB_ISA_AVX2)) return &kb_gemm_avx2_kit;
    return NULL;
}

size_t kb_gemm_packed_a_floats(const kb_gemm_kit *kit, const kb_gemm_blocks *blocks) {
    (void)kit; /* mc is a multiple of mr */
    return (size_t)blocks->mc * (size_t)blocks->kc;
}

size_t kb_gemm_packed_b_floats(const kb_gemm_kit *kit, const kb_gemm_blocks *blocks) {
    (void)kit; /* nc is a multiple of nr */
    return (size_t)blocks->nc * (size_t)blocks->kc;
}

int64_t kb_gemm_block_step(int64_t total, int64_t max, int64_t multiple) {
    const int64_t blocks = (total + max - 1) / max;
    const int64_t step = (total + blocks - 1) / blocks;
    return (step + multiple - 1) / multiple * multiple;
}

size_t kb_gemm_packed_bytes(const kb_gemm_kit *kit) {
    const kb_gemm_blocks blocks = kb_gemm_blocks_for(kit->mr, kit->nr);
    return (kb_gemm_packed_a_floats(kit, &blocks) + kb_gemm_packed_b_floats(kit, &blocks)) *
           sizeof(float);
}

void kb_gemm_packed(const kb_gemm_kit *kit, bool trans_a, bool trans_b, int64_t m, int64_t n,
                    int64_t k, float alpha, const float *a, int64_t lda, const float *b,
                    int64_t ldb, float beta, float *c, int64_t ldc, float *pack_buffer) {
    assert(m >= 0 && n >= 0 && k >= 0);
    assert(ldc >= n && lda >= (trans_a ? m : k) && ldb >= (trans_b ? k : n));
    if (m == 0 || n == 0) return;
    if (k == 0 || alpha == 0.0f) {
        /* Only C = beta * C: the portable GEMM's path (it touches no buffer). */
        kb_gemm_blocked(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                        pack_buffer);
        return;
    }
    assert(a && b && c && pack_buffer && (uintptr_t)pack_buffer % 64 == 0);
    const kb_gemm_blocks blocks = kb_gemm_blocks_for(kit->mr, kit->nr);
    float *packed_b = pack_buffer;
    float *packed_a = pack_buffer + kb_gemm_packed_b_floats(kit, &blocks);
    /* Element (line, step) strides of op(A) (lines = rows) and op(B) (lines = columns). */
    const int64_t a_line = trans_a ? 1 : lda, a_depth = trans_a ? lda : 1;
    const int64_t b_line = trans_b ? ldb : 1, b_depth = trans_b ? 1 : ldb;
    const int64_t nc_step = kb_gemm_block_step(n, blocks.nc, kit->nr);
    const int64_t kc_step = kb_gemm_block_step(k, blocks.kc, 8);
    const int64_t mc_step = kb_gemm_block_step(m, blocks.mc, kit->mr);

    for (int64_t jc = 0; jc < n; jc += nc_step) {
        const int64_t cols = min_i64(nc_step, n - jc);
        for (int64_t pc = 0; pc < k; pc += kc_step) {
            const int64_t depth = min_i64(kc_step, k - pc);
            kit->pack_b(cols, depth, b + jc * b_line + pc * b_depth, b_line, b_depth, packed_b);
            const float beta_now = pc == 0 ? beta : 1.0f;
            for (int64_t ic = 0; ic < m; ic += mc_step) {
                const int64_t rows = min_i64(mc_step, m - ic);
                kit->pack_a(rows, depth, a + ic * a_line + pc * a_depth, a_line, a_depth,
                            packed_a);
                kit->macro_kernel(rows, cols, depth, packed_a, packed_b, alpha, beta_now,
                                  c + ic * ldc + jc, ldc);
            }
        }
    }
}
