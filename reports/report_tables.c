/* reports/report_tables.c: the methods x neighbourhoods loss table, the
 * per-metric rankings and the PGI / PGU (and deletion / insertion) curves. */
#include "report_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* A table of rows x cols strings built in one buffer. */
typedef struct grid {
    size_t rows, cols;
    char (*cell)[80];
    const char **ptr;
    xai_pdf_rgb *fill;
} grid;

static xai_status grid_new(grid *g, size_t rows, size_t cols)
{
    size_t n;
    memset(g, 0, sizeof *g);
    if (!xai_mul_size(rows, cols, &n))
        return xai_fail(XAI_ERR_NOMEM, "audit report: table too large");
    g->rows = rows, g->cols = cols;
    g->cell = calloc(n ? n : 1, sizeof *g->cell);
    g->ptr = calloc(n ? n : 1, sizeof *g->ptr);
    g->fill = calloc(n ? n : 1, sizeof *g->fill);
    if (!g->cell || !g->ptr || !g->fill) {
        free(g->cell), free(g->ptr), free(g->fill);
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        g->ptr[i] = g->cell[i], g->fill[i] = (xai_pdf_rgb){-1, 0, 0};
    return XAI_OK;
}

static void grid_free(grid *g) { free(g->cell), free(g->ptr), free(g->fill); }

static xai_status loss_table(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    size_t cols = c->Z + 1;
    const char **head = calloc(cols, sizeof *head);
    grid g;
    xai_status s = grid_new(&g, c->M, cols);
    if (s == XAI_OK && !head)
        s = xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    if (s != XAI_OK) {
        free(head);
        return s;
    }
    head[0] = "method";
    for (size_t z = 0; z < c->Z; z++)
        head[z + 1] = r->nbhd_names[z];
    for (size_t m = 0; m < c->M; m++) {
        snprintf(g.cell[m * cols], 80, "%s", r->methods[m].name);
        for (size_t z = 0; z < c->Z; z++) {
            const xai_audit_cell *e = &r->table[m * c->Z + z];
            char a[32], b[32];
            snprintf(b, sizeof b, "%.2g", e->ci95);
            snprintf(g.cell[m * cols + z + 1], 80, "%s (%d)%s\n\u00b1%s", rp_num(e->mean, a),
                     e->rank, r->best[z] == m ? " \u2605" : "", b);
            g.fill[m * cols + z + 1] = rp_rank_color(e->rank, c->M);
        }
    }
    xai_pdf_align al[16];
    for (size_t k = 0; k < cols && k < 16; k++)
        al[k] = k ? XAI_PDF_ALIGN_RIGHT : XAI_PDF_ALIGN_LEFT;
    char cap[400];
    snprintf(cap, sizeof cap, "LFA loss, lower is better: mean over %zu rows \u00b1 95%% "
             "interval, (rank) among the methods; equal ranks are ties within noise. "
             "\u2605 marks the winner of each neighbourhood. Colours follow the rank: "
             "green best, red worst.", c->N);
    xai_pdf_table t = {c->M, cols, head, g.ptr, cols <= 16 ? al : NULL, g.fill, cap};
    s = xai_pdf_add_table(c->doc, &t);
    free(head);
    grid_free(&g);
    return s;
}

static xai_status nbhd_table(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    grid g;
    XAI_TRY(grid_new(&g, c->Z, 3));
    char (*meaning)[320] = calloc(c->Z, sizeof *meaning);
    if (!meaning) {
        grid_free(&g);
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    }
    for (size_t z = 0; z < c->Z; z++) {
        snprintf(g.cell[z * 3], 80, "%s%s", r->nbhd_names[z],
                 z == r->rec_nbhd ? (r->declared ? " (declared)" : " (primary)") : "");
        rp_nbhd_meaning(&r->nbhds[z], meaning[z], sizeof meaning[z]);
        g.ptr[z * 3 + 1] = meaning[z];
        snprintf(g.cell[z * 3 + 2], 80, "%s", r->methods[r->best[z]].name);
    }
    static const char *head[3] = {"neighbourhood", "what it means", "best method"};
    xai_pdf_align al[3] = {XAI_PDF_ALIGN_LEFT, XAI_PDF_ALIGN_LEFT, XAI_PDF_ALIGN_LEFT};
    xai_pdf_table t = {c->Z, 3, head, g.ptr, al, NULL, NULL};
    xai_status s = xai_pdf_add_table(c->doc, &t);
    free(meaning);
    grid_free(&g);
    return s;
}

xai_status rp_section_loss_table(rp_ctx *c)
{
    XAI_TRY(xai_pdf_add_heading(c->doc, 1, "Methods \u00d7 neighbourhoods: LFA loss"));
    rp_printf(&c->t, "Every explanation method fits a simple linear model to the real "
              "model around a row, each over its own neighbourhood of perturbed rows "
              "(Han, Srinivas and Lakkaraju, 2022). The table measures each method's "
              "attributions on every neighbourhood, with fresh random draws: the loss is "
              "the mean squared gap between the real model and the linear model the "
              "attributions define. No method wins everywhere; the right one is the one "
              "that is faithful on the neighbourhood your question is about.");
    XAI_TRY(rp_paragraph(c));
    XAI_TRY(loss_table(c));
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "What the neighbourhoods mean"));
    return nbhd_table(c);
}

