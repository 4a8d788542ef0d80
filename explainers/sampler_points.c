/* explainers/sampler_points.c: neighbourhoods in input space: Gaussian
 * noise, the point itself, the straight path from the baseline, a user
 * sampler.  Points are S x D floats with weights w. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "lfa.h"

static xai_status alloc_points(xai_job *j, size_t S)
{
    size_t len;
    if (!xai_mul_size(S, j->plan->D, &len))
        return xai_fail(XAI_ERR_NOMEM, "%zu samples of %zu features: too many",
                        S, j->plan->D);
    XAI_TRY(xai_reserve((void **)&j->pts, &j->cap_pts, len, sizeof *j->pts));
    XAI_TRY(xai_reserve((void **)&j->w, &j->cap_w, S, sizeof *j->w));
    j->S = S;
    return XAI_OK;
}

/* Exponential kernel on the noise-standardised distance, or 1. */
static double point_weight(const xai_plan *p, const float *x, const float *z)
{
    if (p->spec.kernel != XAI_KERNEL_EXPONENTIAL)
        return 1.0;
    double d2 = 0;
    for (size_t k = 0; k < p->D; k++) {
        double s = p->sig[k] > 0 ? p->sig[k] : 1.0;
        double t = ((double)z[k] - x[k]) / s;
        d2 += t * t;
    }
    return exp(-d2 / (2 * p->opt.kernel_width * p->opt.kernel_width));
}

/* Normals drawn per batch: whole samples, an even count (batches then
 * concatenate to one xai_rng_normals stream). */
#define NORMAL_BATCH 4096

/* z = x + sig .* eps, eps ~ N(0, I): the S x D normals in sample-major
 * order from one xai_rng_normals stream. */
xai_status xai_sample_gaussian(xai_job *j)
{
    const xai_plan *p = j->plan;
    size_t D = p->D;
    XAI_TRY(alloc_points(j, p->samples));
    size_t per = D ? NORMAL_BATCH / D : 1; /* samples per batch, even */
    per = per < 2 ? 2 : per & ~(size_t)1;
    XAI_TRY(xai_reserve((void **)&j->eps, &j->cap_eps, per * (D ? D : 1), sizeof *j->eps));
    double *eps = j->eps;
    const float *x = j->x, *sig = p->sig;
    for (size_t s0 = 0; s0 < j->S; s0 += per) {
        size_t n = j->S - s0 < per ? j->S - s0 : per;
        xai_rng_normals(&j->rng, n * D, eps);
        for (size_t s = 0; s < n; s++) {
            float *z = j->pts + (s0 + s) * D;
            const double *e = eps + s * D;
#pragma omp simd
            for (size_t k = 0; k < D; k++)
                z[k] = x[k] + sig[k] * (float)e[k];
        }
    }
    for (size_t s = 0; s < j->S; s++)
        j->w[s] = point_weight(p, j->x, j->pts + s * D);
    return XAI_OK;
}

xai_status xai_sample_point(xai_job *j)
{
    XAI_TRY(alloc_points(j, 1));
    memcpy(j->pts, j->x, j->plan->D * sizeof *j->pts);
    j->w[0] = 1.0;
    return XAI_OK;
}

/* z_{k,i} = b_k + t_i (x - b_k), weight w_i / nb; background k major. */
xai_status xai_sample_path(xai_job *j)
{
    const xai_plan *p = j->plan;
    size_t n = p->samples, S;
    if (!xai_mul_size(n, p->nb, &S))
        return xai_fail(XAI_ERR_NOMEM, "path too long");
    XAI_TRY(alloc_points(j, S));
    for (size_t b = 0; b < p->nb; b++) {
        const float *base = p->base + b * p->D;
        for (size_t i = 0; i < n; i++) {
            float *z = j->pts + (b * n + i) * p->D;
            for (size_t k = 0; k < p->D; k++)
                z[k] = (float)(base[k] + p->tnode[i] * ((double)j->x[k] - base[k]));
            j->w[b * n + i] = p->tweight[i] / (double)p->nb;
        }
    }
    return XAI_OK;
}

xai_status xai_sample_user(xai_job *j)
{
    const xai_plan *p = j->plan;
    XAI_TRY(alloc_points(j, p->samples));
    for (size_t s = 0; s < j->S; s++)
        j->w[s] = 1.0;
    if (p->opt.custom.sample(p->opt.custom.user, &j->rng, j->x, p->D, j->S,
                             j->pts, j->w) != 0)
        return xai_fail(XAI_ERR_INVALID, "custom sampler failed");
    for (size_t s = 0; s < j->S; s++) {
        if (!(j->w[s] >= 0) || !isfinite(j->w[s]))
            return xai_fail(XAI_ERR_NUMERIC, "custom sampler: weight %zu is "
                            "negative or not finite", s);
        for (size_t k = 0; k < p->D; k++)
            if (!isfinite(j->pts[s * p->D + k]))
                return xai_fail(XAI_ERR_NUMERIC, "custom sampler: sample %zu, "
                                "feature %zu is not finite", s, k);
        j->w[s] *= point_weight(p, j->x, j->pts + s * p->D);
    }
    return XAI_OK;
}

/* Gauss-Legendre: Newton on P_n from Chebyshev guesses; nodes mapped from
 * [-1, 1] to [0, 1], weights 2 / ((1 - z^2) P_n'(z)^2) halved.
 * Trapezoid: t_i = i / (n-1), weights 1/(n-1), halved at both ends. */
xai_status xai_quadrature(xai_ig_rule rule, size_t n, double *t, double *w)
{
    if (rule == XAI_IG_TRAPEZOID) {
        if (n < 2)
            return xai_fail(XAI_ERR_INVALID, "the trapezoid rule needs 2 points");
        for (size_t i = 0; i < n; i++) {
            t[i] = (double)i / (double)(n - 1);
            w[i] = (i == 0 || i == n - 1 ? 0.5 : 1.0) / (double)(n - 1);
        }
        return XAI_OK;
    }
    for (size_t i = 0; i < n; i++) {
        double z = cos(M_PI * ((double)i + 0.75) / ((double)n + 0.5)), pp = 1;
        for (int it = 0; it < 100; it++) {
            double p1 = 1, p2 = 0;
            for (size_t k = 1; k <= n; k++) {
                double p3 = p2;
                p2 = p1;
                p1 = ((2.0 * (double)k - 1) * z * p2 - ((double)k - 1) * p3) / (double)k;
            }
            pp = (double)n * (z * p1 - p2) / (z * z - 1);
            double dz = p1 / pp;
            z -= dz;
            if (fabs(dz) < 1e-15)
                break;
        }
        t[i] = (1 - z) / 2;
        w[i] = 1.0 / ((1 - z * z) * pp * pp);
    }
    return XAI_OK;
}
