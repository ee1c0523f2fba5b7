/* The GEMM the convolutions call: the best single-precision GEMM this CPU
 * runs, chosen at run time: kb_gemm_avx512 with AVX-512, else kb_gemm_avx2
 * with AVX2 + FMA, else the portable kb_gemm_blocked (KB_MAX_ISA=avx2 or
 * scalar caps the choice).
 *
 * Same contract as kb_gemm_blocked (gemm_blocked.h): row-major
 * C = alpha * op(A) * op(B) + beta * C; beta == 0 never reads C; alpha == 0 or
 * k == 0 only scales C. Single-threaded and reentrant: scratch lives in the
 * caller's `pack_buffer` (kb_gemm_pack_bytes() bytes, 64-byte aligned, enough
 * for any of the three). */
#ifndef KB_GEMM_H
#define KB_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

size_t kb_gemm_pack_bytes(void);

/* Name of the ISA level kb_gemm runs at: "avx512", "avx2" or "scalar". */
const char *kb_gemm_isa(void);

/* kb_gemm_isa() with the signature of kb_variant.isa_used (state unused), so
 * every variant that runs on kb_gemm reports the path it took with one hook. */
const char *kb_gemm_isa_used(void *state);

/* trans_a: A is stored k x m (op(A) = A^T), else m x k; lda is its row stride.
 * trans_b: B is stored n x k (op(B) = B^T), else k x n; ldb is its row stride. */
void kb_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
             const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
             int64_t ldc, float *pack_buffer);

#endif
