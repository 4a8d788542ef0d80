/* reports/report_settings.c: the metric settings in words, so a reader can
 * tell which literature figures the numbers compare with. */
#include "report_impl.h"

void rp_metric_settings(const rp_ctx *c, rp_buf *b)
{
    const xai_audit_result *r = c->r;
    static const char *const scale[] = {"x each column's standard deviation",
                                        "absolute, in the data's units",
                                        "x each column's range (max - min)"};
    unsigned nk = (unsigned)r->metric_noise < 3 ? (unsigned)r->metric_noise : 0;
    rp_printf(b, "Settings: PGI/PGU perturb with Gaussian noise of standard deviation "
              "%g %s (%s:%g), %zu draws per row, and summarise k = %zu..%zu by %s. "
              "Infidelity uses %g %s, %zu draws.", r->pgi_sigma, scale[nk],
              xai_audit_noise_name(r->metric_noise), r->pgi_sigma, r->pgi_samples,
              r->pgi_k_first, r->pgi_k,
              r->pgi_summary == XAI_AUDIT_PGI_AUC
                  ? "the area under the curve (trapezoid, divided by the span of k)"
                  : "the mean over k",
              r->infid_sigma, scale[nk], r->infid_samples);
    if (r->stab_points)
        rp_printf(b, " Stability (RIS, ROS, RRS): %zu neighbours with noise %g %s, "
                  "kept when the predicted class is unchanged; denominators floored at "
                  "%g; RRS at layer %s.", r->stab_points, r->stab_sigma, scale[nk],
                  r->stab_eps, r->stab_layer[0] ? r->stab_layer : "(none: skipped)");
    if (r->compat[0])
        rp_printf(b, " These are the %s settings (README, \"Comparing with OpenXAI\").",
                  r->compat);
    else
        rp_printf(b, " These are xai's own settings: the numbers are not on the scale "
                  "of OpenXAI's tables (rerun with --compat openxai for that).");
}
