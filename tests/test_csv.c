/* The CSV writer: new files get the header through a temporary name, appends
 * add whole rows under one header, a foreign header is refused, and concurrent
 * writers never interleave a line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "csv.h"
#include "testing.h"

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

int main(void) {
    char dir[] = "/tmp/kb_test_csv_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[256], why[512];
    snprintf(path, sizeof path, "%s/report.csv", dir);

    TEST_CASE("%s", "new file: header then rows") {
        CHECK(kb_csv_check(path, 0, why, sizeof why) == 0, "%s", why);
        CHECK(kb_csv_append(path, "r1\nr2\n", why, sizeof why) == 0, "%s", why);
        CHECK(kb_csv_append(path, "r3\n", why, sizeof why) == 0, "%s", why);
        char *text = slurp(path);
        char expected[1024];
        snprintf(expected, sizeof expected, "%sr1\nr2\nr3\n", kb_csv_header);
        CHECK(text && strcmp(text, expected) == 0, "content: %s", text ? text : "(none)");
        free(text);
    }
    TEST_CASE("%s", "foreign header refused, file untouched") {
        char other[256];
        snprintf(other, sizeof other, "%s/other.csv", dir);
        FILE *f = fopen(other, "w");
        fputs("a,b\n1,2\n", f);
        fclose(f);
        CHECK(kb_csv_check(other, 0, why, sizeof why) == 2, "check must refuse");
        CHECK(strstr(why, "different header") != NULL, "%s", why);
        CHECK(kb_csv_append(other, "x\n", why, sizeof why) == 1, "append must refuse");
        char *text = slurp(other);
        CHECK(text && strcmp(text, "a,b\n1,2\n") == 0, "unchanged: %s", text ? text : "");
        free(text);
    }
    TEST_CASE("%s", "missing directory refused unless it is the default") {
        char nested[256];
        snprintf(nested, sizeof nested, "%s/results/x.csv", dir);
        CHECK(kb_csv_check(nested, 0, why, sizeof why) == 2, "no directory");
        CHECK(kb_csv_check(nested, 1, why, sizeof why) == 0, "created: %s", why);
    }
    TEST_CASE("%s", "four concurrent writers, 200 rows each: no interleaving") {
        char shared[256];
        snprintf(shared, sizeof shared, "%s/shared.csv", dir);
        enum { WRITERS = 4, ROWS = 200 };
        for (int w = 0; w < WRITERS; w++) {
            pid_t pid = fork();
            if (pid == 0) {
                char row[160], err[256];
                for (int i = 0; i < ROWS; i++) {
                    /* Long rows make a torn write likely if writes were not atomic. */
                    snprintf(row, sizeof row, "writer%d,row%03d,%0120d\n", w, i, 0);
                    if (kb_csv_append(shared, row, err, sizeof err) != 0) _exit(1);
                }
                _exit(0);
            }
        }
        int all_ok = 1;
        for (int w = 0; w < WRITERS; w++) {
            int status;
            wait(&status);
            all_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
        }
        CHECK(all_ok, "a writer failed");
        char *text = slurp(shared);
        CHECK(text != NULL, "file exists");
        if (text) {
            CHECK(strncmp(text, kb_csv_header, strlen(kb_csv_header)) == 0, "header first");
            int rows = 0, bad = 0;
            for (char *line = strtok(text + strlen(kb_csv_header), "\n"); line;
                 line = strtok(NULL, "\n")) {
                rows++;
                int w, i;
                if (sscanf(line, "writer%d,row%d,", &w, &i) != 2 || strlen(line) != 135) bad++;
            }
            CHECK(rows == WRITERS * ROWS, "%d rows", rows);
            CHECK(bad == 0, "%d malformed rows", bad);
            free(text);
        }
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
    return kb_test_summary();
}
