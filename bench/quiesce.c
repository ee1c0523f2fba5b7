/* See quiesce.h. Linux: reads /proc/self/task. */
#define _GNU_SOURCE
#include "quiesce.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The state letter of /proc/self/task/<tid>/stat: the field after the
 * parenthesised command name (which may itself hold spaces or ')'). */
static char task_state(const char *tid) {
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", tid);
    FILE *f = fopen(path, "r");
    if (!f) return '?'; /* the thread exited meanwhile */
    const size_t got = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[got] = '\0';
    const char *close = strrchr(line, ')');
    return close && close[1] == ' ' && close[2] ? close[2] : '?';
}

int kb_busy_other_threads(void) {
    DIR *tasks = opendir("/proc/self/task");
    if (!tasks) return -1;
    char self[32];
    snprintf(self, sizeof self, "%ld", (long)gettid());
    int busy = 0;
    for (const struct dirent *e; (e = readdir(tasks)) != NULL;) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0) continue;
        if (task_state(e->d_name) == 'R') busy++;
    }
    closedir(tasks);
    return busy;
}

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

bool kb_wait_for_quiet(double max_seconds) {
    const double start = seconds_now();
    for (;;) {
        const int busy = kb_busy_other_threads();
        if (busy <= 0) return true;
        if (seconds_now() - start >= max_seconds) return false;
        const struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
    }
}
