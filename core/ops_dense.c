/* core/ops_dense.c: Gemm and MatMul through cblas_sgemm, one call per batch. */
#include <cblas.h>
#include <string.h>

#include "ops.h"

G_INFER(gemm)
{
    g_tensor *a = g_in(g, nd, 0), *b = g_in(g, nd, 1), *c = g_in(g, nd, 2);
    if (!a || !b || a->dtype != G_F32 || b->dtype != G_F32)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs float32 inputs A and B");
    nd->p.alpha = g_attr_float(nd, "alpha", 1.0f);
    nd->p.beta = g_attr_float(nd, "beta", 1.0f);
    nd->p.trans_a = (int)g_attr_int(nd, "transA", 0);
    nd->p.trans_b = (int)g_attr_int(nd, "transB", 0);
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
    return XAI_OK;
}

G_FWD(gemm)
{
    (void)ws;
    const g_view *a = &in[0], *b = &in[1], *c = &in[2];
    int ta = nd->p.trans_a, tb = nd->p.trans_b;
    int m = (int)a->d[ta], k = (int)a->d[1 - ta], n = (int)b->d[1 - tb];
    float *y = out->p;
    float beta = 0;
    if (c->p && nd->p.beta != 0) {
        int64_t c0 = c->rank == 2 ? c->d[0] : 1, c1 = c->rank >= 1 ? c->d[c->rank - 1] : 1;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                y[(size_t)i * n + j] = c->p[(c0 == 1 ? 0 : i) * c1 + (c1 == 1 ? 0 : j)];
        beta = nd->p.beta;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                tb ? CblasTrans : CblasNoTrans, m, n, k, nd->p.alpha, a->p,
                (int)a->d[1], b->p, (int)b->d[1], beta, y, n);
    return XAI_OK;
}

/* dA = alpha dY op(B)^T */
G_BWD(gemm)
{
    (void)ws; (void)out;
    if (!din[0].p)
        return XAI_OK;
    const g_view *b = &in[1];
    int tb = nd->p.trans_b;
    int m = (int)in[0].d[0], k = (int)in[0].d[1], n = (int)b->d[1 - tb];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, tb ? CblasNoTrans : CblasTrans, m, k,
                n, nd->p.alpha, dout->p, n, b->p, (int)b->d[1], 1.0f, din[0].p, k);
    return XAI_OK;
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
    return XAI_OK;
}

G_FWD(matmul)
{
    (void)nd; (void)ws;
    int k = (int)in[1].d[0], n = (int)in[1].d[1];
    int rows = k ? (int)(in[0].numel / (size_t)k) : 0;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, n, k, 1.0f,
                in[0].p, k, in[1].p, n, 0.0f, out->p, n);
    return XAI_OK;
}

/* dA = dY B^T */
G_BWD(matmul)
{
    (void)nd; (void)ws; (void)out;
    if (!din[0].p)
        return XAI_OK;
    int k = (int)in[1].d[0], n = (int)in[1].d[1];
    int rows = k ? (int)(in[0].numel / (size_t)k) : 0;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, k, n, 1.0f,
                dout->p, n, in[1].p, n, 1.0f, din[0].p, k);
    return XAI_OK;
}
