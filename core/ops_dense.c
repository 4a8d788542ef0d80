/* core/ops_dense.c: Gemm and MatMul over the whole batch: on xai's own kernel
 * (g_mm) when the weights are small, else through cblas_sgemm in fixed-shape
 * blocks of rows (see G_ROW_BLOCK); g_mm_fits decides. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

xai_status g_gemm_rows(size_t rows, int k, int n, float alpha, const float *a,
                       int trans_b, const float *b, int ldb, const float *b_t, float *out,
                       int accumulate, g_ws *ws)
{
    if (g_mm_fits((size_t)k, (size_t)n)) {
        const float *bk = b; /* B as k x n */
        size_t ld = (size_t)ldb;
        if (trans_b && b_t) {
            bk = b_t;
            ld = (size_t)n;
        } else if (trans_b) {
            XAI_TRY(g_ws_reserve(ws, (size_t)k * (size_t)n));
            for (size_t j = 0; j < (size_t)n; j++)
                for (size_t i = 0; i < (size_t)k; i++)
                    ws->p[i * (size_t)n + j] = b[j * ld + i];
            bk = ws->p;
            ld = (size_t)n;
        }
        g_mm(rows, (size_t)n, (size_t)k, alpha, a, (size_t)k, bk, ld, NULL, out, (size_t)n,
             accumulate);
        return XAI_OK;
    }
    const size_t R = G_ROW_BLOCK;
    XAI_TRY(g_ws_reserve(ws, R * (size_t)k + R * (size_t)n));
    float *pa = ws->p, *pc = ws->p + R * (size_t)k;
    for (size_t s = 0; s < rows; s += R) {
        size_t cur = rows - s < R ? rows - s : R;
        const float *ab = a + s * (size_t)k;
        if (cur < R) {
            memcpy(pa, ab, cur * (size_t)k * sizeof *pa);
            memset(pa + cur * (size_t)k, 0, (R - cur) * (size_t)k * sizeof *pa);
            ab = pa;
        }
        /* pc [n x R] = op(B)^T ab^T: the rows of the block are the vector
         * lanes of the BLAS kernel (see G_ROW_BLOCK) */
        cblas_sgemm(CblasRowMajor, trans_b ? CblasNoTrans : CblasTrans, CblasTrans, n,
                    (int)R, k, alpha, b, ldb, ab, k, 0.0f, pc, (int)R);
        float *o = out + s * (size_t)n;
        for (size_t i = 0; i < cur; i++)
            for (size_t j = 0; j < (size_t)n; j++) {
                float v = pc[j * R + i];
                o[i * (size_t)n + j] = accumulate ? o[i * (size_t)n + j] + v : v;
            }
    }
    return XAI_OK;
}

xai_status g_gemm_pack(graph *g, g_node *nd)
{
    const g_tensor *b = g_in(g, nd, 1);
    free(nd->packed);
    nd->packed = NULL;
    if (!b || b->batched || !b->data || b->rank != 2 ||
        !g_mm_fits((size_t)b->dims[0], (size_t)b->dims[1]))
        return XAI_OK; /* no constant weights, or OpenBLAS reads them */
    size_t r = (size_t)b->dims[0], c = (size_t)b->dims[1];
    if (!(nd->packed = malloc((r * c > 0 ? r * c : 1) * sizeof *nd->packed)))
        return g_node_fail(g, nd, XAI_ERR_NOMEM, "out of memory for its weights");
    const float *w = b->data;
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < c; j++)
            nd->packed[j * r + i] = w[i * c + j];
    return XAI_OK;
}

G_INFER(gemm)
{
    g_tensor *a = g_in(g, nd, 0), *b = g_in(g, nd, 1), *c = g_in(g, nd, 2);
    if (!a || !b || a->dtype != G_F32 || b->dtype != G_F32)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs float32 inputs A and B");
    nd->p.alpha = g_attr_float(nd, "alpha", 1.0f);
    nd->p.beta = g_attr_float(nd, "beta", 1.0f);
    int64_t ta = g_attr_int(nd, "transA", 0), tb = g_attr_int(nd, "transB", 0);
    if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1)) /* they index dims[] */
        return g_node_fail(g, nd, XAI_ERR_PARSE, "transA and transB must be 0 or 1 "
                           "(got %lld, %lld)", (long long)ta, (long long)tb);
    nd->p.trans_a = (int)ta;
    nd->p.trans_b = (int)tb;
    if (a->rank != 2 || b->rank != 2)
        return g_node_fail(g, nd, XAI_ERR_SHAPE, "A and B must be matrices (ranks %d, %d)",
                           a->rank, b->rank);
    if (b->batched || (c && c->batched))
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "B and C must be constants (initializers)");
    if (a->batched && nd->p.trans_a)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "transA=1 on the batched input is not supported");
    int64_t m = a->dims[nd->p.trans_a], k = a->dims[1 - nd->p.trans_a];
    int64_t kb = b->dims[nd->p.trans_b], nn = b->dims[1 - nd->p.trans_b];
    if (k != kb)
        return g_node_fail(g, nd, XAI_ERR_SHAPE,
                           "input '%s' has %lld columns but weight '%s' expects %lld",
                           a->name, (long long)k, b->name, (long long)kb);
    if (c) {
        int ok = c->dtype == G_F32 && c->rank <= 2;
        int64_t c0 = c->rank == 2 ? c->dims[0] : 1, c1 = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
        ok = ok && (c1 == 1 || c1 == nn) && (c0 == 1 || (!a->batched && c0 == m));
        if (!ok)
            return g_node_fail(g, nd, XAI_ERR_SHAPE,
                               "bias '%s' does not broadcast to [n, %lld]", c->name,
                               (long long)nn);
    }
    int64_t dims[2] = {m, nn};
    XAI_TRY(g_set_shape(g, nd, 0, 2, dims, a->batched, G_F32));
    nd->flops = 2.0 * (double)k * (double)nn;
    return a->batched && !nd->p.trans_a ? g_gemm_pack(g, nd) : XAI_OK;
}

