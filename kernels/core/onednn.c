/* Plumbing shared by every oneDNN variant: see onednn.h. */
#include "core/onednn.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "core/buffer.h"

kb_status kb_onednn_status(dnnl_status_t st) {
    switch (st) {
    case dnnl_success: return KB_OK;
    case dnnl_out_of_memory: return KB_ERR_NOMEM;
    case dnnl_unimplemented: return KB_ERR_UNSUPPORTED;
    default: return KB_ERR_BACKEND;
    }
}



kb_status kb_onednn_pd_create(const_dnnl_op_desc_t op_desc, const_dnnl_primitive_attr_t attr,
                              dnnl_engine_t engine, const_dnnl_primitive_desc_t hint,
                              dnnl_primitive_desc_t *pd) {
    assert(op_desc && engine && pd);
    *pd = NULL;
    return kb_onednn_status(dnnl_primitive_desc_create(pd, op_desc, attr, engine, hint));
}


kb_status kb_onednn_init(kb_onednn *o) {
    assert(o && !o->engine && o->n_steps == 0);
    kb_status status = KB_OK;
    KB_DNNL_TRY(dnnl_engine_create(&o->engine, dnnl_cpu, 0));
    KB_DNNL_TRY(dnnl_stream_create(&o->stream, o->engine, dnnl_stream_default_flags));
    KB_DNNL_TRY(dnnl_primitive_attr_create(&o->attr));
    KB_DNNL_TRY(dnnl_primitive_attr_set_scratchpad_mode(o->attr, dnnl_scratchpad_mode_user));
fail:
    return status;
}

kb_status kb_onednn_add_step(kb_onednn *o, const_dnnl_primitive_desc_t pd, int *step) {
    assert(o && pd && step);
    assert(o->n_steps < KB_ONEDNN_MAX_STEPS && !o->scratch_buffer);
    kb_status status = KB_OK;
    const int i = o->n_steps;
    KB_DNNL_TRY(dnnl_primitive_create(&o->step[i], pd));
    o->n_steps++; /* owned from here on, whatever happens next */
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    const size_t bytes = md ? dnnl_memory_desc_get_size(md) : 0;
    if (bytes > 0) {
        /* No handle yet: the buffer is sized once every step is known. */
        KB_DNNL_TRY(dnnl_memory_create(&o->scratch[i], md, o->engine, DNNL_MEMORY_NONE));
        if (bytes > o->scratch_bytes) o->scratch_bytes = bytes;
    }
    *step = i;
fail:
    return status;
}

kb_status kb_onednn_commit(kb_onednn *o) {
    assert(o && !o->scratch_buffer);
    kb_status status = KB_OK;
    if (o->scratch_bytes == 0) return KB_OK;
    o->scratch_buffer = kb_aligned_alloc(o->scratch_bytes);
    if (!o->scratch_buffer) return KB_ERR_NOMEM;
    for (int i = 0; i < o->n_steps; i++)
        if (o->scratch[i]) KB_DNNL_TRY(dnnl_memory_set_data_handle(o->scratch[i], o->scratch_buffer));
fail:
    return status;
}

kb_status kb_onednn_execute(kb_onednn *o, int step, int n_args, const dnnl_exec_arg_t *args) {
    assert(o && step >= 0 && step < o->n_steps && o->step[step]);
    assert(n_args >= 0 && n_args < 8 && (o->scratch_buffer || !o->scratch[step]));
    dnnl_exec_arg_t all[8];
    memcpy(all, args, (size_t)n_args * sizeof *args);
    if (o->scratch[step]) all[n_args++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, o->scratch[step]};
    return kb_onednn_status(dnnl_primitive_execute(o->step[step], o->stream, n_args, all));
}

static const char *isa_name(dnnl_cpu_isa_t isa) {
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
    }
}

const char *kb_onednn_cpu_isa_name(void) { return isa_name(dnnl_get_effective_cpu_isa()); }

