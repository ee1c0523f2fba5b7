/* Cache-blocked SGEMM in portable C (see gemm_blocked.h for the contract).
 *
 * Loop nest (Goto-style blocking, without a register microkernel):
 *   for each NC-wide column block of C
 *     for each KC-deep slice of the reduction: pack op(B) into a contiguous
 *       row-major KC x NC block (transposed B becomes contiguous rows)
 *       for each MC-tall row block: pack alpha * op(A) (MC x KC, row-major)
 *         for each pair of C rows: C row += a_ip * packed B row, i-p-j order.
 * The innermost loop is an elementwise update over a contiguous C row segment,
 * so it vectorises without -ffast-math (no float reduction). The packed B
 * block (512 KiB) lives in L2 and is streamed once per two C rows; four
 * reduction steps are fused per pass, so each C element is loaded and stored
 * once per four multiply-adds. The fused form c + a0*b0 + a1*b1 + ... is
 * evaluated left to right, so it rounds exactly like four separate updates.
 *
 * Limits: any m, n, k >= 0 and strides >= the stored row length; alpha is
 * folded into the packed A, so for alpha != 1 each product rounds alpha*a
 * first (within the usual GEMM error bound). */
#include "gemm_blocked.h"

#include <assert.h>
#include <string.h>

enum {
    GEMM_KC = 256, /* reduction depth of one packed block */
    GEMM_NC = 512, /* C columns per block: a 2 KiB C row segment stays in L1 */
    GEMM_MC = 64,  /* rows of A packed at once (64 KiB) */
};

size_t kb_gemm_blocked_pack_bytes(void) {
    return ((size_t)GEMM_KC * GEMM_NC + (size_t)GEMM_MC * GEMM_KC) * sizeof(float);
}

static inline int64_t min_i64(int64_t x, int64_t y) { return x < y ? x : y; }

/* dst[r][col] = scale * src[r][col], rows x cols. */
static void copy_scaled(int64_t rows, int64_t cols, float scale, const float *src,
                        int64_t src_stride, float *restrict dst, int64_t dst_stride) {
    for (int64_t r = 0; r < rows; r++) {
        const float *restrict from = src + r * src_stride;
        float *restrict to = dst + r * dst_stride;
        if (scale == 1.0f)
            memcpy(to, from, (size_t)cols * sizeof(float));
        else
            for (int64_t col = 0; col < cols; col++) to[col] = scale * from[col];
    }
}

/* dst[r][col] = scale * src[col][r], rows x cols. Groups of 8 source rows are
 * read side by side so both the reads (8 streams) and the writes (8
 * consecutive floats) stay cache-line friendly; a plain column walk would
 * write with a power-of-two stride and thrash a few L1 sets. */
static void copy_transposed_scaled(int64_t rows, int64_t cols, float scale, const float *src,
                                   int64_t src_stride, float *restrict dst, int64_t dst_stride) {
    enum { GROUP = 8 };
    for (int64_t col0 = 0; col0 < cols; col0 += GROUP) {
        const int64_t group = min_i64(GROUP, cols - col0);
        for (int64_t r = 0; r < rows; r++)
            for (int64_t col = col0; col < col0 + group; col++)
                dst[r * dst_stride + col] = scale * src[col * src_stride + r];
    }
}

/* c_row = beta * c_row, where beta == 0 writes zeros without reading. */
static void scale_row(int64_t width, float beta, float *restrict c_row) {
    if (beta == 0.0f)
        memset(c_row, 0, (size_t)width * sizeof(float));
    else if (beta != 1.0f)
        for (int64_t j = 0; j < width; j++) c_row[j] *= beta;
}

/* Two C rows += their packed-A rows (depth values each) times the packed B
 * block (depth rows of `width`). */
