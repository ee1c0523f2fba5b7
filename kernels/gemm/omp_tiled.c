/* gemm, omp_tiled: the packed five loops of gemm/packed.h with OpenMP, on the
 * best microkernel kit the CPU has (AVX-512 12 x 32, else AVX2 6 x 16).
 *
 * Threads share the packed B panel: for each (jc, pc) block, every thread
 * packs its share of the panel's NR-wide slivers into one buffer, a barrier
 * publishes the panel, and the threads then compute disjoint parts of the C
 * block from it; a second barrier keeps the panel until everyone is done
 * before the next block overwrites it. The parts are
 *   rows (the ic loop): each thread owns a contiguous range of MR-row
 *     slivers of C and packs its own A blocks from those rows (no A work is
 *     repeated), or
 *   columns (the jr loop): each thread owns a range of B slivers and packs
 *     the whole A block itself (repeated per thread: m * k per thread and
 *     block, against m * k * (columns / threads) multiply-adds),
 * whichever balances better: the tiles per thread, counted in whole slivers,
 * differ least (rows on a tie). Short, wide problems (m = 100, n = 784)
 * split columns; square ones rows.
 *
 * One thread, or fewer than 64^3 multiply-adds: the single-threaded loops of
 * packed.c on the same kit, without a parallel region.
 *
 * Workspace: one B panel plus one A block per thread, sized for the block
 * sizes of packed.c and the thread count. Threads write disjoint parts of C;
 * beta is applied by whoever owns the tile, on the first reduction slice. */
/* Numerical edge departure (kernels/gemm/problem.c): alpha == 0 only scales C by beta (kb_gemm_blocked) without reading A and B, so NaN
 * or Inf in A or B does not reach C where the policy (IEEE alpha * (A B))
 * gives NaN; tests/test_gemm_edges.c reports those elements as skipped. */
#include <assert.h>
#include <omp.h>

#include "core/buffer.h"
#include "gemm/gemm_args.h"
#include "gemm/gemm_blocked.h"
#include "gemm/packed.h"

/* Below this many multiply-adds (64^3: a few microseconds) a parallel region
 * and its barriers cost more than they save; one thread runs it. */
#define SERIAL_BELOW (64.0 * 64.0 * 64.0)

static inline int64_t min_i64(int64_t x, int64_t y) { return x < y ? x : y; }

/* Start of part `part` of 0 .. total-1 cut into `parts` near-equal ranges. */
static inline int64_t split_start(int64_t total, int64_t part, int64_t parts) {
    return total / parts * part + total % parts * part / parts;
}

static size_t a_block_bytes(const kb_gemm_kit *kit, const kb_gemm_blocks *blocks) {
    return kb_align_up(kb_gemm_packed_a_floats(kit, blocks) * sizeof(float));
}

static size_t omp_tiled_workspace_bytes(const kb_problem *problem, const kb_context *ctx) {
    (void)problem;
    const kb_gemm_kit *kit = kb_gemm_best_kit();
    assert(kit && ctx->threads >= 1);
    const kb_gemm_blocks blocks = kb_gemm_blocks_for(kit->mr, kit->nr);
    return kb_align_up(kb_gemm_packed_b_floats(kit, &blocks) * sizeof(float)) +
           (size_t)ctx->threads * a_block_bytes(kit, &blocks);
}

/* Whether splitting `rows` slivers among `threads` leaves no more idle
 * sliver slots, relative to the work, than splitting `cols` slivers. */
static bool split_rows(int64_t row_slivers, int64_t col_slivers, int threads) {
    if (threads == 1) return true;
    const int64_t row_idle = (row_slivers + threads - 1) / threads * threads - row_slivers;
    const int64_t col_idle = (col_slivers + threads - 1) / threads * threads - col_slivers;
    return row_idle * col_slivers <= col_idle * row_slivers;
}