const dnnl_format_tag_t kb_onednn_blocked_tags[KB_ONEDNN_BLOCKED_LAYOUTS] = {dnnl_nChw16c,
                                                                            dnnl_nChw8c};
const char *const kb_onednn_blocked_names[KB_ONEDNN_BLOCKED_LAYOUTS] = {"nChw16c", "nChw8c"};

bool kb_onednn_is_jit(const_dnnl_primitive_desc_t pd) {
    const char *impl = NULL;
    return dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success &&
           impl && strstr(impl, "jit") != NULL;
}

void kb_onednn_set_impl(kb_onednn *o, const_dnnl_primitive_desc_t pd) {
    assert(o && pd);
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || !impl)
        impl = "unknown";
    /* "x64:gemm:jit" does not say which sgemm kernel runs: oneDNN's jit gemm
     * takes the best one for the effective ISA, so name that. */
    if (strstr(impl, "gemm:jit"))
        snprintf(o->impl, sizeof o->impl, "%s/%s", impl, kb_onednn_cpu_isa_name());
    else
        snprintf(o->impl, sizeof o->impl, "%s", impl);
}

void kb_onednn_destroy(kb_onednn *o) {
    if (!o) return;
    for (int i = 0; i < o->n_steps; i++) {
        if (o->step[i]) dnnl_primitive_destroy(o->step[i]);
        if (o->scratch[i]) dnnl_memory_destroy(o->scratch[i]);
    }
    kb_aligned_free(o->scratch_buffer);
    if (o->attr) dnnl_primitive_attr_destroy(o->attr);
    if (o->stream) dnnl_stream_destroy(o->stream);
    if (o->engine) dnnl_engine_destroy(o->engine);
    memset(o, 0, sizeof *o);
}

kb_status kb_onednn_tensor_init(kb_onednn *o, kb_onednn_tensor *t,
                                const dnnl_memory_desc_t *user_md,
                                const dnnl_memory_desc_t *prim_md, bool output) {
    assert(o && o->engine && t && user_md && prim_md);
    kb_status status = KB_OK;
    dnnl_primitive_desc_t pd = NULL;
    t->user = t->prim = NULL;
    t->reorder = -1;
    t->output = output;
    /* The user tensor gets a NULL handle now and the args' pointer in run(). */
    KB_DNNL_TRY(dnnl_memory_create(&t->user, user_md, o->engine, DNNL_MEMORY_NONE));
    if (dnnl_memory_desc_equal(user_md, prim_md)) {
        t->prim = t->user; /* the primitive works on the caller's buffer */
        return KB_OK;
    }
    KB_DNNL_TRY(dnnl_memory_create(&t->prim, prim_md, o->engine, DNNL_MEMORY_ALLOCATE));
    const dnnl_memory_desc_t *from = output ? prim_md : user_md;
    const dnnl_memory_desc_t *to = output ? user_md : prim_md;
    KB_DNNL_TRY(dnnl_reorder_primitive_desc_create(&pd, from, o->engine, to, o->engine, o->attr));
    KB_ONEDNN_TRY(kb_onednn_add_step(o, pd, &t->reorder));
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    return status;
}

kb_status kb_onednn_tensor_bind(kb_onednn_tensor *t, float *data) {
    assert(t && t->user && data);
    /* Cheap for plain layouts, which have no padding to zero. */
    return kb_onednn_status(dnnl_memory_set_data_handle(t->user, data));
}

kb_status kb_onednn_tensor_in(kb_onednn *o, kb_onednn_tensor *t, float *data) {
    assert(o && t && !t->output);
    kb_status status = kb_onednn_tensor_bind(t, data);
    if (status != KB_OK || t->reorder < 0) return status;
    const dnnl_exec_arg_t a[] = {{DNNL_ARG_FROM, t->user}, {DNNL_ARG_TO, t->prim}};
    return kb_onednn_execute(o, t->reorder, 2, a);
}

