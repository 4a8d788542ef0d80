/* reports/report_summary.c: the summary page: what was audited, how good
 * the model is, which method to use and why, and the main risks. */
#include "report_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <xai/trees.h>

#include "core/error.h"

/* Thresholds of the risk list (documented in the Limitations section). */
#define RISK_MIN_ROWS 30
#define RISK_MARGIN 0.02      /* accuracy within this of the majority rate */
#define RISK_AUC 0.7          /* ROC AUC below this: weak discrimination */
#define RISK_AGREEMENT 0.5    /* mean Spearman between methods */
#define RISK_GAP 0.1          /* completeness gap relative to mean |f(x)| */
#define RISK_R2 0.5
#define RISK_SENSITIVITY 0.5

static xai_status key_facts(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    xai_model_info mi;
    xai_model_info_get(c->in->model, &mi);
    char a[32], b[32], out[64];
    rp_buf v[9] = {{0}};
    rp_printf(&v[0], "%s (%s%s%s", c->in->model_path, mi.format, *mi.producer ? ", made by " : "",
              mi.producer);
    if (mi.opset)
        rp_printf(&v[0], ", opset %lld", (long long)mi.opset);
    const xai_tree_ensemble *te = xai_model_trees(c->in->model);
    if (te)
        rp_printf(&v[0], "; tree ensemble: %zu trees, max depth %d, %zu nodes, "
                  "%zu margin%s)", te->n_trees, te->max_depth,
                  te->tree_offset[te->n_trees], te->n_margins, te->n_margins > 1 ? "s" : "");
    else
        rp_printf(&v[0], "; %llu parameters)", (unsigned long long)mi.n_params);
    rp_printf(&v[1], "%s", c->model_sha);
    rp_printf(&v[2], "%s: rows %llu to %llu of %zu; %zu features", c->in->data_path,
              (unsigned long long)r->first_instance,
              (unsigned long long)(r->first_instance + c->N - 1),
              xai_dataset_rows(c->in->data), c->D);
    if (c->image)
        rp_printf(&v[2], " (images %u x %u x %u)", c->c, c->h, c->w);
    else if (c->G < c->D)
        rp_printf(&v[2], " in %zu groups", c->G);
    if (xai_dataset_label_name(c->in->data))
        rp_printf(&v[2], "; label '%s'", xai_dataset_label_name(c->in->data));
    rp_printf(&v[3], "%s", c->data_sha);
    if (r->n_labelled)
        rp_printf(&v[4], "%s on %zu labelled rows (always predicting the majority class "
                  "scores %s)", rp_num(r->accuracy, a), r->n_labelled,
                  rp_num(r->majority_rate, b));
    if (r->n_labelled && r->quality.n && !isnan(r->quality.auc))
        rp_printf(&v[4], "; ROC AUC %s", rp_num(r->quality.auc, a));
    else
        rp_printf(&v[4], "unknown (the data has no label column)");
    rp_output_name(c, r->target[0], out, sizeof out);
    rp_printf(&v[5], "%s%s (mean over the rows %s)", out,
              c->n_classes > 1 && r->methods[0].options.target == XAI_TARGET_PRED
                  ? " of the predicted class" : "", rp_num(r->mean_output, a));
    rp_printf(&v[6], "%s, for the %s neighbourhood", r->methods[r->rec_method].name,
              r->nbhd_names[r->rec_nbhd]);
    rp_printf(&v[7], "%zu:", c->M);
    for (size_t m = 0; m < c->M; m++)
        rp_printf(&v[7], "%s %s", m ? "," : "", r->methods[m].name);
    /* default methods that do not apply to the model (gradients of trees) */
    int nk = 8;
    if (r->n_skipped) {
        for (size_t k = 0; k < r->n_skipped; k++)
            rp_printf(&v[8], "%s%s", k ? ", " : "", r->skipped[k].name);
        if (xai_model_piecewise_constant(c->in->model))
            rp_printf(&v[8], ": %s match gradients, and the model is piecewise "
                      "constant (its gradient is zero almost everywhere, undefined at "
                      "the splits)", r->n_skipped > 1 ? "they" : "it");
        else
            rp_printf(&v[8], ": %s", r->skipped[0].reason);
        nk = 9;
    }
    static const char *keys[9] = {"Model", "Model SHA-256", "Data", "Data SHA-256",
                                  "Model accuracy", "Explained output",
                                  "Recommended method", "Methods compared",
                                  "Methods not applicable"};
    const char *cells[18];
    int failed = 0;
    for (int k = 0; k < nk; k++) {
        cells[2 * k] = keys[k];
        cells[2 * k + 1] = v[k].s ? v[k].s : "";
        failed |= v[k].failed;
    }
    xai_pdf_align al[2] = {XAI_PDF_ALIGN_LEFT, XAI_PDF_ALIGN_LEFT};
    xai_pdf_table t = {(size_t)nk, 2, NULL, cells, al, NULL, NULL};
    xai_status s = failed ? xai_fail(XAI_ERR_NOMEM, "audit report: out of memory")
                          : xai_pdf_add_table(c->doc, &t);
    for (int k = 0; k < 9; k++)
        rp_buf_free(&v[k]);
    return s;
}

