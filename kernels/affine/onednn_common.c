/* The oneDNN affine variants' shared pieces: see onednn_common.h. */
#include "affine/onednn_common.h"

#include <assert.h>

kb_status kb_affine_onednn_mds_init(const kb_affine_shape *s, kb_affine_onednn_mds *md) {
    assert(s && md);
    kb_status status = KB_OK;
    const dnnl_dims_t src = {s->batch, s->in_features};
    const dnnl_dims_t weights = {s->out_features, s->in_features}; /* OI dims, IO storage */
    const dnnl_dims_t bias = {s->out_features};
    const dnnl_dims_t dst = {s->batch, s->out_features};
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->src, 2, src, dnnl_f32, dnnl_nc));
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->weights, 2, weights, dnnl_f32, dnnl_io));
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->bias, 1, bias, dnnl_f32, dnnl_x));
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->dst, 2, dst, dnnl_f32, dnnl_nc));
    KB_DNNL_TRY(
        dnnl_memory_desc_init_by_tag(&md->any_weights, 2, weights, dnnl_f32, dnnl_format_tag_any));
fail:
    return status;
}

kb_status kb_affine_onednn_fwd_pd(dnnl_engine_t engine, dnnl_prop_kind_t prop,
                                  const kb_affine_onednn_mds *md,
                                  const dnnl_memory_desc_t *weights_md,
                                  const_dnnl_primitive_attr_t attr, dnnl_primitive_desc_t *pd) {
    assert(engine && md && weights_md && pd);
    *pd = NULL;
    dnnl_inner_product_desc_t desc;
    kb_status status = kb_onednn_status(dnnl_inner_product_forward_desc_init(
        &desc, prop, &md->src, weights_md, &md->bias, &md->dst));
    if (status != KB_OK) return status;
    return kb_onednn_pd_create(&desc, attr, engine, NULL, pd);
}
