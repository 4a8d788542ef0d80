/* core/ops_pad.c: Pad in "constant" mode (non-negative pads, batch axis
 * unpadded). */
#include <string.h>

#include "ops.h"

G_INFER(pad)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x || x->dtype != G_F32)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs a float32 input");
    const g_attr *m = g_attr_get(nd, "mode");
    if (m && m->s && strcmp(m->s, "constant") != 0)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "pad mode '%s'", m->s);
    int64_t *pa = nd->p.pad_all;
    int r = x->rank, np;
    const g_attr *a = g_attr_get(nd, "pads");
    if (g_in(g, nd, 1)) {
        if ((np = g_const_ints(g, nd, 1, pa, 2 * G_MAX_RANK)) < 0)
            return XAI_ERR_UNSUPPORTED;
    } else if (a && a->n_ints <= 2 * G_MAX_RANK) {
        np = (int)a->n_ints;
        memcpy(pa, a->ints, a->n_ints * sizeof *pa);
    } else {
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs pads");
    }
    if (np != 2 * r)
        return g_node_fail(g, nd, XAI_ERR_SHAPE, "%d pads for rank %d", np, r);
    nd->p.lo = g_attr_float(nd, "value", 0.0f);
    g_tensor *cv = g_in(g, nd, 2);
    if (cv) {
        if (!cv->data || cv->dtype != G_F32 || cv->numel != 1)
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "constant_value must be a float scalar");
        nd->p.lo = *(const float *)cv->data;
    }
    int64_t dims[G_MAX_RANK];
    for (int i = 0; i < r; i++) {
        if (pa[i] < 0 || pa[i + r] < 0)
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "negative pads (cropping)");
        if (x->batched && i == 0 && (pa[0] || pa[r]))
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "padding the batch axis");
        dims[i] = x->dims[i] + pa[i] + pa[i + r];
    }
    nd->n_in = 1;
    XAI_TRY(g_set_shape(g, nd, 0, r, dims, x->batched, G_F32));
    nd->flops = 0;
    return XAI_OK;
}

/* Calls f(in offset, out offset) for every input element. */
#define PAD_LOOP(x, y, ...)                                                    \
    do {                                                                       \
        int r_ = (x)->rank;                                                    \
        int64_t ys_[G_MAX_RANK], st_ = 1, idx_[G_MAX_RANK] = {0};              \
        for (int i_ = r_ - 1; i_ >= 0; i_--) {                                 \
            ys_[i_] = st_;                                                     \
            st_ *= (y)->d[i_];                                                 \
        }                                                                      \
        for (size_t io = 0; io < (x)->numel; io++) {                           \
            size_t oo = 0;                                                     \
            for (int i_ = 0; i_ < r_; i_++)                                    \
                oo += (size_t)((idx_[i_] + nd->p.pad_all[i_]) * ys_[i_]);      \
            __VA_ARGS__;                                                       \
            for (int i_ = r_ - 1; i_ >= 0; i_--) {                             \
                if (++idx_[i_] < (x)->d[i_])                                   \
                    break;                                                     \
                idx_[i_] = 0;                                                  \
            }                                                                  \
        }                                                                      \
    } while (0)

G_FWD(pad)
{
    (void)ws;
    for (size_t i = 0; i < out->numel; i++)
        out->p[i] = nd->p.lo;
    PAD_LOOP(&in[0], out, out->p[oo] = in[0].p[io]);
    return XAI_OK;
}

/* dX = dY at the unpadded positions */
G_BWD(pad)
{
    (void)ws;
    PAD_LOOP(&in[0], out, din[0].p[io] += dout->p[oo]);
    return XAI_OK;
}
