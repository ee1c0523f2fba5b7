#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kernbench/registry.h"
#include "shapes.h"

const char kb_usage[] =
    "usage: bench --kernel KERNEL [--direction LIST] [--variant LIST] [--shape DESC|SET,...]\n"
    "             [--batch N] [--threads LIST|all] [--reps N] [--min-time SECONDS]\n"
    "             [--bind LIST] [--csv FILE] [--no-check] [--no-probe] [--topology]\n"
    "             [--cache warm|cold] [--determinism] [--save DIR] [--load DIR]\n"
    "             [--json FILE] [--quiet] [--list] [--help]\n"
    "  --kernel      conv2d, gemm, affine, ... (--list shows the kernels of this build)\n"
    "  --direction   the kernel's directions: conv2d fwd, bwd_data, bwd_weights; gemm fwd;\n"
    "                affine, softmax_xent, pool2d, relu, sigmoid fwd, bwd; batchnorm\n"
    "                fwd_train, fwd_infer, bwd; optim sgd, momentum, nesterov, adagrad,\n"
    "                rmsprop, adam (default: all of the kernel's)\n"
    "  --variant     comma-separated variant names (default: all; see --list)\n"
    "  --shape       benchdnn descriptors (mb1ic64ih56oc64oh56kh3ph1) or set names\n"
    "                (conv2d: resnet50, book, small; --list shows every kernel's sets);\n"
    "                default: the kernel's first set\n"
    "  --batch       override every shape's mb\n"
    "  --threads     comma-separated counts or ranges (1,2 or 1-4), 'all' (1..cores) or\n"
    "                'pus' (1..hardware threads)\n"
    "  --bind        thread placement, a list of compact, scatter, none (default compact):\n"
    "                compact fills the PUs sharing the smallest caches first, scatter\n"
    "                spreads over packages, L3 domains and cores (hwloc_distrib)\n"
    "  --working-set L1,L2,L3,DRAM\n"
    "                resize each shape (its batch, or element count) so its minimum bytes\n"
    "                fit half of that cache level (L1, L2 per core; L3 shared), DRAM: 4x L3;\n"
    "                sized for the first direction at the smallest thread count (more\n"
    "                threads touch less each); labels get @L1 ...\n"
    "  --cache       warm (default), cold, or warm,cold: cold times each iteration on the\n"
    "                next of enough copies of the tensors that it reads data evicted from\n"
    "                the last-level cache (see README)\n"
    "  --topology    print the machine's topology (hwloc) and exit\n"
    "  --determinism run each checked variant a second time and record whether the outputs\n"
    "                are bitwise equal (column deterministic)\n"
    "  --save DIR    write each checked case as NumPy .npy files under\n"
    "                DIR/<kernel>_<direction>_<shape>/: input_<arg>.npy, reference_<arg>.npy\n"
    "                and <variant>_t<threads>_<arg>.npy (float32, C order, true shape)\n"
    "  --load DIR    run on the inputs DIR/input_<arg>.npy (one --shape descriptor) and write\n"
    "                the reference's and each variant's outputs into DIR the same way\n"
    "  --compare BASE.csv NEW.csv [--threshold PCT]\n"
    "                compare two runs row by row: time ratio, Mann-Whitney U test on the\n"
    "                repetitions, numerical changes; exit 1 when a row is slower by more\n"
    "                than PCT (default 5) with p < 0.05 or its check got worse\n"
    "  --reps        Google Benchmark repetitions per row (default 5)\n"
    "  --min-time    minimum seconds per repetition (default 0.05)\n"
    "  --csv         output file (default results/<host>-<date>-<kernel>.csv); rows are\n"
    "                appended under one header\n"
    "  --json FILE   also write the timed runs as Google Benchmark JSON (its compare.py\n"
    "                reads it); written whole at the end through a temporary name\n"
    "  --quiet       no banner, probe lines or progress on stderr (warnings and errors stay);\n"
    "                stdout carries only the table either way\n"
    "  --no-check    time without comparing with the reference first\n"
    "  --no-probe    skip the peak-FMA and triad-bandwidth probes run once per thread count\n"
    "                (the roofline columns stay empty)\n"
    "  --list        list the variants (and why any is skipped or absent) and shape sets\n";

