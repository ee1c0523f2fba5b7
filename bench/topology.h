/* The machine's topology (hwloc) and thread placement.
 *
 * Placement policies (--bind):
 *   compact  threads take PUs in hwloc's logical order, which walks the tree
 *            depth first: SMT siblings first, then the cores of one L2, one
 *            L3, one package — the PUs that share the smallest caches fill
 *            first;
 *   scatter  hwloc_distrib over the whole machine: threads spread over
 *            packages, then L3 domains, then cores, then PUs, each thread on
 *            the first PU of its share;
 *   none     no binding (the OS places the threads).
 * More threads than PUs wrap around (and bench warns). */
#ifndef KB_TOPOLOGY_H
#define KB_TOPOLOGY_H

#include <stdbool.h>
#include <stdio.h>

#include <hwloc.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kb_bind { KB_BIND_NONE = 0, KB_BIND_COMPACT, KB_BIND_SCATTER } kb_bind;

const char *kb_bind_name(kb_bind bind);
bool kb_bind_from_name(const char *name, kb_bind *bind);

/* OS indices of the PUs of `threads` threads under `policy` (KB_BIND_NONE
 * gives -1 each). `pus` has room for `threads` entries. Returns false when
 * the topology has no PU. */
bool kb_placement_plan(hwloc_topology_t topology, kb_bind policy, int threads, int *pus);

/* Writes "0;2;4" (the OS indices of `pus`) into buf. */
void kb_pu_list_format(const int *pus, int n, char *buf, size_t len);

/* Cache sizes by level (0 when hwloc reports no such level) and line size. */
typedef struct kb_cache_info {
    unsigned long long l1d_bytes, l2_bytes, l3_bytes;
    unsigned line_bytes;
    int l1d_count, l2_count, l3_count;
} kb_cache_info;

void kb_topology_caches(hwloc_topology_t topology, kb_cache_info *caches);

/* `bench --topology`: packages, NUMA nodes, cache levels with sizes and line
 * size (saying which levels are missing), cores and PUs. */
void kb_topology_print(hwloc_topology_t topology, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