static kb_status omp_tiled_run(const kb_problem *problem, const kb_args *args,
                               const kb_context *ctx, void *state, void *workspace) {
    (void)state;
    const kb_gemm_call g = kb_gemm_call_of(problem, args);
    const kb_gemm_shape *s = g.s;
    const int64_t m = s->m, n = s->n, k = s->k;
    if (s->alpha == 0.0f) { /* only C = beta * C: no packing */
        kb_gemm_blocked(s->trans_a, s->trans_b, m, n, k, s->alpha, g.a, g.lda, g.b, g.ldb,
                        s->beta, g.c, g.ldc, NULL);
        return KB_OK;
    }
    const kb_gemm_kit *kit = kb_gemm_best_kit();
    assert(kit && workspace && ctx->threads >= 1);
    if (ctx->threads == 1 || (double)m * (double)n * (double)k < SERIAL_BELOW) {
        /* The workspace starts with a B panel and one A block, the layout
         * kb_gemm_packed expects of its pack buffer. */
        kb_gemm_packed(kit, s->trans_a, s->trans_b, m, n, k, s->alpha, g.a, g.lda, g.b, g.ldb,
                       s->beta, g.c, g.ldc, workspace);
        return KB_OK;
    }
    const int64_t mr = kit->mr, nr = kit->nr;
    const kb_gemm_blocks blocks = kb_gemm_blocks_for(kit->mr, kit->nr);
    float *packed_b = workspace;
    char *a_buffers =
        (char *)workspace + kb_align_up(kb_gemm_packed_b_floats(kit, &blocks) * sizeof(float));
    const size_t a_bytes = a_block_bytes(kit, &blocks);
    const int64_t a_line = s->trans_a ? 1 : g.lda, a_depth = s->trans_a ? g.lda : 1;
    const int64_t b_line = s->trans_b ? g.ldb : 1, b_depth = s->trans_b ? 1 : g.ldb;
    const int64_t nc_step = kb_gemm_block_step(n, blocks.nc, nr);
    const int64_t kc_step = kb_gemm_block_step(k, blocks.kc, 8);
    const int64_t row_slivers = (m + mr - 1) / mr;
    const float alpha = s->alpha, beta = s->beta;
    const float *a = g.a, *b = g.b;
    float *c = g.c;
    const int64_t ldc = g.ldc;

#pragma omp parallel num_threads(ctx->threads)
    {
        /* The runtime may grant fewer threads than asked; split by what it gave. */
        const int thread = omp_get_thread_num(), threads = omp_get_num_threads();
        assert(threads <= ctx->threads);
        float *packed_a = (float *)(a_buffers + (size_t)thread * a_bytes);
        const bool by_rows = split_rows(row_slivers, (min_i64(n, nc_step) + nr - 1) / nr, threads);
        /* This thread's rows of C (by rows), or all of them. */
        const int64_t row_begin = by_rows ? split_start(row_slivers, thread, threads) * mr : 0;
        const int64_t row_end =
            by_rows ? min_i64(m, split_start(row_slivers, thread + 1, threads) * mr) : m;
        const int64_t my_rows = row_end > row_begin ? row_end - row_begin : 0;
        const int64_t mc_step = my_rows ? kb_gemm_block_step(my_rows, blocks.mc, mr) : 1;

        for (int64_t jc = 0; jc < n; jc += nc_step) {
            const int64_t cols = min_i64(nc_step, n - jc);
            const int64_t col_slivers = (cols + nr - 1) / nr;
            /* Slivers of this block's panel this thread packs, and (by
             * columns) computes with. */
            const int64_t sliver_begin = split_start(col_slivers, thread, threads);
            const int64_t sliver_end = split_start(col_slivers, thread + 1, threads);
            const int64_t col_begin = sliver_begin * nr;
            const int64_t col_count = min_i64(cols, sliver_end * nr) - col_begin;
            for (int64_t pc = 0; pc < k; pc += kc_step) {
                const int64_t depth = min_i64(kc_step, k - pc);
                if (col_count > 0)
                    kit->pack_b(col_count, depth, b + (jc + col_begin) * b_line + pc * b_depth,
                                b_line, b_depth, packed_b + col_begin * depth);
#pragma omp barrier
                const float beta_now = pc == 0 ? beta : 1.0f;
                if (by_rows) {
                    for (int64_t ic = row_begin; ic < row_end; ic += mc_step) {
                        const int64_t rows = min_i64(mc_step, row_end - ic);
                        kit->pack_a(rows, depth, a + ic * a_line + pc * a_depth, a_line, a_depth,
                                    packed_a);
                        kit->macro_kernel(rows, cols, depth, packed_a, packed_b, alpha, beta_now,
                                          c + ic * ldc + jc, ldc);
                    }
                } else if (col_count > 0) {
                    for (int64_t ic = 0; ic < m; ic += mc_step) {
                        const int64_t rows = min_i64(mc_step, m - ic);
                        kit->pack_a(rows, depth, a + ic * a_line + pc * a_depth, a_line, a_depth,
                                    packed_a);
                        kit->macro_kernel(rows, col_count, depth, packed_a,
                                          packed_b + col_begin * depth, alpha, beta_now,
                                          c + ic * ldc + jc + col_begin, ldc);
                    }
                }
#pragma omp barrier
            }
        }
    }
    return KB_OK;
}

static const char *omp_tiled_isa_used(void *state) {
    (void)state;
    const kb_gemm_kit *kit = kb_gemm_best_kit();
    return kit ? kit->isa : "none";
}

const kb_variant kb_gemm_fwd__omp_tiled_variant = {
    .name = "omp_tiled",
    .kernel = KB_KERNEL_GEMM,
    .direction = KB_DIR_FWD,
    .required_isa = KB_ISA_AVX2,
    .summary = "packed loops on the best microkernel (AVX-512 or AVX2), OpenMP, shared B panel",
    .workspace_bytes = omp_tiled_workspace_bytes,
    .run = omp_tiled_run,
    .isa_used = omp_tiled_isa_used,
};
