/* The oneDNN batchnorm variants' shared pieces: see onednn_common.h. */
#include "batchnorm/onednn_common.h"

#include <assert.h>

#include "batchnorm/batchnorm.h"

kb_status kb_onednn_bn_mds_init(const kb_batchnorm_shape *s, kb_onednn_bn_mds *md) {
    assert(s && md);
    kb_status status = KB_OK;
    const kb_bn_geometry g = kb_bn_geometry_of(s);
    if (s->spatial) {
        const dnnl_dims_t dims = {s->batch, s->channels, s->height, s->width};
        KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->data, 4, dims, dnnl_f32, dnnl_nchw));
    } else {
        const dnnl_dims_t dims = {g.batch, g.features};
        KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->data, 2, dims, dnnl_f32, dnnl_nc));
    }
    const dnnl_dims_t stats = {g.features};
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->stats, 1, stats, dnnl_f32, dnnl_x));
fail:
    return status;
}

kb_status kb_onednn_bn_fwd_pd(dnnl_engine_t engine, const kb_batchnorm_shape *s,
                              const kb_onednn_bn_mds *md, dnnl_prop_kind_t prop, unsigned flags,
                              const_dnnl_primitive_attr_t attr, dnnl_primitive_desc_t *pd) {
    assert(engine && s && md && pd);
    *pd = NULL;
    dnnl_batch_normalization_desc_t desc;
    kb_status status = kb_onednn_status(
        dnnl_batch_normalization_forward_desc_init(&desc, prop, &md->data, s->epsilon, flags));
    if (status != KB_OK) return status;
    return kb_onednn_pd_create(&desc, attr, engine, NULL, pd);
}

kb_status kb_onednn_bn_memory(dnnl_engine_t engine, const dnnl_memory_desc_t *md,
                              dnnl_memory_t *memory) {
    return kb_onednn_status(dnnl_memory_create(memory, md, engine, DNNL_MEMORY_NONE));
}
