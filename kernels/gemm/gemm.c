/* Run-time GEMM dispatch (see gemm.h). Compiled without ISA flags: it only
 * tests kb_cpu_has (cached after the first call) and calls an ISA file's
 * function when the CPU has that ISA, so the binary runs on any x86-64. */
#include "gemm.h"

#include "gemm_avx2.h"
#include "gemm_avx512.h"
#include "gemm_blocked.h"
#include "kernbench/isa.h"

size_t kb_gemm_pack_bytes(void) {
    const size_t sizes[] = {kb_gemm_avx512_pack_bytes(), kb_gemm_avx2_pack_bytes(),
                            kb_gemm_blocked_pack_bytes()};
    size_t most = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i] > most) most = sizes[i];
    return most;
}

static kb_isa gemm_isa(void) {
    return kb_cpu_has(KB_ISA_AVX512) ? KB_ISA_AVX512
           : kb_cpu_has(KB_ISA_AVX2) ? KB_ISA_AVX2
                                     : KB_ISA_SCALAR;
}

const char *kb_gemm_isa(void) { return kb_isa_name(gemm_isa()); }

const char *kb_gemm_isa_used(void *state) {
    (void)state;
    return kb_gemm_isa();
}

void kb_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
             const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
             int64_t ldc, float *pack_buffer) {
    switch (gemm_isa()) {
    case KB_ISA_AVX512:
        kb_gemm_avx512(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                       pack_buffer);
        break;
    case KB_ISA_AVX2:
        kb_gemm_avx2(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, pack_buffer);
        break;
    default:
        kb_gemm_blocked(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                        pack_buffer);
        break;
    }
}
