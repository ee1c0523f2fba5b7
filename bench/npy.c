/* .npy reading and writing: see npy.h. The header is a Python dict literal;
 * we write the canonical one NumPy writes and read any dict with the three
 * keys, in any order, as numpy.save produces them. */
#include "npy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

int kb_npy_write(const char *path, const float *data, const int64_t *dims, int ndims, char *why,
                 size_t why_len) {
    char shape[256] = "(";
    size_t count = 1;
    for (int i = 0; i < ndims; i++) {
        char one[32];
        snprintf(one, sizeof one, "%lld,%s", (long long)dims[i], i + 1 < ndims ? " " : "");
        strncat(shape, one, sizeof shape - strlen(shape) - 2);
        count *= (size_t)dims[i];
    }
    if (ndims > 1) shape[strlen(shape) - 1] = '\0'; /* "(2, 3)" but "(5,)" */
    strcat(shape, ")");
    char header[512];
    int len = snprintf(header, sizeof header,
                       "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", shape);
    /* Pad with spaces so magic + version + length + header + '\n' is a
     * multiple of 64 (what NumPy does, for aligned data). */
    const int total = 10 + len + 1;
    const int padded = (total + 63) / 64 * 64;
    memset(header + len, ' ', (size_t)(padded - total));
    len += padded - total;
    header[len++] = '\n';
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(why, why_len, "--save: cannot write '%s': %s", tmp, strerror(errno));
        return 2;
    }
    const unsigned char version[2] = {1, 0};
    const unsigned char header_len[2] = {(unsigned char)(len & 0xff), (unsigned char)(len >> 8)};
    int ok = fwrite(magic, 1, 6, f) == 6 && fwrite(version, 1, 2, f) == 2 &&
             fwrite(header_len, 1, 2, f) == 2 && fwrite(header, 1, (size_t)len, f) == (size_t)len &&
             fwrite(data, sizeof(float), count, f) == count;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        snprintf(why, why_len, "--save: writing '%s' failed", path);
        return 2;
    }
    return 0;
}

/* Finds 'key': in the header dict and returns the text after the colon. */
static const char *dict_value(const char *header, const char *key) {
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", key);
    const char *at = strstr(header, quoted);
    if (!at) return NULL;
    at += strlen(quoted);
    while (*at == ' ') at++;
    if (*at != ':') return NULL;
    at++;
    while (*at == ' ') at++;
    return at;
}

int kb_npy_read(const char *path, float **data, int64_t *dims, int *ndims, char *why,
                size_t why_len) {
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_len, "--load: cannot read '%s': %s", path, strerror(errno));
        return 2;
    }
    unsigned char prefix[10];
    int status = 2;
    char *header = NULL;
    if (fread(prefix, 1, 10, f) != 10 || memcmp(prefix, magic, 6) != 0) {
        snprintf(why, why_len, "--load: '%s' is not a .npy file (bad magic)", path);
        goto done;
    }
    size_t header_len;
    if (prefix[6] == 1) {
        header_len = prefix[8] | (size_t)prefix[9] << 8;
    } else if (prefix[6] == 2 || prefix[6] == 3) {
        unsigned char more[2];
        if (fread(more, 1, 2, f) != 2) {
            snprintf(why, why_len, "--load: '%s' is truncated in its header", path);
            goto done;
        }
        header_len = prefix[8] | (size_t)prefix[9] << 8 | (size_t)more[0] << 16 |
                     (size_t)more[1] << 24;
    } else {
        snprintf(why, why_len, "--load: '%s' has .npy version %d, not 1, 2 or 3", path, prefix[6]);
        goto done;
    }
    if (header_len > 1 << 20) {
        snprintf(why, why_len, "--load: '%s' has an implausible header length", path);
        goto done;
    }
    header = malloc(header_len + 1);
    if (!header || fread(header, 1, header_len, f) != header_len) {
        snprintf(why, why_len, "--load: '%s' is truncated in its header", path);
        goto done;
    }
    header[header_len] = '\0';
    const char *descr = dict_value(header, "descr");
    if (!descr || strncmp(descr, "'<f4'", 5) != 0) {
        char got[16] = "?";
        if (descr) sscanf(descr, "%15[^,}]", got);
        snprintf(why, why_len, "--load: '%s' has dtype %s; float32 ('<f4') is needed", path, got);
        goto done;
    }
    const char *order = dict_value(header, "fortran_order");
    if (!order || strncmp(order, "False", 5) != 0) {
        snprintf(why, why_len, "--load: '%s' is in Fortran order; C order is needed "
                 "(numpy.ascontiguousarray)", path);
        goto done;
    }
    const char *shape = dict_value(header, "shape");
    if (!shape || *shape != '(') {
        snprintf(why, why_len, "--load: '%s' has no shape in its header", path);
        goto done;
    }
    *ndims = 0;
    size_t count = 1;
    for (const char *p = shape + 1; *p != ')';) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        char *end;
        errno = 0;
        long long d = strtoll(p, &end, 10);
        if (end == p || errno || d < 0 || *ndims == KB_NPY_MAX_DIMS ||
            (d > 0 && count > ((size_t)1 << 40) / (size_t)d)) {
            snprintf(why, why_len, "--load: '%s' has a malformed or oversized shape", path);
            goto done;
        }
        dims[(*ndims)++] = d;
        count *= (size_t)d;
        p = end;
    }
    *data = malloc((count ? count : 1) * sizeof(float));
    if (!*data) {
        snprintf(why, why_len, "--load: '%s': out of memory for %zu floats", path, count);
        goto done;
    }
    if (fread(*data, sizeof(float), count, f) != count) {
        snprintf(why, why_len, "--load: '%s' is truncated: fewer than the %zu floats its shape "
                 "needs", path, count);
        goto done;
    }
    if (fgetc(f) != EOF) {
        snprintf(why, why_len, "--load: '%s' has data beyond its shape", path);
        goto done;
    }
    status = 0;
done:
    if (status) {
        free(*data);
        *data = NULL;
    }
    free(header);
    fclose(f);
    return status;
}
