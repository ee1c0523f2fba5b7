/* Run-time GEMM dispatch (see gemm.h). Compiled without ISA flags: it only
 * tests kb_cpu_has (cached after the first call) and calls the AVX2 file's
 * function when the CPU has AVX2 + FMA, so the binary runs on any x86-64. */
#include "gemm.h"

#include "gemm_avx2.h"
#include "gemm_blocked.h"
#include "kernbench/isa.h"

size_t kb_gemm_pack_bytes(void) {
    const size_t avx2 = kb_gemm_avx2_pack_bytes(), portable = kb_gemm_blocked_pack_bytes();
    return avx2 > portable ? avx2 : portable;
}

const char *kb_gemm_isa(void) {
    return kb_isa_name(kb_cpu_has(KB_ISA_AVX2) ? KB_ISA_AVX2 : KB_ISA_SCALAR);
}

const char *kb_gemm_isa_used(void *state) {
    (void)state;
    return kb_gemm_isa();
}

void kb_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
             const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
             int64_t ldc, float *pack_buffer) {
    if (kb_cpu_has(KB_ISA_AVX2))
        kb_gemm_avx2(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, pack_buffer);
    else
        kb_gemm_blocked(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                        pack_buffer);
}
