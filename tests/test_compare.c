/* bench --compare on crafted CSV pairs (bench/compare.h): a clear regression,
 * noise that must not be flagged, rows on one side only, numerical
 * regressions; and the Mann-Whitney U p-values against known exact ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "testing.h"

static const char header[] =
    "kernel,direction,variant,shape,threads,bind,cache,time_ms_median,max_rel_err,verdict,rep_times_ms\n";

static void write_file(const char *path, const char *head, const char *rows) {
    FILE *f = fopen(path, "w");
    fputs(head, f);
    fputs(rows, f);
    fclose(f);
}

/* Runs the comparison of two files under `head`; `text` receives its output
 * (caller frees). */
static int compare_with(const char *head, const char *base_rows, const char *new_rows,
                        double threshold, char **text) {
    char dir[] = "/tmp/kb_compare_XXXXXX";
    if (!mkdtemp(dir)) return -1;
    char base[64], next[64];
    snprintf(base, sizeof base, "%s/base.csv", dir);
    snprintf(next, sizeof next, "%s/new.csv", dir);
    write_file(base, head, base_rows);
    write_file(next, head, new_rows);
    size_t len;
    FILE *out = open_memstream(text, &len);
    char why[256] = "";
    int rc = kb_compare_csv(base, next, threshold, out, why, sizeof why);
    fclose(out);
    unlink(base);
    unlink(next);
    rmdir(dir);
    return rc;
}

static int compare(const char *base_rows, const char *new_rows, double threshold, char **text) {
    return compare_with(header, base_rows, new_rows, threshold, text);
}

#define ROW(variant, median, err, verdict, samples)                                               \
    "gemm,fwd," variant ",m64n64k64,1,compact,warm," median "," err "," verdict "," samples "\n"

