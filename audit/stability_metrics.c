/* audit/stability_metrics.c: relative stability (Agarwal et al. 2022,
 * "Rethinking Stability for Attribution-based Explanations"), as OpenXAI
 * computes it: for neighbours x' of x that keep the predicted class,
 *   RIS = max r(phi(x), phi(x')) / max(r(x, x'), eps)
 *   ROS = max r(phi(x), phi(x')) / max(r(z(x), z(x')), eps)   z: logits
 *   RRS = max r(phi(x), phi(x')) / max(r(L(x), L(x')), eps)   L: layer
 * with r(a, b) = |a - b|_2 / |a|_2. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_impl.h"
#include "core/error.h"

static double rel_change(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t j = 0; j < n; j++) {
        double d = (double)a[j] - b[j];
        num += d * d;
        den += (double)a[j] * a[j];
    }
    return den > 0 ? sqrt(num / den) : NAN;
}

/* Predicted class of each row: arg-max, or p >= 0.5 / score >= 0 for one
 * output (a one-output model without a sigmoid: a single class). */
static void classes(const float *y, size_t n, size_t K, int probs, int32_t *cls)
{
    for (size_t i = 0; i < n; i++) {
        const float *v = y + i * K;
        size_t best = 0;
        if (K == 1)
            best = v[0] >= (probs ? 0.5f : 0.0f);
        for (size_t k = 1; k < K; k++)
            if (v[k] > v[best])
                best = k;
        cls[i] = (int32_t)best;
    }
}

typedef struct stab_bufs {
    float *pts, *ph, *p0, *p1, *z0, *z1, *l0, *l1;
    int32_t *c0, *c1;
    xai_rng *rng;
} stab_bufs;

static void bufs_free(stab_bufs *b)
{
    free(b->pts), free(b->ph), free(b->p0), free(b->p1), free(b->z0), free(b->z1);
    free(b->l0), free(b->l1), free(b->c0), free(b->c1), free(b->rng);
}

/* p: class outputs, z: logits, l: layer activations (L floats) of n rows. */
static xai_status forward_all(xai_runner *r, const char *layer, size_t L, const float *x,
                              size_t n, float *p, float *z, float *l)
{
    XAI_TRY(xai_runner_forward(r, XAI_OUTPUT_PROB, x, n, p));
    XAI_TRY(xai_runner_forward(r, XAI_OUTPUT_SCORE, x, n, z));
    if (layer && L)
        XAI_TRY(xai_runner_tap(r, XAI_OUTPUT_SCORE, layer, x, n, NULL, l, NULL, NULL));
    return XAI_OK;
}

