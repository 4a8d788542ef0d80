/* reports/report_global.c: global importance per method, how much the
 * methods agree, and the explained rows one by one. */
#include "report_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define TOP_GLOBAL 15
#define TOP_ROW 10
#define TOP_TEXT 5     /* attributions named in the row's sentence */
#define ROW_LABEL 96   /* "group: category" label length */
#define TOP_TABLE 3

/* Indices of the n largest of v (G entries) into idx (ties: lower first). */
static size_t top_indices(const double *v, size_t G, size_t n, size_t *idx)
{
    n = n < G ? n : G;
    for (size_t k = 0; k < n; k++) {
        size_t best = SIZE_MAX;
        for (size_t g = 0; g < G; g++) {
            int used = 0;
            for (size_t q = 0; q < k && !used; q++)
                used = idx[q] == g;
            if (!used && (best == SIZE_MAX || v[g] > v[best]))
                best = g;
        }
        idx[k] = best;
    }
    return n;
}

static xai_status top_table(rp_ctx *c)
{
    size_t cols = TOP_TABLE + 1, n = c->M * cols, idx[TOP_TABLE];
    const char **cells = calloc(n, sizeof *cells);
    if (!cells)
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    for (size_t m = 0; m < c->M; m++) {
        cells[m * cols] = c->r->methods[m].name;
        size_t k = top_indices(c->global + m * c->G, c->G, TOP_TABLE, idx);
        for (size_t q = 0; q < k; q++)
            cells[m * cols + 1 + q] = c->group_name[idx[q]];
    }
    static const char *head[TOP_TABLE + 1] = {"method", "1st", "2nd", "3rd"};
    xai_pdf_align al[TOP_TABLE + 1];
    for (size_t q = 0; q < cols; q++)
        al[q] = XAI_PDF_ALIGN_LEFT;
    xai_pdf_table t = {c->M, cols, head, cells, al, NULL,
                       "The three most important features of each method (largest mean "
                       "|attribution| over the rows)."};
    xai_status s = xai_pdf_add_table(c->doc, &t);
    free(cells);
    return s;
}

/* Images: one tile per method with the mean |attribution| per pixel. */
static xai_status global_images(rp_ctx *c)
{
    size_t hw = (size_t)c->h * c->w;
    xai_pdf_image *tiles = calloc(c->M, sizeof *tiles);
    double *maps = calloc(c->M * hw, sizeof *maps);
    if (!tiles || !maps) {
        free(tiles), free(maps);
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    }
    for (size_t m = 0; m < c->M; m++) {
        for (size_t j = 0; j < c->D; j++)
            maps[m * hw + j % hw] += c->global[m * c->G + c->group[j]];
        tiles[m] = (xai_pdf_image){1, c->h, c->w, NULL, maps + m * hw, 0, 0,
                                   XAI_PDF_CMAP_SEQUENTIAL, c->r->methods[m].name};
    }
    xai_status s = xai_pdf_add_image_grid(c->doc, tiles, c->M, "Mean |attribution| per "
                                          "pixel over the explained images");
    free(tiles), free(maps);
    return s;
}

static xai_status agreement(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    XAI_TRY(xai_pdf_new_page(c->doc));
    XAI_TRY(xai_pdf_add_heading(c->doc, 1, "Method agreement"));
    size_t wa, wb;
    double mean = rp_mean_agreement(c, &wa, &wb);
    char a[32], b[32];
    rp_printf(&c->t, "Spearman rank correlation between the methods' global importance: 1 "
              "means two methods order the features identically, 0 unrelated, -1 "
              "reversed.");
    if (c->M > 1 && isfinite(mean))
        rp_printf(&c->t, " Mean over pairs %s; the least agreeing pair is %s and %s (%s). "
                  "%s", rp_num(mean, a), r->methods[wa].name, r->methods[wb].name,
                  rp_num(c->agree[wa * c->M + wb], b),
                  mean >= 0.8 ? "The methods broadly agree on what matters."
                  : mean >= 0.5 ? "The methods partly agree: trust the features they share."
                  : "The methods disagree: which features matter depends on the method "
                    "chosen.");
    XAI_TRY(rp_paragraph(c));
    const char **names = calloc(c->M, sizeof *names);
    if (!names)
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    for (size_t m = 0; m < c->M; m++)
        names[m] = r->methods[m].name;
    xai_pdf_heatmap hm = {c->M, c->M, c->agree, names, names, XAI_PDF_CMAP_DIVERGING,
                          -1, 1, 1, NULL, "Spearman \u03c1", 380};
    xai_status s = xai_pdf_add_heatmap(c->doc, &hm);
    free(names);
    return s;
}

