/* core/ops_pool.c: MaxPool, AveragePool (2-D windows) and GlobalAveragePool. */
#include <float.h>
#include <string.h>

#include "ops.h"
#include "pool2x2.h"

G_INFER(pool)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x || x->dtype != G_F32 || x->rank != 4)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "only 2-D pooling of a rank-4 input");
    if (nd->n_out > 1 && nd->out[1] >= 0)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "the Indices output is not supported");
    if (g_attr_int(nd, "storage_order", 0) != 0)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "storage_order 1");
    const g_attr *ks = g_attr_get(nd, "kernel_shape");
    if (!ks || ks->n_ints != 2)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs a 2-D kernel_shape");
    XAI_TRY(g_window_params(g, nd, x->dims[2], x->dims[3], ks->ints[0], ks->ints[1],
                            nd->op == OP_MAXPOOL));
    g_params *p = &nd->p;
    p->ceil_mode = (int)g_attr_int(nd, "ceil_mode", 0);
    p->count_include_pad = (int)g_attr_int(nd, "count_include_pad", 0);
    int64_t dims[4] = {x->dims[0], x->dims[1], 0, 0};
    for (int i = 0; i < 2; i++) {
        int64_t span = (p->kernel[i] - 1) * p->dilations[i] + 1;
        int64_t padded = x->dims[2 + i] + p->pads[i] + p->pads[i + 2];
        if (padded < span)
            return g_node_fail(g, nd, XAI_ERR_SHAPE, "window larger than the padded input");
        int64_t num = padded - span, o;
        o = (p->ceil_mode ? (num + p->strides[i] - 1) / p->strides[i] : num / p->strides[i]) + 1;
        /* the last window must start inside the input or the leading pad */
        if (p->ceil_mode && (o - 1) * p->strides[i] >= x->dims[2 + i] + p->pads[i])
            o--;
        dims[2 + i] = o;
    }
    XAI_TRY(g_set_shape(g, nd, 0, 4, dims, x->batched, G_F32));
    nd->flops = (double)(p->kernel[0] * p->kernel[1]) * (double)g->t[nd->out[0]].numel;
    return XAI_OK;
}

/* Calls BODY for every output cell with its window; planes are (n, c). */
#define POOL_LOOP(nd, x, y, ...)                                               \
    do {                                                                       \
        const g_params *p_ = &(nd)->p;                                         \
        int64_t H = (x)->d[2], W = (x)->d[3], OH = (y)->d[2], OW = (y)->d[3];  \
        int64_t planes = (x)->d[0] * (x)->d[1];                                \
        for (int64_t pl = 0; pl < planes; pl++)                                \
            for (int64_t oy = 0; oy < OH; oy++)                                \
                for (int64_t ox = 0; ox < OW; ox++) {                          \
                    size_t xo = (size_t)(pl * H * W);                          \
                    size_t yo = (size_t)((pl * OH + oy) * OW + ox);            \
                    int64_t y0 = oy * p_->strides[0] - p_->pads[0];            \
                    int64_t x0 = ox * p_->strides[1] - p_->pads[1];            \
                    int64_t dy_ = p_->dilations[0], dx_ = p_->dilations[1];    \
                    int64_t kh = p_->kernel[0], kw = p_->kernel[1];            \
                    __VA_ARGS__                                                \
                }                                                              \
    } while (0)

/* Index (in the plane) of the first maximum of a window, or -1 if empty. */
#define ARGMAX(xp)                                                             \
    int64_t best = -1;                                                         \
    float bv = -FLT_MAX;                                                       \
    for (int64_t i = 0; i < kh; i++)                                           \
        for (int64_t j = 0; j < kw; j++) {                                     \
            int64_t yy = y0 + i * dy_, xx = x0 + j * dx_;                      \
            if (yy < 0 || yy >= H || xx < 0 || xx >= W)                        \
                continue;                                                      \
            float v = (xp)[xo + (size_t)(yy * W + xx)];                        \
            if (best < 0 || v > bv) {                                          \
                bv = v;                                                        \
                best = yy * W + xx;                                            \
            }                                                                  \
        }

