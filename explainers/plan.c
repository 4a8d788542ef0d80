/* explainers/plan.c: the read-only state of one explain call: resolved
 * options, units, noise scales, baseline rows, path quadrature. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng_step.h"
#include "lfa.h"

void xai_plan_free(xai_plan *p)
{
    free(p->ustart);
    free(p->ufeat);
    free(p->cover);
    free(p->funit);
    free(p->below);
    free(p->mask_weight);
    free(p->sig);
    free(p->base_own);
    free(p->tnode);
    free(p->tweight);
    memset(p, 0, sizeof *p);
}

double xai_image_value_range(const xai_explain_context *c)
{
    if (c->value_range > 0)
        return c->value_range;
    if (c->stats) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t j = 0; j < c->n_features; j++) {
            lo = fmin(lo, c->stats[j].min);
            hi = fmax(hi, c->stats[j].max);
        }
        if (isfinite(hi - lo) && hi > lo)
            return hi - lo;
    }
    return 1.0;
}

/* Noise std per feature: sigma * xai_column_scale (tabular: the std, 1 for a
 * constant column or without stats) or sigma * the value range (images). */
static xai_status noise_scales(xai_plan *p)
{
    const xai_explain_context *c = p->ctx;
    p->sig = malloc(p->D * sizeof *p->sig);
    if (!p->sig)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (noise scales)");
    double range = c->image_c ? xai_image_value_range(c) : 1.0;
    for (size_t j = 0; j < p->D; j++) {
        double s = c->image_c ? range : xai_column_scale(c->stats ? &c->stats[j] : NULL);
        p->sig[j] = (float)(p->opt.sigma * s);
    }
    return XAI_OK;
}

const float *xai_baseline_rows(const xai_explain_options *o,
                               const xai_explain_context *c, float *own, size_t *nb)
{
    *nb = 1;
    switch (o->baseline) {
    case XAI_BASELINE_ROW:
        return c->baseline_row;
    case XAI_BASELINE_BACKGROUND:
        *nb = c->n_background;
        return c->background;
    default:
        for (size_t j = 0; j < c->n_features; j++)
            own[j] = o->baseline == XAI_BASELINE_MEAN && c->stats
                         ? (float)c->stats[j].mean : 0.0f;
        return own;
    }
}

static xai_status baselines(xai_plan *p)
{
    if (p->opt.baseline != XAI_BASELINE_ROW && p->opt.baseline != XAI_BASELINE_BACKGROUND &&
        !(p->base_own = calloc(p->D ? p->D : 1, sizeof *p->base_own)))
        return xai_fail(XAI_ERR_NOMEM, "out of memory (baseline)");
    p->base = xai_baseline_rows(&p->opt, p->ctx, p->base_own, &p->nb);
    return XAI_OK;
}

/* Per-size draw constants and LIME kernel weights for the mask samplers. */
static xai_status mask_tables(xai_plan *p)
{
    p->below = malloc((p->U + 1) * sizeof *p->below);
    p->mask_weight = malloc((p->U + 1) * sizeof *p->mask_weight);
    if (!p->below || !p->mask_weight)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (%zu units)", p->U);
    double w2 = p->opt.kernel_width * p->opt.kernel_width;
    for (size_t n = 0; n <= p->U; n++) {
        rng_below_prepare(&p->below[n], n ? n : 1);
        p->mask_weight[n] = p->spec.kernel == XAI_KERNEL_EXPONENTIAL
                                ? exp(-(double)n / (2.0 * w2)) : 1.0;
    }
    return XAI_OK;
}

xai_status xai_plan_init(xai_plan *p, const xai_model *m,
                         const xai_explain_options *opt,
                         const xai_explain_context *ctx)
{
    memset(p, 0, sizeof *p);
    XAI_TRY(xai_explain_options_resolve(m, opt, ctx, &p->opt));
    XAI_TRY(xai_explain_spec(&p->opt, &p->spec));
    p->preset = xai_preset_get(p->opt.method);
    p->ctx = ctx;
    p->D = ctx->n_features;
    p->K = xai_model_output_size(m);
    p->fd = !xai_model_has_gradient(m);
    p->samples = (size_t)p->opt.samples;
    xai_status s = baselines(p);
    if (s == XAI_OK)
        s = noise_scales(p);
    if (s == XAI_OK && (p->spec.neighbourhood == XAI_NBHD_MASKS ||
                        p->spec.neighbourhood == XAI_NBHD_ONEHOT))
        s = xai_units_build(p, p->spec.neighbourhood == XAI_NBHD_ONEHOT);
    if (s == XAI_OK && p->spec.neighbourhood == XAI_NBHD_MASKS)
        s = mask_tables(p);
    if (s == XAI_OK && p->spec.neighbourhood == XAI_NBHD_PATH) {
        p->tnode = malloc(p->samples * sizeof *p->tnode);
        p->tweight = malloc(p->samples * sizeof *p->tweight);
        if (!p->tnode || !p->tweight)
            s = xai_fail(XAI_ERR_NOMEM, "out of memory (%zu path points)", p->samples);
        else
            s = xai_quadrature(p->opt.ig_rule, p->samples, p->tnode, p->tweight);
    }
    if (s != XAI_OK)
        xai_plan_free(p);
    return s;
}
