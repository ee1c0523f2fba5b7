/* Small index helpers and the portable accumulation loop shared by the conv2d
 * variants (internal to kernels/). Plain C, no ISA flags. */
#ifndef KB_CONV2D_LOOPS_H
#define KB_CONV2D_LOOPS_H

#include <stdint.h>

/* floor(numerator / denominator) for denominator > 0 and any sign of numerator. */
static inline int64_t kb_floor_div_i64(int64_t numerator, int64_t denominator) {
    const int64_t quotient = numerator / denominator;
    return quotient * denominator > numerator ? quotient - 1 : quotient;
}

/* ceil(numerator / denominator) for denominator > 0 and any sign of numerator. */
static inline int64_t kb_ceil_div_i64(int64_t numerator, int64_t denominator) {
    return -kb_floor_div_i64(-numerator, denominator);
}

/* Start of part `part` of 0 .. total-1 cut into `parts` near-equal contiguous
 * parts (part == parts gives total): floor(total * part / parts) without
 * forming the product. */
static inline int64_t kb_split_start(int64_t total, int64_t part, int64_t parts) {
    return total / parts * part + total % parts * part / parts;
}

/* Output positions o in [out_begin, out_end) whose input position
 * o * stride + offset lies in [0, in_size) form one range; returns it in
 * [*inside_begin, *inside_end) (both out_end when it is empty). Any sign of
 * offset; stride >= 1. */
static inline void kb_conv2d_inside_range(int64_t offset, int64_t stride, int64_t in_size,
                                          int64_t out_begin, int64_t out_end,
                                          int64_t *inside_begin, int64_t *inside_end) {
    int64_t begin = kb_ceil_div_i64(-offset, stride);
    int64_t end = kb_ceil_div_i64(in_size - offset, stride);
    begin = begin < out_begin ? out_begin : begin > out_end ? out_end : begin;
    end = end < begin ? begin : end > out_end ? out_end : end;
    if (begin == end) begin = end = out_end;
    *inside_begin = begin, *inside_end = end;
}

/* acc[j] += scale[0] * row[0][j] + ... + scale[count-1] * row[count-1][j] for
 * j < width. Four rows are fused per pass (each acc element loaded and stored
 * once per four multiply-adds); the fused sum is evaluated left to right, so
 * it rounds exactly like `count` separate updates. An elementwise update, so
 * it vectorises without -ffast-math. The loop kernel of the direct variants. */
static inline void kb_conv2d_accumulate_rows(int64_t width, int count, const float *const *row,
                                             const float *scale, float *restrict acc) {
    int g = 0;
    for (; g + 4 <= count; g += 4) {
        const float *restrict in0 = row[g], *restrict in1 = row[g + 1];
        const float *restrict in2 = row[g + 2], *restrict in3 = row[g + 3];
        const float w0 = scale[g], w1 = scale[g + 1], w2 = scale[g + 2], w3 = scale[g + 3];
        for (int64_t j = 0; j < width; j++)
            acc[j] = acc[j] + w0 * in0[j] + w1 * in1[j] + w2 * in2[j] + w3 * in3[j];
    }
    for (; g < count; g++) {
        const float *restrict in = row[g];
        const float w = scale[g];
        for (int64_t j = 0; j < width; j++) acc[j] += w * in[j];
    }
}

#endif
