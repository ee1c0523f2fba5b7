/* Run-to-run comparison: see compare.h. */
#include "compare.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* --- Mann-Whitney U ---------------------------------------------------------- */

typedef struct ranked {
    double value;
    int group; /* 0: a, 1: b */
} ranked;

static int by_value(const void *x, const void *y) {
    const double a = ((const ranked *)x)->value, b = ((const ranked *)y)->value;
    return (a > b) - (a < b);
}

/* P(U <= u) under the null for sample sizes m, n without ties: the count of
 * arrangements with U = k follows f(m, n, k) = f(m-1, n, k-n) + f(m, n-1, k). */
static double exact_cdf(size_t m, size_t n, double u) {
    const size_t max_u = m * n;
    /* table[i][j][k] flattened over i <= m, j <= n, k <= max_u. */
    double *f = calloc((m + 1) * (n + 1) * (max_u + 1), sizeof *f);
    if (!f) return NAN;
#define F(i, j, k) f[((i) * (n + 1) + (j)) * (max_u + 1) + (k)]
    for (size_t i = 0; i <= m; i++)
        for (size_t j = 0; j <= n; j++)
            for (size_t k = 0; k <= i * j; k++) {
                if (i == 0 || j == 0) {
                    F(i, j, k) = k == 0;
                    continue;
                }
                F(i, j, k) = (k >= j ? F(i - 1, j, k - j) : 0) + F(i, j - 1, k);
            }
    double below = 0, total = 0;
    for (size_t k = 0; k <= max_u; k++) {
        total += F(m, n, k);
        if ((double)k <= u + 1e-9) below += F(m, n, k);
    }
#undef F
    free(f);
    return below / total;
}

double kb_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb) {
    if (na == 0 || nb == 0) return NAN;
    const size_t n = na + nb;
    ranked *all = malloc(n * sizeof *all);
    if (!all) return NAN;
    for (size_t i = 0; i < na; i++) all[i] = (ranked){a[i], 0};
    for (size_t i = 0; i < nb; i++) all[na + i] = (ranked){b[i], 1};
    qsort(all, n, sizeof *all, by_value);
    /* Mid-ranks; tie groups feed the variance correction. */
    double rank_sum_a = 0, tie_term = 0;
    bool ties = false;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && all[j + 1].value == all[i].value) j++;
        const double mid = 0.5 * (double)(i + j) + 1.0;
        const double t = (double)(j - i + 1);
        if (t > 1) ties = true;
        tie_term += t * t * t - t;
        for (size_t k = i; k <= j; k++)
            if (all[k].group == 0) rank_sum_a += mid;
        i = j + 1;
    }
    free(all);
    const double u_a = rank_sum_a - (double)na * (double)(na + 1) / 2.0;
    const double u_min = fmin(u_a, (double)na * (double)nb - u_a);
    if (!ties && na <= 50 && nb <= 50) return fmin(1.0, 2.0 * exact_cdf(na, nb, u_min));
    const double mean = (double)na * (double)nb / 2.0;
    const double var = (double)na * (double)nb / 12.0 *
                       ((double)(n + 1) - tie_term / ((double)n * (double)(n - 1)));
    if (var <= 0) return 1.0; /* every value equal */
    const double z = (fabs(u_a - mean) - 0.5) / sqrt(var); /* continuity correction */
    return fmin(1.0, erfc(fmax(z, 0.0) / sqrt(2.0)));
}

/* --- CSV rows ------------------------------------------------------------------ */

/* The columns that identify a row, in printing order (kernel first). */
enum { K_KERNEL = 0, N_KEY = 7 };
static const char *const key_columns[N_KEY] = {"kernel",  "shape", "direction", "variant",
                                               "threads", "bind",  "cache"};

typedef struct row {
    char *key;  /* "kernel direction variant shape threads bind" */
    char *kernel;
    char *machine; /* machine_id, "" in CSVs from before that column */
    char *host;    /* host|cpu_model|isa: the identity where either side lacks machine_id */
    double median_ms, max_rel_err;
    bool timed, has_err;
    char verdict[16];
    double *samples;
    size_t n_samples;
    bool matched;
} row;

typedef struct table {
    row *rows;
    size_t count;
} table;

static void table_free(table *t) {
    for (size_t i = 0; i < t->count; i++) {
        free(t->rows[i].key);
        free(t->rows[i].kernel);
        free(t->rows[i].machine);
        free(t->rows[i].host);
        free(t->rows[i].samples);
    }
    free(t->rows);
    t->rows = NULL;
    t->count = 0;
}

/* Splits `line` in place at commas; returns the number of fields. */
static size_t split(char *line, char **fields, size_t max) {
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line;;) {
        if (n == max) return n + 1; /* too many */
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma) break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static int column(char **names, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return (int)i;
    return -1;
}

