#include "sysinfo.h"

#include <hwloc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef KB_GIT_COMMIT
#define KB_GIT_COMMIT "unknown"
#endif
#ifndef KB_COMPILER
#define KB_COMPILER "unknown"
#endif

/* CSV cells must not contain commas, quotes or newlines. */
static void sanitize(char *text) {
    for (char *c = text; *c; c++)
        if (*c == ',' || *c == '"' || *c == '\n' || *c == '\r') *c = ' ';
}

static void read_cpu_model(char *buf, size_t len) {
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *colon = strchr(line, ':');
        if (!colon) break;
        colon++;
        while (*colon == ' ' || *colon == '\t') colon++;
        snprintf(buf, len, "%s", colon);
        buf[strcspn(buf, "\n")] = '\0';
        break;
    }
    fclose(f);
}

void kb_sysinfo_read(kb_sysinfo *info) {
    memset(info, 0, sizeof *info);
    if (gethostname(info->host, sizeof info->host - 1) != 0) snprintf(info->host, sizeof info->host, "unknown");
    read_cpu_model(info->cpu_model, sizeof info->cpu_model);
    sanitize(info->host);
    sanitize(info->cpu_model);
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(info->timestamp, sizeof info->timestamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    strftime(info->date, sizeof info->date, "%Y%m%d", &utc);
    char stamp[24];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
    snprintf(info->run_id, sizeof info->run_id, "%s-%ld", stamp, (long)getpid());
    snprintf(info->git_commit, sizeof info->git_commit, "%s", KB_GIT_COMMIT);
    snprintf(info->compiler, sizeof info->compiler, "%s", KB_COMPILER);

    info->cores = info->pus = 1;
    hwloc_topology_t topology;
    if (hwloc_topology_init(&topology) == 0) {
        if (hwloc_topology_load(topology) == 0) {
            int cores = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE);
            int pus = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU);
            if (pus > 0) info->pus = pus;
            info->cores = cores > 0 ? cores : info->pus;
        }
        hwloc_topology_destroy(topology);
    }
}
