/* The vector abstraction of pool2d/rows.h at one lane: plain C floats, so the
 * omp variants run the same row algorithm on any x86-64 (and the compiler may
 * vectorise what it can at the baseline ISA). */
#ifndef KB_POOL2D_SIMD_SCALAR_H
#define KB_POOL2D_SIMD_SCALAR_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "pool2d/pool2d.h"

#define SIMD_WIDTH 1
#define SIMD_ISA KB_ISA_SCALAR
typedef float simd_vec;
typedef int32_t simd_ivec;
typedef bool simd_mask;

#define SIMD_ZERO() 0.0f
#define SIMD_SET1(x) ((float)(x))
#define SIMD_LOAD(p) (*(p))
#define SIMD_LOADN(p, n) ((void)(n), *(p))
#define SIMD_STORE(p, v) (*(p) = (v))
#define SIMD_STOREN(p, v, n) ((void)(n), *(p) = (v))
/* Plain stores: portable C has no non-temporal store. */
#define SIMD_STREAM(p, v) (*(p) = (v))
#define SIMD_FENCE() ((void)0)
#define SIMD_ALIGNED(p) ((void)(p), true)
#define SIMD_ADD(a, b) ((a) + (b))
#define SIMD_ADDN(a, b, n) ((void)(n), (a) + (b))
#define SIMD_MUL(a, b) ((a) * (b))
#define SIMD_DIV(a, b) ((a) / (b))
/* Unused lane counts and strides are cast to void: one lane needs none.
 * The x86 max the vector headers use: b when a == b or either is NaN. */
#define SIMD_MAX(a, b) ((a) > (b) ? (a) : (b))
#define SIMD_ISNAN(v) ((v) != (v))
#define SIMD_REPLACES(x, best) kb_pool_max_replaces(x, best)
#define SIMD_MASK_OR(a, b) ((a) || (b))
#define SIMD_SELECT(m, a, b) ((m) ? (b) : (a))
#define SIMD_NAN() NAN
#define SIMD_HSUM(v) (v)
#define SIMD_EVENS(lo, hi) ((void)(hi), (lo))
#define SIMD_DEINTERLEAVE(lo, hi, even, odd) (*(even) = (lo), *(odd) = (hi))
#define SIMD_RAW_TO_LANES(v) (v)
#define SIMD_RAW_SHIFT_UP1(v, fill) ((void)(v), (fill)) /* one lane: only the fill */
#define SIMD_LANES_FROM(v, first) ((void)(first), (v)) /* first is 0 at one lane */
#define SIMD_UNORD(a, b) ((a) != (a) || (b) != (b))
#define SIMD_INTERLEAVE(even, odd, lo, hi) (*(lo) = (even), *(hi) = (odd))
#define SIMD_LANES_TO_RAW(v) (v)
#define SIMD_GT(a, b) ((a) > (b))
#define SIMD_LOAD_WITHIN(row, col, width, fill)                                                    \
    ((col) >= 0 && (col) < (width) ? (row)[col] : (fill))
#define SIMD_FIRSTN(v, n, fill) ((n) > 0 ? (v) : (fill))
#define SIMD_KEEP(m, v) ((m) ? (v) : 0.0f)
#define SIMD_CMPEQ(a, b) ((a) == (b))
#define SIMD_BITS(m) ((int)(m))
#define SIMD_ANY(m) (m)
#define SIMD_INTERLEAVE_ZERO(v, lo, hi) (*(lo) = (v), *(hi) = 0.0f)
#define SIMD_GATHERN(p, stride, n) ((void)(stride), (void)(n), *(p))
#define SIMD_IOTA_TIMES(k) 0
#define SIMD_ISET1(x) ((int32_t)(x))
#define SIMD_IADD(a, b) ((a) + (b))
#define SIMD_ISELECT(m, a, b) ((m) ? (b) : (a))
#define SIMD_IRAW_TO_LANES(v) (v)
#define SIMD_ISTORE(p, v) (*(p) = (v))

#endif
