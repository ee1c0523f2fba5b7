#include "sysinfo.h"
#include "topology.h"

#include <errno.h>
#include <hwloc.h>
#if KB_WITH_ONEDNN
#include <dnnl.h>
#endif
#if KB_WITH_OPENBLAS
#include <cblas.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kb_git_commit.h" /* KB_GIT_COMMIT, written at every build (tools/git_commit.cmake) */
#ifndef KB_BUILD_FLAGS
#define KB_BUILD_FLAGS "unknown"
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

static unsigned long long cache_kib(hwloc_topology_t topology, hwloc_obj_type_t type, int *count) {
    *count = hwloc_get_nbobjs_by_type(topology, type);
    hwloc_obj_t obj = hwloc_get_obj_by_type(topology, type, 0);
    return obj && obj->attr ? (unsigned long long)obj->attr->cache.size / 1024 : 0;
}

/* FNV-1a, 64 bits: stable across builds and runs, enough to tell machines apart. */
static uint64_t hash_text(uint64_t h, const char *text) {
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        h ^= *c;
        h *= 0x100000001b3ull;
    }
    return h ^ 0xff; /* a separator, so ("ab","c") and ("a","bc") differ */
}

/* The identity lines of the first CPU in /proc/cpuinfo (vendor, family,
 * model, stepping, model name, flags) and the memory size in GiB. */
static uint64_t hash_machine_files(uint64_t h) {
    static const char *const keys[] = {"vendor_id", "cpu family", "model", "stepping", "flags"};
    char line[4096];
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        while (fgets(line, sizeof line, f) && line[0] != '\n')
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                const size_t n = strlen(keys[k]);
                if (strncmp(line, keys[k], n) == 0 && (line[n] == '\t' || line[n] == ' '))
                    h = hash_text(h, line);
            }
        fclose(f);
    }
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    char memory[32];
    snprintf(memory, sizeof memory, "%.0f GiB", (double)pages * (double)page / (1u << 30));
    h = hash_text(h, memory);
    f = fopen("/etc/machine-id", "r");
    if (f) {
        if (fgets(line, sizeof line, f)) h = hash_text(h, line);
        fclose(f);
    }
    return h;
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
    uint64_t machine = hash_text(hash_text(0xcbf29ce484222325ull, info->host), info->cpu_model);
    hwloc_topology_t topology;
    if (hwloc_topology_init(&topology) == 0) {
        if (hwloc_topology_load(topology) == 0) {
            int cores = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE);
            int pus = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU);
            if (pus > 0) info->pus = pus;
            info->cores = cores > 0 ? cores : info->pus;
        }
        char counts[96];
        int n;
        snprintf(counts, sizeof counts, "%d cores %d pus %llu %llu %llu KiB", info->cores,
                 info->pus, cache_kib(topology, HWLOC_OBJ_L1CACHE, &n),
                 cache_kib(topology, HWLOC_OBJ_L2CACHE, &n),
                 cache_kib(topology, HWLOC_OBJ_L3CACHE, &n));
        machine = hash_text(machine, counts);
        hwloc_topology_destroy(topology);
    }
    snprintf(info->machine_id, sizeof info->machine_id, "%016llx",
             (unsigned long long)hash_machine_files(machine));
}

static void read_line(const char *path, char *buf, size_t len) {
    snprintf(buf, len, "unreadable");
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (fgets(buf, (int)len, f)) buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}


int kb_sysinfo_write_machine(const char *path, const kb_sysinfo *info,
                             struct hwloc_topology *topology, const char *binds,
                             const char *extra, char *why, size_t why_len) {
    FILE *f = fopen(path, "a");
    if (!f) {
        snprintf(why, why_len, "--csv: cannot write '%s': %s", path, strerror(errno));
        return 2;
    }
    fprintf(f, "run_id: %s\ntimestamp: %s\nhost: %s\nmachine_id: %s\ncpu_model: %s\n",
            info->run_id, info->timestamp, info->host, info->machine_id, info->cpu_model);
    fprintf(f, "packages: %d\nnuma_nodes: %d\ncores: %d\npus: %d\n",
            hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PACKAGE),
            hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE), info->cores, info->pus);
    const struct {
        hwloc_obj_type_t type;
        const char *name;
    } levels[] = {{HWLOC_OBJ_L1CACHE, "l1d"}, {HWLOC_OBJ_L2CACHE, "l2"}, {HWLOC_OBJ_L3CACHE, "l3"}};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        int count;
        const unsigned long long kib = cache_kib(topology, levels[i].type, &count);
        if (count > 0)
            fprintf(f, "%s: %d x %llu KiB\n", levels[i].name, count, kib);
        else
            fprintf(f, "%s: not reported\n", levels[i].name);
    }
    fprintf(f, "compiler: %s\nflags: %s\ngit_commit: %s\n", info->compiler, KB_BUILD_FLAGS,
            info->git_commit);
#if KB_WITH_ONEDNN
    const dnnl_version_t *v = dnnl_version();
    fprintf(f, "onednn: %d.%d.%d (%s), max ISA (dnnl_cpu_isa_t) %d\n", v->major, v->minor,
            v->patch, v->hash, (int)dnnl_get_effective_cpu_isa());
#else
    fprintf(f, "onednn: not in this build\n");
#endif
#if KB_WITH_OPENBLAS
    fprintf(f, "openblas: core %s; %s\n", openblas_get_corename(), openblas_get_config());
#else
    fprintf(f, "openblas: not in this build\n");
#endif
    char governor[64];
    read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", governor, sizeof governor);
    fprintf(f, "governor: %s\nftz_daz: on\nbind: %s\n", governor, binds);
    if (extra) fputs(extra, f);
    /* What `bench --topology` prints, each line prefixed, so a report can
     * show the machine a run came from. */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        kb_topology_print(topology, mem);
        fclose(mem);
        for (char *line = text; line && *line;) {
            char *next = strchr(line, '\n');
            fprintf(f, "topology: %.*s\n", next ? (int)(next - line) : (int)strlen(line), line);
            line = next ? next + 1 : NULL;
        }
        free(text);
    }
    fputc('\n', f);
    const int failed = ferror(f);
    if (fclose(f) != 0 || failed) {
        snprintf(why, why_len, "--csv: writing '%s' failed", path);
        return 2;
    }
    return 0;
}
