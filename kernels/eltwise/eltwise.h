/* What relu and sigmoid share: the flat-tensor descriptor, the tensor roles
 * of their two directions, and how their threaded variants split the tensor.
 *
 * Descriptor grammar: "n<elems>" (e.g. "n1000000"), optionally with '_' or
 * blank separators and a trailing n"label"; elems is 1 to KB_MAX_TENSOR_ELEMS.
 * The canonical form is "n<elems>".
 *
 * Directions:
 *   fwd  src -> dst
 *   bwd  the saved tensor and diff_dst -> diff_src; the saved tensor is the
 *        kernel's choice: src for relu (its mask is x <= 0), dst for sigmoid
 *        (dx = dout * (1 - y) * y).
 * Threaded variants split the tensor with kb_parallel_ranges (core/parallel.h). */
#ifndef KB_ELTWISE_H
#define KB_ELTWISE_H

#include <stddef.h>

#include "core/stream.h"
#include "kernbench/problem.h"

kb_status kb_eltwise_parse(const char *descriptor, kb_eltwise_shape *shape, char *why,
                           size_t why_len);
void kb_eltwise_format(const kb_eltwise_shape *shape, char *buf, size_t buf_len);
/* The element count: what --working-set varies (kb_kernel_ops.set_extent). */
bool kb_eltwise_set_extent(kb_problem *problem, int64_t extent);
kb_status kb_eltwise_validate(const kb_eltwise_shape *shape, char *why, size_t why_len);

/* The role of `arg` in `direction`, where `saved` (KB_ARG_SRC or KB_ARG_DST)
 * is the tensor the backward pass reads. */
kb_arg_role kb_eltwise_arg_role(kb_direction direction, kb_arg saved, kb_arg arg);

/* What a threaded ISA variant's range function gets: the tensors, and
 * whether the output goes out through streaming stores (core/stream.h). */
typedef struct kb_eltwise_job {
    const kb_args *args;
    bool stream;
} kb_eltwise_job;

static inline kb_eltwise_job kb_eltwise_job_of(const kb_problem *problem, const kb_args *args) {
    const size_t tensors = problem->direction == KB_DIR_FWD ? 2 : 3; /* bwd: saved, dy, dx */
    return (kb_eltwise_job){args,
                            kb_stream_output(tensors * (size_t)problem->eltwise.elems * sizeof(float))};
}

#endif