/* Accuracy-only text, for models without a binary quality block. */
static void accuracy_text(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    char a[32], b[32];
    if (r->accuracy <= r->majority_rate + 1e-9)
        rp_printf(&c->t, "The model is no better than always predicting the majority "
                  "class: it is right on %s of the %zu labelled rows, no more than the %s "
                  "a constant answer would score. Its explanations describe a model "
                  "that has not learnt to separate the classes on these rows; read them as "
                  "a description of this model, not as reasons in the data.",
                  rp_num(r->accuracy, a), r->n_labelled, rp_num(r->majority_rate, b));
    else
        rp_printf(&c->t, "The model is right on %s of the %zu labelled rows; always "
                  "predicting the majority class would score %s. %s", rp_num(r->accuracy, a),
                  r->n_labelled, rp_num(r->majority_rate, b),
                  r->accuracy < r->majority_rate + RISK_MARGIN
                      ? "That is barely better than a constant answer."
                      : "Explanations describe what the model does, right or wrong.");
}

/* "credit-risk = 1" (or "class 1" without a label name). */
static void class_name(const rp_ctx *c, int k, char *buf, size_t len)
{
    const char *label = xai_dataset_label_name(c->in->data);
    if (label)
        snprintf(buf, len, "%s = %d", label, k);
    else
        snprintf(buf, len, "class %d", k);
}

/* The confusion matrix and the cost, then the calibration deciles. */
static xai_status quality_tables(rp_ctx *c, const xai_model_quality *q)
{
    char c0[64], c1[64], h1[80], h2[80], v[4][32], cap[400];
    class_name(c, 0, c0, sizeof c0);
    class_name(c, 1, c1, sizeof c1);
    snprintf(h1, sizeof h1, "predicted %s", c0);
    snprintf(h2, sizeof h2, "predicted %s", c1);
    char r0[80], r1[80];
    snprintf(r0, sizeof r0, "true %s", c0);
    snprintf(r1, sizeof r1, "true %s", c1);
    snprintf(v[0], 32, "%zu", q->tn);
    snprintf(v[1], 32, "%zu", q->fp);
    snprintf(v[2], 32, "%zu", q->fn);
    snprintf(v[3], 32, "%zu", q->tp);
    const char *head[3] = {"", h1, h2};
    const char *cells[6] = {r0, v[0], v[1], r1, v[2], v[3]};
    xai_pdf_align al[3] = {XAI_PDF_ALIGN_LEFT, XAI_PDF_ALIGN_RIGHT, XAI_PDF_ALIGN_RIGHT};
    char a[32], b[32], d[32], e[32], f[32], g[32];
    int n = snprintf(cap, sizeof cap, "Confusion matrix at the decision threshold "
                     "P(%s) >= %s.", c1, rp_num(q->threshold, a));
    if (q->has_cost && n > 0 && (size_t)n < sizeof cap)
        snprintf(cap + n, sizeof cap - (size_t)n, " With costs %s per wrongly accepted "
                 "%s row and %s per wrongly refused %s row, the expected cost is %s per "
                 "row (%s at the cost-optimal threshold %s; %s for every row: %s).",
                 rp_num(q->cost_fp, a), c0, rp_num(q->cost_fn, b), c1,
                 rp_num(q->expected_cost, d), rp_num(q->expected_cost_bayes, e),
                 rp_num(q->bayes_threshold, f), c0, rp_num(q->cost_all_negative, g));
    xai_pdf_table t = {2, 3, head, cells, al, NULL, cap};
    XAI_TRY(xai_pdf_add_table(c->doc, &t));

    /* calibration: one column per bin */
    enum { MAXB = XAI_QUALITY_BINS + 1 };
    char txt[3][MAXB][32];
    const char *hb[MAXB], *cb[3 * MAXB];
    xai_pdf_align ab[MAXB];
    size_t nb = q->n_bins;
    hb[0] = "decile of P";
    static const char *const rows[3] = {"rows", "mean P", "observed"};
    for (size_t k = 0; k < 3; k++)
        cb[k * (nb + 1)] = rows[k];
    char bin_names[MAXB][24]; /* room for any size_t */
    for (size_t j = 0; j < nb; j++) {
        snprintf(bin_names[j], sizeof bin_names[j], "%zu", j + 1);
        hb[j + 1] = bin_names[j];
        snprintf(txt[0][j], 32, "%zu", q->bins[j].count);
        snprintf(txt[1][j], 32, "%.2f", q->bins[j].mean_predicted);
        snprintf(txt[2][j], 32, "%.2f", q->bins[j].observed);
        for (size_t k = 0; k < 3; k++)
            cb[k * (nb + 1) + j + 1] = txt[k][j];
    }
    for (size_t j = 0; j <= nb; j++)
        ab[j] = j ? XAI_PDF_ALIGN_RIGHT : XAI_PDF_ALIGN_LEFT;
    snprintf(cap, sizeof cap, "Calibration: the rows sorted by P(%s) in %zu bins of "
             "equal size; a calibrated model's mean P equals the observed share of %s "
             "in each bin. Mean absolute gap, weighted by rows: %s.", c1, nb, c1,
             rp_num(q->calibration_error, a));
    xai_pdf_table tc = {3, nb + 1, hb, cb, ab, NULL, cap};
    return xai_pdf_add_table(c->doc, &tc);
}