#define MAX_FIELDS 64

static int read_table(const char *path, table *t, char *why, size_t why_len) {
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_len, "--compare: cannot read '%s'", path);
        return 2;
    }
    char *line = NULL, *header = NULL;
    size_t cap = 0;
    int status = 0;
    char *names[MAX_FIELDS];
    size_t n_names = 0;
    int col_key[N_KEY], col_median, col_samples, col_verdict, col_err, col_machine = -1;
    int col_host[3] = {-1, -1, -1};
    size_t capacity = 0, line_number = 0;
    while (getline(&line, &cap, f) > 0) {
        line_number++;
        if (!header) {
            header = strdup(line);
            n_names = split(header, names, MAX_FIELDS);
            static const char *const needed[] = {"time_ms_median", "rep_times_ms", "verdict",
                                                 "max_rel_err"};
            for (int k = 0; k < N_KEY; k++) col_key[k] = column(names, n_names, key_columns[k]);
            col_median = column(names, n_names, needed[0]);
            col_samples = column(names, n_names, needed[1]);
            col_verdict = column(names, n_names, needed[2]);
            col_err = column(names, n_names, needed[3]);
            col_machine = column(names, n_names, "machine_id"); /* optional */
            col_host[0] = column(names, n_names, "host");
            col_host[1] = column(names, n_names, "cpu_model");
            col_host[2] = column(names, n_names, "isa");
            const int cols[] = {col_key[0], col_key[1], col_key[2],  col_key[3],
                                col_key[4], col_key[5], col_key[6],  col_median,
                                col_samples, col_verdict, col_err};
            for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
                if (cols[c] < 0) {
                    snprintf(why, why_len,
                             "--compare: '%s' is not a kernbench CSV with samples (no column %s)",
                             path, c < N_KEY ? key_columns[c] : needed[c - N_KEY]);
                    status = 2;
                }
            if (status) break;
            continue;
        }
        char *fields[MAX_FIELDS];
        const size_t n = split(line, fields, MAX_FIELDS);
        if (n != n_names) {
            snprintf(why, why_len, "--compare: '%s' line %zu has %zu fields, the header %zu", path,
                     line_number, n, n_names);
            status = 2;
            break;
        }
        if (t->count == capacity) {
            capacity = capacity ? 2 * capacity : 64;
            row *grown = realloc(t->rows, capacity * sizeof *grown);
            if (!grown) {
                snprintf(why, why_len, "--compare: out of memory");
                status = 2;
                break;
            }
            t->rows = grown;
        }
        row *r = &t->rows[t->count++];
        memset(r, 0, sizeof *r);
        char key[1024] = "";
        for (int k = 0; k < N_KEY; k++) {
            strncat(key, fields[col_key[k]], sizeof key - strlen(key) - 2);
            if (k + 1 < N_KEY) strcat(key, " ");
        }
        r->key = strdup(key);
        r->kernel = strdup(fields[col_key[K_KERNEL]]);
        r->machine = strdup(col_machine >= 0 ? fields[col_machine] : "");
        char host[512] = "";
        for (int h = 0; h < 3 && col_host[h] >= 0; h++)
            snprintf(host + strlen(host), sizeof host - strlen(host), "%s|", fields[col_host[h]]);
        r->host = strdup(host);
        snprintf(r->verdict, sizeof r->verdict, "%s", fields[col_verdict]);
        r->timed = fields[col_median][0] != '\0';
        r->median_ms = r->timed ? strtod(fields[col_median], NULL) : NAN;
        r->has_err = fields[col_err][0] != '\0';
        r->max_rel_err = r->has_err ? strtod(fields[col_err], NULL) : NAN;
        const char *s = fields[col_samples];
        r->samples = malloc((strlen(s) / 2 + 1) * sizeof *r->samples);
        while (*s && r->samples) {
            char *end;
            const double v = strtod(s, &end);
            if (end == s) break;
            r->samples[r->n_samples++] = v;
            s = *end == ';' ? end + 1 : end;
        }
    }
    if (!header && status == 0) {
        snprintf(why, why_len, "--compare: '%s' is empty", path);
        status = 2;
    }
    free(line);
    free(header);
    fclose(f);
    if (status) table_free(t);
    return status;
}

/* The last row with `key` (a file may hold several runs appended). */
static row *find(table *t, const char *key) {
    for (size_t i = t->count; i-- > 0;)
        if (strcmp(t->rows[i].key, key) == 0) return &t->rows[i];
    return NULL;
}

static bool last_of_key(const table *t, size_t index) {
    for (size_t i = index + 1; i < t->count; i++)
        if (strcmp(t->rows[i].key, t->rows[index].key) == 0) return false;
    return true;
}

