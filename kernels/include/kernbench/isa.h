/* Instruction-set levels a variant can require, detected once at run time.
 * The environment variable KB_MAX_ISA (scalar, avx2, avx512) caps the detected
 * level, so the skip paths can be exercised on any machine. */
#ifndef KERNBENCH_ISA_H
#define KERNBENCH_ISA_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kb_isa {
    KB_ISA_SCALAR = 0, /* baseline x86-64 (SSE2) */
    KB_ISA_AVX2,       /* AVX2 + FMA3 */
    KB_ISA_AVX512,     /* AVX-512 F, BW, DQ, VL */
    KB_ISA_COUNT
} kb_isa;

/* Highest level both the CPU and the OS support, after the KB_MAX_ISA cap. */
kb_isa kb_cpu_isa(void);
bool kb_cpu_has(kb_isa isa);
const char *kb_isa_name(kb_isa isa);
/* Returns false when `name` is not an ISA name. */
bool kb_isa_from_name(const char *name, kb_isa *isa);

#ifdef __cplusplus
}
#endif
#endif
