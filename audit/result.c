/* audit/result.c: audit options defaults, metric names, freeing results. */
#include <stdlib.h>

#include "audit_impl.h"

xai_audit_options xai_audit_options_default(void)
{
    xai_audit_options o = {0};
    o.base = xai_explain_options_default();
    o.loss_samples = XAI_AUTO;
    o.pgi_sigma = 0.1;
    o.pgi_samples = 50;
    o.infid_sigma = 0.1;
    o.infid_samples = 100;
    o.sens_radius = 0.05;
    o.sens_points = 5;
    o.sanity_threshold = XAI_AUDIT_SANITY_THRESHOLD;
    o.del_steps = 32;
    o.stab_sigma = 0.05;
    o.stab_eps = 1e-6;
    return o;
}

static const char *const metric_names[XAI_AUDIT_METRIC_COUNT] = {
    "pgi", "pgu", "infidelity", "max_sensitivity", "sanity_rho",
    "deletion_area", "insertion_area", "ris", "ros", "rrs"};
_Static_assert(sizeof metric_names / sizeof metric_names[0] == XAI_AUDIT_METRIC_COUNT,
               "one name per metric");

const char *xai_audit_metric_name(xai_audit_metric k)
{
    return (unsigned)k < XAI_AUDIT_METRIC_COUNT ? metric_names[k] : NULL;
}

int xai_audit_metric_higher_is_better(xai_audit_metric k)
{
    return k == XAI_AUDIT_PGI || k == XAI_AUDIT_INSERTION;
}

void xai_audit_result_free(xai_audit_result *r)
{
    if (!r)
        return;
    free(r->methods), free(r->nbhds), free(r->nbhd_names), free(r->table);
    free(r->loss), free(r->metrics), free(r->pgi_curve), free(r->pgu_curve);
    free(r->sanity_flag), free(r->mean_r2), free(r->mean_gap), free(r->seconds);
    free(r->evaluations), free(r->best), free(r->phi), free(r->target);
    free(r->agreement), free(r->gt_agreement), free(r->metric_rows);
    free(r->skipped);
    audit_groups_free(r->groups);
    free(r);
}
