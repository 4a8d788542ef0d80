/* core/ops_unary.c: elementwise activations (Relu, LeakyRelu, Sigmoid, Tanh,
 * Exp, Clip). */
#include <float.h>
#include <math.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ops.h"
#include "simd.h"

G_INFER(unary)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x || x->dtype != G_F32)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs one float32 input");
    nd->p.alpha = g_attr_float(nd, "alpha", 0.01f); /* LeakyRelu */
    XAI_TRY(g_set_shape(g, nd, 0, x->rank, x->dims, x->batched, G_F32));
    nd->flops = (double)x->numel;
    return XAI_OK;
}

/* Relu runs on every activation of most models: 16 lanes at a time with
 * AVX-512 (run-time check, masked tail) or 4 with SSE (baseline on x86-64),
 * element-wise, so the results equal the scalar loop's: max(x, 0) is
 * x > 0 ? x : 0 (NaN and -0 give +0), and the backward adds dy where x > 0,
 * else +0 (to 0 when din is fresh: the same values as adding to a zeroed
 * gradient). */
#ifdef G_X86
__attribute__((target("avx512f"))) static void relu_fwd_512(const float *x, float *y,
                                                             size_t n)
{
    __m512 z = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, _mm512_max_ps(_mm512_maskz_loadu_ps(m, x + i), z));
    }
}

__attribute__((target("avx512f"))) static void relu_bwd_512(const float *x, const float *dy,
                                                             float *dx, size_t n, int fresh)
{
    __m512 z = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __mmask16 on = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, x + i), z,
                                               _CMP_GT_OQ);
        __m512 g = _mm512_maskz_loadu_ps(on, dy + i); /* dy where x > 0, else +0 */
        __m512 base = fresh ? z : _mm512_maskz_loadu_ps(m, dx + i);
        _mm512_mask_storeu_ps(dx + i, m, _mm512_add_ps(base, g));
    }
}
#endif

G_FWD(relu)
{
    (void)nd; (void)ws;
    const float *x = in->p;
    float *y = out->p;
    size_t n = out->numel, i = 0;
#ifdef G_X86
    if (g_cpu_avx512()) {
        relu_fwd_512(x, y, n);
        return XAI_OK;
    }
#endif
#ifdef __SSE2__
    __m128 z = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(y + i, _mm_max_ps(_mm_loadu_ps(x + i), z));
#endif
    for (; i < n; i++)
        y[i] = x[i] > 0 ? x[i] : 0;
    return XAI_OK;
}
G_BWD(relu)
{
    (void)nd; (void)ws; (void)out;
    const float *x = in->p, *dy = dout->p;
    float *dx = din->p;
    size_t n = dout->numel, i = 0;
#ifdef G_X86
    if (g_cpu_avx512()) {
        relu_bwd_512(x, dy, dx, n, din->fresh);
        return XAI_OK;
    }
#endif
    if (din->fresh) {
#ifdef __SSE2__
        __m128 z = _mm_setzero_ps();
        for (; i + 4 <= n; i += 4) {
            __m128 on = _mm_cmpgt_ps(_mm_loadu_ps(x + i), z);
            _mm_storeu_ps(dx + i, _mm_add_ps(z, _mm_and_ps(on, _mm_loadu_ps(dy + i))));
        }
#endif
        for (; i < n; i++)
            dx[i] = 0.0f + (x[i] > 0 ? dy[i] : 0);
        return XAI_OK;
    }
#ifdef __SSE2__
    __m128 z = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4) {
        __m128 on = _mm_cmpgt_ps(_mm_loadu_ps(x + i), z);
        _mm_storeu_ps(dx + i, _mm_add_ps(_mm_loadu_ps(dx + i),
                                         _mm_and_ps(on, _mm_loadu_ps(dy + i))));
    }
#endif
    for (; i < n; i++)
        dx[i] += x[i] > 0 ? dy[i] : 0;
    return XAI_OK;
}

G_FWD(leakyrelu)
{
    (void)ws;
    float a = nd->p.alpha;
    for (size_t i = 0; i < out->numel; i++)
        out->p[i] = in->p[i] >= 0 ? in->p[i] : a * in->p[i];
    return XAI_OK;
}
G_BWD(leakyrelu)
{
    (void)ws; (void)out;
    float a = nd->p.alpha;
    for (size_t i = 0; i < dout->numel; i++)
        din->p[i] += in->p[i] >= 0 ? dout->p[i] : a * dout->p[i];
    return XAI_OK;
}

G_FWD(sigmoid)
{
    (void)nd; (void)ws;
    for (size_t i = 0; i < out->numel; i++) {
        float x = in->p[i];
        if (x >= 0) {
            out->p[i] = 1.0f / (1.0f + expf(-x));
        } else {
            float e = expf(x);
            out->p[i] = e / (1.0f + e);
        }
    }
    return XAI_OK;
}
G_BWD(sigmoid)
{
    (void)nd; (void)ws; (void)in;
    for (size_t i = 0; i < dout->numel; i++)
        din->p[i] += dout->p[i] * out->p[i] * (1.0f - out->p[i]);
    return XAI_OK;
}

G_FWD(tanh)
{
    (void)nd; (void)ws;
    for (size_t i = 0; i < out->numel; i++)
        out->p[i] = tanhf(in->p[i]);
    return XAI_OK;
}
G_BWD(tanh)
{
    (void)nd; (void)ws; (void)in;
    for (size_t i = 0; i < dout->numel; i++)
        din->p[i] += dout->p[i] * (1.0f - out->p[i] * out->p[i]);
    return XAI_OK;
}

G_FWD(exp)
{
    (void)nd; (void)ws;
    for (size_t i = 0; i < out->numel; i++)
        out->p[i] = expf(in->p[i]);
    return XAI_OK;
}
G_BWD(exp)
{
    (void)nd; (void)ws; (void)in;
    for (size_t i = 0; i < dout->numel; i++)
        din->p[i] += dout->p[i] * out->p[i];
    return XAI_OK;
}

/* Clip bounds: inputs 1 and 2 (opset >= 11) or attributes min / max. */
static xai_status clip_bound(graph *g, g_node *nd, int k, const char *attr,
                             float dflt, float *v)
{
    *v = g_attr_float(nd, attr, dflt);
    g_tensor *t = g_in(g, nd, k);
    if (!t)
        return XAI_OK;
    if (!t->data || t->dtype != G_F32 || t->numel != 1)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "bound '%s' must be a constant float scalar", t->name);
    *v = *(const float *)t->data;
    return XAI_OK;
}

G_INFER(clip)
{
    XAI_TRY(unary_infer(g, nd));
    XAI_TRY(clip_bound(g, nd, 1, "min", -FLT_MAX, &nd->p.lo));
    XAI_TRY(clip_bound(g, nd, 2, "max", FLT_MAX, &nd->p.hi));
    nd->n_in = 1; /* the bounds are parameters now */
    return XAI_OK;
}
G_FWD(clip)
{
    (void)ws;
    for (size_t i = 0; i < out->numel; i++)
        out->p[i] = fminf(fmaxf(in->p[i], nd->p.lo), nd->p.hi);
    return XAI_OK;
}
G_BWD(clip)
{
    (void)ws; (void)out;
    for (size_t i = 0; i < dout->numel; i++)
        din->p[i] += in->p[i] >= nd->p.lo && in->p[i] <= nd->p.hi ? dout->p[i] : 0;
    return XAI_OK;
}
