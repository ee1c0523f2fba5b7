/* The oneDNN batchnorm variants' shared pieces (forward and backward): the
 * data and statistics descriptors and the forward primitive descriptor the
 * backward one needs as a hint. Engine, steps and errors: core/onednn.h.
 *
 * Per feature is mapped, exactly, to oneDNN's (spatial) batch normalisation
 * of an N x D tensor (2-D "nc": H = W = 1), which has one statistic per
 * "channel" d over the batch: the book's layer. Spatial problems are NCHW. */
#ifndef KB_BATCHNORM_ONEDNN_COMMON_H
#define KB_BATCHNORM_ONEDNN_COMMON_H

#include "core/onednn.h"

typedef struct kb_onednn_bn_mds {
    dnnl_memory_desc_t data; /* src, dst, diff_src, diff_dst */
    dnnl_memory_desc_t stats; /* mean, variance, scale, shift and their diffs: F floats */
} kb_onednn_bn_mds;

kb_status kb_onednn_bn_mds_init(const kb_batchnorm_shape *s, kb_onednn_bn_mds *md);

/* Forward primitive descriptor, `prop` training or inference; `flags` are
 * dnnl_normalization_flags_t bits. `attr` may be NULL. */
kb_status kb_onednn_bn_fwd_pd(dnnl_engine_t engine, const kb_batchnorm_shape *s,
                              const kb_onednn_bn_mds *md, dnnl_prop_kind_t prop, unsigned flags,
                              const_dnnl_primitive_attr_t attr, dnnl_primitive_desc_t *pd);

/* A plain memory object of `md` with no buffer yet (bound in run()). */
kb_status kb_onednn_bn_memory(dnnl_engine_t engine, const dnnl_memory_desc_t *md,
                              dnnl_memory_t *memory);

#endif
