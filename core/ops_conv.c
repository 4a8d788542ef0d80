/* core/ops_conv.c: 2-D convolution (pads, strides, dilations, groups).
 * Stride 1 with small weights runs over blocks of samples without im2col
 * (core/conv_s1.c); strided depthwise ones (one input channel per group)
 * as direct loops; the rest as im2col + a matrix product per sample (g_mm,
 * or cblas_sgemm for large weights).  The VJP of a stride-1 convolution is
 * itself a convolution (of dY with the flipped, transposed kernel), so it
 * takes the same fast path. */
#include <cblas.h>
#include <string.h>

#include "conv_s1.h"
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

/* The output range [lo, hi) whose input coordinate o * stride - pad + tap
 * lies inside [0, size). */
static void inside_range(int64_t out, int64_t size, int64_t stride, int64_t off,
                         int64_t *lo, int64_t *hi)
{
    /* o * stride + off >= 0  and  o * stride + off < size */
    int64_t a = off >= 0 ? 0 : (-off + stride - 1) / stride;
    int64_t b = size - off <= 0 ? 0 : (size - off + stride - 1) / stride;
    *lo = a < out ? a : out;
    *hi = b < out ? b : out;
    if (*hi < *lo)
        *hi = *lo;
}

/* col[r, oy*ow + ox], r = (c, i, j), for sample s of group gi.  With dxc it
 * scatters back instead: dx += col2im(col).  Rows and columns outside the
 * input are found once per tap, so the inner loops carry no bounds tests. */
static void im2col(const g_params *p, const conv_geo *q, const float *xc, float *dxc,
                   float *col, int64_t s, int64_t gi)
{
    int64_t sy = p->strides[0], sx = p->strides[1];
    size_t plane0 = (size_t)((s * q->c + gi * q->cg) * q->h * q->w);
    for (int64_t i = 0; i < q->kh; i++) {
        int64_t offy = i * p->dilations[0] - p->pads[0], y0, y1;
        inside_range(q->oh, q->h, sy, offy, &y0, &y1);
        for (int64_t j = 0; j < q->kw; j++) {
            int64_t offx = j * p->dilations[1] - p->pads[1], x0, x1;
            inside_range(q->ow, q->w, sx, offx, &x0, &x1);
            for (int64_t c = 0; c < q->cg; c++) {
                float *row = col + ((c * q->kh + i) * q->kw + j) * q->hw;
                size_t plane = plane0 + (size_t)(c * q->h * q->w);
                if (!dxc) {
                    memset(row, 0, (size_t)(y0 * q->ow) * sizeof *row);
                    memset(row + y1 * q->ow, 0, (size_t)((q->oh - y1) * q->ow) * sizeof *row);
                }
                for (int64_t oy = y0; oy < y1; oy++) {
                    float *r = row + oy * q->ow;
                    const size_t at = plane + (size_t)((oy * sy + offy) * q->w + offx);
                    if (dxc) {
                        float *d = dxc + at;
                        for (int64_t ox = x0; ox < x1; ox++)
                            d[ox * sx] += r[ox];
                        continue;
                    }
                    const float *src = xc + at;
                    for (int64_t ox = 0; ox < x0; ox++)
                        r[ox] = 0.0f;
                    if (sx == 1)
                        memcpy(r + x0, src + x0, (size_t)(x1 - x0) * sizeof *r);
                    else
                        for (int64_t ox = x0; ox < x1; ox++)
                            r[ox] = src[ox * sx];
                    for (int64_t ox = x1; ox < q->ow; ox++)
                        r[ox] = 0.0f;
                }
            }
        }
    }
}

/* For stride 1, dX_g = conv(dY_g, W'_g) with W'[c, m, i, j] =
 * W[m, c, kh-1-i, kw-1-j], pads (k-1) d - pad and the same dilations: fills
 * t (geometry) and tp (window) and returns 1 when those pads are >= 0. */
static int transposed(const g_params *p, const conv_geo *q, conv_geo *t, g_params *tp)
{
    if (p->strides[0] != 1 || p->strides[1] != 1)
        return 0;
    *tp = *p;
    int64_t ey = (q->kh - 1) * p->dilations[0], ex = (q->kw - 1) * p->dilations[1];
    tp->pads[0] = ey - p->pads[0];
    tp->pads[2] = ey - p->pads[2];
    tp->pads[1] = ex - p->pads[1];
    tp->pads[3] = ex - p->pads[3];
    for (int i = 0; i < 4; i++)
        if (tp->pads[i] < 0)
            return 0;
    *t = *q;
    t->c = q->m; t->h = q->oh; t->w = q->ow;
    t->m = q->c; t->oh = q->h; t->ow = q->w;
    t->cg = q->mg; t->mg = q->cg;
    t->ck = q->mg * q->kh * q->kw;
    t->hw = q->h * q->w;
    return 1;
}

