/* NumPy .npy files (format version 1.0/2.0): float32, little-endian, C order.
 * Written by bench --save and read by bench --load so any variant's inputs
 * and outputs can be compared with NumPy or PyTorch. */
#ifndef KB_NPY_H
#define KB_NPY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KB_NPY_MAX_DIMS 8

/* Writes `data` with shape dims[0..ndims) (ndims 0 = a scalar) through a
 * temporary file and a rename, so a reader never sees half a file. Returns 0,
 * or 2 with one line in `why`. */
int kb_npy_write(const char *path, const float *data, const int64_t *dims, int ndims, char *why,
                 size_t why_len);

/* Reads a float32 C-order array. On success *data (malloc'd, caller frees),
 * dims and *ndims are set. Refuses, with one line in `why` and status 2: a
 * missing or truncated file, a bad magic or header, a dtype other than '<f4',
 * Fortran order, more than KB_NPY_MAX_DIMS dimensions, data shorter or longer
 * than the shape. */
int kb_npy_read(const char *path, float **data, int64_t *dims, int *ndims, char *why,
                size_t why_len);

#ifdef __cplusplus
}
#endif
#endif