static void update_two_rows(int64_t width, int64_t depth, const float *a_top,
                            const float *a_bottom, const float *packed_b, float *restrict c_top,
                            float *restrict c_bottom) {
    int64_t p = 0;
    for (; p + 4 <= depth; p += 4) {
        const float *restrict b0 = packed_b + p * width;
        const float *restrict b1 = b0 + width;
        const float *restrict b2 = b1 + width;
        const float *restrict b3 = b2 + width;
        const float t0 = a_top[p], t1 = a_top[p + 1], t2 = a_top[p + 2], t3 = a_top[p + 3];
        const float u0 = a_bottom[p], u1 = a_bottom[p + 1], u2 = a_bottom[p + 2],
                    u3 = a_bottom[p + 3];
        for (int64_t j = 0; j < width; j++) {
            c_top[j] = c_top[j] + t0 * b0[j] + t1 * b1[j] + t2 * b2[j] + t3 * b3[j];
            c_bottom[j] = c_bottom[j] + u0 * b0[j] + u1 * b1[j] + u2 * b2[j] + u3 * b3[j];
        }
    }
    for (; p < depth; p++) {
        const float *restrict b_row = packed_b + p * width;
        const float t = a_top[p], u = a_bottom[p];
        for (int64_t j = 0; j < width; j++) {
            c_top[j] += t * b_row[j];
            c_bottom[j] += u * b_row[j];
        }
    }
}

/* The same for a single C row (the last one when the block has an odd count). */
static void update_one_row(int64_t width, int64_t depth, const float *a_row,
                           const float *packed_b, float *restrict c_row) {
    int64_t p = 0;
    for (; p + 4 <= depth; p += 4) {
        const float *restrict b0 = packed_b + p * width;
        const float *restrict b1 = b0 + width;
        const float *restrict b2 = b1 + width;
        const float *restrict b3 = b2 + width;
        const float t0 = a_row[p], t1 = a_row[p + 1], t2 = a_row[p + 2], t3 = a_row[p + 3];
        for (int64_t j = 0; j < width; j++)
            c_row[j] = c_row[j] + t0 * b0[j] + t1 * b1[j] + t2 * b2[j] + t3 * b3[j];
    }
    for (; p < depth; p++) {
        const float *restrict b_row = packed_b + p * width;
        const float t = a_row[p];
        for (int64_t j = 0; j < width; j++) c_row[j] += t * b_row[j];
    }
}

void kb_gemm_blocked(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                     const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                     float *c, int64_t ldc, float *pack_buffer) {
    assert(m >= 0 && n >= 0 && k >= 0);
    assert(ldc >= n && lda >= (trans_a ? m : k) && ldb >= (trans_b ? k : n));
    if (m == 0 || n == 0) return;
    assert(c);
    if (k == 0 || alpha == 0.0f) {
        for (int64_t i = 0; i < m; i++) scale_row(n, beta, c + i * ldc);
        return;
    }
    assert(a && b && pack_buffer);
    float *packed_b = pack_buffer;
    float *packed_a = pack_buffer + (size_t)GEMM_KC * GEMM_NC;

    for (int64_t j0 = 0; j0 < n; j0 += GEMM_NC) {
        const int64_t width = min_i64(GEMM_NC, n - j0);
        for (int64_t p0 = 0; p0 < k; p0 += GEMM_KC) {
            const int64_t depth = min_i64(GEMM_KC, k - p0);
            if (trans_b)
                copy_transposed_scaled(depth, width, 1.0f, b + j0 * ldb + p0, ldb, packed_b,
                                       width);
            else
                copy_scaled(depth, width, 1.0f, b + p0 * ldb + j0, ldb, packed_b, width);

            for (int64_t i0 = 0; i0 < m; i0 += GEMM_MC) {
                const int64_t rows = min_i64(GEMM_MC, m - i0);
                if (trans_a)
                    copy_transposed_scaled(rows, depth, alpha, a + p0 * lda + i0, lda, packed_a,
                                           depth);
                else
                    copy_scaled(rows, depth, alpha, a + i0 * lda + p0, lda, packed_a, depth);

                /* beta applies once, on the first reduction slice, while the
                 * row segment is about to be loaded anyway. */
                if (p0 == 0)
                    for (int64_t i = 0; i < rows; i++)
                        scale_row(width, beta, c + (i0 + i) * ldc + j0);
                int64_t i = 0;
                for (; i + 2 <= rows; i += 2)
                    update_two_rows(width, depth, packed_a + i * depth,
                                    packed_a + (i + 1) * depth, packed_b,
                                    c + (i0 + i) * ldc + j0, c + (i0 + i + 1) * ldc + j0);
                if (i < rows)
                    update_one_row(width, depth, packed_a + i * depth, packed_b,
                                   c + (i0 + i) * ldc + j0);
            }
        }
    }
}
