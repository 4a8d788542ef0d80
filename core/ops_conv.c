/* core/ops_conv.c: 2-D convolution (pads, strides, dilations, groups) as
 * im2col + cblas_sgemm. */
#include <cblas.h>
#include <string.h>

#include "error.h"
#include "ops.h"


xai_status g_window_params(graph *g, g_node *nd, int64_t h, int64_t w,
                           int64_t kh, int64_t kw, int dilations)
{
    g_params *p = &nd->p;
    p->kernel[0] = kh;
    p->kernel[1] = kw;
    p->strides[0] = p->strides[1] = 1;
    p->dilations[0] = p->dilations[1] = 1;
    memset(p->pads, 0, sizeof p->pads);
    const g_attr *a;
    if ((a = g_attr_get(nd, "strides")) && a->n_ints == 2)
        memcpy(p->strides, a->ints, sizeof p->strides);
    if ((a = g_attr_get(nd, "dilations")) && a->n_ints == 2) {
        if (!dilations && (a->ints[0] != 1 || a->ints[1] != 1))
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "dilations are not supported here");
        memcpy(p->dilations, a->ints, sizeof p->dilations);
    }
    if ((a = g_attr_get(nd, "pads")) && a->n_ints == 4)
        memcpy(p->pads, a->ints, sizeof p->pads);
    for (int i = 0; i < 2; i++)
        if (p->strides[i] < 1 || p->dilations[i] < 1 || p->pads[i] < 0 ||
            p->pads[i + 2] < 0 || p->kernel[i] < 1)
            return g_node_fail(g, nd, XAI_ERR_PARSE,
                               "invalid kernel, strides, dilations or pads");
    a = g_attr_get(nd, "auto_pad");
    if (a && a->s && strcmp(a->s, "NOTSET") != 0) {
        if (strcmp(a->s, "VALID") == 0) {
            memset(p->pads, 0, sizeof p->pads);
        } else if (strcmp(a->s, "SAME_UPPER") == 0 || strcmp(a->s, "SAME_LOWER") == 0) {
            int64_t in[2] = {h, w};
            for (int i = 0; i < 2; i++) {
                int64_t o = (in[i] + p->strides[i] - 1) / p->strides[i];
                int64_t tot = (o - 1) * p->strides[i] +
                              (p->kernel[i] - 1) * p->dilations[i] + 1 - in[i];
                if (tot < 0)
                    tot = 0;
                int64_t lo = a->s[5] == 'U' ? tot / 2 : tot - tot / 2;
                p->pads[i] = lo;
                p->pads[i + 2] = tot - lo;
            }
        } else {
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "auto_pad '%s'", a->s);
        }
    }
    return XAI_OK;
}

G_INFER(conv)
{
    g_tensor *x = g_in(g, nd, 0), *w = g_in(g, nd, 1), *b = g_in(g, nd, 2);
    if (!x || !w || x->dtype != G_F32 || w->dtype != G_F32)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs float32 inputs X and W");
    if (x->rank != 4 || w->rank != 4)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "only 2-D convolution (rank-4 X and W; ranks %d, %d)",
                           x->rank, w->rank);
    if (w->batched || (b && b->batched))
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "W and B must be constants");
    int64_t c = x->dims[1], m = w->dims[0];
    int64_t grp = g_attr_int(nd, "group", 1);
    if (grp < 1 || c % grp || m % grp || w->dims[1] != c / grp)
        return g_node_fail(g, nd, XAI_ERR_SHAPE,
                           "input '%s' has %lld channels but weight '%s' expects "
                           "%lld per group x %lld groups",
                           x->name, (long long)c, w->name, (long long)w->dims[1],
                           (long long)grp);
    if (b && (b->dtype != G_F32 || b->numel != (size_t)m))
        return g_node_fail(g, nd, XAI_ERR_SHAPE, "bias '%s' must have %lld values",
                           b->name, (long long)m);
    const g_attr *ks = g_attr_get(nd, "kernel_shape");
    if (ks && (ks->n_ints != 2 || ks->ints[0] != w->dims[2] || ks->ints[1] != w->dims[3]))
        return g_node_fail(g, nd, XAI_ERR_SHAPE, "kernel_shape disagrees with weight '%s'",
                           w->name);
    XAI_TRY(g_window_params(g, nd, x->dims[2], x->dims[3], w->dims[2], w->dims[3], 1));
    nd->p.group = (int)grp;
    const g_params *p = &nd->p;
    int64_t dims[4] = {x->dims[0], m, 0, 0};
    for (int i = 0; i < 2; i++) {
        int64_t span = (p->kernel[i] - 1) * p->dilations[i] + 1;
        int64_t padded = x->dims[2 + i] + p->pads[i] + p->pads[i + 2];
        if (padded < span)
            return g_node_fail(g, nd, XAI_ERR_SHAPE,
                               "kernel span %lld exceeds the padded input %lld",
                               (long long)span, (long long)padded);
        dims[2 + i] = (padded - span) / p->strides[i] + 1;
    }
    XAI_TRY(g_set_shape(g, nd, 0, 4, dims, x->batched, G_F32));
    nd->flops = 2.0 * (double)(c / grp) * (double)(w->dims[2] * w->dims[3]) *
                (double)m * (double)(dims[2] * dims[3]);
    return XAI_OK;
}

