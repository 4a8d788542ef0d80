/* audit/pgi_settings.c: the settings that make PGI/PGU comparable with the
 * literature: the noise scale ("std:S", "abs:S", "range:S") and the summary
 * of a PGI_k curve over k (mean, or the normalised trapezoid area). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit_impl.h"
#include "core/error.h"

static const char *const noise_names[] = {"std", "abs", "range"};

const char *xai_audit_noise_name(xai_audit_noise kind)
{
    return (unsigned)kind < 3 ? noise_names[kind] : "?";
}

xai_status xai_audit_noise_parse(const char *text, xai_audit_noise *kind, double *sigma)
{
    static const char forms[] = "std:S (S column stds), abs:S (absolute) or "
                                "range:S (S x the column's max - min), S > 0";
    if (!text || !kind || !sigma)
        return xai_fail(XAI_ERR_INVALID, "no metric noise given (use %s)", forms);
    const char *colon = strchr(text, ':');
    int k = -1;
    for (int q = 0; colon && q < 3; q++)
        if ((size_t)(colon - text) == strlen(noise_names[q]) &&
            strncasecmp(text, noise_names[q], (size_t)(colon - text)) == 0)
            k = q;
    if (k < 0)
        return xai_fail(XAI_ERR_INVALID, "metric noise '%s': unknown form (use %s)",
                        text, forms);
    char *end;
    double v = strtod(colon + 1, &end);
    if (!colon[1] || *end || !isfinite(v) || !(v > 0))
        return xai_fail(XAI_ERR_INVALID, "metric noise '%s': S must be a positive "
                        "number (use %s)", text, forms);
    *kind = (xai_audit_noise)k;
    *sigma = v;
    return XAI_OK;
}

/* AUC: trapezoid with unit steps over k = k0..K, i.e. the end points with
 * half weight, divided by K - k0 so a flat curve keeps its height. */
double xai_audit_pgi_summarise(const double *curve, size_t k0, size_t K,
                               xai_audit_pgi_summary how)
{
    if (!curve || k0 < 1 || k0 > K)
        return NAN;
    const double *c = curve + (k0 - 1);
    size_t n = K - k0 + 1;
    double acc = 0;
    if (how == XAI_AUDIT_PGI_AUC) {
        if (n == 1)
            return c[0];
        for (size_t q = 0; q < n; q++)
            acc += (q == 0 || q == n - 1) ? 0.5 * c[q] : c[q];
        return acc / (double)(n - 1);
    }
    for (size_t q = 0; q < n; q++)
        acc += c[q];
    return acc / (double)n;
}