/* dX_g (+)= W'_g conv dY_g (see transposed), over blocks of samples. */
static xai_status conv_bwd_transposed(const conv_geo *q, const conv_geo *t,
                                      const g_params *tp, const float *wt, const float *dy,
                                      float *dx, int fresh, g_ws *ws)
{
    s1_conv c;
    float *wf;
    XAI_TRY(s1_conv_setup(&c, tp, t, (size_t)(q->grp * t->mg * t->ck), ws, &wf));
    for (int64_t gi = 0; gi < q->grp; gi++)
        for (int64_t ch = 0; ch < q->cg; ch++)
            for (int64_t mm = 0; mm < q->mg; mm++)
                for (int64_t i = 0; i < q->kh; i++)
                    for (int64_t j = 0; j < q->kw; j++)
                        wf[(((gi * q->cg + ch) * q->mg + mm) * q->kh + i) * q->kw + j] =
                            wt[(((gi * q->mg + mm) * q->cg + ch) * q->kh + (q->kh - 1 - i)) *
                                   q->kw + (q->kw - 1 - j)];
    s1_conv_run(&c, dy, wf, NULL, dx, fresh ? S1_WRITE_ADD0 : S1_ADD);
    return XAI_OK;
}

/* 1x1 kernel, stride 1, no padding: the input planes are the columns. */
static int plain_1x1(const g_node *nd, const conv_geo *q)
{
    const g_params *p = &nd->p;
    return q->kh == 1 && q->kw == 1 && p->strides[0] == 1 && p->strides[1] == 1 &&
           !p->pads[0] && !p->pads[1] && !p->pads[2] && !p->pads[3];
}

/* One input channel per group (depthwise, the strided case; stride 1 goes
 * to core/conv_s1.c): a product per group would be 1 x kh kw by hw after
 * an im2col, all call overhead.  Direct loops instead, tap by tap over the
 * output positions whose tap lies inside the input (inside_range): each
 * output is 0, + w x per inside tap in (i, j) order, then + bias; the VJP
 * adds w dY into dX tap by tap.  Both orders are fixed per sample, and the
 * inner loops carry no dependences. */
static int depthwise(const conv_geo *q) { return q->cg == 1; }

/* For sample s, output channel o and each tap (i, j): rows [y0, y1) and
 * columns [x0, x1) of the output whose tap is inside; xo: the tap's input
 * offset at output (0, 0). */
#define DW_TAPS(XT, YT, BODY)                                                  \
    for (int64_t s = 0; s < q->n; s++)                                         \
        for (int64_t o = 0; o < q->m; o++) {                                   \
            XT *xs = x + (size_t)((s * q->c + o / q->mg) * q->h * q->w);         \
            YT *ys = y + (size_t)((s * q->m + o) * q->hw);                       \
            for (int64_t i = 0; i < q->kh; i++) {                                \
                int64_t offy = i * p->dilations[0] - p->pads[0], y0, y1;         \
                inside_range(q->oh, q->h, sy, offy, &y0, &y1);                   \
                for (int64_t j = 0; j < q->kw; j++) {                            \
                    int64_t offx = j * p->dilations[1] - p->pads[1], x0, x1;     \
                    inside_range(q->ow, q->w, sx, offx, &x0, &x1);               \
                    float wv = w[(o * q->kh + i) * q->kw + j];                   \
                    for (int64_t oy = y0; oy < y1; oy++) {                       \
                        YT *yr = ys + oy * q->ow;                                \
                        XT *xr = xs + (oy * sy + offy) * q->w + offx;            \
                        BODY                                                     \
                    }                                                            \
                }                                                                \
            }                                                                    \
        }

/* y = conv(x); x, y: the input and output (dY and dX for dw_bwd) */
static void dw_fwd(const g_params *p, const conv_geo *q, const float *x, const float *w,
                   const float *bias, float *y)
{
    int64_t sy = p->strides[0], sx = p->strides[1];
    memset(y, 0, (size_t)(q->n * q->m * q->hw) * sizeof *y);
    DW_TAPS(const float, float,
            for (int64_t ox = x0; ox < x1; ox++) yr[ox] = yr[ox] + wv * xr[ox * sx];)
    for (int64_t s = 0; bias && s < q->n; s++)
        for (int64_t o = 0; o < q->m; o++)
            for (int64_t t = 0; t < q->hw; t++)
                y[(s * q->m + o) * q->hw + t] += bias[o];
}

/* dX (x here) += the taps of dY (y here) */
static void dw_bwd(const g_params *p, const conv_geo *q, float *x, const float *w,
                   const float *y)
{
    int64_t sy = p->strides[0], sx = p->strides[1];
    DW_TAPS(float, const float,
            for (int64_t ox = x0; ox < x1; ox++) xr[ox * sx] += wv * yr[ox];)
}

