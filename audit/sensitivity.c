/* audit/sensitivity.c: max-sensitivity (Yeh et al. 2019), relative.
 * SENS = max_p |phi(x + u_p) - phi(x)|_2 / |phi(x)|_2, u_pj ~ U[-r s_j, r s_j]. */
#include <math.h>
#include <stdlib.h>

#include "audit_impl.h"
#include "core/error.h"

xai_status xai_audit_max_sensitivity(const xai_audit_setup *s,
                                     xai_attribution_fn explain, void *user,
                                     const float *x, size_t n_rows,
                                     const float *phi, double radius,
                                     size_t n_points, double *sens)
{
    XAI_TRY(audit_check(s, x, n_rows, phi, "max-sensitivity"));
    if (!explain || !phi || !sens)
        return xai_fail(XAI_ERR_INVALID, "max-sensitivity: an explanation "
                        "function, attributions and an output are required");
    if (n_points < 1 || !(radius > 0) || !isfinite(radius))
        return xai_fail(XAI_ERR_INVALID, "max-sensitivity: need at least one point "
                        "and a positive finite radius (got %zu, %g)", n_points, radius);
    size_t D = s->n_features;
    float *pts = audit_alloc(n_rows, D * sizeof *pts, "max-sensitivity points");
    float *ph = audit_alloc(n_rows, D * sizeof *ph, "max-sensitivity attributions");
    xai_rng *rng = audit_alloc(n_rows, sizeof *rng, "max-sensitivity streams");
    xai_status st = XAI_ERR_NOMEM;
    if (!pts || !ph || !rng)
        goto out;
    for (size_t i = 0; i < n_rows; i++) {
        xai_rng_init(&rng[i], s->seed ^ AUDIT_TAG_SENS, s->first_instance + i);
        sens[i] = 0;
    }
    /* one batch per point p: all rows perturbed, explained with their own
     * instance indices */
    for (size_t p = 0; p < n_points; p++) {
        for (size_t i = 0; i < n_rows; i++)
            for (size_t j = 0; j < D; j++) {
                double u = (2.0 * xai_rng_uniform(&rng[i]) - 1.0) * radius * audit_scale(s, j);
                pts[i * D + j] = (float)(x[i * D + j] + u);
            }
        if ((st = explain(user, s->model, pts, n_rows, s->first_instance, ph)) != XAI_OK)
            goto out;
        for (size_t i = 0; i < n_rows; i++) {
            double num = 0, den = 0;
            for (size_t j = 0; j < D; j++) {
                double d = (double)ph[i * D + j] - phi[i * D + j];
                num += d * d;
                den += (double)phi[i * D + j] * phi[i * D + j];
            }
            if (!isfinite(num)) {
                st = xai_fail(XAI_ERR_NUMERIC, "max-sensitivity: row %llu: the "
                              "explanation of a perturbed input is not finite",
                              (unsigned long long)(s->first_instance + i));
                goto out;
            }
            double v = den > 0 ? sqrt(num / den) : (num > 0 ? INFINITY : 0.0);
            if (v > sens[i])
                sens[i] = v;
        }
    }
    st = XAI_OK;
out:
    free(pts), free(ph), free(rng);
    return st;
}
