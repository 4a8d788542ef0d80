/* core/ops_softmax.c: Softmax and LogSoftmax along one axis (opset >= 13) or
 * over the flattened trailing axes (opset < 13). */
#include <math.h>

#include "ops.h"

G_INFER(softmax)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x || x->dtype != G_F32 || x->rank < 1)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs one float32 input");
    int legacy = g->opset < 13;
    int64_t axis = g_attr_int(nd, "axis", legacy ? 1 : -1);
    if (axis < 0)
        axis += x->rank;
    if (axis < 0 || axis >= x->rank)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "axis out of range for rank %d", x->rank);
    if (x->batched && axis == 0)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "softmax over the batch axis mixes rows");
    nd->p.axis = (int)axis;
    nd->p.group = legacy; /* 1: coerce trailing axes into one */
    XAI_TRY(g_set_shape(g, nd, 0, x->rank, x->dims, x->batched, G_F32));
    nd->flops = 4.0 * (double)x->numel;
    return XAI_OK;
}

/* outer x len x inner decomposition of the view around the axis. */
static void split(const g_node *nd, const g_view *v, size_t *outer, size_t *len,
                  size_t *inner)
{
    int ax = nd->p.axis;
    *outer = *len = *inner = 1;
    for (int i = 0; i < ax; i++)
        *outer *= (size_t)v->d[i];
    *len = (size_t)v->d[ax];
    for (int i = ax + 1; i < v->rank; i++)
        *(nd->p.group ? len : inner) *= (size_t)v->d[i];
}

static void softmax_rows(const g_node *nd, const g_view *in, g_view *out, int lg)
{
    size_t outer, len, inner;
    split(nd, in, &outer, &len, &inner);
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < inner; k++) {
            const float *x = in->p + o * len * inner + k;
            float *y = out->p + o * len * inner + k;
            float m = x[0];
            for (size_t j = 1; j < len; j++)
                m = fmaxf(m, x[j * inner]);
            double s = 0;
            for (size_t j = 0; j < len; j++)
                s += exp((double)(x[j * inner] - m));
            for (size_t j = 0; j < len; j++) {
                double z = (double)(x[j * inner] - m);
                y[j * inner] = lg ? (float)(z - log(s)) : (float)(exp(z) / s);
            }
        }
}

static void softmax_grad(const g_node *nd, const g_view *out, const g_view *dout,
                         g_view *din, int lg)
{
    size_t outer, len, inner;
    split(nd, out, &outer, &len, &inner);
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < inner; k++) {
            size_t base = o * len * inner + k;
            const float *y = out->p + base, *g = dout->p + base;
            float *dx = din->p + base;
            double s = 0;
            for (size_t j = 0; j < len; j++)
                s += lg ? (double)g[j * inner] : (double)g[j * inner] * y[j * inner];
            for (size_t j = 0; j < len; j++) {
                size_t q = j * inner;
                /* softmax: y (g - <g, y>); log-softmax: g - exp(y) sum g */
                dx[q] += lg ? (float)(g[q] - exp((double)y[q]) * s)
                             : (float)(y[q] * (g[q] - s));
            }
        }
}

G_FWD(softmax) { (void)ws; softmax_rows(nd, in, out, 0); return XAI_OK; }
G_FWD(logsoftmax) { (void)ws; softmax_rows(nd, in, out, 1); return XAI_OK; }
G_BWD(softmax)
{
    (void)ws; (void)in;
    softmax_grad(nd, out, dout, din, 0);
    return XAI_OK;
}
G_BWD(logsoftmax)
{
    (void)ws; (void)in;
    softmax_grad(nd, out, dout, din, 1);
    return XAI_OK;
}
