/* reports/report_util.c: small helpers of the audit report: text buffer,
 * numbers, group sums, wording of outputs and neighbourhoods, rank colours. */
#include "report_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xai/trees.h>

#include "core/error.h"

void rp_printf(rp_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t need = b->len + (size_t)n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            return;
        }
        b->s = s, b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void rp_clear(rp_buf *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = 0;
}

void rp_buf_free(rp_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

xai_status rp_paragraph(rp_ctx *c)
{
    if (c->t.failed)
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    xai_status s = xai_pdf_add_paragraph(c->doc, c->t.s ? c->t.s : "");
    rp_clear(&c->t);
    return s;
}

const char *rp_num(double v, char buf[32])
{
    if (isnan(v))
        snprintf(buf, 32, "n/a");
    else if (isinf(v))
        snprintf(buf, 32, v > 0 ? "inf" : "-inf");
    else if (v == 0)
        snprintf(buf, 32, "0");
    else if (fabs(v) >= 1e-3 && fabs(v) < 1e5)
        snprintf(buf, 32, "%.3g", v);
    else
        snprintf(buf, 32, "%.2e", v);
    return buf;
}

void rp_group_phi(const rp_ctx *c, const float *phi, double *out)
{
    for (size_t g = 0; g < c->G; g++)
        out[g] = 0;
    for (size_t j = 0; j < c->D; j++)
        out[c->group[j]] += phi[j];
}

void rp_output_name(const rp_ctx *c, int32_t t, char *buf, size_t len)
{
    const char *label = xai_dataset_label_name(c->in->data);
    int k = c->n_classes == 1 ? 1 : (int)t;
    if (c->probabilities && label) /* "P(credit-risk = 1)" */
        snprintf(buf, len, "P(%s = %d)", label, k);
    else if (c->probabilities)
        snprintf(buf, len, "P(class %d)", k);
    else if (xai_model_trees(c->in->model) &&
             xai_model_trees(c->in->model)->transform != XAI_TREE_IDENTITY) {
        if (label) /* a tree ensemble's margin */
            snprintf(buf, len, "margin (log-odds) of %s = %d", label, k);
        else
            snprintf(buf, len, "margin (log-odds) of class %d", k);
    }
    else if (c->n_classes == 1)
        snprintf(buf, len, "the model's score");
    else
        snprintf(buf, len, "score of class %d", (int)t);
}

void rp_nbhd_meaning(const xai_audit_nbhd *z, char *buf, size_t len)
{
    switch (z->kind) {
    case XAI_AUDIT_NBHD_GAUSSIAN:
        snprintf(buf, len, "%s random changes of every feature at once, each of about "
                 "%g standard deviations of its column (images: of the pixel range). "
                 "Asks: how does the output react to %s perturbations around this row?",
                 z->param <= 0.2 ? "Small" : "Larger", z->param,
                 z->param <= 0.2 ? "small" : "sizeable");
        break;
    case XAI_AUDIT_NBHD_MASK:
        snprintf(buf, len, "Each interpretable feature (a one-hot group, or an image "
                 "patch) is switched off, i.e. set to the baseline, with probability "
                 "%g. Asks: what happens when information is removed?", z->param);
        break;
    case XAI_AUDIT_NBHD_PATH:
        snprintf(buf, len, "The straight line from the baseline (the average row "
                 "unless set otherwise) to this row. Asks: how did the output get from "
                 "the average case to this one?");
        break;
    case XAI_AUDIT_NBHD_SHAPLEY:
        snprintf(buf, len, "Coalitions of features kept (the others at the baseline), "
                 "weighted by the Shapley kernel; the explanation must add up to the "
                 "change of the output from the baseline to the row. KernelSHAP's "
                 "objective: the exact Shapley values (TreeSHAP on tree models) "
                 "minimise it. Asks: how close is this explanation to them?");
        break;
    default:
        snprintf(buf, len, "The row itself: the local slope of the model. Asks: "
                 "which features move the output under infinitesimal changes?");
        break;
    }
}

double rp_mean_agreement(const rp_ctx *c, size_t *wa, size_t *wb)
{
    double sum = 0, worst = INFINITY;
    size_t n = 0;
    *wa = *wb = 0;
    for (size_t a = 0; a < c->M; a++)
        for (size_t b = a + 1; b < c->M; b++) {
            double v = c->agree[a * c->M + b];
            if (isnan(v))
                continue;
            sum += v, n++;
            if (v < worst)
                worst = v, *wa = a, *wb = b;
        }
    return n ? sum / (double)n : NAN;
}

xai_pdf_rgb rp_rank_color(int rank, size_t n)
{
    if (rank <= 0)
        return (xai_pdf_rgb){-1, 0, 0};
    double t = n > 1 ? (double)(rank - 1) / (double)(n - 1) : 0;
    /* light green -> light yellow -> light red */
    xai_pdf_rgb g = {0.78f, 0.92f, 0.78f}, y = {0.99f, 0.95f, 0.75f}, r = {0.98f, 0.78f, 0.76f};
    xai_pdf_rgb a = t < 0.5 ? g : y, b = t < 0.5 ? y : r;
    float u = (float)(t < 0.5 ? 2 * t : 2 * t - 1);
    return (xai_pdf_rgb){a.r + u * (b.r - a.r), a.g + u * (b.g - a.g), a.b + u * (b.b - a.b)};
}
