/* The oneDNN batchnorm variants' shared pieces (forward and backward): the
 * data and statistics descriptors, the layout choice, and the forward
 * primitive descriptor the backward one needs as a hint. Engine, steps,
 * boundary tensors and errors: core/onednn.h.
 *
 * Per feature is mapped, exactly, to oneDNN's (spatial) batch normalisation
 * of an N x D x 1 x 1 tensor, one statistic per "channel" d over the batch:
 * the book's layer. Its user layout is nhwc, whose strides for H = W = 1 are
 * those of the row-major N x D matrix. Spatial problems are NCHW.
 *
 * Layout: oneDNN 2.6 runs batch normalisation on plain NCHW (and on most
 * per-feature shapes) with ncsp_bnorm, a reference-style C++ loop nest, and
 * has its JIT kernels for blocked nChw16c (and some nhwc shapes). Measured
 * on this machine's AVX-512 Zen 5 at 1 thread (GB/s from kernbench's
 * minimum bytes, the two reorders included in the blocked times):
 *   shape (fwd_train / bwd)       nchw ncsp_bnorm   nChw16c bnorm_jit + reorders
 *   mb32ic128ih64spatial          3.0 / 1.7         3.4 / 2.4
 *   mb32ic256ih56spatial          1.6 / 1.4         7.1 / 2.3
 *   mb8ic32ih16spatial            4.7 / 4.6         13.4 / 13.5
 *   mb1ic64ih112spatial           4.6 / 4.3         12.3 / 12.5
 *   mb32ic2048ih7spatial          1.4 / 2.0         3.4 / 3.5
 * (a busy machine: ratios, not absolutes). So the variants keep the user's
 * layout when oneDNN has a JIT implementation for it, and otherwise run the
 * primitive on nChw16c (AVX-512) or nChw8c (AVX2) with timed reorders in and out (the boundary
 * contract is the plain layout). isa_used() names the implementation and,
 * when reordering, the layout. */
#ifndef KB_BATCHNORM_ONEDNN_COMMON_H
#define KB_BATCHNORM_ONEDNN_COMMON_H

#include <stdbool.h>

#include "core/onednn.h"

/* The blocked layouts tried are core/onednn.h's: on an AVX2-only CPU
 * nChw16c runs bnorm_ref:any, 50-300x slower than the JIT (0.08 against
 * 4-12 GB/s measured on a Zen 3), which made the onednn row no peer there. */
typedef struct kb_onednn_bn_mds {
    dnnl_memory_desc_t user; /* the caller's layout: nchw, or nhwc N x D x 1 x 1 */
    dnnl_memory_desc_t blocked[KB_ONEDNN_BLOCKED_LAYOUTS]; /* kb_onednn_blocked_tags */
    dnnl_memory_desc_t stats; /* mean, variance, scale, shift and their diffs: F floats */
} kb_onednn_bn_mds;

kb_status kb_onednn_bn_mds_init(const kb_batchnorm_shape *s, kb_onednn_bn_mds *md);

/* Forward primitive descriptor on `data`, `prop` training or inference;
 * `flags` are dnnl_normalization_flags_t bits. `attr` may be NULL. */
kb_status kb_onednn_bn_fwd_pd(dnnl_engine_t engine, const kb_batchnorm_shape *s,
                              const dnnl_memory_desc_t *data, dnnl_prop_kind_t prop,
                              unsigned flags, const_dnnl_primitive_attr_t attr,
                              dnnl_primitive_desc_t *pd);

/* A plain memory object of `md` with no buffer yet (bound in run()). */
kb_status kb_onednn_bn_memory(dnnl_engine_t engine, const dnnl_memory_desc_t *md,
                              dnnl_memory_t *memory);

/* Makes the primitive descriptor of one direction on the data layout `data`. */
typedef kb_status kb_onednn_bn_pd_fn(void *context, const dnnl_memory_desc_t *data,
                                     dnnl_primitive_desc_t *pd);

/* The layout the primitive runs on: the user's when oneDNN has a JIT kernel
 * for it, else the first blocked layout it has one for (timed reorders in and
 * out), else the user's after all (a plain loop nest beats a reference one on
 * a blocked layout plus reorders). Sets *pd and *data, records the
 * implementation (and the layout, when blocked) in o->impl. */
kb_status kb_onednn_bn_choose_layout(kb_onednn *o, const kb_onednn_bn_mds *md,
                                     kb_onednn_bn_pd_fn *make, void *context,
                                     dnnl_primitive_desc_t *pd, const dnnl_memory_desc_t **data);

#endif
