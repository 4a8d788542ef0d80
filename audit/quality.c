/* audit/quality.c: how good a binary classifier's probabilities are, as a
 * credit-risk reviewer reads them: ROC AUC with DeLong's 95% interval, Brier
 * score, calibration by deciles of the prediction, the confusion matrix at
 * the decision threshold and, given a cost matrix, the expected cost.
 *
 * DeLong, DeLong & Clarke-Pearson (1988), computed with midranks as in Sun &
 * Xu (2014): for a positive row i, V10_i = the share of negatives it
 * outscores (ties 1/2); for a negative row j, V01_j = the share of positives
 * that outscore it.  AUC = mean V10 = mean V01, and
 * Var(AUC) = s^2(V10) / m + s^2(V01) / n (m positives, n negatives, sample
 * variances). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_impl.h"
#include "core/error.h"

typedef struct scored {
    double p;
    uint32_t i;
} scored;

static int by_score(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Midranks (1-based, ties share their mean rank) of the n scores s, which
 * are sorted ascending in place; rank[s[k].i] receives the rank. */
static void midranks(scored *s, size_t n, double *rank)
{
    qsort(s, n, sizeof *s, by_score);
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b < n && s[b].p == s[a].p)
            b++;
        double mid = 0.5 * (double)(a + 1 + b); /* mean of a+1 .. b */
        for (size_t k = a; k < b; k++)
            rank[s[k].i] = mid;
        a = b;
    }
}

static double sample_var(const double *v, size_t n)
{
    if (n < 2)
        return 0;
    double mean = 0, ss = 0;
    for (size_t k = 0; k < n; k++)
        mean += v[k] / (double)n;
    for (size_t k = 0; k < n; k++)
        ss += (v[k] - mean) * (v[k] - mean);
    return ss / (double)(n - 1);
}

/* AUC and its DeLong standard error; needs at least one row of each class. */
static xai_status delong(const double *p, const float *y, size_t n, double *auc,
                         double *se)
{
    size_t npos = 0;
    for (size_t k = 0; k < n; k++)
        npos += y[k] == 1.0f;
    size_t nneg = n - npos;
    scored *all = audit_alloc(n, sizeof *all, "AUC ranks");
    scored *pos = audit_alloc(npos, sizeof *pos, "AUC ranks");
    scored *neg = audit_alloc(nneg, sizeof *neg, "AUC ranks");
    double *r_all = audit_alloc(n, sizeof *r_all, "AUC ranks");
    double *r_cls = audit_alloc(n, sizeof *r_cls, "AUC ranks");
    double *v10 = audit_alloc(npos, sizeof *v10, "AUC components");
    double *v01 = audit_alloc(nneg, sizeof *v01, "AUC components");
    xai_status st = XAI_ERR_NOMEM;
    if (all && pos && neg && r_all && r_cls && v10 && v01) {
        size_t a = 0, b = 0;
        for (size_t k = 0; k < n; k++) {
            all[k] = (scored){p[k], (uint32_t)k};
            if (y[k] == 1.0f)
                pos[a++] = (scored){p[k], (uint32_t)k};
            else
                neg[b++] = (scored){p[k], (uint32_t)k};
        }
        midranks(all, n, r_all);
        midranks(pos, npos, r_cls);
        midranks(neg, nneg, r_cls);
        double sum = 0;
        a = b = 0;
        for (size_t k = 0; k < n; k++) {
            /* rank among all minus rank among its own class = how many rows
             * of the other class score below it (ties 1/2) */
            double below_other = r_all[k] - r_cls[k];
            if (y[k] == 1.0f) {
                v10[a] = below_other / (double)nneg;
                sum += v10[a++];
            } else {
                v01[b++] = 1.0 - below_other / (double)npos;
            }
        }
        *auc = sum / (double)npos;
        *se = sqrt(sample_var(v10, npos) / (double)npos +
                   sample_var(v01, nneg) / (double)nneg);
        st = XAI_OK;
    }
    free(all), free(pos), free(neg), free(r_all), free(r_cls), free(v10), free(v01);
    return st;
}

/* Ten bins of (as near as possible) equal size by ascending prediction. */
static xai_status calibration(const double *p, const float *y, size_t n,
                              xai_model_quality *q)
{
    scored *s = audit_alloc(n, sizeof *s, "calibration");
    if (!s)
        return XAI_ERR_NOMEM;
    for (size_t k = 0; k < n; k++)
        s[k] = (scored){p[k], (uint32_t)k};
    qsort(s, n, sizeof *s, by_score);
    size_t bins = n < XAI_QUALITY_BINS ? n : XAI_QUALITY_BINS;
    q->n_bins = bins;
    q->calibration_error = 0;
    for (size_t b = 0; b < bins; b++) {
        size_t lo = b * n / bins, hi = (b + 1) * n / bins;
        xai_calibration_bin *c = &q->bins[b];
        double sp = 0, sy = 0;
        for (size_t k = lo; k < hi; k++) {
            sp += s[k].p;
            sy += y[s[k].i];
        }
        c->count = hi - lo;
        c->p_min = s[lo].p;
        c->p_max = s[hi - 1].p;
        c->mean_predicted = sp / (double)c->count;
        c->observed = sy / (double)c->count;
        q->calibration_error += (double)c->count / (double)n *
                                fabs(c->mean_predicted - c->observed);
    }
    free(s);
    return XAI_OK;
}

