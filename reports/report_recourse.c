/* reports/report_recourse.c: the "Recourse robustness" section: the
 * counterfactual methods table, a cost-versus-validity chart, the first
 * recourses in plain words, and what stability does and does not promise. */
#include "report_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"

enum { RC_COLS = 9 };

static xai_status methods_table(rp_ctx *c, const xai_report_recourse *rr)
{
    static const char *const head[RC_COLS] = {
        "method", "found", "valid on alt.\nmean", "valid on alt.\nmin", "cost L1",
        "cost L2", "changed", "R^", "LOF"};
    size_t n = rr->n_methods;
    char (*cell)[48] = calloc(n * RC_COLS + 1, sizeof *cell);
    const char **ptr = calloc(n * RC_COLS + 1, sizeof *ptr);
    if (!cell || !ptr) {
        free(cell);
        free(ptr);
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    }
    for (size_t m = 0; m < n; m++) {
        const xai_report_recourse_method *q = &rr->methods[m];
        char (*row)[48] = cell + m * RC_COLS, a[32];
        snprintf(row[0], 48, "%s", q->name);
        snprintf(row[1], 48, "%zu / %zu", q->found, q->searched);
        const double v[7] = {q->validity_mean, q->validity_min, q->cost_l1, q->cost_l2,
                             q->changed, q->stability, q->lof};
        for (int k = 0; k < 7; k++)
            snprintf(row[2 + k], 48, "%s", rp_num(v[k], a));
        for (int k = 0; k < RC_COLS; k++)
            ptr[m * RC_COLS + k] = row[k];
    }
    char cap[600];
    snprintf(cap, sizeof cap,
             "%zu of %zu rows were rejected and searched (%zu already accepted). "
             "Validity: the share of found counterfactuals each of %zu alternative "
             "models accepts, averaged (mean) and at the worst model (min). Costs in "
             "units of each feature's training range; changed: features changed; R^: "
             "relaxed stability (sigma %g of the range, target tau %g); LOF about 1: "
             "as plausible as the accepted training rows.",
             rr->n_rows - rr->already_accepted, rr->n_rows, rr->already_accepted,
             rr->n_alt, rr->sigma, rr->tau);
    xai_pdf_table t = {n, RC_COLS, head, ptr, NULL, NULL, cap};
    xai_status s = xai_pdf_add_table(c->doc, &t);
    free(cell);
    free(ptr);
    return s;
}

static xai_status chart(rp_ctx *c, const xai_report_recourse *rr)
{
    xai_pdf_series *sr = calloc(rr->n_methods ? rr->n_methods : 1, sizeof *sr);
    if (!sr)
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    size_t k = 0;
    for (size_t m = 0; m < rr->n_methods; m++)
        if (rr->methods[m].n_points)
            sr[k++] = (xai_pdf_series){rr->methods[m].name, rr->methods[m].n_points,
                                       rr->methods[m].cost_l2s, rr->methods[m].validity};
    xai_status s = XAI_OK;
    if (k) {
        xai_pdf_line_chart ch = {k, sr, "Validity on alternative models against cost",
                                 "L2 cost (range units), rows sorted by cost",
                                 "share of alternative models accepting", 0, 1};
        s = xai_pdf_add_line_chart(c->doc, &ch);
    }
    free(sr);
    return s;
}

xai_status rp_section_recourse(rp_ctx *c)
{
    const xai_report_recourse *rr = c->in->recourse;
    if (!rr)
        return XAI_OK;
    XAI_TRY(xai_pdf_add_heading(c->doc, 1, "Recourse robustness"));
    rp_printf(&c->t, "For each rejected row, each method looks for a counterfactual: a "
              "nearby applicant the model accepts, respecting the declared constraints "
              "(immutable attributes, values that may only grow, integers, one category "
              "per group). A promise of recourse is worth something only if it survives "
              "the next retraining, so every counterfactual is checked on alternative "
              "models trained like this one (other seeds, 90%% subsets).");
    XAI_TRY(rp_paragraph(c));
    XAI_TRY(methods_table(c, rr));
    if (rr->n_alt)
        XAI_TRY(chart(c, rr));
    if (rr->n_examples) {
        XAI_TRY(xai_pdf_add_heading(c->doc, 2, "The first recourses in plain words"));
        for (size_t i = 0; i < rr->n_examples; i++)
            rp_printf(&c->t, "%s%s", i ? "\n" : "", rr->examples[i]);
        XAI_TRY(rp_paragraph(c));
    }
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "What stability promises"));
    rp_printf(&c->t, "R^ is high when the model's output stays high in a cloud of small "
              "random changes around the counterfactual: such a point sits away from the "
              "decision boundary, and retrained models, which mostly move the boundary a "
              "little, tend to keep accepting it. That is a tendency, not a promise: the "
              "probabilistic guarantee of Hamman et al. (2023) needs a certified "
              "Lipschitz bound and assumptions about how models change, and it is vacuous "
              "for most rows (see xai lipschitz and the README). The validity columns "
              "above are the evidence: they count real alternative models. A robust "
              "counterfactual usually asks for larger changes (compare the costs), and "
              "the changes are what the model would reward, not advice.");
    return rp_paragraph(c);
}
