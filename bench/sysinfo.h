/* What the rows record about the machine and the run. */
#ifndef KB_SYSINFO_H
#define KB_SYSINFO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kb_sysinfo {
    char host[128];
    char cpu_model[128];
    /* 16 hex digits identifying the machine across runs, where host names and
     * "model name" do not (two VMs both called "vm", both "AMD EPYC"): a hash
     * of the host name, the CPU's identity lines and ISA flags, cores, PUs,
     * cache sizes, memory size and /etc/machine-id. Same machine, same id. */
    char machine_id[20];
    char run_id[48];     /* <UTC time>-<pid>, unique per bench invocation */
    char timestamp[32];  /* ISO 8601 UTC at start */
    char date[16];       /* YYYYMMDD, for the default file name */
    char git_commit[48];
    char compiler[64];
    int cores;           /* physical cores (hwloc), at least 1 */
    int pus;             /* hardware threads */
} kb_sysinfo;

void kb_sysinfo_read(kb_sysinfo *info);

/* The machine fingerprint of one run, appended to `path` (the CSV's name +
 * ".machine") as "key: value" lines after a "run_id: ..." line, so rows join
 * it by run_id: CPU, cores, PUs, NUMA nodes, cache sizes (hwloc), compiler
 * and flags, oneDNN version and the ISA it may dispatch to, OpenBLAS core and
 * build, governor, FTZ/DAZ, bind policies, and `extra` (the probe results,
 * one "key: value" per line, may be NULL). Returns 0, or 2 with `why`. */
struct hwloc_topology;
int kb_sysinfo_write_machine(const char *path, const kb_sysinfo *info,
                             struct hwloc_topology *topology, const char *binds,
                             const char *extra, char *why, size_t why_len);

#ifdef __cplusplus
}
#endif
#endif