typedef struct conv_geo {
    int64_t n, c, h, w, m, oh, ow, kh, kw, cg, mg, ck, hw, grp;
} conv_geo;

static conv_geo geo(const g_node *nd, const g_view *x, const g_view *y)
{
    conv_geo q;
    q.n = x->d[0]; q.c = x->d[1]; q.h = x->d[2]; q.w = x->d[3];
    q.m = y->d[1]; q.oh = y->d[2]; q.ow = y->d[3];
    q.kh = nd->p.kernel[0]; q.kw = nd->p.kernel[1];
    q.grp = nd->p.group;
    q.cg = q.c / q.grp; q.mg = q.m / q.grp;
    q.ck = q.cg * q.kh * q.kw;
    q.hw = q.oh * q.ow;
    return q;
}

/* col[r, oy*ow + ox], r = (c, i, j), for sample s of group gi.  With dxc it
 * scatters back instead: dx += col2im(col). */
static void im2col(const g_node *nd, const conv_geo *q, const float *xc, float *dxc,
                   float *col, int64_t s, int64_t gi)
{
    const g_params *p = &nd->p;
    size_t plane0 = (size_t)((s * q->c + gi * q->cg) * q->h * q->w);
    for (int64_t c = 0; c < q->cg; c++)
        for (int64_t i = 0; i < q->kh; i++)
            for (int64_t j = 0; j < q->kw; j++) {
                float *row = col + ((c * q->kh + i) * q->kw + j) * q->hw;
                size_t plane = plane0 + (size_t)(c * q->h * q->w);
                for (int64_t oy = 0; oy < q->oh; oy++) {
                    int64_t y = oy * p->strides[0] - p->pads[0] + i * p->dilations[0];
                    float *r = row + oy * q->ow;
                    for (int64_t ox = 0; ox < q->ow; ox++) {
                        int64_t x = ox * p->strides[1] - p->pads[1] + j * p->dilations[1];
                        int inside = y >= 0 && y < q->h && x >= 0 && x < q->w;
                        size_t at = plane + (size_t)(y * q->w + x);
                        if (dxc) {
                            if (inside)
                                dxc[at] += r[ox];
                        } else {
                            r[ox] = inside ? xc[at] : 0.0f;
                        }
                    }
                }
            }
}

/* One sgemm per sample and group: Y_s,g [mg x hw] = W_g [mg x ck] col.  A
 * sample's products then never depend on the batch it came in (OpenBLAS
 * results depend on a column's position within a call), so a row's output is
 * bit-identical for any batch size. */
G_FWD(conv)
{
    conv_geo q = geo(nd, &in[0], out);
    XAI_TRY(g_ws_reserve(ws, (size_t)(q.ck * q.hw)));
    float *col = ws->p;
    const float *wt = in[1].p, *bias = in[2].p;
    for (int64_t s = 0; s < q.n; s++)
        for (int64_t gi = 0; gi < q.grp; gi++) {
            im2col(nd, &q, in[0].p, NULL, col, s, gi);
            float *y = out->p + (s * q.m + gi * q.mg) * q.hw;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)q.mg, (int)q.hw,
                        (int)q.ck, 1.0f, wt + gi * q.mg * q.ck, (int)q.ck, col,
                        (int)q.hw, 0.0f, y, (int)q.hw);
            for (int64_t mm = 0; bias && mm < q.mg; mm++)
                for (int64_t t = 0; t < q.hw; t++)
                    y[mm * q.hw + t] += bias[gi * q.mg + mm];
        }
    return XAI_OK;
}

/* dX += col2im(W_g^T dY_g) */
G_BWD(conv)
{
    if (!din[0].p)
        return XAI_OK;
    conv_geo q = geo(nd, &in[0], out);
    XAI_TRY(g_ws_reserve(ws, (size_t)(q.ck * q.hw)));
    float *col = ws->p;
    const float *wt = in[1].p;
    for (int64_t s = 0; s < q.n; s++)
        for (int64_t gi = 0; gi < q.grp; gi++) {
            const float *dy = dout->p + (s * q.m + gi * q.mg) * q.hw;
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)q.ck, (int)q.hw,
                        (int)q.mg, 1.0f, wt + gi * q.mg * q.ck, (int)q.ck, dy,
                        (int)q.hw, 0.0f, col, (int)q.hw);
            im2col(nd, &q, NULL, din[0].p, col, s, gi);
        }
    return XAI_OK;
}
