/* The dispatch table: names unique per kernel/direction, mandatory hooks
 * present, look-up and selection, and ISA gating (run a second time under
 * KB_MAX_ISA=scalar by ctest, where every AVX variant must be unusable with a
 * reason). */
#include <stdlib.h>
#include <string.h>

#include "kernbench/kernbench.h"
#include "shapes.h"
#include "testing.h"

int main(void) {
    const kb_problem problem = {
        .kernel = KB_KERNEL_CONV2D,
        .direction = KB_DIR_FWD,
        .conv2d = {1, 3, 8, 8, 4, 8, 8, 3, 3, 1, 1, 1, 1, 0, 0},
    };
    char why[256];
    TEST_CASE("%s", "test problem is valid") {
        CHECK(kb_problem_validate(&problem, why, sizeof why) == KB_OK, "%s", why);
    }
    TEST_CASE("%s", "registry is not empty") { CHECK(kb_registry_size() >= 4, "%zu", kb_registry_size()); }
    for (size_t i = 0; i < kb_registry_size(); i++) {
        const kb_variant *v = kb_registry_get(i);
        TEST_CASE("variant %s is well formed", v->name) {
            CHECK(v->name && *v->name, "name");
            CHECK(v->run != NULL, "run hook");
            CHECK(v->summary && *v->summary, "summary");
            CHECK(v->kernel >= 0 && v->kernel < KB_KERNEL_COUNT, "kernel");
            CHECK(v->direction >= 0 && v->direction < KB_DIR_COUNT, "direction");
            CHECK(v->required_isa >= 0 && v->required_isa < KB_ISA_COUNT, "isa");
            CHECK(kb_registry_find(v->kernel, v->direction, v->name) == v,
                  "name is not unique or not found");
            for (size_t j = 0; j < kb_registry_absent_size(); j++) {
                const kb_absent_variant *a = kb_registry_absent_get(j);
                CHECK(!(a->kernel == v->kernel && a->direction == v->direction &&
                        strcmp(a->name, v->name) == 0),
                      "both present and absent");
            }
            /* Each variant is asked about a problem of its own kernel: the
             * first shape of the kernel's default set. */
            kb_problem own = problem;
            kb_shape_list shapes = {0};
            const char *set = kb_shape_default_set(v->kernel);
            if (v->kernel != KB_KERNEL_CONV2D) {
                CHECK(set && kb_shapes_resolve(v->kernel, set, 0, &shapes, why, sizeof why) ==
                                 KB_OK && shapes.count > 0,
                      "no default shape for %s", kb_kernel_name(v->kernel));
                if (shapes.count > 0) own = shapes.items[0].problem;
            }
            own.direction = v->direction;
            kb_shape_list_free(&shapes);
            const char *why_not = "unset";
            bool usable = kb_variant_usable(v, &own, &why_not);
            if (kb_cpu_has(v->required_isa)) {
                CHECK(usable, "usable on this CPU for a plain problem (%s)", why_not);
                CHECK(why_not == NULL, "no reason when usable");
            } else {
                CHECK(!usable, "ISA %s is missing, must be unusable", kb_isa_name(v->required_isa));
                CHECK(why_not && strstr(why_not, "CPU lacks"), "reason: %s", why_not);
            }
        }
    }
    TEST_CASE("%s", "selection by name keeps registration order") {
        const char *names[] = {"onednn", "naive", "no-such-variant"};
        const kb_variant *out[8];
        size_t n = kb_registry_select(KB_KERNEL_CONV2D, KB_DIR_FWD, names, 3, out, 8);
        CHECK(n >= 1 && strcmp(out[0]->name, "naive") == 0, "naive first");
        CHECK(n == (kb_registry_find(KB_KERNEL_CONV2D, KB_DIR_FWD, "onednn") ? 2u : 1u), "%zu", n);
        CHECK(kb_registry_find(KB_KERNEL_CONV2D, KB_DIR_FWD, "no-such-variant") == NULL, "unknown");
        n = kb_registry_select(KB_KERNEL_CONV2D, KB_DIR_FWD, NULL, 0, out, 1);
        CHECK(n == 1, "capacity respected");
    }
    TEST_CASE("%s", "ISA cap from KB_MAX_ISA") {
        const char *cap = getenv("KB_MAX_ISA");
        kb_isa limit;
        if (cap && kb_isa_from_name(cap, &limit)) CHECK(kb_cpu_isa() <= limit, "cap honoured");
        CHECK(kb_cpu_has(KB_ISA_SCALAR), "scalar always");
    }
    TEST_CASE("%s", "onednn is either built or listed as absent") {
        bool built = kb_registry_find(KB_KERNEL_CONV2D, KB_DIR_FWD, "onednn") != NULL;
        bool absent = false;
        /* conv2d's row: optim's onednn rows are absent in every build. */
        for (size_t j = 0; j < kb_registry_absent_size(); j++) {
            const kb_absent_variant *a = kb_registry_absent_get(j);
            absent |= a->kernel == KB_KERNEL_CONV2D && a->direction == KB_DIR_FWD &&
                      strcmp(a->name, "onednn") == 0;
        }
        CHECK(built != absent, "built %d absent %d", built, absent);
        CHECK(built == (KB_WITH_ONEDNN != 0), "matches KB_WITH_ONEDNN");
    }
    return kb_test_summary();
}
