/* audit/select.c: xai_audit_run: explain rows with every method, fill the
 * methods x neighbourhoods LFA loss table and the per-method metrics, rank
 * with paired 95% intervals, and recommend a method. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xai/trees.h>

#include "audit_impl.h"
#include "core/error.h"
#include "rank.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Every available method for the data kind (custom excluded; Smooth
 * Grad-CAM++ only for images of models with a convolutional layer; treeshap
 * only for tree ensembles).  On a piecewise-constant model the methods
 * that refuse it (gradient matching) are left out, their reason written to
 * skip (when not NULL, *n_skip entries). */
static size_t default_methods(const xai_model *m, const xai_explain_context *ctx,
                              const xai_explain_options *base, xai_audit_method *out,
                              xai_audit_skip *skip, size_t *n_skip)
{
    size_t n = 0;
    if (n_skip)
        *n_skip = 0;
    for (size_t k = 0; k < xai_method_count(); k++) {
        xai_method me = (xai_method)k;
        /* grad-cam and grad-cam++ are smooth-gradcam++ at one copy: the
         * default set keeps the smoothed one (--methods can name them) */
        if (me == XAI_METHOD_CUSTOM || me == XAI_METHOD_GRADCAM ||
            me == XAI_METHOD_GRADCAM_PP || !xai_method_available(me))
            continue;
        if (me == XAI_METHOD_SMOOTH_GRADCAM_PP &&
            (!ctx->image_c || !xai_model_conv_layer_count(m)))
            continue;
        if (me == XAI_METHOD_TREESHAP && !xai_model_trees(m))
            continue;
        if (xai_model_piecewise_constant(m)) {
            xai_explain_options o = *base, res;
            o.method = me;
            if (xai_explain_options_resolve(m, &o, ctx, &res) == XAI_ERR_UNSUPPORTED) {
                if (skip) {
                    snprintf(skip[*n_skip].name, sizeof skip->name, "%s",
                             xai_method_name(me));
                    snprintf(skip[*n_skip].reason, sizeof skip->reason, "%s",
                             xai_last_error());
                    ++*n_skip;
                }
                continue;
            }
        }
        if (out) {
            snprintf(out[n].name, sizeof out[n].name, "%s", xai_method_name(me));
            out[n].options = *base;
            out[n].options.method = me;
        }
        n++;
    }
    return n;
}

static xai_status alloc_result(xai_audit_result *r, size_t M, size_t Z, size_t n,
                               size_t K)
{
    size_t MZ, MZn;
    if (!xai_mul_size(M, Z, &MZ) || !xai_mul_size(MZ, n, &MZn))
        return xai_fail(XAI_ERR_NOMEM, "audit: %zu methods x %zu neighbourhoods x "
                        "%zu rows: too many", M, Z, n);
    r->methods = calloc(M, sizeof *r->methods);
    r->nbhds = calloc(Z, sizeof *r->nbhds);
    r->nbhd_names = calloc(Z, sizeof *r->nbhd_names);
    r->table = calloc(MZ, sizeof *r->table);
    r->loss = calloc(MZn, sizeof *r->loss);
    r->metrics = calloc(M * XAI_AUDIT_METRIC_COUNT, sizeof *r->metrics);
    r->pgi_curve = calloc(M * K, sizeof *r->pgi_curve);
    r->pgu_curve = calloc(M * K, sizeof *r->pgu_curve);
    r->sanity_flag = calloc(M, sizeof *r->sanity_flag);
    r->mean_r2 = calloc(M, sizeof *r->mean_r2);
    r->mean_gap = calloc(M, sizeof *r->mean_gap);
    r->seconds = calloc(M, sizeof *r->seconds);
    r->evaluations = calloc(M, sizeof *r->evaluations);
    r->best = calloc(Z, sizeof *r->best);
    if (!r->methods || !r->nbhds || !r->nbhd_names || !r->table || !r->loss ||
        !r->metrics || !r->pgi_curve || !r->pgu_curve || !r->sanity_flag ||
        !r->mean_r2 || !r->mean_gap || !r->seconds || !r->evaluations || !r->best)
        return xai_fail(XAI_ERR_NOMEM, "audit: out of memory for the result");
    return XAI_OK;
}