xai_status xai_quality_check_costs(double cost_fp, double cost_fn)
{
    if (!isfinite(cost_fp) || !isfinite(cost_fn) || cost_fp < 0 || cost_fn < 0 ||
        (cost_fp == 0) != (cost_fn == 0))
        return xai_fail(XAI_ERR_INVALID, "cost matrix: both costs must be finite and "
                        "positive, or both 0 for none (got %g, %g)", cost_fp, cost_fn);
    return XAI_OK;
}

/* Expected cost per row when predicting class 1 for p >= t. */
static double cost_at(const double *p, const float *y, size_t n, double t,
                      double cost_fp, double cost_fn)
{
    double c = 0;
    for (size_t k = 0; k < n; k++) {
        int pred = p[k] >= t;
        if (pred && y[k] == 0.0f)
            c += cost_fp;
        else if (!pred && y[k] == 1.0f)
            c += cost_fn;
    }
    return c / (double)n;
}

xai_status xai_quality_from_scores(const double *p, const float *labels, size_t n,
                                   double cost_fp, double cost_fn, xai_model_quality *q)
{
    if (!p || !labels || !q || !n)
        return xai_fail(XAI_ERR_INVALID, "model quality: scores, labels and at "
                        "least one row are required");
    XAI_TRY(xai_quality_check_costs(cost_fp, cost_fn));
    memset(q, 0, sizeof *q);
    q->auc = q->auc_se = q->auc_lo = q->auc_hi = NAN;
    q->expected_cost = q->bayes_threshold = q->expected_cost_bayes = NAN;
    q->cost_all_positive = q->cost_all_negative = NAN;
    for (size_t k = 0; k < n; k++) {
        if (labels[k] != 0.0f && labels[k] != 1.0f)
            return xai_fail(XAI_ERR_INVALID, "model quality: row %zu: label %g is "
                            "not 0 or 1", k, labels[k]);
        if (!(p[k] >= 0 && p[k] <= 1))
            return xai_fail(XAI_ERR_NUMERIC, "model quality: row %zu: predicted "
                            "probability %g is not in [0, 1]", k, p[k]);
    }
    q->n = n;
    q->threshold = 0.5;
    double brier = 0;
    for (size_t k = 0; k < n; k++) {
        int y = labels[k] == 1.0f, pred = p[k] >= q->threshold;
        q->positives += y;
        q->tp += y && pred;
        q->fp += !y && pred;
        q->tn += !y && !pred;
        q->fn += y && !pred;
        brier += (p[k] - y) * (p[k] - y);
    }
    q->brier = brier / (double)n;
    q->accuracy = (double)(q->tp + q->tn) / (double)n;
    size_t major = q->positives > n - q->positives ? q->positives : n - q->positives;
    q->majority_rate = (double)major / (double)n;
    if (q->positives && q->positives < n) {
        XAI_TRY(delong(p, labels, n, &q->auc, &q->auc_se));
        q->auc_lo = fmax(0, q->auc - 1.959963984540054 * q->auc_se);
        q->auc_hi = fmin(1, q->auc + 1.959963984540054 * q->auc_se);
    }
    XAI_TRY(calibration(p, labels, n, q));
    if (cost_fp > 0) {
        q->has_cost = 1;
        q->cost_fp = cost_fp;
        q->cost_fn = cost_fn;
        q->expected_cost = cost_at(p, labels, n, q->threshold, cost_fp, cost_fn);
        /* for calibrated p, predicting 1 pays off when (1 - p) c_fp < p c_fn */
        q->bayes_threshold = cost_fp / (cost_fp + cost_fn);
        q->expected_cost_bayes = cost_at(p, labels, n, q->bayes_threshold, cost_fp,
                                         cost_fn);
        q->cost_all_positive = cost_fp * (double)(n - q->positives) / (double)n;
        q->cost_all_negative = cost_fn * (double)q->positives / (double)n;
    }
    return XAI_OK;
}

xai_status xai_audit_quality(const xai_model *m, const float *x, const float *labels,
                             size_t n, int n_threads, double cost_fp, double cost_fn,
                             xai_model_quality *q)
{
    if (!m || !x || !labels || !n || !q)
        return xai_fail(XAI_ERR_INVALID, "model quality: model, rows, labels and "
                        "output are required");
    XAI_TRY(xai_quality_check_costs(cost_fp, cost_fn));
    size_t K = xai_model_output_size(m);
    if (!((K == 1 && xai_model_outputs_probabilities(m)) || K == 2))
        return xai_fail(XAI_ERR_UNSUPPORTED, "model quality: needs a binary "
                        "classifier (one probability output or two classes), the "
                        "model has %zu outputs", K);
    double *p = audit_alloc(n, sizeof *p, "model quality");
    if (!p)
        return XAI_ERR_NOMEM;
    xai_status st = audit_predict(m, x, n, n_threads, NULL, p);
    if (st == XAI_OK)
        st = xai_quality_from_scores(p, labels, n, cost_fp, cost_fn, q);
    free(p);
    return st;
}