static xai_status model_quality(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    const xai_model_quality *q = &r->quality;
    char a[32], b[32], d[32], e[32], c0[64], c1[64];
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Model quality"));
    if (!r->n_labelled) {
        rp_printf(&c->t, "The data has no label column, so this report cannot say how "
                  "accurate the model is. Explanations describe what the model does, "
                  "right or wrong.");
        return rp_paragraph(c);
    }
    if (!q->n || isnan(q->auc)) {
        accuracy_text(c);
        return rp_paragraph(c);
    }
    class_name(c, 0, c0, sizeof c0);
    class_name(c, 1, c1, sizeof c1);
    double base = (double)q->positives / (double)q->n;
    rp_printf(&c->t, "Ranking: the ROC AUC is %s (95%% interval %s to %s, DeLong): a "
              "row with %s gets a higher P(%s) than a row with %s in %.0f%% of pairs "
              "(0.5 is chance, 1 perfect). ", rp_num(q->auc, a), rp_num(q->auc_lo, b),
              rp_num(q->auc_hi, d), c1, c1, c0, 100 * q->auc);
    rp_printf(&c->t, "Decisions: at the threshold %s the model is right on %s of the "
              "%zu labelled rows; always predicting the majority class would score %s. ",
              rp_num(q->threshold, a), rp_num(q->accuracy, b), q->n,
              rp_num(q->majority_rate, d));
    rp_printf(&c->t, "Probabilities: the Brier score (mean squared error of P) is %s, "
              "against %s for the constant answer %s. %s",
              rp_num(q->brier, a), rp_num(base * (1 - base), b), rp_num(base, e),
              q->auc_lo <= 0.5 ? "The model does not rank the rows better than chance: "
              "its explanations describe a model that has not learnt to separate the "
              "classes; read them as a description of this model, not as reasons in the "
              "data." : "Explanations describe what the model does, right or wrong.");
    XAI_TRY(rp_paragraph(c));
    return quality_tables(c, q);
}

