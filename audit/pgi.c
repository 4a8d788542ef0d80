/* audit/pgi.c: prediction gaps on important / unimportant features.
 * PGI_k = mean_s |f(x) - f(x + e_s * top_k)|, PGU_k = same on the complement
 * of top_k, e_sj ~ N(0, (sigma s_j)^2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_impl.h"
#include "core/error.h"

typedef struct pgi_call {
    const xai_audit_setup *s;
    const float *x, *phi;
    size_t K, S;
    double sigma;
    double *pgi, *pgu;
} pgi_call;

/* Batch layout: for k = 1..K, S rows perturbing top-k, then S rows
 * perturbing the rest; the noise e_s is shared by PGI and PGU and across k
 * (common random numbers), so the curves over k are smooth. */
static xai_status pgi_row(void *vc, xai_runner *r, size_t i)
{
    const pgi_call *c = vc;
    const xai_audit_setup *s = c->s;
    size_t D = s->n_features, K = c->K, S = c->S, n;
    size_t KO = xai_model_output_size(s->model);
    const float *x = c->x + i * D, *phi = c->phi + i * D;
    xai_status st = XAI_ERR_NOMEM;
    float *pts = NULL, *buf = NULL, *eps = NULL;
    double *key = NULL, *y = NULL;
    uint32_t *order = NULL;
    uint8_t *top = NULL;
    if (!xai_mul3_size(2, K, S, &n) || n == SIZE_MAX) {
        xai_fail(XAI_ERR_NOMEM, "PGI: 2 x %zu x %zu perturbed rows: too many", K, S);
        goto out;
    }
    /* the batch: n perturbed rows, then x itself */
    if (!(pts = audit_alloc(n + 1, D * sizeof *pts, "PGI batch")) ||
        !(buf = audit_alloc(n + 1, KO * sizeof *buf, "PGI outputs")) ||
        !(eps = audit_alloc(S, D * sizeof *eps, "PGI noise")) ||
        !(key = audit_alloc(D, sizeof *key, "PGI ranking")) ||
        !(y = audit_alloc(n + 1, sizeof *y, "PGI outputs")) ||
        !(order = audit_alloc(D, sizeof *order, "PGI ranking")) ||
        !(top = audit_alloc(D, 1, "PGI ranking")))
        goto out;
    xai_rng rng;
    xai_rng_init(&rng, s->seed ^ AUDIT_TAG_PGI, s->first_instance + i);
    for (size_t q = 0; q < S; q++)
        for (size_t j = 0; j < D; j++)
            eps[q * D + j] = (float)(c->sigma * audit_scale(s, j) * xai_rng_normal(&rng));
    for (size_t j = 0; j < D; j++)
        key[j] = fabs((double)phi[j]);
    audit_order_desc(key, D, order);
    memset(top, 0, D);
    for (size_t k = 1; k <= K; k++) {
        top[order[k - 1]] = 1;
        for (size_t q = 0; q < S; q++) {
            float *a = pts + (((k - 1) * 2) * S + q) * D;
            float *b = a + S * D;
            for (size_t j = 0; j < D; j++) {
                a[j] = x[j] + (top[j] ? eps[q * D + j] : 0.0f);
                b[j] = x[j] + (top[j] ? 0.0f : eps[q * D + j]);
            }
        }
    }
    memcpy(pts + n * D, x, D * sizeof *x);
    int32_t t;
    double fx;
    if ((st = audit_eval_row(s, r, i, pts, n + 1, n, buf, &t, &fx, y)) != XAI_OK)
        goto out;
    for (size_t k = 0; k < K; k++) {
        double gi = 0, gu = 0;
        for (size_t q = 0; q < S; q++) {
            gi += fabs(fx - y[(2 * k) * S + q]);
            gu += fabs(fx - y[(2 * k + 1) * S + q]);
        }
        if (c->pgi)
            c->pgi[i * K + k] = gi / (double)S;
        if (c->pgu)
            c->pgu[i * K + k] = gu / (double)S;
    }
out:
    free(pts), free(buf), free(eps), free(key), free(y), free(order), free(top);
    return st;
}

xai_status xai_audit_pgi_pgu(const xai_audit_setup *s, const float *x,
                             size_t n_rows, const float *phi, size_t K,
                             double sigma, size_t n_samples, double *pgi,
                             double *pgu)
{
    XAI_TRY(audit_check(s, x, n_rows, phi, "PGI/PGU"));
    if (!phi)
        return xai_fail(XAI_ERR_INVALID, "PGI/PGU: attributions are required");
    if (K < 1 || K > s->n_features)
        return xai_fail(XAI_ERR_INVALID, "PGI/PGU: k must be in 1..%zu (the "
                        "number of features), got %zu", s->n_features, K);
    if (n_samples < 1 || !(sigma > 0) || !isfinite(sigma))
        return xai_fail(XAI_ERR_INVALID, "PGI/PGU: need at least one sample and "
                        "a positive finite sigma (got %zu, %g)", n_samples, sigma);
    pgi_call c = {s, x, phi, K, n_samples, sigma, pgi, pgu};
    return audit_for_rows(s->model, n_rows, s->n_threads, pgi_row, &c);
}