static double mean_of(const xai_explain_diag *d, size_t n, int gap)
{
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double v = gap ? d[i].completeness_gap : d[i].r2;
        if (isfinite(v))
            s += v, k++;
    }
    return k ? s / (double)k : NAN;
}

/* Winner of neighbourhood z: lowest rank, then lowest mean, preferring
 * methods not flagged by the sanity check. */
static size_t pick_best(const xai_audit_result *r, size_t z)
{
    size_t best = SIZE_MAX;
    for (int pass = 0; pass < 2 && best == SIZE_MAX; pass++)
        for (size_t m = 0; m < r->n_methods; m++) {
            const xai_audit_cell *c = &r->table[m * r->n_nbhds + z];
            if (!c->rank || (pass == 0 && r->sanity_flag[m] == 1))
                continue;
            if (best == SIZE_MAX)
                best = m;
            else {
                const xai_audit_cell *b = &r->table[best * r->n_nbhds + z];
                if (c->rank < b->rank || (c->rank == b->rank && c->mean < b->mean))
                    best = m;
            }
        }
    return best == SIZE_MAX ? 0 : best;
}

typedef struct work {
    float *phi;           /* M x n x D */
    xai_explain_diag *dg; /* n */
    int32_t *target;      /* n */
    double *v, *v2;       /* M x n scratch */
    double *pgi, *pgu;    /* n x K */
    float *fill;          /* images: D */
    xai_explain_options *orig; /* M: the options as given (resolving twice
                                  is not idempotent for every method) */
} work;

static void work_free(work *w)
{
    free(w->phi), free(w->dg), free(w->target), free(w->v), free(w->v2);
    free(w->pgi), free(w->pgu), free(w->fill), free(w->orig);
}

/* The rows [*lo, *hi) of n this process works on (xai_audit_shard). */
static void my_rows(const xai_audit_options *o, size_t n, size_t *lo, size_t *hi)
{
    const xai_audit_shard *sh = o->shard;
    if (!sh || sh->size <= 1) {
        *lo = 0, *hi = n;
        return;
    }
    *lo = n * (size_t)sh->rank / (size_t)sh->size;
    *hi = n * (size_t)(sh->rank + 1) / (size_t)sh->size;
}

/* After a sharded step (status st): every process gets every row of buf
 * (n rows of row_bytes), or every process fails with the reason. */
static xai_status share(const xai_audit_options *o, xai_status st, void *buf,
                        size_t row_bytes, size_t n)
{
    const xai_audit_shard *sh = o->shard;
    if (!sh || sh->size <= 1)
        return st;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", st != XAI_OK ? xai_last_error() : "");
    if (sh->exchange(sh->user, st != XAI_OK, buf, row_bytes, n, msg, sizeof msg) == 0)
        return XAI_OK;
    return xai_fail(st != XAI_OK ? st : XAI_ERR_INVALID, "%s", msg);
}