/* "conv2d, gemm, ...": the kernels of this build. */
static void kernel_names(char *buf, size_t len) {
    size_t at = 0;
    buf[0] = '\0';
    for (int k = 0; k < KB_KERNEL_COUNT; k++) {
        if (!kb_kernel_available((kb_kernel)k)) continue;
        int n = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", kb_kernel_name((kb_kernel)k));
        if (n < 0 || (size_t)n >= len - at) break;
        at += (size_t)n;
    }
}

/* "fwd, bwd": the directions of a kernel. */
static void direction_names(kb_kernel kernel, char *buf, size_t len) {
    size_t at = 0;
    buf[0] = '\0';
    for (int d = 0; d < KB_DIR_COUNT; d++) {
        if (!kb_kernel_has_direction(kernel, (kb_direction)d)) continue;
        int n = snprintf(buf + at, len - at, "%s%s", at ? ", " : "",
                         kb_direction_name((kb_direction)d));
        if (n < 0 || (size_t)n >= len - at) break;
        at += (size_t)n;
    }
}

/* Copies a comma-separated list into options->storage and splits it. */
static int split_list(kb_options *o, size_t *used, const char *flag, const char *value,
                      char **items, size_t *n_items, char *why, size_t why_len) {
    size_t len = strlen(value);
    if (len == 0) {
        snprintf(why, why_len, "%s: empty list", flag);
        return 2;
    }
    if (*used + len + 1 > sizeof o->storage) {
        snprintf(why, why_len, "%s: list too long", flag);
        return 2;
    }
    char *copy = o->storage + *used;
    memcpy(copy, value, len + 1);
    *used += len + 1;
    *n_items = 0;
    for (char *item = copy;;) {
        char *comma = strchr(item, ',');
        if (comma) *comma = '\0';
        if (*item == '\0') {
            snprintf(why, why_len, "%s: empty item in '%s'", flag, value);
            return 2;
        }
        if (*n_items == KB_MAX_LIST) {
            snprintf(why, why_len, "%s: more than %d items", flag, KB_MAX_LIST);
            return 2;
        }
        items[(*n_items)++] = item;
        if (!comma) break;
        item = comma + 1;
    }
    return 0;
}

static bool parse_int(const char *text, long long *value) {
    if (*text == '\0') return false;
    errno = 0;
    char *end;
    *value = strtoll(text, &end, 10);
    return errno == 0 && *end == '\0';
}

static int parse_threads(kb_options *o, size_t *used, const char *value, int cores, int pus,
                         char *why, size_t why_len) {
    if (strcmp(value, "all") == 0 || strcmp(value, "pus") == 0) {
        const int last = value[0] == 'a' ? cores : pus;
        o->n_threads = 0;
        for (int t = 1; t <= last && o->n_threads < KB_MAX_LIST; t++)
            o->threads[o->n_threads++] = t;
        return 0;
    }
    char *items[KB_MAX_LIST];
    size_t n = 0;
    int rc = split_list(o, used, "--threads", value, items, &n, why, why_len);
    if (rc) return rc;
    o->n_threads = 0;
    for (size_t i = 0; i < n; i++) {
        long long first, last;
        char *dash = strchr(items[i] + 1, '-'); /* +1: a leading '-' is a sign */
        bool ok;
        if (dash) {
            *dash = '\0';
            ok = parse_int(items[i], &first) && parse_int(dash + 1, &last);
            *dash = '-';
        } else {
            ok = parse_int(items[i], &first);
            last = first;
        }
        if (!ok) {
            snprintf(why, why_len, "--threads: '%s' is not a count, a range, 'all' or 'pus'",
                     items[i]);
            return 2;
        }
        if (first < 1 || last < first || last > KB_MAX_THREADS) {
            snprintf(why, why_len, "--threads: '%s' must be within 1..%d (ascending ranges)",
                     items[i], KB_MAX_THREADS);
            return 2;
        }
        for (long long t = first; t <= last; t++) {
            if (o->n_threads == KB_MAX_LIST) {
                snprintf(why, why_len, "--threads: more than %d thread counts", KB_MAX_LIST);
                return 2;
            }
            o->threads[o->n_threads++] = (int)t;
        }
    }
    return 0;
}