static const char *metric_title(xai_audit_metric k)
{
    static const char *t[XAI_AUDIT_METRIC_COUNT] = {
        "PGI \u2191", "PGU \u2193", "infidelity \u2193", "max-sensitivity \u2193",
        "sanity \u03c1", "deletion \u2193", "insertion \u2191", "RIS \u2193",
        "ROS \u2193", "RRS \u2193"};
    return t[k];
}

static xai_status rank_table(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    size_t MK = XAI_AUDIT_METRIC_COUNT, ks[XAI_AUDIT_METRIC_COUNT], nk = 0;
    for (size_t k = 0; k < MK; k++)
        if (r->metrics[k].count)
            ks[nk++] = k;
    const char *head[XAI_AUDIT_METRIC_COUNT + 1] = {"method"};
    for (size_t q = 0; q < nk; q++)
        head[q + 1] = metric_title((xai_audit_metric)ks[q]);
    grid g;
    XAI_TRY(grid_new(&g, c->M, nk + 1));
    for (size_t m = 0; m < c->M; m++) {
        snprintf(g.cell[m * (nk + 1)], 80, "%s", r->methods[m].name);
        for (size_t q = 0; q < nk; q++) {
            const xai_audit_cell *e = &r->metrics[m * MK + ks[q]];
            char a[32], *cell = g.cell[m * (nk + 1) + q + 1];
            xai_pdf_rgb *f = &g.fill[m * (nk + 1) + q + 1];
            if (ks[q] == XAI_AUDIT_SANITY) {
                int fl = r->sanity_flag[m];
                snprintf(cell, 80, "%s %s", rp_num(e->mean, a),
                         fl == 1 ? "FLAGGED" : fl == 0 ? "pass" : "not run");
                *f = fl == 1 ? rp_rank_color(2, 2) : fl == 0 ? rp_rank_color(1, 2) : *f;
            } else {
                snprintf(cell, 80, "%s (%d)", rp_num(e->mean, a), e->rank);
                *f = rp_rank_color(e->rank, c->M);
            }
        }
    }
    xai_pdf_align al[XAI_AUDIT_METRIC_COUNT + 1];
    for (size_t q = 0; q <= nk; q++)
        al[q] = q ? XAI_PDF_ALIGN_RIGHT : XAI_PDF_ALIGN_LEFT;
    xai_pdf_table t = {c->M, nk + 1, head, g.ptr, al, g.fill,
                       "Mean over the rows, (rank) among the methods with paired 95% "
                       "intervals; equal ranks are ties. \u2191 higher is better, \u2193 "
                       "lower is better. The sanity check is pass / fail."};
    xai_status s = xai_pdf_add_table(c->doc, &t);
    grid_free(&g);
    return s;
}

static xai_status curve_chart(rp_ctx *c, const double *curves, size_t npts,
                              const double *xs, const char *title, const char *xl,
                              const char *yl)
{
    xai_pdf_series *ser = calloc(c->M, sizeof *ser);
    if (!ser)
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    for (size_t m = 0; m < c->M; m++)
        ser[m] = (xai_pdf_series){c->r->methods[m].name, npts, xs, curves + m * npts};
    xai_pdf_line_chart ch = {c->M, ser, title, xl, yl, 0, 0};
    xai_status s = xai_pdf_add_line_chart(c->doc, &ch);
    free(ser);
    return s;
}

/* Deletion and insertion curves, recomputed from the stored attributions
 * with the audit's settings (deterministic: no random draws). */