/* Per-method metrics into r->metrics (per-instance values in w->v rows). */
static xai_status run_metrics(xai_audit_result *r, work *w, const xai_model *m,
                              const xai_explain_context *ctx,
                              const xai_audit_options *o, const float *x)
{
    size_t M = r->n_methods, n = r->n_rows, D = r->n_features, K = r->pgi_k;
    size_t MK = XAI_AUDIT_METRIC_COUNT;
    xai_audit_setup s = xai_audit_setup_default(m);
    s.output = o->base.output;
    s.target = w->target;
    s.stats = ctx->image_c ? NULL : ctx->stats;
    s.seed = o->base.seed;
    /* the noise of PGI/PGU and infidelity: column stds, absolute, or ranges */
    xai_audit_setup sn = s;
    xai_column_stats *ranges = NULL;
    if (o->metric_noise == XAI_AUDIT_NOISE_ABS || !s.stats)
        sn.stats = NULL;
    else if (o->metric_noise == XAI_AUDIT_NOISE_RANGE) {
        if (!(ranges = audit_alloc(D, sizeof *ranges, "audit noise scales")))
            return XAI_ERR_NOMEM;
        for (size_t j = 0; j < D; j++) {
            ranges[j] = s.stats[j];
            ranges[j].std = s.stats[j].max - s.stats[j].min;
        }
        sn.stats = ranges;
    }
    s.first_instance = r->first_instance;
    s.n_threads = o->n_threads;
    /* this process's rows (all of them unless sharded): sb, snb, xb, nb */
    size_t lo, hi;
    my_rows(o, n, &lo, &hi);
    xai_audit_setup sb = s, snb = sn;
    sb.target = snb.target = s.target + lo;
    sb.first_instance = snb.first_instance = s.first_instance + lo;
    const float *xb = x + lo * D;
    size_t nb = hi - lo;
    double *vals[XAI_AUDIT_METRIC_COUNT];
    size_t Mn = M * n;
    double *all = audit_alloc(MK * Mn, sizeof *all, "audit metrics");
    if (!all) {
        free(ranges);
        return XAI_ERR_NOMEM;
    }
    for (size_t k = 0; k < MK; k++)
        vals[k] = all + k * Mn;
    for (size_t i = 0; i < MK * Mn; i++)
        all[i] = NAN;
    int done[XAI_AUDIT_METRIC_COUNT] = {0};
    xai_status st = XAI_OK;
    for (size_t j = 0; j < M && st == XAI_OK; j++) {
        const float *phi = w->phi + j * n * D, *phib = phi + lo * D;
        xai_audit_explainer ex = {&w->orig[j], ctx, o->n_threads};
        if (nb)
            st = xai_audit_pgi_pgu(&snb, xb, nb, phib, K, o->pgi_sigma, o->pgi_samples,
                                   w->pgi + lo * K, w->pgu + lo * K);
        st = share(o, st, w->pgi, K * sizeof *w->pgi, n);
        st = st == XAI_OK ? share(o, st, w->pgu, K * sizeof *w->pgu, n) : st;
        for (size_t i = 0; st == XAI_OK && i < n; i++) {
            vals[XAI_AUDIT_PGI][j * n + i] =
                xai_audit_pgi_summarise(w->pgi + i * K, r->pgi_k_first, K, r->pgi_summary);
            vals[XAI_AUDIT_PGU][j * n + i] =
                xai_audit_pgi_summarise(w->pgu + i * K, r->pgi_k_first, K, r->pgi_summary);
        }
        for (size_t k = 0; st == XAI_OK && k < K; k++) {
            double a = 0, b = 0;
            for (size_t i = 0; i < n; i++)
                a += w->pgi[i * K + k], b += w->pgu[i * K + k];
            r->pgi_curve[j * K + k] = a / (double)n;
            r->pgu_curve[j * K + k] = b / (double)n;
        }
        done[XAI_AUDIT_PGI] = done[XAI_AUDIT_PGU] = 1;
        if (st == XAI_OK && o->infid_samples) {
            double *v = vals[XAI_AUDIT_INFIDELITY] + j * n;
            if (nb)
                st = xai_audit_infidelity(&snb, xb, nb, phib, o->infid_sigma,
                                          o->infid_samples, v + lo);
            st = share(o, st, v, sizeof *v, n);
            done[XAI_AUDIT_INFIDELITY] = 1;
        }
        if (st == XAI_OK && o->sens_points) {
            double *v = vals[XAI_AUDIT_SENSITIVITY] + j * n;
            if (nb)
                st = xai_audit_max_sensitivity(&sb, xai_audit_explain_fn, &ex, xb, nb, phib,
                                               o->sens_radius, o->sens_points, v + lo);
            st = share(o, st, v, sizeof *v, n);
            done[XAI_AUDIT_SENSITIVITY] = 1;
        }
        r->sanity_flag[j] = -1;
        if (st == XAI_OK && o->randomized) {
            double *rho = vals[XAI_AUDIT_SANITY] + j * n;
            if (nb)
                st = xai_audit_randomization(&sb, o->randomized, xai_audit_explain_fn, &ex,
                                             xb, nb, phib, rho + lo);
            st = share(o, st, rho, sizeof *rho, n);
            if (st == XAI_OK) {
                xai_audit_stat q = xai_audit_stat_of(rho, n);
                r->sanity_flag[j] = q.count ? q.mean > r->sanity_threshold : 1;
            }
            done[XAI_AUDIT_SANITY] = 1;
        }
        if (st == XAI_OK && o->stab_points) {
            double *ris = vals[XAI_AUDIT_RIS] + j * n, *ros = vals[XAI_AUDIT_ROS] + j * n,
                   *rrs = r->stab_layer[0] ? vals[XAI_AUDIT_RRS] + j * n : NULL;
            if (nb)
                st = xai_audit_relative_stability(&snb, xai_audit_explain_fn, &ex, xb, nb,
                                                  phib,
                                                  r->stab_layer[0] ? r->stab_layer : NULL,
                                                  o->stab_sigma, o->stab_points,
                                                  o->stab_eps, ris + lo, ros + lo,
                                                  rrs ? rrs + lo : NULL);
            st = share(o, st, ris, sizeof *ris, n);
            st = st == XAI_OK ? share(o, st, ros, sizeof *ros, n) : st;
            if (rrs && st == XAI_OK)
                st = share(o, st, rrs, sizeof *rrs, n);
            done[XAI_AUDIT_RIS] = done[XAI_AUDIT_ROS] = 1;
            done[XAI_AUDIT_RRS] = r->stab_layer[0] != 0;
        }
        if (st == XAI_OK && ctx->image_c) {
            xai_audit_image img = {ctx->image_c, ctx->image_h, ctx->image_w,
                                   o->del_patch ? o->del_patch
                                                : (uint32_t)r->methods[0].options.patch,
                                   o->del_steps, w->fill};
            if (!img.patch) {
                uint32_t side = ctx->image_h > ctx->image_w ? ctx->image_h : ctx->image_w;
                img.patch = (side + 7) / 8;
            }
            double *del = vals[XAI_AUDIT_DELETION] + j * n,
                   *ins = vals[XAI_AUDIT_INSERTION] + j * n;
            if (nb)
                st = xai_audit_deletion_insertion(&sb, &img, xb, nb, phib, NULL, NULL,
                                                  del + lo, ins + lo);
            st = share(o, st, del, sizeof *del, n);
            st = st == XAI_OK ? share(o, st, ins, sizeof *ins, n) : st;
            done[XAI_AUDIT_DELETION] = done[XAI_AUDIT_INSERTION] = 1;
        }
    }
    for (size_t k = 0; st == XAI_OK && k < MK; k++)
        if (done[k])
            audit_rank(vals[k], M, n, xai_audit_metric_higher_is_better((xai_audit_metric)k),
                       r->metrics + k, MK);
    /* the sanity check is pass / fail: a more negative rho is not "better" */
    for (size_t j = 0; j < M; j++)
        r->metrics[j * MK + XAI_AUDIT_SANITY].rank = 0;
    r->metric_rows = all;
    free(ranges);
    return st;
}

