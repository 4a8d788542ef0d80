/* reports/report_appendix.c: the limitations section and the
 * reproducibility appendix. */
#include "report_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"

xai_status rp_section_limitations(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    rp_buf *t = &c->t;
    XAI_TRY(xai_pdf_add_heading(c->doc, 1, "Limitations"));
    rp_printf(t, "What this audit does not establish, in plain words:\n");
    rp_printf(t, "\u2022 Faithfulness is not truth. A faithful explanation describes what "
              "the model does, not why the outcome happens in the world, and not whether "
              "the model is fair or correct.\n");
    rp_printf(t, "\u2022 The recommendation depends on the neighbourhood. It is the best "
              "method for %s%s; on another neighbourhood another method may win (see the "
              "table).\n", r->nbhd_names[r->rec_nbhd],
              r->declared ? " (declared)" : " (the default, not a choice made for your use)");
    rp_printf(t, "\u2022 Sample size: %zu rows were explained. Every figure is a mean over "
              "them with a 95%% interval from Student's t; rows are treated as independent "
              "and as representative of the cases you care about.\n", c->N);
    rp_printf(t, "\u2022 Rankings compare methods in pairs at 95%% confidence with no "
              "correction for the many comparisons made: with %zu methods some differences "
              "declared significant will be chance.\n", c->M);
    if (!c->image)
        rp_printf(t, "\u2022 Tabular noise is Gaussian in units of each column's standard "
                  "deviation, applied to one-hot columns too: perturbed rows may be "
                  "impossible (half a category, a negative count). Metrics built on them "
                  "probe the model outside the data.\n");
    else
        rp_printf(t, "\u2022 Image noise is in units of the pixel range, and deletion "
                  "replaces patches by the mean image: both create images unlike the "
                  "data.\n");
    rp_printf(t, "\u2022 The LFA loss, PGI/PGU and infidelity use %s random draws per row "
              "(fresh ones, not the methods' own); they have Monte-Carlo error besides the "
              "row-to-row spread.\n", "a few hundred to a thousand");
    rp_printf(t, "\u2022 Metrics assume a linear explanation is meaningful locally; for "
              "strongly non-linear models every method can have a large loss.\n");
    if (r->sanity_flag[0] < 0)
        rp_printf(t, "\u2022 The model-randomisation sanity check was not run.\n");
    rp_printf(t, "\u2022 Risk thresholds on the summary page (AUC below 0.7, else accuracy "
              "within 0.02 of the majority rate; agreement below 0.5, completeness gap "
              "above 10%% of the mean output, R\u00b2 below 0.5, max-sensitivity above 0.5, "
              "under 30 rows) are rules of thumb, not tests.");
    return rp_paragraph(c);
}

static xai_status settings_table(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    size_t cols = 4, n = c->M * cols;
    char (*cell)[64] = calloc(n, sizeof *cell);
    const char **p = calloc(n, sizeof *p);
    if (!cell || !p) {
        free(cell), free(p);
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    }
    for (size_t m = 0; m < c->M; m++) {
        const xai_explain_options *o = &r->methods[m].options;
        char a[32];
        snprintf(cell[m * cols], 64, "%s", r->methods[m].name);
        snprintf(cell[m * cols + 1], 64, "%lld", (long long)o->samples);
        snprintf(cell[m * cols + 2], 64, "%s", o->sigma > 0 ? rp_num(o->sigma, a) : "-");
        snprintf(cell[m * cols + 3], 64, "%llu", (unsigned long long)r->evaluations[m]);
        for (size_t k = 0; k < cols; k++)
            p[m * cols + k] = cell[m * cols + k];
    }
    static const char *head[4] = {"method", "samples", "sigma", "model evaluations"};
    /* no per-method times: the report's text is identical across runs */
    xai_pdf_table t = {c->M, cols, head, p, NULL, NULL,
                       "Resolved settings of each method and its cost in model "
                       "evaluations (per-method times are in the JSON output)."};
    xai_status s = xai_pdf_add_table(c->doc, &t);
    free(cell), free(p);
    return s;
}

xai_status rp_section_appendix(rp_ctx *c)
{
    const xai_report_input *in = c->in;
    const xai_audit_result *r = c->r;
    rp_buf *t = &c->t;
    XAI_TRY(xai_pdf_add_heading(c->doc, 1, "Reproducibility"));
    rp_printf(t, "Running the command below with the same model, data (check the "
              "SHA-256 digests), seed and xai version reproduces every number in this "
              "report, for any thread count. Only the run time and the date differ.");
    XAI_TRY(rp_paragraph(c));
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Command"));
    rp_printf(t, "%s", in->command_line ? in->command_line : "(library call)");
    if (t->failed)
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    XAI_TRY(xai_pdf_add_code(c->doc, t->s));
    rp_clear(t);
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Run"));
    xai_model_info mi;
    xai_model_info_get(in->model, &mi);
    char date[40] = "now";
    if (in->date >= 0) {
        time_t tt = (time_t)in->date;
        struct tm tm;
        if (gmtime_r(&tt, &tm))
            strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC (fixed)", &tm);
    }
    rp_printf(t, "model      %s\nmodel sha  %s\ndata       %s\ndata sha   %s\n"
              "rows       %llu..%llu (%zu)\nseed       %llu\nthreads    %d\n",
              in->model_path, c->model_sha, in->data_path, c->data_sha,
              (unsigned long long)r->first_instance,
              (unsigned long long)(r->first_instance + c->N - 1), c->N,
              (unsigned long long)in->seed, in->n_threads);
    if (in->n_ranks > 1)
        rp_printf(t, "ranks      %d MPI processes, %d threads each (the results are "
                  "those of one process)\n", in->n_ranks, in->n_threads);
    if (in->run_seconds >= 0)
        rp_printf(t, "run time   %.2f s\n", in->run_seconds);
    rp_printf(t, "date       %s\n", in->date >= 0 ? date : "as in the page header (not fixed)");
    rp_printf(t, "model ops  %zu nodes:", mi.n_nodes);
    for (size_t k = 0; k < mi.n_op_kinds; k++)
        rp_printf(t, " %s x%zu", mi.op_names[k], mi.op_counts[k]);
    /* one line: PGI/PGU settings (the rankings page words them in full) */
    rp_printf(t, "\nmetrics    PGI/PGU k %zu..%zu %s %s:%g x%zu%s%s; sanity %g; 95%% paired",
              r->pgi_k_first, r->pgi_k, r->pgi_summary == XAI_AUDIT_PGI_AUC ? "auc" : "mean",
              xai_audit_noise_name(r->metric_noise), r->pgi_sigma, r->pgi_samples,
              r->compat[0] ? " " : "", r->compat, r->sanity_threshold);
    if (t->failed)
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    XAI_TRY(xai_pdf_add_code(c->doc, t->s));
    rp_clear(t);
    XAI_TRY(settings_table(c));
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Library versions"));
    rp_library_versions(t);
    if (t->failed)
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    XAI_TRY(xai_pdf_add_code(c->doc, t->s));
    rp_clear(t);
    return XAI_OK;
}
