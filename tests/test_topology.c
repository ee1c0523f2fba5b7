/* The placement planner on synthetic hwloc topologies: the exact PUs that
 * compact and scatter give for 1, 2, 3 and all threads (bench/topology.h
 * states the rules), and the cache summary's handling of missing levels. */
#include <hwloc.h>
#include <stdlib.h>
#include <string.h>

#include "testing.h"
#include "topology.h"

static hwloc_topology_t synthetic(const char *description) {
    hwloc_topology_t topology;
    if (hwloc_topology_init(&topology) != 0) return NULL;
    if (hwloc_topology_set_synthetic(topology, description) != 0 ||
        hwloc_topology_load(topology) != 0) {
        hwloc_topology_destroy(topology);
        return NULL;
    }
    return topology;
}

typedef struct expectation {
    const char *topology;
    kb_bind bind;
    int threads;
    const char *pus; /* kb_pu_list_format of the plan */
} expectation;

static const expectation expected[] = {
    /* 2 packages x 2 L3 x 4 cores x 2 PUs = 32 PUs, numbered depth first. */
    {"pack:2 l3:2 core:4 pu:2", KB_BIND_COMPACT, 1, "0"},
    {"pack:2 l3:2 core:4 pu:2", KB_BIND_COMPACT, 2, "0;1"}, /* SMT siblings share L1 */
    {"pack:2 l3:2 core:4 pu:2", KB_BIND_COMPACT, 3, "0;1;2"},
    {"pack:2 l3:2 core:4 pu:2", KB_BIND_SCATTER, 1, "0"},
    {"pack:2 l3:2 core:4 pu:2", KB_BIND_SCATTER, 2, "0;16"},    /* one per package */
    {"pack:2 l3:2 core:4 pu:2", KB_BIND_SCATTER, 3, "0;8;16"},  /* then per L3 */
    {"pack:2 l3:2 core:4 pu:2", KB_BIND_SCATTER, 4, "0;8;16;24"},
    {"pack:2 l3:2 core:4 pu:2", KB_BIND_SCATTER, 8, "0;4;8;12;16;20;24;28"}, /* then cores */
    {"pack:2 l3:2 core:4 pu:2", KB_BIND_NONE, 2, "-1;-1"},
    /* 1 package, 2 cores, no SMT. */
    {"pack:1 l3:1 core:2 pu:1", KB_BIND_COMPACT, 1, "0"},
    {"pack:1 l3:1 core:2 pu:1", KB_BIND_COMPACT, 2, "0;1"},
    {"pack:1 l3:1 core:2 pu:1", KB_BIND_COMPACT, 3, "0;1;0"}, /* more threads than PUs wrap */
    {"pack:1 l3:1 core:2 pu:1", KB_BIND_SCATTER, 2, "0;1"},
    {"pack:1 l3:1 core:2 pu:1", KB_BIND_SCATTER, 3, "0;1;0"},
    /* No L2 level; 2 L3 domains of 2 cores with 2 PUs. */
    {"pack:1 l3:2 core:2 pu:2", KB_BIND_COMPACT, 2, "0;1"},
    {"pack:1 l3:2 core:2 pu:2", KB_BIND_SCATTER, 2, "0;4"},
    {"pack:1 l3:2 core:2 pu:2", KB_BIND_SCATTER, 3, "0;2;4"},
    {"pack:1 l3:2 core:2 pu:2", KB_BIND_SCATTER, 4, "0;2;4;6"},
    /* 3 cores. */
    {"pack:1 l2:3 core:1 pu:1", KB_BIND_COMPACT, 3, "0;1;2"},
    {"pack:1 l2:3 core:1 pu:1", KB_BIND_SCATTER, 2, "0;1"},
    {"pack:1 l2:3 core:1 pu:1", KB_BIND_SCATTER, 3, "0;1;2"},
};

/* "all" threads: every PU exactly once, for both policies. */
static void check_all(const char *description) {
    hwloc_topology_t topology = synthetic(description);
    TEST_CASE("%s all threads use every PU once", description) {
        CHECK(topology != NULL, "synthetic topology");
        if (topology) {
            const int n = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU);
            for (int b = KB_BIND_COMPACT; b <= KB_BIND_SCATTER; b++) {
                int *pus = malloc((size_t)n * sizeof *pus);
                char *seen = calloc((size_t)n, 1);
                CHECK(kb_placement_plan(topology, (kb_bind)b, n, pus), "plan");
                for (int t = 0; t < n; t++) {
                    CHECK(pus[t] >= 0 && pus[t] < n && !seen[pus[t]], "%s thread %d on PU %d",
                          kb_bind_name((kb_bind)b), t, pus[t]);
                    if (pus[t] >= 0 && pus[t] < n) seen[pus[t]] = 1;
                }
                free(pus);
                free(seen);
            }
        }
    }
    if (topology) hwloc_topology_destroy(topology);
}

int main(void) {
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        const expectation *e = &expected[i];
        hwloc_topology_t topology = synthetic(e->topology);
        TEST_CASE("%s %s %d threads -> %s", e->topology, kb_bind_name(e->bind), e->threads,
                  e->pus) {
            CHECK(topology != NULL, "synthetic topology loads");
            if (topology) {
                int pus[64];
                char got[256];
                CHECK(kb_placement_plan(topology, e->bind, e->threads, pus), "plan");
                kb_pu_list_format(pus, e->threads, got, sizeof got);
                CHECK(strcmp(got, e->pus) == 0, "got %s", got);
            }
        }
        if (topology) hwloc_topology_destroy(topology);
    }
    check_all("pack:2 l3:2 core:4 pu:2");
    check_all("pack:1 l2:3 core:1 pu:1");

    TEST_CASE("%s", "cache summary reports missing levels") {
        hwloc_topology_t topology = synthetic("pack:1 l3:1 core:2 pu:1");
        CHECK(topology != NULL, "loads");
        if (topology) {
            kb_cache_info caches;
            kb_topology_caches(topology, &caches);
            CHECK(caches.l3_count == 1 && caches.l3_bytes > 0, "L3 %d x %llu", caches.l3_count,
                  caches.l3_bytes);
            CHECK(caches.l2_count == 0 && caches.l2_bytes == 0, "no L2");
            CHECK(caches.l1d_count == 0, "no L1");
            char *text = NULL;
            size_t len = 0;
            FILE *out = open_memstream(&text, &len);
            kb_topology_print(topology, out);
            fclose(out);
            CHECK(strstr(text, "L2   missing") != NULL, "summary: %s", text);
            CHECK(strstr(text, "cores 2, PUs 2") != NULL, "summary: %s", text);
            free(text);
            hwloc_topology_destroy(topology);
        }
    }
    return kb_test_summary();
}
