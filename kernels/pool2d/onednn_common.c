/* The oneDNN pool2d variants' shared pieces: see onednn_common.h. */
#include "pool2d/onednn_common.h"

#include <assert.h>
#include <string.h>

#include "core/window.h"

kb_status kb_onednn_pool_init(const kb_pool2d_shape *s, kb_onednn_pool *d) {
    assert(s && d);
    memset(d, 0, sizeof *d);
    kb_status status = KB_OK;
    d->algorithm = s->algorithm == KB_POOL_MAX               ? dnnl_pooling_max
                   : s->algorithm == KB_POOL_AVG_INCLUDE_PAD ? dnnl_pooling_avg_include_padding
                                                             : dnnl_pooling_avg_exclude_padding;
    d->kernel[0] = s->kernel_h, d->kernel[1] = s->kernel_w;
    d->strides[0] = s->stride_h, d->strides[1] = s->stride_w;
    d->pad_l[0] = s->pad_top, d->pad_l[1] = s->pad_left;
    d->pad_r[0] =
        kb_window_pad_after(s->in_height, s->out_height, s->kernel_h, s->stride_h, s->pad_top);
    d->pad_r[1] =
        kb_window_pad_after(s->in_width, s->out_width, s->kernel_w, s->stride_w, s->pad_left);
    const dnnl_dims_t src = {s->batch, s->channels, s->in_height, s->in_width};
    const dnnl_dims_t dst = {s->batch, s->channels, s->out_height, s->out_width};
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->src, 4, src, dnnl_f32, dnnl_nchw));
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->dst, 4, dst, dnnl_f32, dnnl_nchw));
    /* Pooling takes no "any" src: the blocked layout is named. */
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->prim_src, 4, src, dnnl_f32,
                                             kb_onednn_blocked_tags[0]));
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->prim_dst, 4, dst, dnnl_f32, dnnl_format_tag_any));
fail:
    return status;
}

kb_status kb_onednn_pool_fwd_pd(dnnl_engine_t engine, const kb_onednn_pool *d,
                                dnnl_prop_kind_t prop, const_dnnl_primitive_attr_t attr,
                                dnnl_primitive_desc_t *pd) {
    assert(engine && d && pd);
    *pd = NULL;
    /* d->prim_src is nChw16c, where oneDNN 2.6 has its AVX-512 JIT pooling;
     * without AVX-512 that layout runs ref:any (0.1-0.4 GB/s on a Zen 3), and
     * the AVX2 JIT wants nChw8c: the first layout with a JIT kernel wins. */
    kb_status status = KB_OK;
    for (int b = 0; b < KB_ONEDNN_BLOCKED_LAYOUTS; b++) {
        dnnl_memory_desc_t src = d->prim_src;
        if (b > 0 && dnnl_memory_desc_init_by_tag(&src, 4, d->prim_src.dims, dnnl_f32,
                                                  kb_onednn_blocked_tags[b]) != dnnl_success)
            break;
        dnnl_pooling_desc_t desc;
        dnnl_primitive_desc_t candidate = NULL;
        status = kb_onednn_status(dnnl_pooling_forward_desc_init(
            &desc, prop, d->algorithm, &src, &d->prim_dst, d->strides, d->kernel, d->pad_l,
            d->pad_r));
        if (status == KB_OK) status = kb_onednn_pd_create(&desc, attr, engine, NULL, &candidate);
        if (status != KB_OK) break;
        const bool jit = kb_onednn_is_jit(candidate);
        if (!*pd || jit) {
            if (*pd) dnnl_primitive_desc_destroy(*pd);
            *pd = candidate;
        } else {
            dnnl_primitive_desc_destroy(candidate);
        }
        if (jit) break;
    }
    return *pd ? KB_OK : status;
}

bool kb_onednn_pool_supports(const kb_problem *problem, const char **why_not) {
    const kb_pool2d_shape *s = &problem->pool2d;
    const bool empty_window = s->pad_top >= s->kernel_h || s->pad_left >= s->kernel_w ||
                              (s->out_height - 1) * s->stride_h - s->pad_top >= s->in_height ||
                              (s->out_width - 1) * s->stride_w - s->pad_left >= s->in_width;
    if (empty_window && s->algorithm == KB_POOL_MAX) {
        /* kernbench defines -inf; oneDNN's max starts from the lowest float. */
        *why_not = "windows entirely in padding: oneDNN's max gives -FLT_MAX there, kernbench -inf";
        return false;
    }
    if (empty_window && s->algorithm == KB_POOL_AVG_EXCLUDE_PAD) {
        /* Measured: the primitive descriptor fails with invalid_arguments. */
        *why_not = "windows entirely in padding: oneDNN rejects avg excluding padding (0 taps)";
        return false;
    }
    return true;
}
