/* The bench command line. Parsing never runs anything: on a bad request it
 * returns one line naming the flag (or field) and the value. */
#ifndef KB_CLI_H
#define KB_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "kernbench/problem.h"
#include "topology.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KB_MAX_LIST 256
#define KB_MAX_THREADS 1024

typedef struct kb_options {
    bool help, list, no_check, no_probe, topology, determinism;
    bool quiet; /* --quiet: no banner, probe lines or progress on stderr */
    bool kernel_given;
    kb_kernel kernel;
    kb_direction directions[KB_DIR_COUNT];
    size_t n_directions;
    const char *variants[KB_MAX_LIST]; /* point into argv-owned copies */
    size_t n_variants;
    const char *shape_spec; /* NULL: the kernel's default set (kb_shape_default_set) */
    long long batch; /* 0: as the shapes say */
    int threads[KB_MAX_LIST];
    size_t n_threads; /* 0: 1..cores, decided by the caller */
    bool working_sets[4]; /* --working-set: L1, L2, L3, DRAM */
    size_t n_working_sets;
    bool caches[2]; /* [0] warm, [1] cold: which cache states to time (default warm) */
    kb_bind binds[3];
    size_t n_binds; /* default: compact */
    int reps;
    double min_time_s; /* per repetition */
    const char *csv_path; /* NULL: results/<host>-<date>-<kernel>.csv */
    const char *json_path; /* --json FILE: Google Benchmark's JSON of the timed runs */
    const char *compare_base, *compare_new; /* --compare BASE NEW */
    const char *save_dir, *load_dir;        /* --save DIR, --load DIR (.npy) */
    double threshold_pct;                   /* --threshold, default 5 */
    char storage[4096];   /* copies of list items */
} kb_options;

/* Returns 0 on success; otherwise writes one line to `why` and returns 2. */
/* `cores` and `pus` size the 'all' and 'pus' thread lists. */
int kb_options_parse(int argc, char **argv, int cores, int pus, kb_options *options, char *why,
                     size_t why_len);
extern const char kb_usage[];

#ifdef __cplusplus
}
#endif
#endif
