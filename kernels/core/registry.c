/* The dispatch table, built from the kernels' list files. Each variants.inc is
 * included twice: once to declare the variant structs, once to fill the table,
 * so adding a variant is one line and the tests see it at once. */
#include "kernbench/registry.h"

#include <string.h>

#define KB_VARIANT(symbol) extern const kb_variant symbol;
#define KB_ABSENT(kernel, direction, name, why)
#include "core/all_variants.inc"
#undef KB_VARIANT
#undef KB_ABSENT

static const kb_variant *const table[] = {
#define KB_VARIANT(symbol) &symbol,
#define KB_ABSENT(kernel, direction, name, why)
#include "core/all_variants.inc"
#undef KB_VARIANT
#undef KB_ABSENT
};

/* The sentinel keeps the array non-empty when every backend is built. */
static const kb_absent_variant absent_table[] = {
#define KB_VARIANT(symbol)
#define KB_ABSENT(kernel, direction, name, why) {name, kernel, direction, why},
#include "core/all_variants.inc"
#undef KB_VARIANT
#undef KB_ABSENT
    {NULL, KB_KERNEL_COUNT, KB_DIR_COUNT, NULL},
};

size_t kb_registry_size(void) { return sizeof table / sizeof table[0]; }

const kb_variant *kb_registry_get(size_t index) {
    return index < kb_registry_size() ? table[index] : NULL;
}

size_t kb_registry_absent_size(void) { return sizeof absent_table / sizeof absent_table[0] - 1; }

const kb_absent_variant *kb_registry_absent_get(size_t index) {
    return index < kb_registry_absent_size() ? &absent_table[index] : NULL;
}

const kb_variant *kb_registry_find(kb_kernel kernel, kb_direction direction, const char *name) {
    for (size_t i = 0; i < kb_registry_size(); i++) {
        const kb_variant *v = table[i];
        if (v->kernel == kernel && v->direction == direction && strcmp(v->name, name) == 0)
            return v;
    }
    return NULL;
}

size_t kb_registry_select(kb_kernel kernel, kb_direction direction, const char *const *names,
                          size_t n_names, const kb_variant **out, size_t capacity) {
    size_t count = 0;
    for (size_t i = 0; i < kb_registry_size() && count < capacity; i++) {
        const kb_variant *v = table[i];
        if (v->kernel != kernel || v->direction != direction) continue;
        bool wanted = n_names == 0;
        for (size_t j = 0; j < n_names && !wanted; j++) wanted = strcmp(names[j], v->name) == 0;
        if (wanted) out[count++] = v;
    }
    return count;
}

bool kb_variant_usable(const kb_variant *variant, const kb_problem *problem,
                       const char **why_not) {
    static const char *const isa_missing[KB_ISA_COUNT] = {
        "", "the CPU lacks AVX2+FMA (or KB_MAX_ISA caps it)",
        "the CPU lacks AVX-512 F/BW/DQ/VL (or KB_MAX_ISA caps it)"};
    if (!kb_cpu_has(variant->required_isa)) {
        *why_not = isa_missing[variant->required_isa];
        return false;
    }
    if (variant->supports && !variant->supports(problem, why_not)) return false;
    *why_not = NULL;
    return true;
}
