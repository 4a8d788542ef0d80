/* reports/pdf_columns.c: vertical bars grouped by category, with dashed
 * reference lines (a threshold per series) and a legend. */
#include "pdf_layout.h"

#include <math.h>
#include <stdio.h>

#include "core/error.h"

static const xai_pdf_rgb series_color[4] = {
    {0.80f, 0.20f, 0.22f}, {0.55f, 0.58f, 0.62f}, {0.16f, 0.42f, 0.70f},
    {0.20f, 0.60f, 0.30f}};

static xai_status check_chart(const xai_pdf_column_chart *c)
{
    if (!c || !c->n || !c->n_series || c->n_series > 4 || !c->labels || !c->series ||
        !c->values)
        return xai_fail(XAI_ERR_INVALID, "PDF column chart: no values, or not 1..4 series");
    if (!(c->y_min < c->y_max) || !isfinite(c->y_min) || !isfinite(c->y_max))
        return xai_fail(XAI_ERR_INVALID, "PDF column chart: empty axis range");
    for (size_t i = 0; i < c->n * c->n_series; i++)
        if (!isfinite(c->values[i]) || c->values[i] < c->y_min || c->values[i] > c->y_max)
            return xai_fail(XAI_ERR_NUMERIC, "PDF column chart: value %zu (%g) is not "
                            "finite or outside [%g, %g]", i, c->values[i], c->y_min,
                            c->y_max);
    return XAI_OK;
}

xai_status xai_pdf_add_column_chart(xai_pdf *d, const xai_pdf_column_chart *c)
{
    XAI_TRY(xai_pdf_check_open(d, "adding a column chart"));
    XAI_TRY(check_chart(c));
    const double plot_h = 150, axis_w = 34, legend_h = 14, label_h = 14;
    double height = (c->title ? PDF_TITLE_H : 0) + legend_h + plot_h + label_h + 14;
    XAI_TRY(xai_pdf_reserve(d, height));
    XAI_TRY(xai_pdf_block_title(d, c->title));
    double x0 = xai_pdf_left() + axis_w, x1 = xai_pdf_left() + xai_pdf_width();
    char num[32];
    /* legend */
    double lx = x0, ly = d->y - 9;
    for (size_t s = 0; s < c->n_series; s++) {
        double tw;
        XAI_TRY(xai_canvas_rect(d->canvas, lx, ly, 8, 8, &series_color[s], NULL, 0));
        XAI_TRY(xai_canvas_text(d->canvas, XAI_FONT_REGULAR, 7.5, xai_pdf_ink, lx + 11,
                                ly + 1, c->series[s]));
        XAI_TRY(xai_canvas_text_width(d->canvas, XAI_FONT_REGULAR, 7.5, c->series[s], &tw));
        lx += tw + 24;
    }
    if (c->reference && c->reference_label) {
        double xs[2] = {lx, lx + 16}, ys[2] = {ly + 4, ly + 4};
        XAI_TRY(xai_canvas_polyline(d->canvas, xs, ys, 2, xai_pdf_ink, 0.9, 2.5));
        XAI_TRY(xai_canvas_text(d->canvas, XAI_FONT_REGULAR, 7.5, xai_pdf_ink, lx + 20,
                                ly + 1, c->reference_label));
    }
    double top = d->y - legend_h, bottom = top - plot_h;
    double scale = plot_h / (c->y_max - c->y_min);
    double lo = c->y_min, hi = c->y_max, ticks[8];
    size_t nt = xai_pdf_nice_ticks(&lo, &hi, 6, ticks);
    for (size_t k = 0; k < nt; k++) {
        if (ticks[k] < c->y_min - 1e-12 || ticks[k] > c->y_max + 1e-12)
            continue;
        double y = bottom + (ticks[k] - c->y_min) * scale;
        double xs[2] = {x0, x1}, ys[2] = {y, y};
        XAI_TRY(xai_canvas_polyline(d->canvas, xs, ys, 2, xai_pdf_light, 0.6, 0));
        xai_pdf_format_number(ticks[k], num, sizeof num);
        XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, 7, xai_pdf_grey, xai_pdf_left(),
                                 y - 2.5, axis_w - 4, XAI_PDF_ALIGN_RIGHT, num));
    }
    double group_w = (x1 - x0) / (double)c->n;
    double bar_w = group_w * 0.8 / (double)c->n_series;
    for (size_t i = 0; i < c->n; i++) {
        double gx = x0 + group_w * (double)i + group_w * 0.1;
        for (size_t s = 0; s < c->n_series; s++) {
            double v = c->values[s * c->n + i];
            double h = (v - c->y_min) * scale;
            XAI_TRY(xai_canvas_rect(d->canvas, gx + bar_w * (double)s, bottom, bar_w * 0.92,
                                    fmax(h, 0.3), &series_color[s], NULL, 0));
        }
        XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, 7.5, xai_pdf_ink, x0 + group_w * i,
                                 bottom - 10, group_w, XAI_PDF_ALIGN_CENTER, c->labels[i]));
    }
    for (size_t s = 0; c->reference && s < c->n_series; s++) {
        double v = c->reference[s];
        if (!isfinite(v) || v < c->y_min || v > c->y_max)
            continue;
        double y = bottom + (v - c->y_min) * scale, xs[2] = {x0, x1}, ys[2] = {y, y};
        XAI_TRY(xai_canvas_polyline(d->canvas, xs, ys, 2, series_color[s], 1.0, 3));
    }
    double ax[2] = {x0, x1}, ay[2] = {bottom, bottom};
    XAI_TRY(xai_canvas_polyline(d->canvas, ax, ay, 2, xai_pdf_ink, 0.7, 0));
    if (c->y_label)
        XAI_TRY(xai_canvas_text_up(d->canvas, XAI_FONT_REGULAR, 7.5, xai_pdf_grey,
                                   xai_pdf_left() + 6, bottom + 4, c->y_label));
    xai_pdf_advance(d, height - (c->title ? PDF_TITLE_H : 0));
    xai_pdf_advance(d, PDF_BLOCK_GAP);
    return XAI_OK;
}
