/* Plumbing shared by every oneDNN variant (oneDNN 2.6 C API): the engine and
 * stream, the primitives run() executes in order with one
 * user-mode scratchpad buffer between them, the boundary tensors (the user's
 * plain NCHW/OIHW buffer plus, when the primitive wants another layout, its
 * own copy and the reorder between the two), and error mapping.
 *
 * Every object here is created in prepare() and destroyed by the matching
 * *_destroy, which accepts a partly built object, so a variant's error path is
 * one call. run() only rebinds handles and executes: it never allocates. */
#ifndef KB_CORE_ONEDNN_H
#define KB_CORE_ONEDNN_H

#include <stdbool.h>
#include <stddef.h>

#include <dnnl.h>

#include "kernbench/problem.h"
#include "kernbench/status.h"

/* Out of memory -> KB_ERR_NOMEM, unimplemented -> KB_ERR_UNSUPPORTED (the
 * variant declines the problem, no silent fallback), anything else ->
 * KB_ERR_BACKEND. */
kb_status kb_onednn_status(dnnl_status_t st);

/* Jumps to `fail` with the local `status` set when a oneDNN call fails. */
#define KB_DNNL_TRY(call)                                                                          \
    do {                                                                                           \
        dnnl_status_t st_ = (call);                                                                \
        if (st_ != dnnl_success) {                                                                 \
            status = kb_onednn_status(st_);                                                        \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

/* The same for calls that already return a kb_status. */
#define KB_ONEDNN_TRY(call)                                                                        \
    do {                                                                                           \
        status = (call);                                                                           \
        if (status != KB_OK) goto fail;                                                            \
    } while (0)

/* The primitive desc of `op_desc` (any operation descriptor), with
 * unimplemented mapped to KB_ERR_UNSUPPORTED. `hint` may be NULL. */
kb_status kb_onednn_pd_create(const_dnnl_op_desc_t op_desc, const_dnnl_primitive_attr_t attr,
                              dnnl_engine_t engine, const_dnnl_primitive_desc_t hint,
                              dnnl_primitive_desc_t *pd);

#define KB_ONEDNN_MAX_STEPS 6

/* The engine, the stream and the primitives run() executes. Each primitive has
 * its own scratchpad memory object (its own descriptor), all on one buffer of
 * the largest size: they run one after the other on one stream. */
typedef struct kb_onednn {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    /* User-mode scratchpad for every primitive run() executes, so a timed run
     * never allocates and nothing outlives release(). */
    dnnl_primitive_attr_t attr;
    int n_steps;
    dnnl_primitive_t step[KB_ONEDNN_MAX_STEPS];
    dnnl_memory_t scratch[KB_ONEDNN_MAX_STEPS]; /* NULL: no scratchpad */
    size_t scratch_bytes;
    void *scratch_buffer;
    char impl[96]; /* isa_used(): e.g. "brgconv:avx512_core" */
} kb_onednn;

/* Engine, stream, attr. `o` must be zeroed; on failure kb_onednn_destroy. */
kb_status kb_onednn_init(kb_onednn *o);
/* Creates the primitive of `pd` (built with o->attr) as the next step and
 * returns its index. Its scratchpad gets a handle in kb_onednn_commit. */
kb_status kb_onednn_add_step(kb_onednn *o, const_dnnl_primitive_desc_t pd, int *step);
/* Allocates the shared scratchpad buffer once every step is added. */
kb_status kb_onednn_commit(kb_onednn *o);
/* Executes step `step` with `args` plus its scratchpad; does not wait. */
kb_status kb_onednn_execute(kb_onednn *o, int step, int n_args, const dnnl_exec_arg_t *args);
/* Records the implementation `pd` runs in o->impl. */
void kb_onednn_set_impl(kb_onednn *o, const_dnnl_primitive_desc_t pd);
/* Whether `pd` runs one of oneDNN's JIT kernels (its impl string says "jit"). */
bool kb_onednn_is_jit(const_dnnl_primitive_desc_t pd);
/* oneDNN 2.6's blocked channel layouts, widest first: its AVX-512 JIT kernels
 * (batch normalisation, pooling) run on nChw16c, its AVX2 ones on nChw8c; on
 * a CPU without AVX-512, nChw16c falls back to a reference loop nest. */
enum { KB_ONEDNN_BLOCKED_LAYOUTS = 2 };
extern const dnnl_format_tag_t kb_onednn_blocked_tags[KB_ONEDNN_BLOCKED_LAYOUTS];
extern const char *const kb_onednn_blocked_names[KB_ONEDNN_BLOCKED_LAYOUTS];
void kb_onednn_destroy(kb_onednn *o);

/* The highest ISA oneDNN may dispatch to, e.g. "avx512_core". */
const char *kb_onednn_cpu_isa_name(void);
/* The isa_used hook of every oneDNN variant, whose state struct must start
 * with its kb_onednn: the implementation oneDNN picked (e.g.
 * "jit:avx512_core"), or without a state the highest ISA it may dispatch to. */
const char *kb_onednn_isa_used(void *state);

/* A tensor at the boundary: `user` holds the caller's buffer (plain layout,
 * handle rebound every run, since args may move between calls); `prim` is the
 * primitive's operand, the same object when the layouts agree, else its own
 * memory with a reorder step between the two. */
typedef struct kb_onednn_tensor {
    dnnl_memory_t user, prim;
    int reorder; /* step index, -1 when the layouts agree */
    bool output; /* reorder direction: prim -> user */
} kb_onednn_tensor;

/* `output` says which way the data flows (input: user -> prim, before the
 * primitive; output: prim -> user, after it). */
kb_status kb_onednn_tensor_init(kb_onednn *o, kb_onednn_tensor *t,
                                const dnnl_memory_desc_t *user_md,
                                const dnnl_memory_desc_t *prim_md, bool output);
/* Binds the caller's buffer and, for an input, reorders it into prim. */
kb_status kb_onednn_tensor_in(kb_onednn *o, kb_onednn_tensor *t, float *data);
/* Binds the caller's buffer (before the primitive runs; for an output the
 * reorder comes later, in kb_onednn_tensor_out). */
kb_status kb_onednn_tensor_bind(kb_onednn_tensor *t, float *data);
/* For an output: reorders prim into the caller's buffer (bound before). */
kb_status kb_onednn_tensor_out(kb_onednn *o, kb_onednn_tensor *t);
void kb_onednn_tensor_destroy(kb_onednn_tensor *t);

/* The timed run of a forward primitive with src, constant (prepared) weights,
 * bias and dst, as conv2d and affine have: binds the caller's buffers (they
 * may move between calls), reorders the inputs in, executes step `step`,
 * reorders dst out and waits. */
kb_status kb_onednn_run_forward(kb_onednn *o, int step, kb_onednn_tensor *src,
                                dnnl_memory_t weights, kb_onednn_tensor *bias,
                                kb_onednn_tensor *dst, const kb_args *args);

/* Constant weights, repacked once in prepare(): `*packed` is new memory in
 * layout `packed_md`, owned by the caller (no pointer to `data` is kept). */
kb_status kb_onednn_repack(kb_onednn *o, const dnnl_memory_desc_t *user_md, const float *data,
                           const dnnl_memory_desc_t *packed_md, dnnl_memory_t *packed);

#endif
