/* The oracle: plain loops, double accumulators, one thread. Never built with
 * -ffast-math or ISA flags; nothing here is ever optimised. */
#ifndef KB_REFERENCE_H
#define KB_REFERENCE_H

#include "kernbench/problem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* For every output element, the sum of the absolute values of the terms that
 * make it up (|bias| + sum |src*weight| for conv2d forward), in double. The
 * checker scales its tolerance by it: the rounding error of any float
 * summation order is bounded by (terms) * eps * this magnitude. */
typedef struct kb_ref_magnitudes {
    double *tensor[KB_ARG_COUNT];
} kb_ref_magnitudes;

/* Computes the outputs of `problem` into the output slots of `args`, each
 * element rounded once from its double sum. `magnitudes` may be NULL. */
kb_status kb_reference_run(const kb_problem *problem, const kb_args *args,
                           const kb_ref_magnitudes *magnitudes);

/* One kernel's reference on double arrays, indexed by kb_arg: inputs hold
 * their values, in-out tensors their initial values (overwritten with the
 * result), outputs are to be written; mag[arg] (outputs and in-out tensors
 * only) receives each element's magnitude. Unused slots are NULL. Every kernel
 * of kernels/core/kernels.inc has one, named kb_ref_<kernel>. */
typedef kb_status kb_ref_kernel_fn(const kb_problem *problem, double *const *tensor,
                                   double *const *mag);

/* The references themselves, in double on double arrays (so gradient checks
 * by central differences can use them without float rounding). Each output
 * has a magnitude array of the same size. Outputs are overwritten. */
void kb_ref_conv2d_fwd_f64(const kb_conv2d_shape *shape, const double *src, const double *weights,
                           const double *bias, double *dst, double *magnitude);
void kb_ref_conv2d_bwd_data_f64(const kb_conv2d_shape *shape, const double *diff_dst,
                                const double *weights, double *diff_src, double *magnitude);
void kb_ref_conv2d_bwd_weights_f64(const kb_conv2d_shape *shape, const double *src,
                                   const double *diff_dst, double *diff_weights,
                                   double *diff_bias, double *magnitude_weights,
                                   double *magnitude_bias);
/* pool2d (see reference/pool2d.c): src is only read for max (may be NULL for
 * avg); diff_src is overwritten. */
void kb_ref_pool2d_fwd_f64(const kb_pool2d_shape *shape, const double *src, double *dst,
                           double *magnitude);
void kb_ref_pool2d_bwd_f64(const kb_pool2d_shape *shape, const double *src,
                           const double *diff_dst, double *diff_src, double *magnitude);

/* softmax / softmax_xent (kernels/softmax/softmax.h). The class of row n, or
 * -1 for an index label that is not an integer in [0, classes). */
int64_t kb_ref_softmax_label_f64(const kb_softmax_shape *shape, const double *labels, int64_t n);
/* y = softmax of each row; mag_y, row_max, row_sum (the row's max and sum of
 * exp(x - max)) may be NULL. */
void kb_ref_softmax_fwd_f64(const kb_softmax_shape *shape, const double *x, double *y,
                            double *mag_y, double *row_max, double *row_sum);
/* y and the loss; KB_ERR_INVALID on an index label out of range. Magnitude
 * pointers may be NULL. */
kb_status kb_ref_softmax_xent_fwd_f64(const kb_softmax_shape *shape, const double *x,
                                      const double *labels, double *y, double *loss,
                                      double *mag_y, double *mag_loss);
/* dx = (y - T)/N; KB_ERR_INVALID on an index label out of range. */
kb_status kb_ref_softmax_xent_bwd_f64(const kb_softmax_shape *shape, const double *y,
                                      const double *labels, double *dx, double *mag);

void kb_ref_affine_fwd_f64(const kb_affine_shape *shape, const double *src, const double *weights,
                           const double *bias, double *dst, double *magnitude);
/* All three gradients at once (the affine kernel's single bwd direction). */
void kb_ref_affine_bwd_f64(const kb_affine_shape *shape, const double *diff_dst, const double *src,
                           const double *weights, double *diff_src, double *diff_weights,
                           double *diff_bias, double *magnitude_src, double *magnitude_weights,
                           double *magnitude_bias);
/* C (m x n) = alpha * op(A) * op(B) + beta * C, stored as kb_gemm_shape says;
 * C holds its initial values on entry unless beta == 0. */
void kb_ref_gemm_f64(const kb_gemm_shape *shape, const double *a, const double *b, double *c,
                     double *magnitude);
/* relu and sigmoid over `elems` elements (kernels/relu/problem.c,
 * kernels/sigmoid/problem.c); relu's outputs are exact, so it has no
 * magnitudes. */
void kb_ref_relu_fwd_f64(int64_t elems, const double *src, double *dst);
void kb_ref_relu_bwd_f64(int64_t elems, const double *src, const double *diff_dst,
                         double *diff_src);
void kb_ref_sigmoid_fwd_f64(int64_t elems, const double *src, double *dst, double *magnitude);
void kb_ref_sigmoid_bwd_f64(int64_t elems, const double *dst, const double *diff_dst,
                            double *diff_src, double *magnitude);

/* One optimizer update of `rule` (a KB_DIR_ of optim, kernels/optim/problem.c)
 * on shape->elems elements, in place on p and the state (s0, s1; NULL when
 * the rule has none), with each output's magnitude (mag_s0, mag_s1 likewise). */
void kb_ref_optim_step_f64(const kb_optim_shape *shape, kb_direction rule, double *p,
                           const double *g, double *s0, double *s1, double *mag_p,
                           double *mag_s0, double *mag_s1);

/* Batch normalisation (reference/batchnorm.c): fwd_train without the running
 * statistics, and bwd from saved statistics, both in double. */
void kb_ref_batchnorm_fwd_train_f64(const kb_batchnorm_shape *shape, const double *src,
                                    const double *scale, const double *shift, double *dst,
                                    double *mean, double *variance);
void kb_ref_batchnorm_bwd_f64(const kb_batchnorm_shape *shape, const double *src,
                              const double *diff_dst, const double *scale, const double *mean,
                              const double *variance, double *diff_src, double *diff_scale,
                              double *diff_shift);

#ifdef __cplusplus
}
#endif
#endif
