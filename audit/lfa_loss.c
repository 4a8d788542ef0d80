/* audit/lfa_loss.c: the LFA loss of attributions on a declared
 * neighbourhood.  Gaussian, path and point go through xai_lfa_loss with a
 * custom (neighbourhood, loss) triple and a fresh seed; mask:P is drawn here:
 *   L = min_b mean_s (f(z_s) - b - sum_u phi_u m_su)^2 = var_s(r_s),
 *   r_s = f(z_s) - sum_u phi_u m_su, m_su ~ Bernoulli(1 - P) (1 = kept). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_impl.h"
#include "core/error.h"
#include "explainers/lfa.h"

typedef struct mask_call {
    const xai_plan *p;
    const xai_model *m;
    xai_output_kind output;
    int32_t target;
    double P;
    size_t S;
    uint64_t seed, first;
    const float *x, *phi;
    double *loss;
} mask_call;

static xai_status mask_row(void *vc, xai_runner *r, size_t i)
{
    const mask_call *c = vc;
    const xai_plan *p = c->p;
    size_t D = p->D, U = p->U, S = c->S, nb = p->nb, K = p->K, n;
    const float *x = c->x + i * D, *phi = c->phi + i * D;
    xai_status st = XAI_ERR_NOMEM;
    float *pts = NULL, *y = NULL;
    uint8_t *mask = NULL;
    double *phiu = NULL, *fz = NULL;
    if (!xai_mul_size(S, nb, &n) || n == SIZE_MAX) {
        xai_fail(XAI_ERR_NOMEM, "mask loss: %zu samples x %zu background rows", S, nb);
        goto out;
    }
    /* the batch: n masked rows, then x itself (for the predicted class) */
    if (!(pts = audit_alloc(n + 1, D * sizeof *pts, "mask loss batch")) ||
        !(y = audit_alloc(n + 1, K * sizeof *y, "mask loss outputs")) ||
        !(mask = audit_alloc(S, U, "mask loss masks")) ||
        !(phiu = audit_alloc(U, sizeof *phiu, "mask loss units")) ||
        !(fz = audit_alloc(S, sizeof *fz, "mask loss outputs")))
        goto out;
    for (size_t u = 0; u < U; u++) {
        phiu[u] = 0;
        for (size_t q = p->ustart[u]; q < p->ustart[u + 1]; q++)
            phiu[u] += phi[p->ufeat[q]];
    }
    xai_rng rng;
    xai_rng_init(&rng, c->seed ^ AUDIT_TAG_MASK, c->first + i);
    for (size_t s = 0; s < S; s++)
        for (size_t u = 0; u < U; u++)
            mask[s * U + u] = !xai_rng_bernoulli(&rng, c->P);
    for (size_t s = 0; s < S; s++)
        for (size_t b = 0; b < nb; b++) {
            float *z = pts + (s * nb + b) * D;
            memcpy(z, x, D * sizeof *z);
            for (size_t u = 0; u < U; u++)
                if (!mask[s * U + u])
                    for (size_t q = p->ustart[u]; q < p->ustart[u + 1]; q++)
                        z[p->ufeat[q]] = p->base[b * D + p->ufeat[q]];
        }
    memcpy(pts + n * D, x, D * sizeof *x);
    if ((st = xai_runner_forward(r, c->output, pts, n + 1, y)) != XAI_OK)
        goto out;
    int32_t t = c->target;
    if (t == XAI_TARGET_PRED) {
        const float *yx = y + n * K;
        t = 0;
        for (size_t k = 1; k < K; k++)
            if (yx[k] > yx[t])
                t = (int32_t)k;
    }
    double mean = 0;
    for (size_t s = 0; s < S; s++) {
        double f = 0, g = 0;
        for (size_t b = 0; b < nb; b++)
            f += y[(s * nb + b) * K + (size_t)t];
        for (size_t u = 0; u < U; u++)
            g += mask[s * U + u] ? phiu[u] : 0.0;
        fz[s] = f / (double)nb - g;
        mean += fz[s];
    }
    mean /= (double)S;
    double v = 0;
    for (size_t s = 0; s < S; s++)
        v += (fz[s] - mean) * (fz[s] - mean);
    c->loss[i] = v / (double)S;
out:
    free(pts), free(y), free(mask), free(phiu), free(fz);
    return st;
}