int main(void) {
    TEST_CASE("%s", "U test: separated samples, exact p = 2/252") {
        const double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10};
        const double p = kb_mann_whitney_p(a, 5, b, 5);
        CHECK(fabs(p - 2.0 / 252.0) < 1e-12, "p = %.17g", p);
    }
    TEST_CASE("%s", "U test: interleaved samples, p = 1") {
        const double a[] = {1, 3, 5, 7}, b[] = {2, 4, 6, 8};
        /* U = 6 of 16: the most central values; two-sided p = 2 P(U <= 6) > 0.6 */
        const double p = kb_mann_whitney_p(a, 4, b, 4);
        CHECK(p > 0.6 && p <= 1.0, "p = %g", p);
    }
    TEST_CASE("%s", "U test: ties use the normal approximation") {
        const double a[] = {1, 1, 1, 2, 2}, b[] = {3, 3, 4, 4, 4};
        const double p = kb_mann_whitney_p(a, 5, b, 5);
        CHECK(p > 0 && p < 0.05, "p = %g", p);
    }

    char *text = NULL;
    int rc = compare(ROW("avx2", "10", "1e-7", "PASS", "10;10.1;9.9;10.05;9.95"),
                     ROW("avx2", "12", "1e-7", "PASS", "12;12.1;11.9;12.05;11.95"), 5, &text);
    TEST_CASE("%s", "20% slower on every repetition is a regression") {
        CHECK(rc == 1, "rc %d", rc);
        CHECK(strstr(text, "REGRESSED") != NULL, "%s", text);
        CHECK(strstr(text, "geomean new/base time, gemm: 1.200") != NULL, "%s", text);
    }
    free(text);

    rc = compare(ROW("avx2", "10", "1e-7", "PASS", "10;10.6;9.4;10.8;9.2"),
                 ROW("avx2", "10.6", "1e-7", "PASS", "10.6;9.6;11.4;9.9;10.9"), 5, &text);
    TEST_CASE("%s", "6% slower median but overlapping noise is not a regression") {
        CHECK(rc == 0, "rc %d: %s", rc, text);
        CHECK(strstr(text, "not significant") != NULL, "%s", text);
    }
    free(text);

    rc = compare(ROW("avx2", "10", "1e-7", "PASS", "10;10.1;9.9;10.05;9.95")
                     ROW("naive", "50", "1e-7", "PASS", "50;50;50;50;50"),
                 ROW("avx2", "8", "1e-7", "PASS", "8;8.1;7.9;8.05;7.95")
                     ROW("omp", "5", "1e-7", "PASS", "5;5;5;5;5"),
                 5, &text);
    TEST_CASE("%s", "faster rows improve; rows on one side are listed, not failed") {
        CHECK(rc == 0, "rc %d", rc);
        CHECK(strstr(text, "improved") != NULL, "%s", text);
        CHECK(strstr(text, "only in base: gemm") && strstr(text, "naive"), "%s", text);
        CHECK(strstr(text, "only in new: gemm") && strstr(text, " omp "), "%s", text);
    }
    free(text);

    rc = compare(ROW("avx2", "10", "1e-7", "PASS", "10;10;10;10;10"),
                 ROW("avx2", "10", "3e-3", "FAIL", "10;10;10;10;10"), 5, &text);
    TEST_CASE("%s", "PASS to FAIL is a numerical regression") {
        CHECK(rc == 1, "rc %d", rc);
        CHECK(strstr(text, "NUMERICAL: PASS -> FAIL") != NULL, "%s", text);
    }
    free(text);

    rc = compare(ROW("avx2", "10", "1e-7", "PASS", "10;10;10;10;10"),
                 ROW("avx2", "10", "2e-6", "PASS", "10;10;10;10;10"), 5, &text);
    TEST_CASE("%s", "an error 20x larger is a numerical regression") {
        CHECK(rc == 1 && strstr(text, "NUMERICAL") != NULL, "rc %d: %s", rc, text);
    }
    free(text);

    /* With machine_id (an optional column): rows from two machines are
     * compared but flagged; rows from one machine are not. */
    char with_machine[sizeof header + 16];
    snprintf(with_machine, sizeof with_machine, "%.*s,machine_id\n", (int)strlen(header) - 1,
             header);
    const char *same_rows = "gemm,fwd,avx2,m64n64k64,1,compact,warm,10,1e-7,PASS,10;10;10,aaaa\n";
    const char *other_rows = "gemm,fwd,avx2,m64n64k64,1,compact,warm,10,1e-7,PASS,10;10;10,bbbb\n";
    rc = compare_with(with_machine, same_rows, other_rows, 5, &text);
    TEST_CASE("%s", "rows from two machines: compared, with a warning") {
        CHECK(rc == 0 && strstr(text, "1 matched rows ran on different machines") != NULL,
              "rc %d: %s", rc, text);
    }
    free(text);
    rc = compare_with(with_machine, same_rows, same_rows, 5, &text);
    TEST_CASE("%s", "rows from one machine: no machine warning") {
        CHECK(rc == 0 && strstr(text, "different machines") == NULL, "rc %d: %s", rc, text);
    }
    free(text);

    /* Without machine_id (CSVs from before it): host, CPU model and ISA. */
    char with_host[sizeof header + 32];
    snprintf(with_host, sizeof with_host, "%.*s,host,cpu_model,isa\n", (int)strlen(header) - 1,
             header);
    rc = compare_with(with_host,
                      "gemm,fwd,avx2,m64n64k64,1,compact,warm,10,1e-7,PASS,10;10;10,vm,EPYC,avx512\n",
                      "gemm,fwd,avx2,m64n64k64,1,compact,warm,10,1e-7,PASS,10;10;10,vm,EPYC,avx2\n",
                      5, &text);
    TEST_CASE("%s", "no machine_id: another ISA on one host name is another machine") {
        CHECK(rc == 0 && strstr(text, "different machines") != NULL, "rc %d: %s", rc, text);
    }
    free(text);

    rc = compare(ROW("avx2", "10", "1e-7", "PASS", "10;10;10;10;10"), "gemm,fwd,avx2\n", 5, &text);
    TEST_CASE("%s", "a malformed row is an error (2), not a verdict") { CHECK(rc == 2, "rc %d", rc); }
    free(text);
    return kb_test_summary();
}
