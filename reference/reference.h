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
