/* audit/infidelity.c: infidelity (Yeh et al. 2019), Gaussian perturbations.
 * INFD = mean_s (I_s . phi - (f(x) - f(x - I_s)))^2, I_sj ~ N(0, (sigma s_j)^2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_impl.h"
#include "core/error.h"

typedef struct infd_call {
    const xai_audit_setup *s;
    const float *x, *phi;
    double sigma;
    size_t S;
    double *out;
} infd_call;

static xai_status infd_row(void *vc, xai_runner *r, size_t i)
{
    const infd_call *c = vc;
    const xai_audit_setup *s = c->s;
    size_t D = s->n_features, S = c->S, KO = xai_model_output_size(s->model);
    const float *x = c->x + i * D, *phi = c->phi + i * D;
    xai_status st = XAI_ERR_NOMEM;
    float *pts = NULL, *buf = NULL;
    double *dot = NULL, *y = NULL;
    /* the batch: S perturbed rows, then x itself */
    if (!(pts = audit_alloc(S + 1, D * sizeof *pts, "infidelity batch")) ||
        !(buf = audit_alloc(S + 1, KO * sizeof *buf, "infidelity outputs")) ||
        !(dot = audit_alloc(S, sizeof *dot, "infidelity")) ||
        !(y = audit_alloc(S + 1, sizeof *y, "infidelity")))
        goto out;
    xai_rng rng;
    xai_rng_init(&rng, s->seed ^ AUDIT_TAG_INFD, s->first_instance + i);
    for (size_t q = 0; q < S; q++) {
        double d = 0;
        for (size_t j = 0; j < D; j++) {
            float I = (float)(c->sigma * audit_scale(s, j) * xai_rng_normal(&rng));
            pts[q * D + j] = x[j] - I;
            /* the perturbation actually applied, after float rounding */
            d += (double)(x[j] - pts[q * D + j]) * phi[j];
        }
        dot[q] = d;
    }
    memcpy(pts + S * D, x, D * sizeof *x);
    int32_t t;
    double fx;
    if ((st = audit_eval_row(s, r, i, pts, S + 1, S, buf, &t, &fx, y)) != XAI_OK)
        goto out;
    double acc = 0;
    for (size_t q = 0; q < S; q++) {
        double e = dot[q] - (fx - y[q]);
        acc += e * e;
    }
    c->out[i] = acc / (double)S;
out:
    free(pts), free(buf), free(dot), free(y);
    return st;
}

xai_status xai_audit_infidelity(const xai_audit_setup *s, const float *x,
                                size_t n_rows, const float *phi, double sigma,
                                size_t n_samples, double *infd)
{
    XAI_TRY(audit_check(s, x, n_rows, phi, "infidelity"));
    if (!phi || !infd)
        return xai_fail(XAI_ERR_INVALID, "infidelity: attributions and an output "
                        "array are required");
    if (n_samples < 1 || !(sigma > 0) || !isfinite(sigma))
        return xai_fail(XAI_ERR_INVALID, "infidelity: need at least one sample and "
                        "a positive finite sigma (got %zu, %g)", n_samples, sigma);
    infd_call c = {s, x, phi, sigma, n_samples, infd};
    return audit_for_rows(s->model, n_rows, s->n_threads, infd_row, &c);
}