static xai_status recommendation(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    size_t m0 = r->rec_method, z0 = r->rec_nbhd;
    const xai_audit_cell *cell = &r->table[m0 * c->Z + z0];
    char a[32], b[32], meaning[320];
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Recommended explanation method"));
    rp_nbhd_meaning(&r->nbhds[z0], meaning, sizeof meaning);
    if (meaning[0] >= 'A' && meaning[0] <= 'Z') /* mid-sentence */
        meaning[0] = (char)(meaning[0] - 'A' + 'a');
    rp_printf(&c->t, "Use %s. An explanation is trustworthy when the simple linear model it "
              "defines predicts the real model well around the row explained. On the %s "
              "neighbourhood the attributions of %s have the lowest local-approximation "
              "(LFA) loss of the %zu methods: %s on average, 95%% interval \u00b1%s over "
              "%zu rows. In plain words, that neighbourhood is: %s",
              r->methods[m0].name, r->nbhd_names[z0], r->methods[m0].name, c->M,
              rp_num(cell->mean, a), rp_num(cell->ci95, b), cell->count, meaning);
    size_t ties = 0;
    for (size_t m = 0; m < c->M; m++)
        if (m != m0 && r->table[m * c->Z + z0].rank == 1)
            rp_printf(&c->t, "%s%s", ties++ ? ", " : " Tied with it within noise: ",
                      r->methods[m].name);
    if (ties)
        rp_printf(&c->t, " (the data cannot tell these apart; any of them is as faithful "
                  "here).");
    if (r->declared)
        rp_printf(&c->t, " This is the neighbourhood you declared.");
    else
        rp_printf(&c->t, " No neighbourhood was declared, so the default (%s) decides; "
                  "declare yours with --neighbourhood if your questions are about other "
                  "changes.", r->nbhd_names[z0]);
    return rp_paragraph(c);
}

static int distinct_winners(const rp_ctx *c)
{
    int n = 0;
    for (size_t z = 0; z < c->Z; z++) {
        int seen = 0;
        for (size_t q = 0; q < z; q++)
            seen |= c->r->best[q] == c->r->best[z];
        n += !seen;
    }
    return n;
}