/* Every window inside the input (no pads, no dilations, no ceil-mode
 * overhang): the common 2x2 / stride 2 case, without per-tap bounds tests. */
static int windows_inside(const g_params *p, const g_view *x, const g_view *y)
{
    return !p->pads[0] && !p->pads[1] && !p->pads[2] && !p->pads[3] &&
           p->dilations[0] == 1 && p->dilations[1] == 1 &&
           (y->d[2] - 1) * p->strides[0] + p->kernel[0] <= x->d[2] &&
           (y->d[3] - 1) * p->strides[1] + p->kernel[1] <= x->d[3];
}

/* The same first maximum as ARGMAX, for a window inside the plane; returns
 * its index in the plane. */
static inline int64_t argmax_inside(const float *plane, int64_t W, int64_t y0, int64_t x0,
                                    int64_t kh, int64_t kw, float *bv)
{
    int64_t best = y0 * W + x0;
    float b = plane[best];
    for (int64_t i = 0; i < kh; i++)
        for (int64_t j = 0; j < kw; j++) {
            int64_t at = (y0 + i) * W + x0 + j;
            if (plane[at] > b) {
                b = plane[at];
                best = at;
            }
        }
    *bv = b;
    return best;
}

/* Runs BODY with `plane` offset xo, output index yo and the window's first
 * maximum `best` (index in the plane) and value `bv`. */
#define POOL_INSIDE(nd, x, y, ...)                                             \
    do {                                                                       \
        const g_params *p_ = &(nd)->p;                                         \
        int64_t H = (x)->d[2], W = (x)->d[3], OH = (y)->d[2], OW = (y)->d[3];  \
        int64_t planes = (x)->d[0] * (x)->d[1];                                \
        for (int64_t pl = 0; pl < planes; pl++) {                              \
            size_t xo = (size_t)(pl * H * W);                                  \
            for (int64_t oy = 0; oy < OH; oy++)                                \
                for (int64_t ox = 0; ox < OW; ox++) {                          \
                    size_t yo = (size_t)((pl * OH + oy) * OW + ox);            \
                    float bv;                                                  \
                    int64_t best = argmax_inside((x)->p + xo, W,               \
                        oy * p_->strides[0], ox * p_->strides[1],              \
                        p_->kernel[0], p_->kernel[1], &bv);                    \
                    __VA_ARGS__                                                \
                }                                                              \
        }                                                                      \
    } while (0)

/* 2 x 2 windows, stride 2, all inside: core/pool2x2.c */
static int window_2x2(const g_params *p, const g_view *x, const g_view *y)
{
    return windows_inside(p, x, y) && p->kernel[0] == 2 && p->kernel[1] == 2 &&
           p->strides[0] == 2 && p->strides[1] == 2;
}

G_FWD(maxpool)
{
    (void)ws;
    if (window_2x2(&nd->p, &in[0], out)) {
        pool2x2_fwd(in[0].p, out->p, (size_t)(in[0].d[0] * in[0].d[1]), in[0].d[2],
                    in[0].d[3], out->d[2], out->d[3]);
        return XAI_OK;
    }
    if (windows_inside(&nd->p, &in[0], out)) {
        POOL_INSIDE(nd, &in[0], out, { (void)best; out->p[yo] = bv; });
        return XAI_OK;
    }
    POOL_LOOP(nd, &in[0], out, {
        ARGMAX(in[0].p)
        out->p[yo] = best < 0 ? 0.0f : bv;
    });
    return XAI_OK;
}

