/* What the rows record about the machine and the run. */
#ifndef KB_SYSINFO_H
#define KB_SYSINFO_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kb_sysinfo {
    char host[128];
    char cpu_model[128];
    char run_id[48];     /* <UTC time>-<pid>, unique per bench invocation */
    char timestamp[32];  /* ISO 8601 UTC at start */
    char date[16];       /* YYYYMMDD, for the default file name */
    char git_commit[48];
    char compiler[64];
    int cores;           /* physical cores (hwloc), at least 1 */
    int pus;             /* hardware threads */
} kb_sysinfo;

void kb_sysinfo_read(kb_sysinfo *info);

#ifdef __cplusplus
}
#endif
#endif
