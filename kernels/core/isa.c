/* Run-time ISA detection: done once, through GCC's cpu model (which also checks
 * that the OS saves the AVX/AVX-512 register state), then capped by KB_MAX_ISA. */
#include "kernbench/isa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const isa_names[KB_ISA_COUNT] = {"scalar", "avx2", "avx512"};

const char *kb_isa_name(kb_isa isa) {
    return (isa >= 0 && isa < KB_ISA_COUNT) ? isa_names[isa] : "unknown";
}

bool kb_isa_from_name(const char *name, kb_isa *isa) {
    for (int i = 0; i < KB_ISA_COUNT; i++) {
        if (strcmp(name, isa_names[i]) == 0) {
            *isa = (kb_isa)i;
            return true;
        }
    }
    return false;
}

static kb_isa detect(void) {
    __builtin_cpu_init();
    kb_isa isa = KB_ISA_SCALAR;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) isa = KB_ISA_AVX2;
    if (isa == KB_ISA_AVX2 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        isa = KB_ISA_AVX512;
    const char *cap = getenv("KB_MAX_ISA");
    if (cap && *cap) {
        kb_isa limit;
        if (!kb_isa_from_name(cap, &limit)) {
            fprintf(stderr, "kernbench: KB_MAX_ISA=%s is not one of scalar, avx2, avx512\n", cap);
            exit(2);
        }
        if (limit < isa) isa = limit;
    }
    return isa;
}

kb_isa kb_cpu_isa(void) {
    /* Detection is idempotent, so a benign race between first callers is fine. */
    static int cached = -1;
    int value = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);
    if (value < 0) {
        value = (int)detect();
        __atomic_store_n(&cached, value, __ATOMIC_RELEASE);
    }
    return (kb_isa)value;
}

bool kb_cpu_has(kb_isa isa) { return isa <= kb_cpu_isa(); }