kb_status kb_onednn_tensor_out(kb_onednn *o, kb_onednn_tensor *t) {
    assert(o && t && t->output);
    if (t->reorder < 0) return KB_OK;
    const dnnl_exec_arg_t a[] = {{DNNL_ARG_FROM, t->prim}, {DNNL_ARG_TO, t->user}};
    return kb_onednn_execute(o, t->reorder, 2, a);
}

void kb_onednn_tensor_destroy(kb_onednn_tensor *t) {
    if (!t) return;
    /* prim aliases user when no reorder is needed: never destroyed twice. */
    if (t->prim && t->prim != t->user) dnnl_memory_destroy(t->prim);
    if (t->user) dnnl_memory_destroy(t->user);
    t->user = t->prim = NULL;
    t->reorder = -1;
}

kb_status kb_onednn_repack(kb_onednn *o, const dnnl_memory_desc_t *user_md, const float *data,
                           const dnnl_memory_desc_t *packed_md, dnnl_memory_t *packed) {
    assert(o && o->engine && user_md && data && packed_md && packed);
    kb_status status = KB_OK;
    dnnl_memory_t user = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t reorder = NULL;
    *packed = NULL;
    KB_DNNL_TRY(dnnl_memory_create(packed, packed_md, o->engine, DNNL_MEMORY_ALLOCATE));
    /* oneDNN takes a non-const handle but a reorder only reads its source. */
    KB_DNNL_TRY(dnnl_memory_create(&user, user_md, o->engine, (void *)data));
    /* Default attr: this reorder runs once, outside the state's scratchpad. */
    KB_DNNL_TRY(dnnl_reorder_primitive_desc_create(&pd, user_md, o->engine, packed_md, o->engine,
                                                   NULL));
    KB_DNNL_TRY(dnnl_primitive_create(&reorder, pd));
    const dnnl_exec_arg_t a[] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, *packed}};
    KB_DNNL_TRY(dnnl_primitive_execute(reorder, o->stream, 2, a));
    KB_DNNL_TRY(dnnl_stream_wait(o->stream));
fail:
    if (reorder) dnnl_primitive_destroy(reorder);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (user) dnnl_memory_destroy(user);
    if (status != KB_OK && *packed) {
        dnnl_memory_destroy(*packed);
        *packed = NULL;
    }
    return status;
}

const char *kb_onednn_isa_used(void *state) {
    const kb_onednn *o = state;
    return o ? o->impl : kb_onednn_cpu_isa_name();
}

kb_status kb_onednn_run_forward(kb_onednn *o, int step, kb_onednn_tensor *src,
                                dnnl_memory_t weights, kb_onednn_tensor *bias,
                                kb_onednn_tensor *dst, const kb_args *args) {
    assert(args->tensor[KB_ARG_SRC] && args->tensor[KB_ARG_BIAS] && args->tensor[KB_ARG_DST]);
    kb_status status = KB_OK;
    KB_ONEDNN_TRY(kb_onednn_tensor_in(o, src, args->tensor[KB_ARG_SRC]));
    KB_ONEDNN_TRY(kb_onednn_tensor_in(o, bias, args->tensor[KB_ARG_BIAS]));
    KB_ONEDNN_TRY(kb_onednn_tensor_bind(dst, args->tensor[KB_ARG_DST]));
    {
        const dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, src->prim},
                                     {DNNL_ARG_WEIGHTS, weights},
                                     {DNNL_ARG_BIAS, bias->prim},
                                     {DNNL_ARG_DST, dst->prim}};
        KB_ONEDNN_TRY(kb_onednn_execute(o, step, 4, a));
    }
    KB_ONEDNN_TRY(kb_onednn_tensor_out(o, dst));
    KB_DNNL_TRY(dnnl_stream_wait(o->stream));
fail:
    return status;
}