static int parse(int argc, char **argv, int cores, int pus, kb_options *o, char *why,
                 size_t why_len);

int kb_options_parse(int argc, char **argv, int cores, int pus, kb_options *o, char *why,
                     size_t why_len) {
    const int rc = parse(argc, argv, cores, pus, o, why, why_len);
    if (rc != 0) kb_text_one_line(why);
    return rc;
}

static int parse(int argc, char **argv, int cores, int pus, kb_options *o, char *why,
                 size_t why_len) {
    memset(o, 0, sizeof *o);
    o->reps = 5;
    o->threshold_pct = 5.0;
    o->min_time_s = 0.05;
    size_t used = 0;
    const char *direction_list = NULL, *variant_list = NULL;
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            o->help = true;
            continue;
        }
        if (strcmp(flag, "--list") == 0) {
            o->list = true;
            continue;
        }
        if (strcmp(flag, "--no-check") == 0) {
            o->no_check = true;
            continue;
        }
        if (strcmp(flag, "--no-probe") == 0) {
            o->no_probe = true;
            continue;
        }
        if (strcmp(flag, "--determinism") == 0) {
            o->determinism = true;
            continue;
        }
        if (strcmp(flag, "--quiet") == 0) {
            o->quiet = true;
            continue;
        }
        if (strcmp(flag, "--topology") == 0) {
            o->topology = true;
            continue;
        }
        if (strcmp(flag, "--compare") == 0) {
            if (i + 2 >= argc || argv[i + 1][0] == '\0' || argv[i + 2][0] == '\0') {
                snprintf(why, why_len, "--compare: needs two CSV files (BASE NEW)");
                return 2;
            }
            o->compare_base = argv[++i];
            o->compare_new = argv[++i];
            continue;
        }
        /* Every other flag takes a value, as "--flag VALUE" or "--flag=VALUE". */
        const char *value = NULL;
        char name[32];
        const char *eq = strchr(flag, '=');
        if (eq && (size_t)(eq - flag) < sizeof name) {
            memcpy(name, flag, (size_t)(eq - flag));
            name[eq - flag] = '\0';
            value = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", flag);
        }
        static const char *const valued[] = {"--kernel", "--direction", "--variant",
                                             "--shape",  "--batch",     "--threads",
                                             "--reps",   "--min-time",  "--csv",
                                             "--bind",   "--threshold", "--save",
                                             "--load",   "--cache",     "--working-set",
                                             "--json"};
        bool known = false;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            known |= strcmp(name, valued[k]) == 0;
        if (!known) {
            snprintf(why, why_len, "%s: unknown option (see --help)", flag);
            return 2;
        }
        if (!value) {
            if (i + 1 >= argc) {
                snprintf(why, why_len, "%s: missing value", name);
                return 2;
            }
            value = argv[++i];
        }
        long long number;
        if (strcmp(name, "--kernel") == 0) {
            if (!kb_kernel_from_name(value, &o->kernel) || !kb_kernel_available(o->kernel)) {
                char names[256];
                kernel_names(names, sizeof names);
                snprintf(why, why_len, "--kernel: '%s' is not a kernel of this build (%s)", value,
                         names);
                return 2;
            }
            o->kernel_given = true;
        } else if (strcmp(name, "--direction") == 0) {
            direction_list = value;
        } else if (strcmp(name, "--variant") == 0) {
            variant_list = value;
        } else if (strcmp(name, "--shape") == 0) {
            if (*value == '\0') {
                snprintf(why, why_len, "--shape: empty");
                return 2;
            }
            o->shape_spec = value;
        } else if (strcmp(name, "--batch") == 0) {
            if (!parse_int(value, &number) || number < 1 || number > KB_MAX_DIM) {
                snprintf(why, why_len, "--batch: '%s' is not a count within 1..%lld", value,
                         (long long)KB_MAX_DIM);
                return 2;
            }
            o->batch = number;
        } else if (strcmp(name, "--threads") == 0) {
            int rc = parse_threads(o, &used, value, cores, pus, why, why_len);
            if (rc) return rc;
        } else if (strcmp(name, "--reps") == 0) {
            if (!parse_int(value, &number) || number < 1 || number > 10000) {
                snprintf(why, why_len, "--reps: '%s' is not a count within 1..10000", value);
                return 2;
            }
            o->reps = (int)number;
        } else if (strcmp(name, "--min-time") == 0) {
            char *end;
            errno = 0;
            double seconds = strtod(value, &end);
            if (*value == '\0' || *end != '\0' || errno || !(seconds > 0) || seconds > 3600) {
                snprintf(why, why_len, "--min-time: '%s' is not a number of seconds in (0, 3600]",
                         value);
                return 2;
            }
            o->min_time_s = seconds;
        } else if (strcmp(name, "--save") == 0 || strcmp(name, "--load") == 0) {
            if (*value == '\0') {
                snprintf(why, why_len, "%s: empty directory name", name);
                return 2;
            }
            *(name[2] == 's' ? &o->save_dir : &o->load_dir) = value;
        } else if (strcmp(name, "--working-set") == 0) {
            static const char *const levels[4] = {"L1", "L2", "L3", "DRAM"};
            char *items[KB_MAX_LIST];
            size_t n;
            int rc = split_list(o, &used, "--working-set", value, items, &n, why, why_len);
            if (rc) return rc;
            for (size_t i = 0; i < n; i++) {
                int level = -1;
                for (int l = 0; l < 4; l++)
                    if (strcasecmp(items[i], levels[l]) == 0) level = l;
                if (level < 0) {
                    snprintf(why, why_len, "--working-set: '%s' is not L1, L2, L3 or DRAM",
                             items[i]);
                    return 2;
                }
                if (!o->working_sets[level]) o->n_working_sets++;
                o->working_sets[level] = true;
            }
        } else if (strcmp(name, "--cache") == 0) {
            char *items[KB_MAX_LIST];
            size_t n;
            int rc = split_list(o, &used, "--cache", value, items, &n, why, why_len);
            if (rc) return rc;
            o->caches[0] = o->caches[1] = false;
            for (size_t c = 0; c < n; c++) {
                if (strcmp(items[c], "warm") != 0 && strcmp(items[c], "cold") != 0) {
                    snprintf(why, why_len, "--cache: '%s' is not warm or cold", items[c]);
                    return 2;
                }
                o->caches[items[c][0] == 'c'] = true;
            }
        } else if (strcmp(name, "--threshold") == 0) {
            char *end;
            errno = 0;
            double pct = strtod(value, &end);
            if (*value == '\0' || *end != '\0' || errno || !(pct >= 0) || pct > 1000) {
                snprintf(why, why_len, "--threshold: '%s' is not a percentage in [0, 1000]", value);
                return 2;
            }
            o->threshold_pct = pct;
        } else if (strcmp(name, "--bind") == 0) {
            char *items[KB_MAX_LIST];
            size_t n;
            int rc = split_list(o, &used, "--bind", value, items, &n, why, why_len);
            if (rc) return rc;
            o->n_binds = 0;
            for (size_t b = 0; b < n; b++) {
                kb_bind bind;
                if (!kb_bind_from_name(items[b], &bind)) {
                    snprintf(why, why_len, "--bind: '%s' is not compact, scatter or none",
                             items[b]);
                    return 2;
                }
                bool repeated = false;
                for (size_t j = 0; j < o->n_binds; j++) repeated |= o->binds[j] == bind;
                if (!repeated) o->binds[o->n_binds++] = bind;
            }
        } else if (strcmp(name, "--csv") == 0) {
            if (*value == '\0') {
                snprintf(why, why_len, "--csv: empty file name");
                return 2;
            }
            o->csv_path = value;
        } else if (strcmp(name, "--json") == 0) {
            if (*value == '\0') {
                snprintf(why, why_len, "--json: empty file name");
                return 2;
            }
            o->json_path = value;
        }
    }
    if (o->help) return 0;
    if (o->compare_base) return 0;
    if (!o->kernel_given && !o->list && !o->topology) {
        char names[256];
        kernel_names(names, sizeof names);
        snprintf(why, why_len, "--kernel: missing (one of: %s)", names);
        return 2;
    }
    if (direction_list) {
        char *items[KB_MAX_LIST];
        size_t n;
        int rc = split_list(o, &used, "--direction", direction_list, items, &n, why, why_len);
        if (rc) return rc;
        for (size_t i = 0; i < n; i++) {
            kb_direction d;
            if (!kb_direction_from_name(items[i], &d) || !kb_kernel_has_direction(o->kernel, d)) {
                char names[256];
                direction_names(o->kernel, names, sizeof names);
                snprintf(why, why_len, "--direction: '%s' is not a direction of %s (%s)", items[i],
                         kb_kernel_name(o->kernel), names);
                return 2;
            }
            const kb_variant *any[1];
            if (kb_registry_select(o->kernel, d, NULL, 0, any, 1) == 0) {
                snprintf(why, why_len, "--direction: %s has no %s variants yet",
                         kb_kernel_name(o->kernel), items[i]);
                return 2;
            }
            bool repeated = false;
            for (size_t j = 0; j < o->n_directions; j++) repeated |= o->directions[j] == d;
            if (!repeated) o->directions[o->n_directions++] = d;
        }
    } else {
        for (int d = 0; d < KB_DIR_COUNT; d++) {
            const kb_variant *any[1];
            if (kb_registry_select(o->kernel, (kb_direction)d, NULL, 0, any, 1) > 0)
                o->directions[o->n_directions++] = (kb_direction)d;
        }
    }
    if (variant_list) {
        char *items[KB_MAX_LIST];
        int rc = split_list(o, &used, "--variant", variant_list, items, &o->n_variants, why,
                            why_len);
        if (rc) return rc;
        for (size_t i = 0; i < o->n_variants; i++) {
            o->variants[i] = items[i];
            bool found = false;
            for (size_t d = 0; d < o->n_directions && !found; d++)
                found = kb_registry_find(o->kernel, o->directions[d], items[i]) != NULL;
            if (found) continue;
            for (size_t a = 0; a < kb_registry_absent_size(); a++) {
                const kb_absent_variant *absent = kb_registry_absent_get(a);
                if (absent->kernel == o->kernel && strcmp(absent->name, items[i]) == 0) {
                    snprintf(why, why_len, "--variant: '%s' is not in this build (%s)", items[i],
                             absent->why);
                    return 2;
                }
            }
            char names[512] = "";
            size_t at = 0;
            for (size_t v = 0; v < kb_registry_size(); v++) {
                const kb_variant *variant = kb_registry_get(v);
                if (variant->kernel != o->kernel || variant->direction != o->directions[0]) continue;
                int n = snprintf(names + at, sizeof names - at, "%s%s", at ? ", " : "",
                                 variant->name);
                if (n < 0 || (size_t)n >= sizeof names - at) break;
                at += (size_t)n;
            }
            snprintf(why, why_len, "--variant: '%s' is not a %s variant (%s)", items[i],
                     kb_kernel_name(o->kernel), names);
            return 2;
        }
    }
    if (o->n_binds == 0) o->binds[o->n_binds++] = KB_BIND_COMPACT;
    if (!o->caches[0] && !o->caches[1]) o->caches[0] = true;
    if (o->n_threads == 0) return parse_threads(o, &used, "all", cores, pus, why, why_len);
    return 0;
}