G_FWD(gemm)
{
    const g_view *a = &in[0], *b = &in[1], *c = &in[2];
    int ta = nd->p.trans_a, tb = nd->p.trans_b;
    int m = (int)a->d[ta], k = (int)a->d[1 - ta], n = (int)b->d[1 - tb];
    float *y = out->p;
    int64_t c0 = c->rank == 2 ? c->d[0] : 1, c1 = c->rank >= 1 ? c->d[c->rank - 1] : 1;
    int has_bias = c->p && nd->p.beta != 0, bias_row = has_bias && c0 == 1 && c1 == n;
    if (!ta && g_mm_fits((size_t)k, (size_t)n) && (!tb || nd->packed)) {
        /* xai's kernel; a bias row (beta C) is added as each output is
         * stored, the same single addition the loop below makes */
        const float *bias = NULL;
        if (bias_row && nd->p.beta == 1.0f) {
            bias = c->p;
        } else if (bias_row) {
            XAI_TRY(g_ws_reserve(ws, (size_t)n));
            for (int j = 0; j < n; j++)
                ws->p[j] = nd->p.beta * c->p[j];
            bias = ws->p;
        }
        g_mm_bias((size_t)m, (size_t)n, (size_t)k, nd->p.alpha, a->p, (size_t)k,
                  tb ? nd->packed : b->p, (size_t)(tb ? n : b->d[1]), NULL, y, (size_t)n, 0,
                  bias);
        if (bias_row)
            return XAI_OK;
    } else if (ta) { /* only constants (folded at load) */
        cblas_sgemm(CblasRowMajor, CblasTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
                    nd->p.alpha, a->p, (int)a->d[1], b->p, (int)b->d[1], 0.0f, y, n);
    } else {
        XAI_TRY(g_gemm_rows((size_t)m, k, n, nd->p.alpha, a->p, tb, b->p, (int)b->d[1],
                            nd->packed, y, 0, ws));
    }
    if (!has_bias)
        return XAI_OK;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
            y[(size_t)i * n + j] +=
                nd->p.beta * c->p[(c0 == 1 ? 0 : i) * c1 + (c1 == 1 ? 0 : j)];
    return XAI_OK;
}

/* dA = alpha dY op(B)^T */
G_BWD(gemm)
{
    (void)out;
    if (!din[0].p)
        return XAI_OK;
    const g_view *b = &in[1];
    int tb = nd->p.trans_b;
    int m = (int)in[0].d[0], k = (int)in[0].d[1], n = (int)b->d[1 - tb];
    return g_gemm_rows((size_t)m, n, k, nd->p.alpha, dout->p, !tb, b->p, (int)b->d[1],
                       nd->packed, din[0].p, !din[0].fresh, ws);
}

G_INFER(matmul)
{
    g_tensor *a = g_in(g, nd, 0), *b = g_in(g, nd, 1);
    if (!a || !b || a->dtype != G_F32 || b->dtype != G_F32)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs float32 inputs A and B");
    if (b->batched)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "MatMul with a computed right-hand side is not supported");
    if (a->rank < 2 || b->rank != 2)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "MatMul needs A of rank >= 2 and a matrix B (ranks %d, %d)",
                           a->rank, b->rank);
    int64_t k = a->dims[a->rank - 1];
    if (k != b->dims[0])
        return g_node_fail(g, nd, XAI_ERR_SHAPE,
                           "input '%s' has %lld columns but weight '%s' expects %lld",
                           a->name, (long long)k, b->name, (long long)b->dims[0]);
    int64_t dims[G_MAX_RANK];
    memcpy(dims, a->dims, sizeof dims);
    dims[a->rank - 1] = b->dims[1];
    XAI_TRY(g_set_shape(g, nd, 0, a->rank, dims, a->batched, G_F32));
    size_t rows = a->dims[a->rank - 1] ? a->numel / (size_t)k : 0;
    nd->flops = 2.0 * (double)rows * (double)k * (double)b->dims[1];
    return a->batched ? g_gemm_pack(g, nd) : XAI_OK;
}

G_FWD(matmul)
{
    (void)nd;
    int k = (int)in[1].d[0], n = (int)in[1].d[1];
    size_t rows = k ? in[0].numel / (size_t)k : 0;
    return g_gemm_rows(rows, k, n, 1.0f, in[0].p, 0, in[1].p, n, NULL, out->p, 0, ws);
}

/* dA = dY B^T */
G_BWD(matmul)
{
    (void)nd; (void)out;
    if (!din[0].p)
        return XAI_OK;
    int k = (int)in[1].d[0], n = (int)in[1].d[1];
    size_t rows = k ? in[0].numel / (size_t)k : 0;
    return g_gemm_rows(rows, n, k, 1.0f, dout->p, 1, in[1].p, n, nd->packed, din[0].p,
                       !din[0].fresh, ws);
}
