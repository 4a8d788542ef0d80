/* reports/report_agreement.c: the agreement measures of Krishna et al.
 * (2022) between every pair of methods, one heatmap per measure, and the
 * agreement with a ground truth when the audit had one. */
#include "report_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"

static const char *const titles[XAI_AGREE_COUNT] = {
    "Feature agreement", "Rank agreement", "Sign agreement", "Signed rank agreement",
    "Rank correlation (Spearman of |attribution|)", "Pairwise rank agreement"};

static xai_status gt_table(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    size_t cols = XAI_AGREE_COUNT + 1, n = c->M * cols;
    char (*txt)[32] = calloc(n, sizeof *txt);
    const char **cells = calloc(n, sizeof *cells);
    if (!txt || !cells) {
        free(txt), free(cells);
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    }
    for (size_t m = 0; m < c->M; m++) {
        cells[m * cols] = r->methods[m].name;
        for (int q = 0; q < XAI_AGREE_COUNT; q++) {
            rp_num(r->gt_agreement[q * c->M + m], txt[m * cols + 1 + q]);
            cells[m * cols + 1 + q] = txt[m * cols + 1 + q];
        }
    }
    static const char *head[XAI_AGREE_COUNT + 1] = {"method", "feature", "rank", "sign",
                                                    "signed rank", "rank corr.", "pairwise"};
    xai_pdf_table t = {c->M, cols, head, cells, NULL, NULL,
                       "Agreement of each method with the ground truth (the weights of "
                       "the linear / logistic model given with --ground-truth), mean over "
                       "rows; 1 is perfect."};
    xai_status s = xai_pdf_add_table(c->doc, &t);
    free(txt), free(cells);
    return s;
}

xai_status rp_section_agreement(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    if (!r->agreement || c->M < 2)
        return r->gt_agreement ? gt_table(c) : XAI_OK;
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Agreement on each row (Krishna et al. 2022)"));
    rp_printf(&c->t, "The heatmap above compares global importances; these compare the "
              "explanations of each row, then average over the rows. On the top-%zu %s by "
              "|attribution|: feature agreement is the share of features the two methods "
              "both put in their top %zu; rank agreement the share of positions holding "
              "the same feature; sign agreement the share of common features with the same "
              "sign; signed rank agreement both at once. Rank correlation compares the "
              "orders of all %zu %s, and pairwise rank agreement the share of pairs of "
              "top-%zu features that both methods order alike. 1 is full agreement. Low "
              "values mean the methods tell different stories about the same prediction "
              "(the \"disagreement problem\"): which one to trust is what the faithfulness "
              "metrics above decide, not a vote.", r->agree_k,
              c->G < c->D ? "feature groups" : "features", r->agree_k, r->agree_units,
              c->G < c->D ? "groups" : "features", r->agree_k);
    XAI_TRY(rp_paragraph(c));
    const char **names = calloc(c->M, sizeof *names);
    if (!names)
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    for (size_t m = 0; m < c->M; m++)
        names[m] = r->methods[m].name;
    xai_status s = XAI_OK;
    for (int q = 0; q < XAI_AGREE_COUNT && s == XAI_OK; q++) {
        int corr = q == XAI_AGREE_RANK_CORR;
        xai_pdf_heatmap hm = {c->M, c->M, r->agreement + (size_t)q * c->M * c->M, names,
                              names, corr ? XAI_PDF_CMAP_DIVERGING : XAI_PDF_CMAP_SEQUENTIAL,
                              corr ? -1 : 0, 1, 1, titles[q], corr ? "\u03c1" : "share",
                              300};
        s = xai_pdf_add_heatmap(c->doc, &hm);
    }
    free(names);
    if (s == XAI_OK && r->gt_agreement)
        s = gt_table(c);
    return s;
}
