/* core/ops_norm.c: BatchNormalization in inference mode. */
#include <math.h>

#include "ops.h"

G_INFER(batchnorm)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x || x->dtype != G_F32 || x->rank < 2)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs a float32 input of rank >= 2");
    if (g_attr_int(nd, "training_mode", 0) != 0 || (nd->n_out > 1 && nd->out[1] >= 0))
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "training mode is not supported");
    if (nd->n_in != 5)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs X, scale, B, mean and var");
    for (int k = 1; k < 5; k++) {
        g_tensor *t = g_in(g, nd, k);
        if (!t || !t->data || t->dtype != G_F32 || t->numel != (size_t)x->dims[1])
            return g_node_fail(g, nd, XAI_ERR_SHAPE,
                               "input %d must be a constant with %lld values", k,
                               (long long)x->dims[1]);
    }
    nd->p.eps = g_attr_float(nd, "epsilon", 1e-5f);
    XAI_TRY(g_set_shape(g, nd, 0, x->rank, x->dims, x->batched, G_F32));
    nd->flops = 2.0 * (double)x->numel;
    return XAI_OK;
}

/* Per channel: y = a x + b with a = scale / sqrt(var + eps). */
#define BN_LOOP(BODY)                                                          \
    size_t c_ = (size_t)in[0].d[1], n_ = (size_t)in[0].d[0];                   \
    size_t sp = c_ && n_ ? in[0].numel / (c_ * n_) : 0;                        \
    for (size_t s = 0; s < n_; s++)                                            \
        for (size_t c = 0; c < c_; c++) {                                      \
            float a = in[1].p[c] / sqrtf(in[4].p[c] + nd->p.eps);              \
            float b = in[2].p[c] - a * in[3].p[c];                             \
            size_t o = (s * c_ + c) * sp;                                      \
            (void)b;                                                           \
            BODY                                                               \
        }

G_FWD(batchnorm)
{
    (void)ws;
    BN_LOOP(for (size_t i = 0; i < sp; i++) out->p[o + i] = a * in[0].p[o + i] + b;)
    return XAI_OK;
}

/* dX += a dY */
G_BWD(batchnorm)
{
    (void)ws; (void)out;
    BN_LOOP(for (size_t i = 0; i < sp; i++) din[0].p[o + i] += a * dout->p[o + i];)
    return XAI_OK;
}
