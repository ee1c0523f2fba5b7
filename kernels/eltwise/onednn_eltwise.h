/* The oneDNN variants of relu and sigmoid: one eltwise primitive (oneDNN 2.6
 * C API) on the caller's flat tensors, described as 1-D f32 "a" memory, so no
 * reorder is ever needed. prepare() creates the primitive (backward: with the
 * forward_training primitive descriptor as its hint, as oneDNN requires);
 * run() binds the caller's buffers, executes and waits.
 *
 * `saved` is the tensor the backward primitive reads: KB_ARG_SRC with
 * DNNL_ARG_SRC (relu), or KB_ARG_DST with DNNL_ARG_DST (the *_use_dst_for_bwd
 * algorithms, logistic). */
#ifndef KB_ELTWISE_ONEDNN_ELTWISE_H
#define KB_ELTWISE_ONEDNN_ELTWISE_H

#include "core/onednn.h"

kb_status kb_onednn_eltwise_prepare(const kb_problem *problem, dnnl_alg_kind_t algorithm,
                                    kb_arg saved, void **state);
kb_status kb_onednn_eltwise_run(const kb_problem *problem, const kb_args *args, void *state);
void kb_onednn_eltwise_release(void *state);

#endif
