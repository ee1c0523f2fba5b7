/* The oneDNN conv2d variants' shared pieces: see onednn_common.h. */
#include "conv2d/onednn_common.h"

#include <assert.h>
#include <string.h>

#include "core/window.h"

void kb_onednn_conv_dims_init(const kb_conv2d_shape *s, kb_onednn_conv_dims *d) {
    assert(s && d);
    memset(d, 0, sizeof *d);
    const int64_t src[] = {s->batch, s->in_channels, s->in_height, s->in_width};
    const int64_t weights[] = {s->out_channels, s->in_channels, s->kernel_h, s->kernel_w};
    const int64_t dst[] = {s->batch, s->out_channels, s->out_height, s->out_width};
    memcpy(d->src, src, sizeof src);
    memcpy(d->weights, weights, sizeof weights);
    memcpy(d->dst, dst, sizeof dst);
    d->bias[0] = s->out_channels;
    d->strides[0] = s->stride_h, d->strides[1] = s->stride_w;
    d->dilates[0] = s->dilation_h, d->dilates[1] = s->dilation_w;
    d->pad_l[0] = s->pad_top, d->pad_l[1] = s->pad_left;
    d->pad_r[0] = kb_window_pad_after(s->in_height, s->out_height,
                                      kb_conv2d_effective_kernel(s->kernel_h, s->dilation_h),
                                      s->stride_h, s->pad_top);
    d->pad_r[1] = kb_window_pad_after(s->in_width, s->out_width,
                                      kb_conv2d_effective_kernel(s->kernel_w, s->dilation_w),
                                      s->stride_w, s->pad_left);
}

kb_status kb_onednn_conv_mds_init(const kb_onednn_conv_dims *d, kb_onednn_conv_mds *md) {
    assert(d && md);
    kb_status status = KB_OK;
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->src, 4, d->src, dnnl_f32, dnnl_nchw));
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->weights, 4, d->weights, dnnl_f32, dnnl_oihw));
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->bias, 1, d->bias, dnnl_f32, dnnl_x));
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->dst, 4, d->dst, dnnl_f32, dnnl_nchw));
    KB_DNNL_TRY(
        dnnl_memory_desc_init_by_tag(&md->any_src, 4, d->src, dnnl_f32, dnnl_format_tag_any));
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->any_weights, 4, d->weights, dnnl_f32,
                                             dnnl_format_tag_any));
    KB_DNNL_TRY(
        dnnl_memory_desc_init_by_tag(&md->any_dst, 4, d->dst, dnnl_f32, dnnl_format_tag_any));
fail:
    return status;
}

kb_status kb_onednn_conv_fwd_pd(dnnl_engine_t engine, const kb_onednn_conv_dims *d,
                                dnnl_prop_kind_t prop, const dnnl_memory_desc_t *src_md,
                                const dnnl_memory_desc_t *weights_md,
                                const dnnl_memory_desc_t *bias_md,
                                const dnnl_memory_desc_t *dst_md,
                                const_dnnl_primitive_attr_t attr, dnnl_primitive_desc_t *pd) {
    assert(engine && d && src_md && weights_md && bias_md && dst_md && pd);
    *pd = NULL;
    /* Direct, never winograd or auto: kernbench compares direct sums (winograd
     * rounds differently and is not exact on small-integer inputs), and
     * naming the algorithm keeps the choice independent of oneDNN's
     * heuristics. */
    dnnl_convolution_desc_t desc;
    kb_status status = kb_onednn_status(dnnl_dilated_convolution_forward_desc_init(
        &desc, prop, dnnl_convolution_direct, src_md, weights_md, bias_md, dst_md, d->strides,
        d->dilates, d->pad_l, d->pad_r));
    if (status != KB_OK) return status;
    return kb_onednn_pd_create(&desc, attr, engine, NULL, pd);
}