/* Per sample and group: Y_s,g [mg x hw] = W_g [mg x ck] col_s,g [ck x hw].
 * Each sample is its own product, so its output never depends on the batch.
 * Small weights (g_mm_fits, all of xai's example models) run on g_mm, whose
 * per-element order is fixed anyway and which costs no call overhead;
 * large ones on one cblas_sgemm per sample, whose shape is the same for
 * every sample. */
G_FWD(conv)
{
    conv_geo q = geo(nd, &in[0], out);
    int own = g_mm_fits((size_t)q.ck, (size_t)q.mg), direct = plain_1x1(nd, &q);
    if (own && !direct && nd->p.strides[0] == 1 && nd->p.strides[1] == 1) {
        s1_conv c;
        XAI_TRY(s1_conv_setup(&c, &nd->p, &q, 0, ws, NULL));
        s1_conv_run(&c, in[0].p, in[1].p, in[2].p, out->p, S1_WRITE);
        return XAI_OK;
    }
    if (depthwise(&q) && !direct) {
        dw_fwd(&nd->p, &q, in[0].p, in[1].p, in[2].p, out->p);
        return XAI_OK;
    }
    XAI_TRY(g_ws_reserve(ws, direct ? 1 : (size_t)(q.ck * q.hw)));
    float *col = ws->p;
    const float *wt = in[1].p, *bias = in[2].p;
    for (int64_t s = 0; s < q.n; s++)
        for (int64_t gi = 0; gi < q.grp; gi++) {
            const float *b = col;
            if (direct)
                b = in[0].p + (s * q.c + gi * q.cg) * q.hw;
            else
                im2col(&nd->p, &q, in[0].p, NULL, col, s, gi);
            float *y = out->p + (s * q.m + gi * q.mg) * q.hw;
            const float *w = wt + gi * q.mg * q.ck;
            if (own)
                g_mm((size_t)q.mg, (size_t)q.hw, (size_t)q.ck, 1.0f, w, (size_t)q.ck, b,
                     (size_t)q.hw, NULL, y, (size_t)q.hw, 0);
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)q.mg,
                            (int)q.hw, (int)q.ck, 1.0f, w, (int)q.ck, b, (int)q.hw, 0.0f, y,
                            (int)q.hw);
            for (int64_t mm = 0; bias && mm < q.mg; mm++)
                for (int64_t t = 0; t < q.hw; t++)
                    y[mm * q.hw + t] += bias[gi * q.mg + mm];
        }
    return XAI_OK;
}

/* dX += col2im(W_g^T dY_g); W_g^T is packed once per call for g_mm. */
G_BWD(conv)
{
    if (!din[0].p)
        return XAI_OK;
    conv_geo q = geo(nd, &in[0], out), t;
    int own = g_mm_fits((size_t)q.ck, (size_t)q.mg), direct = plain_1x1(nd, &q);
    g_params tp;
    if (own && !direct && transposed(&nd->p, &q, &t, &tp))
        return conv_bwd_transposed(&q, &t, &tp, in[1].p, dout->p, din[0].p, din[0].fresh,
                                   ws);
    if (din[0].fresh) /* the paths below add to dX */
        memset(din[0].p, 0, din[0].numel * sizeof *din[0].p);
    if (depthwise(&q) && !direct) {
        dw_bwd(&nd->p, &q, din[0].p, in[1].p, dout->p);
        return XAI_OK;
    }
    size_t wlen = own ? (size_t)(q.grp * q.ck * q.mg) : 0;
    XAI_TRY(g_ws_reserve(ws, wlen + (size_t)(q.ck * q.hw)));
    float *wtt = ws->p, *col = ws->p + wlen;
    const float *wt = in[1].p;
    for (int64_t gi = 0; own && gi < q.grp; gi++)
        for (int64_t mm = 0; mm < q.mg; mm++)
            for (int64_t r = 0; r < q.ck; r++)
                wtt[(gi * q.ck + r) * q.mg + mm] = wt[(gi * q.mg + mm) * q.ck + r];
    for (int64_t s = 0; s < q.n; s++)
        for (int64_t gi = 0; gi < q.grp; gi++) {
            const float *dy = dout->p + (s * q.m + gi * q.mg) * q.hw;
            float *dxs = din[0].p + (s * q.c + gi * q.cg) * q.hw;
            if (own)
                g_mm((size_t)q.ck, (size_t)q.hw, (size_t)q.mg, 1.0f,
                     wtt + gi * q.ck * q.mg, (size_t)q.mg, dy, (size_t)q.hw, NULL,
                     direct ? dxs : col, (size_t)q.hw, direct);
            else
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)q.ck, (int)q.hw,
                            (int)q.mg, 1.0f, wt + gi * q.mg * q.ck, (int)q.ck, dy,
                            (int)q.hw, direct ? 1.0f : 0.0f, direct ? dxs : col, (int)q.hw);
            if (!direct)
                im2col(&nd->p, &q, NULL, din[0].p, col, s, gi);
        }
    return XAI_OK;
}
