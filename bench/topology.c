/* Topology summary and placement planning: see topology.h. */
#include "topology.h"

#include <stdlib.h>
#include <string.h>

const char *kb_bind_name(kb_bind bind) {
    switch (bind) {
    case KB_BIND_NONE: return "none";
    case KB_BIND_COMPACT: return "compact";
    case KB_BIND_SCATTER: return "scatter";
    }
    return "unknown";
}

bool kb_bind_from_name(const char *name, kb_bind *bind) {
    for (int b = KB_BIND_NONE; b <= KB_BIND_SCATTER; b++)
        if (strcmp(name, kb_bind_name((kb_bind)b)) == 0) {
            *bind = (kb_bind)b;
            return true;
        }
    return false;
}

bool kb_placement_plan(hwloc_topology_t topology, kb_bind policy, int threads, int *pus) {
    const int n_pus = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU);
    if (n_pus <= 0) return false;
    if (policy == KB_BIND_NONE) {
        for (int t = 0; t < threads; t++) pus[t] = -1;
        return true;
    }
    if (policy == KB_BIND_COMPACT) {
        for (int t = 0; t < threads; t++)
            pus[t] = (int)hwloc_get_obj_by_type(topology, HWLOC_OBJ_PU, (unsigned)(t % n_pus))
                         ->os_index;
        return true;
    }
    /* scatter: one distribution of min(threads, PUs) shares, repeated. */
    const int shares = threads < n_pus ? threads : n_pus;
    hwloc_cpuset_t *sets = calloc((size_t)shares, sizeof *sets);
    if (!sets) return false;
    hwloc_obj_t root = hwloc_get_root_obj(topology);
    bool ok = hwloc_distrib(topology, &root, 1, sets, (unsigned)shares, INT32_MAX, 0) == 0;
    for (int t = 0; ok && t < threads; t++) {
        hwloc_bitmap_t one = hwloc_bitmap_dup(sets[t % shares]);
        hwloc_bitmap_singlify(one);
        pus[t] = hwloc_bitmap_first(one);
        hwloc_bitmap_free(one);
    }
    for (int s = 0; s < shares; s++) hwloc_bitmap_free(sets[s]);
    free(sets);
    return ok;
}

void kb_pu_list_format(const int *pus, int n, char *buf, size_t len) {
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = snprintf(buf + at, len - at, "%s%d", i ? ";" : "", pus[i]);
        if (w < 0 || (size_t)w >= len - at) break;
        at += (size_t)w;
    }
}

static unsigned long long cache_size(hwloc_topology_t topology, hwloc_obj_type_t type, int *count,
                                     unsigned *line) {
    *count = hwloc_get_nbobjs_by_type(topology, type);
    hwloc_obj_t obj = hwloc_get_obj_by_type(topology, type, 0);
    if (!obj || !obj->attr) return 0;
    if (obj->attr->cache.linesize && !*line) *line = obj->attr->cache.linesize;
    return obj->attr->cache.size;
}

void kb_topology_caches(hwloc_topology_t topology, kb_cache_info *c) {
    memset(c, 0, sizeof *c);
    c->l1d_bytes = cache_size(topology, HWLOC_OBJ_L1CACHE, &c->l1d_count, &c->line_bytes);
    c->l2_bytes = cache_size(topology, HWLOC_OBJ_L2CACHE, &c->l2_count, &c->line_bytes);
    c->l3_bytes = cache_size(topology, HWLOC_OBJ_L3CACHE, &c->l3_count, &c->line_bytes);
}

void kb_topology_print(hwloc_topology_t topology, FILE *out) {
    const int packages = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PACKAGE);
    const int numa = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE);
    const int cores = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE);
    const int pus = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU);
    fprintf(out, "packages %d, NUMA nodes %d, cores %d, PUs %d (%s)\n", packages, numa, cores,
            pus, pus > cores && cores > 0 ? "SMT" : "no SMT");
    const struct {
        hwloc_obj_type_t type;
        const char *name;
    } levels[] = {{HWLOC_OBJ_L1CACHE, "L1d"}, {HWLOC_OBJ_L2CACHE, "L2"}, {HWLOC_OBJ_L3CACHE, "L3"}};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        const int count = hwloc_get_nbobjs_by_type(topology, levels[i].type);
        hwloc_obj_t obj = hwloc_get_obj_by_type(topology, levels[i].type, 0);
        if (count <= 0 || !obj) {
            fprintf(out, "%-4s missing (not reported by hwloc: virtual machines often hide it)\n",
                    levels[i].name);
            continue;
        }
        const int sharing = hwloc_bitmap_weight(obj->cpuset);
        fprintf(out, "%-4s %d x %llu KiB, line %u B, shared by %d PU%s\n", levels[i].name, count,
                (unsigned long long)obj->attr->cache.size / 1024, obj->attr->cache.linesize,
                sharing, sharing == 1 ? "" : "s");
    }
    fprintf(out, "PUs in compact order (OS index):");
    for (int p = 0; p < pus; p++)
        fprintf(out, " %u", hwloc_get_obj_by_type(topology, HWLOC_OBJ_PU, (unsigned)p)->os_index);
    fprintf(out, "\n");
}
