/* The oneDNN batchnorm variants' shared pieces: see onednn_common.h. */
#include "batchnorm/onednn_common.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "batchnorm/batchnorm.h"

kb_status kb_onednn_bn_mds_init(const kb_batchnorm_shape *s, kb_onednn_bn_mds *md) {
    assert(s && md);
    kb_status status = KB_OK;
    const kb_bn_geometry g = kb_bn_geometry_of(s);
    /* Per feature: N x D x 1 x 1, whose nhwc strides are the N x D matrix's. */
    const dnnl_dims_t dims = {g.batch, g.features, s->spatial ? s->height : 1,
                              s->spatial ? s->width : 1};
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->user, 4, dims, dnnl_f32,
                                             s->spatial ? dnnl_nchw : dnnl_nhwc));
    for (int b = 0; b < KB_ONEDNN_BLOCKED_LAYOUTS; b++)
        KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->blocked[b], 4, dims, dnnl_f32,
                                                 kb_onednn_blocked_tags[b]));
    const dnnl_dims_t stats = {g.features};
    KB_DNNL_TRY(dnnl_memory_desc_init_by_tag(&md->stats, 1, stats, dnnl_f32, dnnl_x));
fail:
    return status;
}

kb_status kb_onednn_bn_fwd_pd(dnnl_engine_t engine, const kb_batchnorm_shape *s,
                              const dnnl_memory_desc_t *data, dnnl_prop_kind_t prop,
                              unsigned flags, const_dnnl_primitive_attr_t attr,
                              dnnl_primitive_desc_t *pd) {
    assert(engine && s && data && pd);
    *pd = NULL;
    dnnl_batch_normalization_desc_t desc;
    kb_status status = kb_onednn_status(
        dnnl_batch_normalization_forward_desc_init(&desc, prop, data, s->epsilon, flags));
    if (status != KB_OK) return status;
    return kb_onednn_pd_create(&desc, attr, engine, NULL, pd);
}

kb_status kb_onednn_bn_memory(dnnl_engine_t engine, const dnnl_memory_desc_t *md,
                              dnnl_memory_t *memory) {
    return kb_onednn_status(dnnl_memory_create(memory, md, engine, DNNL_MEMORY_NONE));
}

kb_status kb_onednn_bn_choose_layout(kb_onednn *o, const kb_onednn_bn_mds *md,
                                     kb_onednn_bn_pd_fn *make, void *context,
                                     dnnl_primitive_desc_t *pd, const dnnl_memory_desc_t **data) {
    *data = &md->user;
    kb_status status = make(context, &md->user, pd);
    if (status != KB_OK) return status;
    const char *layout = NULL;
    for (int b = 0; b < KB_ONEDNN_BLOCKED_LAYOUTS && !kb_onednn_is_jit(*pd); b++) {
        dnnl_primitive_desc_t blocked = NULL;
        if (make(context, &md->blocked[b], &blocked) != KB_OK) continue; /* not offered */
        if (!kb_onednn_is_jit(blocked)) {
            dnnl_primitive_desc_destroy(blocked);
            continue;
        }
        dnnl_primitive_desc_destroy(*pd);
        *pd = blocked;
        *data = &md->blocked[b];
        layout = kb_onednn_blocked_names[b];
    }
    kb_onednn_set_impl(o, *pd);
    if (layout) {
        const size_t used = strlen(o->impl);
        snprintf(o->impl + used, sizeof o->impl - used, " on %s", layout);
    }
    return KB_OK;
}
