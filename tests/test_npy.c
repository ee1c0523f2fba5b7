/* .npy files (bench/npy.h): a round trip keeps values and shape, NumPy's own
 * header layout is accepted, and malformed files (wrong dtype, Fortran order,
 * truncated data or header, trailing data, bad magic) are refused with one
 * clear line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npy.h"
#include "testing.h"

static char dir[] = "/tmp/kb_npy_XXXXXX";

static const char *path_of(const char *name) {
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* A file with a hand-written header dict and `floats` data values. */
static void write_raw(const char *name, const char *dict, size_t floats, int version) {
    FILE *f = fopen(path_of(name), "wb");
    fwrite("\x93NUMPY", 1, 6, f);
    const unsigned char v[2] = {(unsigned char)version, 0};
    fwrite(v, 1, 2, f);
    char header[256];
    int len = snprintf(header, sizeof header, "%s\n", dict);
    if (version == 1) {
        const unsigned char l[2] = {(unsigned char)len, 0};
        fwrite(l, 1, 2, f);
    } else {
        const unsigned char l[4] = {(unsigned char)len, 0, 0, 0};
        fwrite(l, 1, 4, f);
    }
    fwrite(header, 1, (size_t)len, f);
    for (size_t i = 0; i < floats; i++) {
        float x = (float)i;
        fwrite(&x, sizeof x, 1, f);
    }
    fclose(f);
}

static void expect_refused(const char *name, const char *needle) {
    float *data;
    int64_t dims[KB_NPY_MAX_DIMS];
    int ndims;
    char why[256] = "";
    int rc = kb_npy_read(path_of(name), &data, dims, &ndims, why, sizeof why);
    TEST_CASE("%s refused: %s", name, needle) {
        CHECK(rc == 2 && data == NULL, "rc %d", rc);
        CHECK(strstr(why, needle) != NULL && strchr(why, '\n') == NULL, "why: %s", why);
    }
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    float values[2 * 3 * 4];
    for (int i = 0; i < 24; i++) values[i] = (float)i * 0.25f - 3.0f;
    const int64_t shape[3] = {2, 3, 4};
    char why[256];
    TEST_CASE("%s", "round trip keeps shape and values") {
        CHECK(kb_npy_write(path_of("a.npy"), values, shape, 3, why, sizeof why) == 0, "%s", why);
        float *data = NULL;
        int64_t dims[KB_NPY_MAX_DIMS];
        int ndims = 0;
        CHECK(kb_npy_read(path_of("a.npy"), &data, dims, &ndims, why, sizeof why) == 0, "%s", why);
        CHECK(ndims == 3 && dims[0] == 2 && dims[1] == 3 && dims[2] == 4, "shape");
        CHECK(data && memcmp(data, values, sizeof values) == 0, "values");
        free(data);
    }
    TEST_CASE("%s", "1-D and scalar round trips") {
        const int64_t n[1] = {5};
        CHECK(kb_npy_write(path_of("v.npy"), values, n, 1, why, sizeof why) == 0, "%s", why);
        CHECK(kb_npy_write(path_of("s.npy"), values, NULL, 0, why, sizeof why) == 0, "%s", why);
        float *data = NULL;
        int64_t dims[KB_NPY_MAX_DIMS];
        int ndims = -1;
        CHECK(kb_npy_read(path_of("v.npy"), &data, dims, &ndims, why, sizeof why) == 0 &&
                  ndims == 1 && dims[0] == 5,
              "1-D: %s", why);
        free(data);
        CHECK(kb_npy_read(path_of("s.npy"), &data, dims, &ndims, why, sizeof why) == 0 &&
                  ndims == 0 && data[0] == values[0],
              "scalar: %s", why);
        free(data);
    }
    TEST_CASE("%s", "the header is 64-byte aligned as NumPy writes it") {
        FILE *f = fopen(path_of("a.npy"), "rb");
        unsigned char prefix[10];
        CHECK(fread(prefix, 1, 10, f) == 10, "read");
        CHECK((10 + (prefix[8] | prefix[9] << 8)) % 64 == 0, "data offset");
        fclose(f);
    }
    /* Keys in another order and a version 2 header, as other writers make. */
    write_raw("v2.npy", "{'shape': (2, 2), 'fortran_order': False, 'descr': '<f4'}", 4, 2);
    TEST_CASE("%s", "version 2, keys in any order") {
        float *data = NULL;
        int64_t dims[KB_NPY_MAX_DIMS];
        int ndims;
        CHECK(kb_npy_read(path_of("v2.npy"), &data, dims, &ndims, why, sizeof why) == 0, "%s",
              why);
        CHECK(ndims == 2 && data && data[3] == 3.0f, "contents");
        free(data);
    }
    write_raw("f8.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 4, 1);
    expect_refused("f8.npy", "dtype '<f8'");
    write_raw("fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 4, 1);
    expect_refused("fortran.npy", "Fortran order");
    write_raw("short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }", 5, 1);
    expect_refused("short.npy", "truncated");
    write_raw("long.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 3, 1);
    expect_refused("long.npy", "beyond its shape");
    write_raw("noshape.npy", "{'descr': '<f4', 'fortran_order': False}", 1, 1);
    expect_refused("noshape.npy", "no shape");
    FILE *f = fopen(path_of("text.npy"), "w");
    fputs("x,y\n1,2\n", f);
    fclose(f);
    expect_refused("text.npy", "bad magic");
    expect_refused("missing.npy", "cannot read");

    const char *names[] = {"a.npy", "v.npy", "s.npy", "v2.npy", "f8.npy", "fortran.npy",
                           "short.npy", "long.npy", "noshape.npy", "text.npy"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unlink(path_of(names[i]));
    rmdir(dir);
    return kb_test_summary();
}
