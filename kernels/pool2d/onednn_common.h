/* The oneDNN pool2d variants' shared pieces (forward and backward): the
 * pooling geometry in oneDNN's terms, the user's and the primitive's memory
 * descriptors, the forward primitive descriptor (what forward runs, and the
 * hint backward needs), and the problems the library cannot compute the way
 * kernbench defines them. The engine, steps and tensors are core/onednn.h's. */
#ifndef KB_POOL2D_ONEDNN_COMMON_H
#define KB_POOL2D_ONEDNN_COMMON_H

#include <stdbool.h>

#include "core/onednn.h"

typedef struct kb_onednn_pool {
    dnnl_alg_kind_t algorithm;
    dnnl_dims_t kernel, strides, pad_l, pad_r; /* pad_r: what the output size needs */
    dnnl_memory_desc_t src, dst;               /* the user's NCHW tensors */
    dnnl_memory_desc_t prim_src, prim_dst;     /* what the primitive is given */
} kb_onednn_pool;

/* Fills `d` for `s`: the primitive gets src in nChw16c, the layout of
 * oneDNN's jit pooling, and chooses dst (see onednn.c for why). */
kb_status kb_onednn_pool_init(const kb_pool2d_shape *s, kb_onednn_pool *d);

/* The forward pooling primitive descriptor; `attr` may be NULL. */
kb_status kb_onednn_pool_fwd_pd(dnnl_engine_t engine, const kb_onednn_pool *d,
                                dnnl_prop_kind_t prop, const_dnnl_primitive_attr_t attr,
                                dnnl_primitive_desc_t *pd);

/* Whether the primitive computes kernbench's definition of `problem` (both
 * variants' supports hook). */
bool kb_onednn_pool_supports(const kb_problem *problem, const char **why_not);

#endif