static xai_status risks(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    size_t m0 = r->rec_method, z0 = r->rec_nbhd, MK = XAI_AUDIT_METRIC_COUNT, n = 0;
    const char *rec = r->methods[m0].name;
    char a[32], b[32], d[32], e[32];
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Main risks found"));
    rp_buf *t = &c->t;
    const xai_model_quality *q = &r->quality;
    if (q->n && !isnan(q->auc)) {
        if (q->auc_lo <= 0.5)
            n++, rp_printf(t, "\u2022 Weak model: ROC AUC %s, and its 95%% interval "
                           "(%s to %s) includes 0.5, ranking at chance. Any explanation "
                           "explains a model that has not learnt to separate the classes.\n",
                           rp_num(q->auc, a), rp_num(q->auc_lo, b), rp_num(q->auc_hi, d));
        else if (q->auc < RISK_AUC)
            n++, rp_printf(t, "\u2022 Weak model: ROC AUC %s is below %g, the usual "
                           "threshold of acceptable discrimination.\n", rp_num(q->auc, a),
                           RISK_AUC);
        if (q->auc_lo > 0.5 && q->accuracy <= q->majority_rate + 1e-9)
            n++, rp_printf(t, "\u2022 Threshold: the model ranks the rows better than "
                           "chance (AUC %s) but at the threshold %s its accuracy %s is no "
                           "better than the majority-class rate %s; the threshold or the "
                           "calibration does not suit these data.\n", rp_num(q->auc, a),
                           rp_num(q->threshold, b), rp_num(q->accuracy, d),
                           rp_num(q->majority_rate, e));
    } else if (r->n_labelled && r->accuracy <= r->majority_rate + 1e-9)
        n++, rp_printf(t, "\u2022 Weak model: accuracy %s equals or is below the "
                       "majority-class rate %s. Any explanation explains a model that "
                       "does not predict better than a constant.\n",
                       rp_num(r->accuracy, a), rp_num(r->majority_rate, b));
    else if (r->n_labelled && r->accuracy < r->majority_rate + RISK_MARGIN)
        n++, rp_printf(t, "\u2022 Weak model: accuracy %s is within %g of the "
                       "majority-class rate %s.\n", rp_num(r->accuracy, a), RISK_MARGIN,
                       rp_num(r->majority_rate, b));
    if (c->N < RISK_MIN_ROWS)
        n++, rp_printf(t, "\u2022 Few rows: only %zu rows were explained, so intervals "
                       "are wide and methods tie easily (use --rows for more).\n", c->N);
    size_t ties = 0;
    for (size_t m = 0; m < c->M; m++)
        ties += m != m0 && r->table[m * c->Z + z0].rank == 1;
    if (ties)
        n++, rp_printf(t, "\u2022 Methods tied: %zu other method%s cannot be told apart "
                       "from %s on %s; the choice among them is not settled by the data.\n",
                       ties, ties > 1 ? "s" : "", rec, r->nbhd_names[z0]);
    if (distinct_winners(c) > 1) {
        n++, rp_printf(t, "\u2022 The best method depends on the neighbourhood:");
        for (size_t z = 0; z < c->Z; z++)
            rp_printf(t, "%s %s \u2192 %s", z ? ";" : "", r->nbhd_names[z],
                      r->methods[r->best[z]].name);
        rp_printf(t, ". %s\n", r->declared ? "The recommendation is for the one you declared."
                  : "None was declared: the recommendation holds only for the default.");
    }
    size_t flagged = 0, ran = 0;
    for (size_t m = 0; m < c->M; m++)
        flagged += r->sanity_flag[m] == 1, ran += r->sanity_flag[m] >= 0;
    if (!ran)
        n++, rp_printf(t, "\u2022 Sanity check not run: without a randomised copy of the "
                       "model (--randomized-model) nothing shows that the explanations "
                       "depend on what the model learnt.\n");
    else if (flagged) {
        n++, rp_printf(t, "\u2022 Sanity check failed for");
        for (size_t m = 0, k = 0; m < c->M; m++)
            if (r->sanity_flag[m] == 1)
                rp_printf(t, "%s %s", k++ ? "," : "", r->methods[m].name);
        rp_printf(t, ": their explanations barely change when the model's last layer is "
                  "re-drawn at random.%s\n", r->sanity_flag[m0] == 1
                  ? " This includes the recommended method." : "");
    }
    size_t wa, wb;
    double agree = rp_mean_agreement(c, &wa, &wb);
    if (c->M > 1 && agree < RISK_AGREEMENT)
        n++, rp_printf(t, "\u2022 Methods disagree on which features matter: mean rank "
                       "correlation of global importance %s; least between %s and %s (%s).\n",
                       rp_num(agree, a), r->methods[wa].name, r->methods[wb].name,
                       rp_num(c->agree[wa * c->M + wb], b));
    double mfx = 0;
    for (size_t i = 0; i < c->N; i++)
        mfx += fabs(c->fx[i]) / (double)c->N;
    double gap = r->mean_gap[m0];
    if (isfinite(gap) && gap > RISK_GAP * mfx)
        n++, rp_printf(t, "\u2022 Attributions do not add up: the %s attributions of a row "
                       "differ from the change of the output between the baseline and the "
                       "row by %s on average (outputs average %s). Read them as local "
                       "effects, not as a split of the prediction.\n", rec, rp_num(gap, a),
                       rp_num(mfx, b));
    if (isfinite(r->mean_r2[m0]) && r->mean_r2[m0] < RISK_R2)
        n++, rp_printf(t, "\u2022 Poor surrogate fit: the linear model of %s explains only "
                       "%s of the variation on its own samples (R\u00b2).\n", rec,
                       rp_num(r->mean_r2[m0], a));
    const xai_audit_cell *sc = &r->metrics[m0 * MK + XAI_AUDIT_SENSITIVITY];
    if (sc->count && sc->mean > RISK_SENSITIVITY)
        n++, rp_printf(t, "\u2022 Unstable explanations: tiny input changes alter the "
                       "%s attributions by %s of their size (max-sensitivity).\n", rec,
                       rp_num(sc->mean, a));
    if (!n)
        rp_printf(t, "No risk found by the checks this report runs (see Limitations for "
                  "what they do not cover).");
    return rp_paragraph(c);
}

xai_status rp_section_summary(rp_ctx *c)
{
    size_t nk = 0;
    for (size_t k = 0; k < XAI_AUDIT_METRIC_COUNT; k++)
        nk += c->r->metrics[k].count > 0;
    XAI_TRY(xai_pdf_add_heading(c->doc, 1, "Summary"));
    rp_printf(&c->t, "This report audits the explanations of a machine-learning model: "
              "which explanation method describes this model faithfully on these data, "
              "and how far its explanations can be trusted. %zu methods explained %zu rows; "
              "each was scored on %zu neighbourhoods and %zu further faithfulness metrics.",
              c->M, c->N, c->Z, nk);
    XAI_TRY(rp_paragraph(c));
    XAI_TRY(key_facts(c));
    XAI_TRY(model_quality(c));
    XAI_TRY(recommendation(c));
    return risks(c);
}
