/* The oneDNN affine variants' shared pieces (forward and backward): the
 * layer as a oneDNN inner product, its memory descriptors and the forward
 * primitive descriptor the backward ones need as a hint. The engine, steps
 * and tensors are in core/onednn.h.
 *
 * Layouts: an inner product's weights are OI (out_features x in_features),
 * ours are D x M = IO. The user weights descriptor is therefore the 2-D
 * dims {M, D} with the format tag io (strides {1, M}): oneDNN reads (or
 * writes) our buffer as it is, no transposed copy. x, y and their gradients
 * are plain nc, the bias x. */
#ifndef KB_AFFINE_ONEDNN_COMMON_H
#define KB_AFFINE_ONEDNN_COMMON_H

#include "core/onednn.h"

typedef struct kb_affine_onednn_mds {
    dnnl_memory_desc_t src, weights, bias, dst; /* the user's layouts: nc, io, x, nc */
    dnnl_memory_desc_t any_weights;             /* the primitive's choice */
} kb_affine_onednn_mds;

kb_status kb_affine_onednn_mds_init(const kb_affine_shape *s, kb_affine_onednn_mds *md);

/* The forward inner-product primitive descriptor: what the forward variant
 * runs, and the hint the backward ones need. `attr` may be NULL. */
kb_status kb_affine_onednn_fwd_pd(dnnl_engine_t engine, dnnl_prop_kind_t prop,
                                  const kb_affine_onednn_mds *md,
                                  const dnnl_memory_desc_t *weights_md,
                                  const_dnnl_primitive_attr_t attr, dnnl_primitive_desc_t *pd);

#endif