xai_status xai_audit_relative_stability(const xai_audit_setup *s,
                                        xai_attribution_fn explain, void *user,
                                        const float *x, size_t n_rows,
                                        const float *phi, const char *layer,
                                        double sigma, size_t n_points, double eps,
                                        double *ris, double *ros, double *rrs)
{
    XAI_TRY(audit_check(s, x, n_rows, phi, "relative stability"));
    if (!explain || !phi)
        return xai_fail(XAI_ERR_INVALID, "relative stability: an explanation function "
                        "and attributions are required");
    if (n_points < 1 || !(sigma > 0) || !isfinite(sigma) || !(eps > 0) || !isfinite(eps))
        return xai_fail(XAI_ERR_INVALID, "relative stability: need at least one point, "
                        "a positive finite sigma and epsilon (got %zu, %g, %g)",
                        n_points, sigma, eps);
    size_t D = s->n_features, K = xai_model_output_size(s->model), L = 0;
    if (rrs) {
        if (!layer)
            layer = xai_model_hidden_layer_name(s->model);
        if (!layer)
            return xai_fail(XAI_ERR_UNSUPPORTED, "relative representation stability: "
                            "the model has no hidden layer to tap (name one)");
        int64_t dims[4];
        int rank = xai_model_tensor_shape(s->model, layer, dims);
        if (rank < 0)
            return xai_fail(XAI_ERR_INVALID, "relative representation stability: the "
                            "model has no layer (tensor) named '%s'", layer);
        L = 1;
        for (int k = 0; k < rank; k++)
            L *= dims[k] > 0 ? (size_t)dims[k] : 1;
    } else
        layer = NULL;
    int probs = xai_model_outputs_probabilities(s->model);
    stab_bufs b = {0};
    xai_runner *run = NULL;
    xai_status st = XAI_ERR_NOMEM;
    size_t nL = L ? L : 1;
    if (!(b.pts = audit_alloc(n_rows, D * sizeof *b.pts, "stability points")) ||
        !(b.ph = audit_alloc(n_rows, D * sizeof *b.ph, "stability attributions")) ||
        !(b.p0 = audit_alloc(n_rows, K * sizeof *b.p0, "stability outputs")) ||
        !(b.p1 = audit_alloc(n_rows, K * sizeof *b.p1, "stability outputs")) ||
        !(b.z0 = audit_alloc(n_rows, K * sizeof *b.z0, "stability logits")) ||
        !(b.z1 = audit_alloc(n_rows, K * sizeof *b.z1, "stability logits")) ||
        !(b.l0 = audit_alloc(n_rows, nL * sizeof *b.l0, "stability layer")) ||
        !(b.l1 = audit_alloc(n_rows, nL * sizeof *b.l1, "stability layer")) ||
        !(b.c0 = audit_alloc(n_rows, sizeof *b.c0, "stability classes")) ||
        !(b.c1 = audit_alloc(n_rows, sizeof *b.c1, "stability classes")) ||
        !(b.rng = audit_alloc(n_rows, sizeof *b.rng, "stability streams")))
        goto out;
    if ((st = xai_runner_new(s->model, &run)) != XAI_OK ||
        (st = forward_all(run, layer, L, x, n_rows, b.p0, b.z0, b.l0)) != XAI_OK)
        goto out;
    classes(b.p0, n_rows, K, probs, b.c0);
    double *outs[3] = {ris, ros, rrs};
    for (size_t i = 0; i < n_rows; i++) {
        xai_rng_init(&b.rng[i], s->seed ^ AUDIT_TAG_STAB, s->first_instance + i);
        for (int q = 0; q < 3; q++)
            if (outs[q])
                outs[q][i] = NAN;
    }
    /* one batch per point p: every row perturbed, explained with its own
     * instance index (common random numbers, as for max-sensitivity) */
    for (size_t p = 0; p < n_points; p++) {
        for (size_t i = 0; i < n_rows; i++)
            for (size_t j = 0; j < D; j++)
                b.pts[i * D + j] = (float)(x[i * D + j] + sigma * audit_scale(s, j) *
                                                             xai_rng_normal(&b.rng[i]));
        if ((st = forward_all(run, layer, L, b.pts, n_rows, b.p1, b.z1, b.l1)) != XAI_OK ||
            (st = explain(user, s->model, b.pts, n_rows, s->first_instance, b.ph)) != XAI_OK)
            goto out;
        classes(b.p1, n_rows, K, probs, b.c1);
        for (size_t i = 0; i < n_rows; i++) {
            if (b.c1[i] != b.c0[i])
                continue; /* the neighbour changed the prediction */
            double e = rel_change(phi + i * D, b.ph + i * D, D);
            if (!isfinite(e)) {
                if (isnan(e))
                    continue; /* phi(x) = 0: undefined, skipped as OpenXAI does */
                st = xai_fail(XAI_ERR_NUMERIC, "relative stability: row %llu: the "
                              "explanation of a neighbour is not finite",
                              (unsigned long long)(s->first_instance + i));
                goto out;
            }
            double den[3] = {rel_change(x + i * D, b.pts + i * D, D),
                             rel_change(b.z0 + i * K, b.z1 + i * K, K),
                             L ? rel_change(b.l0 + i * L, b.l1 + i * L, L) : NAN};
            for (int q = 0; q < 3; q++) {
                /* no change at all (or a zero reference) is undefined: skip */
                if (!outs[q] || !(den[q] > 0))
                    continue;
                double v = e / fmax(den[q], eps);
                if (isnan(outs[q][i]) || v > outs[q][i])
                    outs[q][i] = v;
            }
        }
    }
    st = XAI_OK;
out:
    xai_runner_free(run);
    bufs_free(&b);
    return st;
}