xai_status xai_audit_run(const xai_model *m, const xai_explain_context *ctx,
                         const xai_audit_options *opt, const float *x,
                         size_t n_rows, uint64_t first_instance,
                         const float *labels, xai_audit_result **out)
{
    if (!out)
        return xai_fail(XAI_ERR_INVALID, "audit: no output pointer");
    *out = NULL;
    if (!m || !ctx || !x || !n_rows)
        return xai_fail(XAI_ERR_INVALID, "audit: model, context and at least one "
                        "row are required");
    xai_audit_options o = opt ? *opt : xai_audit_options_default();
    size_t D = ctx->n_features;
    if (D != xai_model_input_size(m))
        return xai_fail(XAI_ERR_SHAPE, "audit: the data has %zu features but the "
                        "model takes %zu inputs", D, xai_model_input_size(m));
    if (o.declared && (!o.nbhds || !o.n_nbhds))
        return xai_fail(XAI_ERR_INVALID, "audit: a declared neighbourhood needs "
                        "the neighbourhood list");
    if (o.methods && !o.n_methods)
        return xai_fail(XAI_ERR_INVALID, "audit: empty method list");
    for (size_t i = 0; i < n_rows * D; i++)
        if (isnan(x[i]))
            return xai_fail(XAI_ERR_UNSUPPORTED, "audit: row %llu, feature %zu is "
                            "missing: the audit's gaussian neighbourhoods and noise "
                            "metrics perturb every value and cannot perturb a missing "
                            "one; audit rows without missing values (explain takes "
                            "them: treeshap, kernelshap, lime, occlusion)",
                            (unsigned long long)(first_instance + i / D), i % D);
    XAI_TRY(audit_wrap(xai_quality_check_costs(o.cost_fp, o.cost_fn), "audit"));
    if (!(o.sanity_threshold > -1 && o.sanity_threshold < 1))
        return xai_fail(XAI_ERR_INVALID, "audit: sanity threshold must be in "
                        "(-1, 1) (got %g)", o.sanity_threshold);
    size_t M = o.methods ? o.n_methods : default_methods(m, ctx, &o.base, NULL, NULL, NULL);
    xai_audit_nbhd std[8];
    size_t Z = o.nbhds ? o.n_nbhds : xai_audit_default_nbhds_for(m, std, 8);
    size_t K = o.pgi_k ? o.pgi_k : (D < 8 ? D : 8);
    if (o.pgi_k_fraction != 0) {
        if (!(o.pgi_k_fraction > 0 && o.pgi_k_fraction <= 1))
            return xai_fail(XAI_ERR_INVALID, "audit: PGI k fraction must be in (0, 1] "
                            "(got %g)", o.pgi_k_fraction);
        /* ceil, robust to 0.25 * 20 landing a hair above 5 */
        K = (size_t)ceil(o.pgi_k_fraction * (double)D - 1e-9);
        if (K < 1)
            K = 1;
    }
    size_t k0 = o.pgi_k_first ? o.pgi_k_first : 1;
    if (!M)
        return xai_fail(XAI_ERR_UNSUPPORTED, "audit: no explanation method available");
    if (K > D)
        return xai_fail(XAI_ERR_INVALID, "audit: PGI k = %zu exceeds the %zu "
                        "features", K, D);
    if (k0 > K)
        return xai_fail(XAI_ERR_INVALID, "audit: PGI first k = %zu exceeds K = %zu",
                        k0, K);
    if ((unsigned)o.metric_noise > XAI_AUDIT_NOISE_RANGE ||
        (unsigned)o.pgi_summary > XAI_AUDIT_PGI_AUC)
        return xai_fail(XAI_ERR_INVALID, "audit: unknown metric noise or PGI summary");
    if (o.metric_noise == XAI_AUDIT_NOISE_RANGE && !ctx->stats && !ctx->image_c)
        return xai_fail(XAI_ERR_INVALID, "audit: range noise needs the column "
                        "statistics (context stats)");
    xai_audit_result *r = calloc(1, sizeof *r);
    if (!r)
        return xai_fail(XAI_ERR_NOMEM, "audit: out of memory");
    work w = {0};
    xai_status st = alloc_result(r, M, Z, n_rows, K);
    r->n_rows = n_rows;
    r->n_features = D;
    r->n_methods = M;
    r->n_nbhds = Z;
    r->first_instance = first_instance;
    r->pgi_k = K;
    r->pgi_k_first = k0;
    r->pgi_summary = o.pgi_summary;
    r->pgi_samples = o.pgi_samples;
    r->infid_samples = o.infid_samples;
    r->metric_noise = o.metric_noise;
    r->pgi_sigma = o.pgi_sigma;
    r->infid_sigma = o.infid_sigma;
    snprintf(r->compat, sizeof r->compat, "%s", o.compat ? o.compat : "");
    r->stab_points = o.stab_points;
    r->stab_sigma = o.stab_sigma;
    r->stab_eps = o.stab_eps;
    if (o.stab_points) {
        const char *layer = o.stab_layer ? o.stab_layer : xai_model_hidden_layer_name(m);
        int64_t dims[4];
        if (o.stab_layer && xai_model_tensor_shape(m, o.stab_layer, dims) < 0) {
            st = xai_fail(XAI_ERR_INVALID, "audit: RRS layer '%s': the model has no "
                          "tensor of that name", o.stab_layer);
            goto fail;
        }
        if (!(o.stab_sigma > 0 && isfinite(o.stab_sigma)) ||
            !(o.stab_eps > 0 && isfinite(o.stab_eps))) {
            st = xai_fail(XAI_ERR_INVALID, "audit: stability sigma and epsilon must be "
                          "positive (got %g, %g)", o.stab_sigma, o.stab_eps);
            goto fail;
        }
        if (layer && strlen(layer) >= sizeof r->stab_layer) {
            st = xai_fail(XAI_ERR_INVALID, "audit: RRS layer name too long");
            goto fail;
        }
        snprintf(r->stab_layer, sizeof r->stab_layer, "%s", layer ? layer : "");
    }
    r->declared = o.declared;
    r->sanity_threshold = o.sanity_threshold;
    r->accuracy = r->majority_rate = NAN;
    if (st != XAI_OK)
        goto fail;
    if (o.methods)
        memcpy(r->methods, o.methods, M * sizeof *r->methods);
    else if (!(r->skipped = audit_alloc(xai_method_count(), sizeof *r->skipped,
                                        "audit skipped methods"))) {
        st = XAI_ERR_NOMEM;
        goto fail;
    } else
        default_methods(m, ctx, &o.base, r->methods, r->skipped, &r->n_skipped);
    memcpy(r->nbhds, o.nbhds ? o.nbhds : std, Z * sizeof *r->nbhds);
    for (size_t z = 0; z < Z; z++)
        xai_audit_nbhd_format(&r->nbhds[z], r->nbhd_names[z], sizeof r->nbhd_names[z]);
    if (!(w.orig = audit_alloc(M, sizeof *w.orig, "audit options"))) {
        st = XAI_ERR_NOMEM;
        goto fail;
    }
    for (size_t j = 0; j < M; j++)
        w.orig[j] = r->methods[j].options;
    /* resolve every method first: bad options fail before any work */
    for (size_t j = 0; j < M; j++) {
        xai_explain_options res;
        if ((st = xai_explain_options_resolve(m, &r->methods[j].options, ctx, &res)) != XAI_OK ||
            (st = xai_explain_fit_check(&res, ctx)) != XAI_OK) {
            {
                char pre[96];
                snprintf(pre, sizeof pre, "audit: method '%s'", r->methods[j].name);
                st = audit_wrap(st, pre);
            }
            goto fail;
        }
        r->methods[j].options = res;
        if (!r->methods[j].name[0])
            snprintf(r->methods[j].name, sizeof r->methods[j].name, "%s",
                     xai_method_name(res.method));
    }
    st = XAI_ERR_NOMEM;
    size_t nD;
    if (!xai_mul_size(n_rows, D, &nD) ||
        !(w.phi = audit_alloc(M, nD * sizeof *w.phi, "audit attributions")) ||
        !(w.dg = audit_alloc(n_rows, sizeof *w.dg, "audit diagnostics")) ||
        !(w.target = audit_alloc(n_rows, sizeof *w.target, "audit targets")) ||
        !(w.v = audit_alloc(M, n_rows * sizeof *w.v, "audit values")) ||
        !(w.pgi = audit_alloc(n_rows, K * sizeof *w.pgi, "audit PGI")) ||
        !(w.pgu = audit_alloc(n_rows, K * sizeof *w.pgu, "audit PGU")) ||
        !(w.fill = audit_alloc(D, sizeof *w.fill, "audit fill")))
        goto fail;
    /* deletion fill: the per-pixel mean when known, else 0 */
    for (size_t j = 0; j < D; j++)
        w.fill[j] = ctx->stats ? (float)ctx->stats[j].mean : 0.0f;
    /* 1. explanations (this process's rows, then every process gets all) */
    size_t lo, hi;
    my_rows(&o, n_rows, &lo, &hi);
    for (size_t j = 0; j < M; j++) {
        double t0 = now();
        st = hi > lo ? xai_explain_rows(m, &w.orig[j], ctx, x + lo * D, hi - lo,
                                        first_instance + lo, w.phi + j * nD + lo * D,
                                        w.dg + lo, o.n_threads)
                     : XAI_OK;
        st = share(&o, st, w.phi + j * nD, D * sizeof *w.phi, n_rows);
        st = st == XAI_OK ? share(&o, st, w.dg, sizeof *w.dg, n_rows) : st;
        if (st != XAI_OK) {
            {
                char pre[96];
                snprintf(pre, sizeof pre, "audit: method '%s'", r->methods[j].name);
                st = audit_wrap(st, pre);
            }
            goto fail;
        }
        r->seconds[j] = now() - t0;
        r->mean_r2[j] = mean_of(w.dg, n_rows, 0);
        r->mean_gap[j] = mean_of(w.dg, n_rows, 1);
        for (size_t i = 0; i < n_rows; i++)
            r->evaluations[j] += w.dg[i].evaluations;
        if (j == 0) {
            r->mean_output = 0;
            for (size_t i = 0; i < n_rows; i++) {
                w.target[i] = w.dg[i].target;
                r->mean_output += w.dg[i].fx / (double)n_rows;
            }
        }
    }
    /* 2. the loss table */
    for (size_t z = 0; z < Z; z++) {
        for (size_t j = 0; j < M; j++) {
            double *lv = r->loss + (j * Z + z) * n_rows;
            st = hi > lo ? xai_audit_lfa_loss(m, &o.base, ctx, &r->nbhds[z],
                                              o.loss_samples, x + lo * D, hi - lo,
                                              first_instance + lo,
                                              w.phi + j * nD + lo * D, lv + lo,
                                              o.n_threads)
                         : XAI_OK;
            st = share(&o, st, lv, sizeof *lv, n_rows);
            if (st != XAI_OK) {
                char pre[128];
                snprintf(pre, sizeof pre, "audit: loss of '%s' on %s", r->methods[j].name,
                         r->nbhd_names[z]);
                st = audit_wrap(st, pre);
                goto fail;
            }
            memcpy(w.v + j * n_rows, lv, n_rows * sizeof *lv);
        }
        audit_rank(w.v, M, n_rows, 0, r->table + z, Z);
    }
    /* 3. metrics, 4. winners */
    if ((st = run_metrics(r, &w, m, ctx, &o, x)) != XAI_OK ||
        (st = audit_agreement_all(r, w.phi, ctx, o.agree_k, o.ground_truth)) != XAI_OK)
        goto fail;
    for (size_t z = 0; z < Z; z++)
        r->best[z] = pick_best(r, z);
    r->rec_nbhd = 0;
    r->rec_method = r->best[0];
    if (labels) {
        st = xai_audit_accuracy(m, x, labels, n_rows, o.n_threads, &r->accuracy,
                                &r->majority_rate);
        if (st != XAI_OK)
            goto fail;
        r->n_labelled = n_rows;
        size_t K = xai_model_output_size(m);
        if ((K == 1 && xai_model_outputs_probabilities(m)) || K == 2)
            st = xai_audit_quality(m, x, labels, n_rows, o.n_threads, o.cost_fp,
                                   o.cost_fn, &r->quality);
        else if (o.cost_fp > 0)
            st = xai_fail(XAI_ERR_UNSUPPORTED, "audit: a cost matrix needs a binary "
                          "classifier; the model has %zu outputs", K);
        if (st != XAI_OK)
            goto fail;
    }
    /* the attributions and targets are part of the result (reports) */
    r->phi = w.phi;
    r->target = w.target;
    w.phi = NULL;
    w.target = NULL;
    work_free(&w);
    *out = r;
    return XAI_OK;
fail:
    work_free(&w);
    xai_audit_result_free(r);
    return st;
}
