/* conv2d internals shared by its problem code and its variants. */
#ifndef KB_CONV2D_H
#define KB_CONV2D_H

#include "core/window.h"
#include "kernbench/problem.h"

kb_status kb_conv2d_validate(const kb_conv2d_shape *shape, char *why, size_t why_len);
size_t kb_conv2d_arg_elems(const kb_conv2d_shape *shape, kb_direction direction, kb_arg arg);
bool kb_conv2d_arg_is_output(kb_direction direction, kb_arg arg);
int64_t kb_conv2d_reduction_length(const kb_conv2d_shape *shape, kb_direction direction);
double kb_conv2d_flops(const kb_conv2d_shape *shape);
kb_status kb_conv2d_parse(const char *descriptor, kb_conv2d_shape *shape, char *why,
                          size_t why_len);
void kb_conv2d_format(const kb_conv2d_shape *shape, char *buf, size_t buf_len);

/* The output size the standard formula gives (floor division); <= 0 when the
 * effective kernel does not fit the padded input. */
static inline int64_t kb_conv2d_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad,
                                         int64_t dilation) {
    return kb_window_out_size(in, kb_conv2d_effective_kernel(kernel, dilation), stride, pad);
}

#endif