xai_status rp_section_global(rp_ctx *c)
{
    static const xai_pdf_rgb unsigned_bar = {0.27f, 0.45f, 0.66f};
    XAI_TRY(xai_pdf_add_heading(c->doc, 1, "Global importance"));
    rp_printf(&c->t, "How much each %s drives the explained output across the %zu rows: "
              "the mean over rows of |attribution|%s. Large bars are features the method "
              "relies on (for images: bright pixels); the sign is dropped, so this says nothing "
              "about direction.",
              c->image ? "pixel" : "feature", c->N,
              c->G < c->D && !c->image ? ", one-hot columns summed into their feature "
                                         "group first" : "");
    XAI_TRY(rp_paragraph(c));
    if (c->image)
        XAI_TRY(global_images(c));
    else {
        XAI_TRY(top_table(c));
        for (size_t m = 0; m < c->M; m++) {
            char title[96];
            snprintf(title, sizeof title, "%s%s", c->r->methods[m].name,
                     m == c->r->rec_method ? " (recommended)" : "");
            xai_pdf_bar_chart bc = {c->G, c->group_name, c->global + m * c->G,
                                    TOP_GLOBAL, c->G > TOP_GLOBAL, title,
                                    "mean |attribution|", &unsigned_bar, NULL};
            XAI_TRY(xai_pdf_add_bar_chart(c->doc, &bc));
        }
    }
    return agreement(c);
}

/* ---- explained rows ------------------------------------------------------ */

/* What row i has in group g, in words: "checking-account: no account" for
 * a one-hot group (the category's meaning from --feature-labels, else its
 * column name), "age = 35" for a single column, else the group's name. */
static void row_feature_text(const rp_ctx *c, size_t i, size_t g, char *buf, size_t len)
{
    const xai_dataset *ds = c->in->data;
    const float *x = c->x + i * c->D;
    int64_t cat = xai_dataset_group_count(ds) == c->G
                      ? xai_dataset_group_category(ds, g, x) : -1;
    size_t members = 0, j0 = 0;
    for (size_t j = 0; j < c->D; j++)
        if (c->group[j] == g && !members++)
            j0 = j;
    char v[32];
    if (cat >= 0)
        snprintf(buf, len, "%s: %s", c->group_name[g],
                 xai_dataset_feature_label(ds, (size_t)cat));
    else if (members == 1)
        snprintf(buf, len, "%s = %s", c->group_name[g], rp_num(x[j0], v));
    else
        snprintf(buf, len, "%s", c->group_name[g]);
}

/* The recommended method's largest attributions (phi, per group) in words. */
static void row_top_text(rp_ctx *c, const double *phi, const size_t *idx,
                         size_t k, char (*names)[ROW_LABEL])
{
    char a[32];
    rp_printf(&c->t, "Largest attributions (%s): ", c->r->methods[c->r->rec_method].name);
    for (size_t q = 0; q < k && q < TOP_TEXT; q++)
        rp_printf(&c->t, "%s%s  %s%s", q ? "; " : "", names[idx[q]],
                  phi[idx[q]] > 0 ? "+" : "", rp_num(phi[idx[q]], a));
    rp_printf(&c->t, ".");
}

static xai_status row_tabular(rp_ctx *c, size_t i, double *gphi, double *tmp)
{
    const xai_audit_result *r = c->r;
    size_t m0 = r->rec_method, idx[TOP_ROW];
    /* gphi: M x G group attributions of row i */
    for (size_t m = 0; m < c->M; m++)
        rp_group_phi(c, r->phi + (m * c->N + i) * c->D, gphi + m * c->G);
    char (*names)[ROW_LABEL] = malloc(c->G * sizeof *names);
    const char **labels = malloc(c->G * sizeof *labels);
    if (!names || !labels) {
        free(names), free(labels);
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    }
    for (size_t g = 0; g < c->G; g++) {
        row_feature_text(c, i, g, names[g], ROW_LABEL);
        labels[g] = names[g];
        tmp[g] = fabs(gphi[m0 * c->G + g]);
    }
    size_t k = top_indices(tmp, c->G, TOP_ROW, idx);
    row_top_text(c, gphi + m0 * c->G, idx, k, names);
    xai_status s = rp_paragraph(c);
    char title[96];
    snprintf(title, sizeof title, "%s (recommended): largest attributions", r->methods[m0].name);
    xai_pdf_bar_chart bc = {c->G, labels, gphi + m0 * c->G, TOP_ROW,
                            c->G > TOP_ROW, title, "attribution", NULL, NULL};
    if (s == XAI_OK)
        s = xai_pdf_add_bar_chart(c->doc, &bc);
    if (s != XAI_OK || c->M < 2) {
        free(names), free(labels);
        return s;
    }
    /* rows: the same features; columns: methods, each scaled by its max |phi| */
    double *v = tmp + c->G;
    const char *rows[TOP_ROW], **cols = calloc(c->M, sizeof *cols);
    if (!cols) {
        free(names), free(labels);
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    }
    for (size_t m = 0; m < c->M; m++) {
        double mx = 0;
        for (size_t g = 0; g < c->G; g++)
            mx = fmax(mx, fabs(gphi[m * c->G + g]));
        for (size_t q = 0; q < k; q++)
            v[q * c->M + m] = mx > 0 ? gphi[m * c->G + idx[q]] / mx : 0;
        cols[m] = r->methods[m].name;
    }
    for (size_t q = 0; q < k; q++)
        rows[q] = labels[idx[q]];
    xai_pdf_heatmap hm = {k, c->M, v, rows, cols, XAI_PDF_CMAP_DIVERGING, -1, 1, 1,
                          "All methods on the same features (each scaled to its largest "
                          "|attribution|)", "share of the method's max", 300};
    s = xai_pdf_add_heatmap(c->doc, &hm);
    free(cols), free(names), free(labels);
    return s;
}

