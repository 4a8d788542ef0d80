/* core/ops.h: declarations of every op's infer / forward / backward, shared
 * by the op files (core/ops_*.c) and the table in core/ops.c. */
#ifndef XAI_CORE_OPS_H
#define XAI_CORE_OPS_H

#include "error.h"
#include "graph.h"

#define G_INFER(x) xai_status x##_infer(graph *g, g_node *nd)
#define G_FWD(x)                                                               \
    xai_status x##_fwd(const g_node *nd, const g_view *in, g_view *out, g_ws *ws)
#define G_BWD(x)                                                               \
    xai_status x##_bwd(const g_node *nd, const g_view *in, const g_view *out,  \
                       const g_view *dout, g_view *din, g_ws *ws)
#define G_DECL(x) G_INFER(x); G_FWD(x); G_BWD(x)

G_DECL(gemm); G_DECL(matmul);
G_INFER(binary); G_FWD(add); G_BWD(add); G_FWD(sub); G_BWD(sub);
G_FWD(mul); G_BWD(mul); G_FWD(div); G_BWD(div);
G_INFER(unary); G_FWD(relu); G_BWD(relu); G_FWD(leakyrelu); G_BWD(leakyrelu);
G_FWD(sigmoid); G_BWD(sigmoid); G_FWD(tanh); G_BWD(tanh); G_FWD(exp);
G_BWD(exp); G_INFER(clip); G_FWD(clip); G_BWD(clip);
G_INFER(softmax); G_FWD(softmax); G_BWD(softmax); G_FWD(logsoftmax);
G_BWD(logsoftmax);
G_DECL(conv); G_INFER(pool); G_FWD(maxpool); G_BWD(maxpool); G_FWD(avgpool);
G_BWD(avgpool); G_DECL(gap); G_DECL(batchnorm);
G_INFER(flatten); G_INFER(reshape); G_INFER(identity); G_INFER(dropout);
G_INFER(unsqueeze); G_INFER(cast); G_FWD(copy); G_BWD(copy);
G_DECL(transpose); G_DECL(concat);
G_DECL(pad);
G_INFER(constant); G_INFER(shape); G_INFER(gather); G_INFER(slice);

/* Reads pads / strides / dilations (and SAME / VALID auto_pad) of a 2-D
 * window op over an h x w input with a kh x kw kernel into nd->p (ops_conv.c). */
xai_status g_window_params(graph *g, g_node *nd, int64_t h, int64_t w,
                           int64_t kh, int64_t kw, int dilations);

/* C[M x N] = alpha A[M x K] B[K x N] (+ C when accumulate), row-major with
 * leading dimensions lda, ldb, ldc; row k of B starts at B + boff[k] when
 * boff is given (a convolution's shifted input rows), else at B + k ldb.
 * xai's own kernel (core/ops_mm.c): each element is one fixed-order chain
 * over k, so a row's result never depends on M or on the row's position. */
void g_mm(size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
          const float *B, size_t ldb, const size_t *boff, float *C, size_t ldc,
          int accumulate);
/* g_mm, then bias[j] added to every element of column j (bias may be NULL):
 * C = (alpha A B (+ C)) + bias, each step one rounding, as separate passes
 * would give. */
void g_mm_bias(size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
               const float *B, size_t ldb, const size_t *boff, float *C, size_t ldc,
               int accumulate, const float *bias);
/* g_mm_bias's portable path (CPUs without AVX2/FMA): the same chain order
 * with unfused a * b + c; exposed so that tests run it on any CPU. */
void g_mm_scalar(size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
                 const float *B, size_t ldb, const size_t *boff, float *C, size_t ldc,
                 int accumulate, const float *bias);
/* The one decision between g_mm and OpenBLAS: 1 when a product with a
 * constant k x n operand (a layer's weights) runs on g_mm.  It depends on
 * the layer's shape only, never on the batch, so it cannot break bit
 * identity. */
int g_mm_fits(size_t k, size_t n);

/* Rows per sgemm call (layers too large for g_mm).  Every dense product over the batch is computed in
 * blocks of exactly this many rows (the last block zero-padded), as
 * Y^T = op(B)^T A^T so the rows lie along the BLAS kernel's vector lanes.
 * OpenBLAS's kernels give a row a result that depends on its position in
 * larger or differently shaped calls; with this layout and block size they
 * do not (checked by tests/test_batch_invariance.c), so a row's result is
 * bit-identical whatever the batch size. */
#define G_ROW_BLOCK 16

/* (Re)makes nd->packed, the transpose of a Gemm's or MatMul's small
 * constant weights, when they are loaded or changed. */
xai_status g_gemm_pack(graph *g, g_node *nd);

/* out[rows x n] = alpha A[rows x k] op(B), or out += that when accumulate
 * (op(B) = B if !trans_b, else B^T; ldb = B's row stride).  b_t, when not
 * NULL, is B transposed (made once by g_gemm_pack), read instead of
 * transposing B when trans_b. */
xai_status g_gemm_rows(size_t rows, int k, int n, float alpha, const float *a,
                       int trans_b, const float *b, int ldb, const float *b_t, float *out,
                       int accumulate, g_ws *ws);

#endif
