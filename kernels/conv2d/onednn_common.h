/* The oneDNN conv2d variants' shared pieces (forward, backward data, backward
 * weights): the convolution geometry in oneDNN's terms, its memory
 * descriptors and the forward primitive descriptor the backward ones need as
 * a hint. The engine, steps and tensors are in core/onednn.h. */
#ifndef KB_CONV2D_ONEDNN_COMMON_H
#define KB_CONV2D_ONEDNN_COMMON_H

#include "core/onednn.h"

/* The convolution's sizes as oneDNN takes them: NCHW src/dst, OIHW weights,
 * dilation 0 = dense (kernbench's convention already), and the trailing
 * padding the output size implies, which may be smaller than the leading one
 * or negative (what benchdnn passes). */
typedef struct kb_onednn_conv_dims {
    dnnl_dims_t src, weights, bias, dst;
    dnnl_dims_t strides, dilates, pad_l, pad_r;
} kb_onednn_conv_dims;

void kb_onednn_conv_dims_init(const kb_conv2d_shape *s, kb_onednn_conv_dims *d);

/* f32 memory descriptors of the conv's tensors: plain (nchw / oihw / x) or
 * dnnl_format_tag_any, for the primitive to choose. */
typedef struct kb_onednn_conv_mds {
    dnnl_memory_desc_t src, weights, bias, dst;         /* the user's layouts */
    dnnl_memory_desc_t any_src, any_weights, any_dst;   /* primitive's choice */
} kb_onednn_conv_mds;

kb_status kb_onednn_conv_mds_init(const kb_onednn_conv_dims *d, kb_onednn_conv_mds *md);

/* The forward convolution primitive descriptor (direct algorithm): what the
 * forward variant runs, and the hint the backward ones need. `attr` may be
 * NULL. */
kb_status kb_onednn_conv_fwd_pd(dnnl_engine_t engine, const kb_onednn_conv_dims *d,
                                dnnl_prop_kind_t prop, const dnnl_memory_desc_t *src_md,
                                const dnnl_memory_desc_t *weights_md,
                                const dnnl_memory_desc_t *bias_md,
                                const dnnl_memory_desc_t *dst_md,
                                const_dnnl_primitive_attr_t attr, dnnl_primitive_desc_t *pd);

#endif
