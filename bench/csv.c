#include "csv.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char kb_csv_header[] =
    "run_id,timestamp,git_commit,host,machine_id,cpu_model,isa,kernel,direction,variant,variant_isa,"
    "shape,shape_name,threads,reps,time_ms_median,time_ms_min,time_ms_max,cv_pct,gflops,gbps,"
    "prepare_ms,check_inputs,max_abs_err,max_rel_err,verdict,ratio_to_onednn,ratio_to_openblas,"
    "peak_gflops,stream_gbps,arithmetic_intensity,roofline_gflops,pct_of_roofline,bind,cache,pus,"
    "ftz_daz,deterministic,rep_times_ms,note\n";

/* 1: header matches, 0: empty file, -1: differs or unreadable. */
static int header_state(int fd) {
    const size_t len = sizeof kb_csv_header - 1;
    char buf[sizeof kb_csv_header];
    ssize_t got = pread(fd, buf, len, 0);
    if (got == 0) return 0;
    return (got == (ssize_t)len && memcmp(buf, kb_csv_header, len) == 0) ? 1 : -1;
}

int kb_csv_check(const char *path, int create_dir, char *why, size_t why_len) {
    char dir_buf[4096];
    snprintf(dir_buf, sizeof dir_buf, "%s", path);
    const char *dir = dirname(dir_buf);
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (!create_dir || mkdir(dir, 0777) != 0) {
            snprintf(why, why_len, "--csv: directory '%s' does not exist", dir);
            return 2;
        }
    } else if (!S_ISDIR(st.st_mode)) {
        snprintf(why, why_len, "--csv: '%s' is not a directory", dir);
        return 2;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        snprintf(why, why_len, "--csv: cannot read '%s': %s", path, strerror(errno));
        return 2;
    }
    int state = header_state(fd);
    close(fd);
    if (state < 0) {
        snprintf(why, why_len, "--csv: '%s' has a different header; not appending to it", path);
        return 2;
    }
    return 0;
}

static int write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Creates the file with header and rows through a temporary name; returns 0,
 * 1 when another process created it first (then append instead), -1 on error. */
static int create_new(const char *path, const char *rows) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0) return -1;
    int rc = write_all(fd, kb_csv_header, sizeof kb_csv_header - 1);
    if (rc == 0) rc = write_all(fd, rows, strlen(rows));
    if (rc == 0) rc = fsync(fd);
    close(fd);
    if (rc == 0) {
        /* link() fails with EEXIST instead of replacing a file that appeared meanwhile. */
        if (link(tmp, path) != 0) rc = errno == EEXIST ? 1 : -1;
    }
    int saved = errno;
    unlink(tmp);
    errno = saved;
    return rc;
}

int kb_csv_append(const char *path, const char *rows, char *why, size_t why_len) {
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_WRONLY | O_APPEND);
        if (fd < 0 && errno == ENOENT) {
            int rc = create_new(path, rows);
            if (rc == 0) return 0;
            if (rc < 0) {
                snprintf(why, why_len, "--csv: cannot create '%s': %s", path, strerror(errno));
                return 1;
            }
            continue; /* created concurrently: append */
        }
        if (fd < 0) {
            snprintf(why, why_len, "--csv: cannot open '%s': %s", path, strerror(errno));
            return 1;
        }
        if (flock(fd, LOCK_EX) != 0) {
            snprintf(why, why_len, "--csv: cannot lock '%s': %s", path, strerror(errno));
            close(fd);
            return 1;
        }
        int reader = open(path, O_RDONLY);
        int state = reader >= 0 ? header_state(reader) : -1;
        if (reader >= 0) close(reader);
        int rc = 0;
        if (state < 0) {
            snprintf(why, why_len, "--csv: '%s' has a different header; not appending to it",
                     path);
            rc = 1;
        } else if ((state == 0 && write_all(fd, kb_csv_header, sizeof kb_csv_header - 1) != 0) ||
                   write_all(fd, rows, strlen(rows)) != 0) {
            snprintf(why, why_len, "--csv: write to '%s' failed: %s", path, strerror(errno));
            rc = 1;
        }
        flock(fd, LOCK_UN);
        close(fd);
        return rc;
    }
    snprintf(why, why_len, "--csv: could not create or open '%s'", path);
    return 1;
}
