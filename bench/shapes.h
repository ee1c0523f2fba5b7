/* Shapes: benchdnn descriptors and the named shape sets shipped as text files
 * in bench/shapes/<kernel>/<set>.txt (compiled into the binary by CMake). */
#ifndef KB_SHAPES_H
#define KB_SHAPES_H

#include "kernbench/problem.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kb_shape_set_text {
    const char *kernel, *name, *text;
} kb_shape_set_text;
/* Terminated by an entry whose kernel is NULL (generated file). */
extern const kb_shape_set_text kb_shape_set_texts[];

typedef struct kb_shape {
    kb_problem problem;
    char descriptor[192]; /* canonical descriptor, pastes back into --shape */
    char label[96];       /* the n"..." name from the set file, or "" */
} kb_shape;

typedef struct kb_shape_list {
    kb_shape *items;
    size_t count;
} kb_shape_list;

/* Resolves a comma-separated list of set names and descriptors for `kernel`.
 * `batch` > 0 overrides every shape's batch (mb). On error writes one line
 * naming the offending item to `why` and returns KB_ERR_INVALID (or NOMEM). */
kb_status kb_shapes_resolve(kb_kernel kernel, const char *spec, int64_t batch,
                            kb_shape_list *out, char *why, size_t why_len);
void kb_shape_list_free(kb_shape_list *list);

/* --working-set: for each shape and each byte budget, a copy whose batch (or
 * element count) is the largest that keeps kb_problem_min_bytes within the
 * budget, labelled "<label>@<level name>". Replaces `list`. A shape that
 * cannot shrink to a budget (its fixed tensors alone exceed it) or has no
 * size to vary is an error naming it. */
kb_status kb_shapes_fit_working_sets(kb_shape_list *list, kb_direction direction,
                                     const double *budgets, const char *const *level_names,
                                     size_t n_levels, char *why, size_t why_len);

/* The set bench runs without --shape: the first of resnet50, square, book
 * the kernel has, else its first set; NULL when it has none. */
const char *kb_shape_default_set(kb_kernel kernel);

/* "resnet50, book, small": the set names of a kernel, for messages. */
void kb_shape_set_names(kb_kernel kernel, char *buf, size_t buf_len);

#ifdef __cplusplus
}
#endif
#endif