/* dX[argmax] += dY */
G_BWD(maxpool)
{
    (void)ws;
    if (window_2x2(&nd->p, &in[0], out)) {
        pool2x2_bwd(in[0].p, dout->p, din[0].p, (size_t)(in[0].d[0] * in[0].d[1]),
                    in[0].d[2], in[0].d[3], out->d[2], out->d[3], din[0].fresh);
        return XAI_OK;
    }
    if (din[0].fresh) /* the paths below add to dX */
        memset(din[0].p, 0, din[0].numel * sizeof *din[0].p);
    if (windows_inside(&nd->p, &in[0], out)) {
        POOL_INSIDE(nd, &in[0], out, { din[0].p[xo + (size_t)best] += dout->p[yo]; });
        return XAI_OK;
    }
    POOL_LOOP(nd, &in[0], out, {
        ARGMAX(in[0].p)
        if (best >= 0)
            din[0].p[xo + (size_t)best] += dout->p[yo];
    });
    return XAI_OK;
}

/* Window bounds clipped to the input, and the divisor. */
#define AVG_WINDOW                                                             \
    int64_t ya = y0 < 0 ? 0 : y0, yb = y0 + kh > H ? H : y0 + kh;              \
    int64_t xa = x0 < 0 ? 0 : x0, xb = x0 + kw > W ? W : x0 + kw;              \
    int64_t cnt = (yb - ya) * (xb - xa);                                       \
    if (p_->count_include_pad) {                                               \
        int64_t yc = y0 + kh > H + p_->pads[2] ? H + p_->pads[2] : y0 + kh;    \
        int64_t xc = x0 + kw > W + p_->pads[3] ? W + p_->pads[3] : x0 + kw;    \
        cnt = (yc - y0) * (xc - x0);                                           \
    }                                                                          \
    (void)dy_; (void)dx_;

G_FWD(avgpool)
{
    (void)ws;
    POOL_LOOP(nd, &in[0], out, {
        AVG_WINDOW
        double s = 0;
        for (int64_t yy = ya; yy < yb; yy++)
            for (int64_t xx = xa; xx < xb; xx++)
                s += in[0].p[xo + (size_t)(yy * W + xx)];
        out->p[yo] = cnt > 0 ? (float)(s / (double)cnt) : 0.0f;
    });
    return XAI_OK;
}

/* dX[window] += dY / count */
G_BWD(avgpool)
{
    (void)ws;
    POOL_LOOP(nd, &in[0], out, {
        AVG_WINDOW
        if (cnt <= 0)
            continue;
        float gv = dout->p[yo] / (float)cnt;
        for (int64_t yy = ya; yy < yb; yy++)
            for (int64_t xx = xa; xx < xb; xx++)
                din[0].p[xo + (size_t)(yy * W + xx)] += gv;
    });
    return XAI_OK;
}

G_INFER(gap)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x || x->dtype != G_F32 || x->rank < 3)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs a float32 input of rank >= 3");
    int64_t dims[G_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    for (int i = 2; i < x->rank; i++)
        dims[i] = 1;
    XAI_TRY(g_set_shape(g, nd, 0, x->rank, dims, x->batched, G_F32));
    nd->flops = (double)x->numel;
    return XAI_OK;
}

G_FWD(gap)
{
    (void)nd; (void)ws;
    size_t planes = out->numel, sz = planes ? in[0].numel / planes : 0;
    for (size_t pl = 0; pl < planes; pl++) {
        double s = 0;
        for (size_t i = 0; i < sz; i++)
            s += in[0].p[pl * sz + i];
        out->p[pl] = (float)(s / (double)sz);
    }
    return XAI_OK;
}

/* dX[n,c,:] += dY[n,c] / (H W) */
G_BWD(gap)
{
    (void)nd; (void)ws; (void)out;
    size_t planes = dout->numel, sz = planes ? in[0].numel / planes : 0;
    for (size_t pl = 0; pl < planes; pl++) {
        float gv = dout->p[pl] / (float)sz;
        for (size_t i = 0; i < sz; i++)
            din[0].p[pl * sz + i] += gv;
    }
    return XAI_OK;
}