static xai_status deletion_curves(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    xai_audit_image img = {c->c, c->h, c->w, (uint32_t)r->methods[0].options.patch,
                           c->in->deletion_steps ? c->in->deletion_steps : 32, NULL};
    if (!img.patch) {
        uint32_t side = c->h > c->w ? c->h : c->w;
        img.patch = (side + 7) / 8;
    }
    size_t T1 = xai_audit_curve_steps(&img) + 1, n;
    if (!xai_mul3_size(c->N, T1, 2, &n))
        return xai_fail(XAI_ERR_NOMEM, "audit report: curves too large");
    float *fill = malloc(c->D * sizeof *fill);
    double *cur = malloc(n * sizeof *cur), *xs = malloc(T1 * sizeof *xs);
    double *mean = calloc(2 * c->M * T1, sizeof *mean);
    xai_status s = fill && cur && xs && mean
                       ? XAI_OK : xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    for (size_t j = 0; s == XAI_OK && j < c->D; j++)
        fill[j] = (float)xai_dataset_stats(c->in->data, j)->mean;
    img.fill = fill;
    xai_audit_setup st = xai_audit_setup_default(c->in->model);
    st.output = r->methods[0].options.output;
    st.target = r->target;
    st.first_instance = r->first_instance;
    st.n_threads = c->in->n_threads;
    for (size_t m = 0; s == XAI_OK && m < c->M; m++) {
        s = xai_audit_deletion_insertion(&st, &img, c->x, c->N, r->phi + m * c->N * c->D,
                                         cur, cur + c->N * T1, NULL, NULL);
        for (size_t i = 0; s == XAI_OK && i < c->N; i++)
            for (size_t t = 0; t < T1; t++) {
                mean[m * T1 + t] += cur[i * T1 + t] / (double)c->N;
                mean[(c->M + m) * T1 + t] += cur[(c->N + i) * T1 + t] / (double)c->N;
            }
    }
    for (size_t t = 0; t < T1; t++)
        xs[t] = T1 > 1 ? (double)t / (double)(T1 - 1) : 0;
    if (s == XAI_OK)
        s = curve_chart(c, mean, T1, xs, "Deletion: output as the most important patches "
                        "are removed (lower is better)", "fraction of patches removed",
                        "output");
    if (s == XAI_OK)
        s = curve_chart(c, mean + c->M * T1, T1, xs, "Insertion: output as the most "
                        "important patches are put back (higher is better)",
                        "fraction of patches inserted", "output");
    free(fill), free(cur), free(xs), free(mean);
    return s;
}

xai_status rp_section_rankings(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    XAI_TRY(xai_pdf_add_heading(c->doc, 1, "Rankings by metric"));
    rp_printf(&c->t, "Common faithfulness metrics, each asking a different question. PGI "
              "(prediction gap on important features): how much does the output move when "
              "the top-k features of the explanation are perturbed? Higher means the "
              "explanation found features that matter. PGU (on unimportant features): the "
              "same for the other features; lower is better. Infidelity: squared error "
              "of the attributions in predicting the output change under random noise. "
              "Max-sensitivity: how much the explanation changes, relative to its size, "
              "for tiny input changes; lower is more stable.");
    if (c->image)
        rp_printf(&c->t, " Deletion / insertion: the area under the output curve as the "
                  "most important patches are removed from the image (lower is better) "
                  "or put back into a blank image (higher is better).");
    if (r->metrics[XAI_AUDIT_SANITY].count)
        rp_printf(&c->t, " Sanity \u03c1: rank correlation between the explanations of the "
                  "model and of a copy whose last layer was re-drawn at random; above "
                  "%g the method is flagged, because its explanations barely depend on "
                  "what the model learnt.", r->sanity_threshold);
    XAI_TRY(rp_paragraph(c));
    rp_metric_settings(c, &c->t);
    XAI_TRY(rp_paragraph(c));
    XAI_TRY(rank_table(c));
    size_t K = r->pgi_k;
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Prediction gaps against k"));
    double *xs = malloc(K * sizeof *xs);
    if (!xs)
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    for (size_t k = 0; k < K; k++)
        xs[k] = (double)(k + 1);
    xai_status s = curve_chart(c, r->pgi_curve, K, xs, "PGI: perturbing the top-k "
                               "features (higher is better)", "k (features perturbed)",
                               "mean |output change|");
    if (s == XAI_OK)
        s = curve_chart(c, r->pgu_curve, K, xs, "PGU: perturbing all but the top-k "
                        "features (lower is better)", "k (features kept)",
                        "mean |output change|");
    free(xs);
    if (s == XAI_OK && c->image) {
        s = xai_pdf_add_heading(c->doc, 2, "Deletion and insertion curves");
        if (s == XAI_OK)
            s = deletion_curves(c);
    }
    return s;
}