int kb_compare_csv(const char *base_path, const char *new_path, double threshold_pct, FILE *out,
                   char *why, size_t why_len) {
    table base, next;
    if (read_table(base_path, &base, why, why_len)) return 2;
    if (read_table(new_path, &next, why, why_len)) {
        table_free(&base);
        return 2;
    }
    const double threshold = threshold_pct / 100.0;
    int regressions = 0, numerical = 0, improved = 0, compared = 0, cross_machine = 0;
    /* Per-kernel geometric mean of the ratios. */
    char *kernels[64];
    double log_sum[64];
    int counts[64], n_kernels = 0;
    fprintf(out, "%-70s %10s %10s %7s %8s  %s\n", "kernel shape direction variant threads bind cache",
            "base_ms", "new_ms", "ratio", "p", "verdict");
    for (size_t i = 0; i < next.count; i++) {
        row *n = &next.rows[i];
        if (!last_of_key(&next, i)) continue;
        row *b = find(&base, n->key);
        if (!b) continue;
        b->matched = n->matched = true;
        /* Rows from two machines compare the machines as much as the code.
         * Identity: machine_id, or host, CPU model and ISA where a side
         * predates machine_id. */
        const bool ids = b->machine[0] && n->machine[0];
        if (ids ? strcmp(b->machine, n->machine) != 0
                : b->host[0] && n->host[0] && strcmp(b->host, n->host) != 0)
            cross_machine++;
        const char *verdict = "same";
        char ratio_text[16] = "-", p_text[16] = "-";
        if (b->timed && n->timed && b->median_ms > 0) {
            const double ratio = n->median_ms / b->median_ms;
            const double p = kb_mann_whitney_p(b->samples, b->n_samples, n->samples, n->n_samples);
            snprintf(ratio_text, sizeof ratio_text, "%.3f", ratio);
            snprintf(p_text, sizeof p_text, "%.3g", p);
            compared++;
            if (ratio > 1 + threshold && p < 0.05) {
                verdict = "REGRESSED";
                regressions++;
            } else if (ratio < 1 - threshold && p < 0.05) {
                verdict = "improved";
                improved++;
            } else if (fabs(ratio - 1) > threshold) {
                verdict = "same (not significant)";
            }
            int k = 0;
            while (k < n_kernels && strcmp(kernels[k], n->kernel) != 0) k++;
            if (k == n_kernels && n_kernels < 64) {
                kernels[n_kernels] = n->kernel;
                log_sum[n_kernels] = 0;
                counts[n_kernels++] = 0;
            }
            if (k < n_kernels) {
                log_sum[k] += log(ratio);
                counts[k]++;
            }
        }
        const bool went_bad =
            strcmp(b->verdict, "PASS") == 0 &&
            (strcmp(n->verdict, "FAIL") == 0 || strcmp(n->verdict, "ERROR") == 0);
        /* Inputs are seeded, so the same code gives the same error: growth is a
         * change, not noise. Errors below 1e-9 count as 1e-9. */
        const bool err_grew = b->has_err && n->has_err &&
                              n->max_rel_err > 10.0 * fmax(b->max_rel_err, 1e-9);
        char numeric[96] = "";
        if (went_bad || err_grew) {
            numerical++;
            snprintf(numeric, sizeof numeric, "; NUMERICAL: %s -> %s, max_rel_err %.3g -> %.3g",
                     b->verdict, n->verdict, b->max_rel_err, n->max_rel_err);
        }
        fprintf(out, "%-70s %10.4g %10.4g %7s %8s  %s%s\n", n->key, b->median_ms, n->median_ms,
                ratio_text, p_text, verdict, numeric);
    }
    for (size_t i = 0; i < base.count; i++)
        if (!base.rows[i].matched && last_of_key(&base, i))
            fprintf(out, "only in base: %s\n", base.rows[i].key);
    for (size_t i = 0; i < next.count; i++)
        if (!next.rows[i].matched && last_of_key(&next, i))
            fprintf(out, "only in new: %s\n", next.rows[i].key);
    for (int k = 0; k < n_kernels; k++)
        fprintf(out, "geomean new/base time, %s: %.3f over %d rows\n", kernels[k],
                exp(log_sum[k] / counts[k]), counts[k]);
    if (cross_machine)
        fprintf(out,
                "warning: %d matched rows ran on different machines (machine_id, or host, CPU "
                "model and ISA, differ): their "
                "ratios compare the machines as well as the code\n",
                cross_machine);
    fprintf(out,
            "%d rows compared: %d regressed (> %.1f%% slower, p < 0.05), %d improved, %d "
            "numerical regressions\n",
            compared, regressions, threshold_pct, improved, numerical);
    table_free(&base);
    table_free(&next);
    return regressions || numerical ? 1 : 0;
}