static xai_status row_image(rp_ctx *c, size_t i)
{
    size_t hw = (size_t)c->h * c->w;
    xai_pdf_image *tiles = calloc(c->M + 1, sizeof *tiles);
    double *maps = calloc(c->M * hw, sizeof *maps);
    if (!tiles || !maps) {
        free(tiles), free(maps);
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    }
    const float *px = c->x + i * c->D;
    tiles[0] = (xai_pdf_image){c->c, c->h, c->w, px, NULL, 0, 0, 0, "input"};
    for (size_t m = 0; m < c->M; m++) {
        const float *phi = c->r->phi + (m * c->N + i) * c->D;
        for (size_t j = 0; j < c->D; j++)
            maps[m * hw + j % hw] += phi[j];
        tiles[m + 1] = (xai_pdf_image){c->c, c->h, c->w, px, maps + m * hw, 0, 0,
                                       XAI_PDF_CMAP_DIVERGING, c->r->methods[m].name};
    }
    xai_status s = xai_pdf_add_image_grid(c->doc, tiles, c->M + 1, "The input and each "
                                          "method's attributions (red raises the output, "
                                          "blue lowers it)");
    free(tiles), free(maps);
    return s;
}

xai_status rp_section_instances(rp_ctx *c)
{
    const xai_audit_result *r = c->r;
    size_t lim = c->in->max_instances ? c->in->max_instances : 5;
    size_t n = c->N < lim ? c->N : lim;
    char a[32], out[64];
    XAI_TRY(xai_pdf_new_page(c->doc));
    XAI_TRY(xai_pdf_add_heading(c->doc, 1, "Explained instances"));
    rp_printf(&c->t, "The first %zu of the %zu explained rows%s. ", n, c->N,
              n < c->N ? " (the others are in the tables above and in the JSON output)" : "");
    if (c->image)
        rp_printf(&c->t, "Each shows the input and one overlay per method: red areas raise "
                  "the explained output, blue areas lower it.");
    else
        rp_printf(&c->t, "Each shows the recommended method's largest attributions "
                  "(one-hot groups summed; red raises the explained output, blue lowers "
                  "it, the grey bar sums the rest) and a map comparing every method on the "
                  "same features.");
    XAI_TRY(rp_paragraph(c));
    size_t need;
    if (!xai_mul_size(c->M, TOP_ROW, &need) || (need += c->G) < c->G)
        return xai_fail(XAI_ERR_NOMEM, "audit report: too many features");
    double *gphi = malloc(c->M * c->G * sizeof *gphi), *tmp = malloc(need * sizeof *tmp);
    xai_status s = gphi && tmp ? XAI_OK : xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    for (size_t i = 0; s == XAI_OK && i < n; i++) {
        char head[64];
        unsigned long long row = (unsigned long long)(r->first_instance + i);
        snprintf(head, sizeof head, "Row %llu", row);
        if (i > 0)
            s = xai_pdf_new_page(c->doc);
        if (s == XAI_OK)
            s = xai_pdf_add_heading(c->doc, 2, head);
        rp_output_name(c, r->target[i], out, sizeof out);
        rp_printf(&c->t, "Explained output: %s = %s.", out, rp_num(c->fx[i], a));
        if (c->labels)
            rp_printf(&c->t, " True label: %g.", c->labels[i]);
        if (s == XAI_OK)
            s = rp_paragraph(c);
        if (s == XAI_OK)
            s = c->image ? row_image(c, i) : row_tabular(c, i, gphi, tmp);
    }
    free(gphi), free(tmp);
    return s;
}
