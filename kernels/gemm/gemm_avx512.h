/* The project's AVX-512 single-precision GEMM: the packed five loops of
 * gemm/packed.h around a 12 x 32 register-blocked microkernel (see avx512.c).
 * Call it only when kb_cpu_has(KB_ISA_AVX512); kb_gemm (gemm.h) does that
 * choice.
 *
 * Same contract as kb_gemm_blocked (gemm_blocked.h): row-major
 * C = alpha * op(A) * op(B) + beta * C with op(A) m x k and op(B) k x n;
 * beta == 0 overwrites C without reading it (NaN in C is ignored); alpha == 0
 * or k == 0 only scales C and reads neither A nor B.
 *
 * Single-threaded and reentrant: all scratch lives in the caller's
 * `pack_buffer` (kb_gemm_avx512_pack_bytes() bytes, 64-byte aligned). */
#ifndef KB_GEMM_AVX512_H
#define KB_GEMM_AVX512_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

size_t kb_gemm_avx512_pack_bytes(void);

/* trans_a: A is stored k x m (op(A) = A^T), else m x k; lda is its row stride.
 * trans_b: B is stored n x k (op(B) = B^T), else k x n; ldb is its row stride. */
void kb_gemm_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                    int64_t ldc, float *pack_buffer);

#endif