static xai_status mask_loss(const xai_model *m, const xai_explain_options *base,
                            const xai_explain_context *ctx, double P, size_t S,
                            const float *x, size_t n, uint64_t first,
                            const float *phi, double *loss, int n_threads)
{
    xai_explain_options o = *base;
    o.method = XAI_METHOD_CUSTOM;
    o.custom.neighbourhood = XAI_NBHD_MASKS;
    o.custom.loss = XAI_LOSS_FUNCTION;
    o.custom.kernel = XAI_KERNEL_UNIFORM;
    o.custom.scale = XAI_SCALE_NONE;
    o.samples = (int64_t)S;
    xai_plan p;
    XAI_TRY(xai_plan_init(&p, m, &o, ctx));
    for (size_t i = 0; i < n * p.D; i++)
        if (!isfinite(x[i]) || !isfinite(phi[i])) {
            xai_plan_free(&p);
            return xai_fail(XAI_ERR_NUMERIC, "mask loss: row %llu, feature %zu: "
                            "input or attribution is not a finite number",
                            (unsigned long long)(first + i / p.D), i % p.D);
        }
    mask_call c = {&p, m, p.opt.output, p.opt.target, P, S, base->seed, first,
                   x, phi, loss};
    xai_status s = audit_for_rows(m, n, n_threads, mask_row, &c);
    xai_plan_free(&p);
    return s;
}

xai_status xai_audit_lfa_loss(const xai_model *m, const xai_explain_options *base,
                              const xai_explain_context *ctx,
                              const xai_audit_nbhd *z, int64_t samples,
                              const float *x, size_t n_rows,
                              uint64_t first_instance, const float *phi,
                              double *loss, int n_threads)
{
    if (!m || !base || !ctx || !z || !x || !phi || !loss || !n_rows)
        return xai_fail(XAI_ERR_INVALID, "LFA loss: model, options, context, "
                        "neighbourhood, rows, attributions and output are required");
    if (samples != XAI_AUTO && samples < 1)
        return xai_fail(XAI_ERR_INVALID, "LFA loss: samples must be positive (got %lld)",
                        (long long)samples);
    xai_explain_options o = *base;
    o.method = XAI_METHOD_CUSTOM;
    o.seed = base->seed ^ AUDIT_TAG_LOSS;
    o.custom.kernel = XAI_KERNEL_UNIFORM;
    o.custom.scale = XAI_SCALE_NONE;
    o.custom.loss = XAI_LOSS_GRADIENT;
    o.samples = samples;
    switch (z->kind) {
    case XAI_AUDIT_NBHD_GAUSSIAN:
        if (!(z->param > 0) || !isfinite(z->param))
            return xai_fail(XAI_ERR_INVALID, "LFA loss: gaussian sigma must be "
                            "positive (got %g)", z->param);
        o.custom.neighbourhood = XAI_NBHD_GAUSSIAN;
        o.custom.loss = XAI_LOSS_FUNCTION;
        o.sigma = z->param;
        if (samples == XAI_AUTO)
            o.samples = 1000;
        break;
    case XAI_AUDIT_NBHD_MASK:
        if (!(z->param > 0 && z->param < 1))
            return xai_fail(XAI_ERR_INVALID, "LFA loss: mask probability must be "
                            "in (0, 1) (got %g)", z->param);
        return mask_loss(m, base, ctx, z->param,
                         samples == XAI_AUTO ? 1000 : (size_t)samples, x, n_rows,
                         first_instance, phi, loss, n_threads);
    case XAI_AUDIT_NBHD_PATH:
        o.custom.neighbourhood = XAI_NBHD_PATH;
        o.custom.scale = XAI_SCALE_DELTA;
        if (samples == XAI_AUTO)
            o.samples = 50;
        break;
    case XAI_AUDIT_NBHD_POINT:
        o.custom.neighbourhood = XAI_NBHD_POINT;
        o.samples = 1;
        break;
    case XAI_AUDIT_NBHD_SHAPLEY:
        o.custom.neighbourhood = XAI_NBHD_MASKS;
        o.custom.loss = XAI_LOSS_FUNCTION;
        o.custom.kernel = XAI_KERNEL_SHAPLEY; /* samples XAI_AUTO: 2M + 2048 */
        break;
    default:
        return xai_fail(XAI_ERR_INVALID, "LFA loss: unknown neighbourhood kind %d",
                        (int)z->kind);
    }
    return xai_lfa_loss(m, &o, ctx, x, n_rows, first_instance, phi, loss, n_threads);
}
