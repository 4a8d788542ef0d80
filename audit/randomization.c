/* audit/randomization.c: sanity check by model randomisation (Adebayo et
 * al. 2018).  rho_i = Spearman(phi(m, x_i), phi(m_rand, x_i)). */
#include <math.h>
#include <stdlib.h>

#include "audit_impl.h"
#include "core/error.h"

/* Average ranks (1-based) of v into rk; ties share their mean rank. */
static void ranks(const float *v, size_t n, uint32_t *order, double *key, double *rk)
{
    for (size_t i = 0; i < n; i++)
        key[i] = v[i];
    audit_order_desc(key, n, order);
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b + 1 < n && key[order[b + 1]] == key[order[a]])
            b++;
        double r = 0.5 * (double)(a + b) + 1.0;
        for (size_t k = a; k <= b; k++)
            rk[order[k]] = r;
        a = b + 1;
    }
}

/* rho = Pearson correlation of the rank vectors. */
double xai_audit_spearman(const float *a, const float *b, size_t n)
{
    if (n < 2 || !a || !b)
        return NAN;
    uint32_t *order = malloc(n * sizeof *order);
    double *key = malloc(n * sizeof *key), *ra = malloc(n * sizeof *ra),
           *rb = malloc(n * sizeof *rb);
    double rho = NAN;
    if (order && key && ra && rb) {
        ranks(a, n, order, key, ra);
        ranks(b, n, order, key, rb);
        double m = 0.5 * (double)(n + 1), sab = 0, saa = 0, sbb = 0;
        for (size_t i = 0; i < n; i++) {
            sab += (ra[i] - m) * (rb[i] - m);
            saa += (ra[i] - m) * (ra[i] - m);
            sbb += (rb[i] - m) * (rb[i] - m);
        }
        if (saa > 0 && sbb > 0)
            rho = sab / sqrt(saa * sbb);
    }
    free(order), free(key), free(ra), free(rb);
    return rho;
}

xai_status xai_audit_randomization(const xai_audit_setup *s,
                                   const xai_model *randomized,
                                   xai_attribution_fn explain, void *user,
                                   const float *x, size_t n_rows,
                                   const float *phi, double *rho)
{
    XAI_TRY(audit_check(s, x, n_rows, phi, "randomisation check"));
    if (!randomized || !explain || !phi || !rho)
        return xai_fail(XAI_ERR_INVALID, "randomisation check: a randomised model, "
                        "an explanation function, attributions and an output are "
                        "required");
    size_t D = s->n_features;
    if (xai_model_input_size(randomized) != D ||
        xai_model_output_size(randomized) != xai_model_output_size(s->model))
        return xai_fail(XAI_ERR_SHAPE, "randomisation check: the randomised model "
                        "has %zu inputs and %zu outputs, the model %zu and %zu",
                        xai_model_input_size(randomized),
                        xai_model_output_size(randomized), D,
                        xai_model_output_size(s->model));
    float *ph = audit_alloc(n_rows, D * sizeof *ph, "randomisation attributions");
    if (!ph)
        return XAI_ERR_NOMEM;
    xai_status st = explain(user, randomized, x, n_rows, s->first_instance, ph);
    for (size_t i = 0; st == XAI_OK && i < n_rows; i++) {
        for (size_t j = 0; j < D; j++)
            if (!isfinite(ph[i * D + j])) {
                st = xai_fail(XAI_ERR_NUMERIC, "randomisation check: row %llu, "
                              "feature %zu: the randomised model's attribution is "
                              "not finite", (unsigned long long)(s->first_instance + i), j);
                break;
            }
        if (st == XAI_OK)
            rho[i] = xai_audit_spearman(phi + i * D, ph + i * D, D);
    }
    free(ph);
    return st;
}
