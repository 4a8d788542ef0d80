/* reports/pdf_line.c: named (x, y) series with axes, ticks and a legend. */
#include "pdf_layout.h"

#include <math.h>
#include <stdlib.h>

#include "core/error.h"

#define PLOT_H 165.0
#define LEGEND_ROW 12.0
#define TICK_SIZE 7.0

/* Okabe-Ito colour-blind-safe palette (yellow dropped: too pale on white). */
static const xai_pdf_rgb palette[] = {
    {0.000f, 0.447f, 0.698f}, {0.835f, 0.369f, 0.000f}, {0.000f, 0.620f, 0.451f},
    {0.800f, 0.475f, 0.655f}, {0.902f, 0.624f, 0.000f}, {0.337f, 0.706f, 0.914f},
    {0.000f, 0.000f, 0.000f},
};
#define N_PALETTE (sizeof palette / sizeof *palette)

static xai_status check_chart(const xai_pdf_line_chart *c)
{
    if (!c || c->n_series == 0 || !c->series)
        return xai_fail(XAI_ERR_INVALID, "PDF line chart: no series");
    for (size_t s = 0; s < c->n_series; s++) {
        const xai_pdf_series *e = &c->series[s];
        if (e->n > 0 && (!e->x || !e->y))
            return xai_fail(XAI_ERR_INVALID, "PDF line chart: series %zu ('%s') has no points",
                            s, e->name ? e->name : "");
    }
    if (c->y_min < c->y_max && !(isfinite(c->y_min) && isfinite(c->y_max)))
        return xai_fail(XAI_ERR_INVALID, "PDF line chart: y range is not finite");
    return XAI_OK;
}

/* Legend layout: entries flow left to right and wrap; returns row count
 * (and draws them when draw is set, starting at top). */
static xai_status legend(xai_pdf *d, const xai_pdf_line_chart *c, double x0, double w,
                         double top, int draw, size_t *rows)
{
    double x = x0;
    *rows = 1;
    for (size_t s = 0; s < c->n_series; s++) {
        const char *name = c->series[s].name ? c->series[s].name : "";
        double tw;
        XAI_TRY(xai_canvas_text_width(d->canvas, XAI_FONT_REGULAR, 7.5, name, &tw));
        tw = fmin(tw, w - 24);
        double need = 18 + tw + 14;
        if (x > x0 && x + need > x0 + w) {
            x = x0;
            (*rows)++;
        }
        if (draw) {
            double y = top - (double)(*rows - 1) * LEGEND_ROW - LEGEND_ROW / 2;
            double lx[2] = {x, x + 14}, ly[2] = {y, y};
            XAI_TRY(xai_canvas_polyline(d->canvas, lx, ly, 2, palette[s % N_PALETTE], 1.6,
                                        s >= N_PALETTE ? 3 : 0));
            XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, 7.5, xai_pdf_ink, x + 18, y - 2.5,
                                     tw + 1, XAI_PDF_ALIGN_LEFT, name));
        }
        x += need;
    }
    return XAI_OK;
}

/* Draws one series as polylines broken at non-finite points. */
static xai_status draw_series(xai_pdf *d, const xai_pdf_series *e, size_t k, double px,
                              double py, double sx, double sy, double xlo, double ylo,
                              double ymin_pt, double ymax_pt, double *xs, double *ys)
{
    xai_pdf_rgb col = palette[k % N_PALETTE];
    double dash = k >= N_PALETTE ? 3 : 0;
    size_t m = 0;
    for (size_t i = 0; i <= e->n; i++) {
        int ok = i < e->n && isfinite(e->x[i]) && isfinite(e->y[i]);
        if (ok) {
            xs[m] = px + (e->x[i] - xlo) * sx;
            ys[m] = fmin(fmax(py + (e->y[i] - ylo) * sy, ymin_pt), ymax_pt);
            m++;
            continue;
        }
        if (m >= 2)
            XAI_TRY(xai_canvas_polyline(d->canvas, xs, ys, m, col, 1.4, dash));
        if (e->n <= 25)
            for (size_t j = 0; j < m; j++)
                XAI_TRY(xai_canvas_dot(d->canvas, xs[j], ys[j], 1.7, col));
        m = 0;
    }
    return XAI_OK;
}

xai_status xai_pdf_add_line_chart(xai_pdf *d, const xai_pdf_line_chart *c)
{
    XAI_TRY(xai_pdf_check_open(d, "adding a line chart"));
    XAI_TRY(check_chart(c));
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    size_t most = 0;
    for (size_t s = 0; s < c->n_series; s++) {
        const xai_pdf_series *e = &c->series[s];
        most = e->n > most ? e->n : most;
        for (size_t i = 0; i < e->n; i++)
            if (isfinite(e->x[i]) && isfinite(e->y[i])) {
                xlo = fmin(xlo, e->x[i]), xhi = fmax(xhi, e->x[i]);
                ylo = fmin(ylo, e->y[i]), yhi = fmax(yhi, e->y[i]);
            }
    }
    if (!(xlo <= xhi))
        xlo = 0, xhi = 1, ylo = 0, yhi = 1; /* nothing finite: an empty frame */
    if (c->y_min < c->y_max)
        ylo = c->y_min, yhi = c->y_max;
    double xt[8], yt[8];
    size_t nx = xai_pdf_nice_ticks(&xlo, &xhi, 7, xt);
    size_t ny = xai_pdf_nice_ticks(&ylo, &yhi, 6, yt);
    if (c->y_min < c->y_max) /* keep the fixed range exactly */
        ylo = c->y_min, yhi = c->y_max;

    char num[32];
    double tick_w = 0, tw;
    for (size_t k = 0; k < ny; k++) {
        xai_pdf_format_number(yt[k], num, sizeof num);
        XAI_TRY(xai_canvas_text_width(d->canvas, XAI_FONT_REGULAR, TICK_SIZE, num, &tw));
        tick_w = fmax(tick_w, tw);
    }
    double px = xai_pdf_left() + (c->y_label ? 14 : 0) + tick_w + 6;
    double pw = xai_pdf_left() + xai_pdf_width() - 8 - px;
    size_t legend_rows;
    XAI_TRY(legend(d, c, px, pw, 0, 0, &legend_rows));
    double below = 14 + (c->x_label ? 12 : 0) + 4 + (double)legend_rows * LEGEND_ROW;
    XAI_TRY(xai_pdf_reserve(d, (c->title ? PDF_TITLE_H : 0) + PLOT_H + below + 6));
    XAI_TRY(xai_pdf_block_title(d, c->title));

    double top = d->y - 4, py = top - PLOT_H;
    double sx = pw / (xhi - xlo), sy = PLOT_H / (yhi - ylo);
    for (size_t k = 0; k < ny; k++) { /* horizontal grid and y ticks */
        if (yt[k] < ylo - 1e-12 || yt[k] > yhi + 1e-12)
            continue;
        double y = py + (yt[k] - ylo) * sy, gx[2] = {px, px + pw}, gy[2] = {y, y};
        XAI_TRY(xai_canvas_polyline(d->canvas, gx, gy, 2, xai_pdf_light, 0.6, 0));
        xai_pdf_format_number(yt[k], num, sizeof num);
        XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, TICK_SIZE, xai_pdf_grey,
                                 px - 4 - tick_w, y - 2.4, tick_w, XAI_PDF_ALIGN_RIGHT, num));
    }
    for (size_t k = 0; k < nx; k++) { /* vertical grid and x ticks */
        double x = px + (xt[k] - xlo) * sx, gx[2] = {x, x}, gy[2] = {py, py + PLOT_H};
        XAI_TRY(xai_canvas_polyline(d->canvas, gx, gy, 2, xai_pdf_light, 0.6, 0));
        xai_pdf_format_number(xt[k], num, sizeof num);
        XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, TICK_SIZE, xai_pdf_grey, x - 25,
                                 py - 10, 50, XAI_PDF_ALIGN_CENTER, num));
    }
    double ax[3] = {px, px, px + pw}, ay[3] = {py + PLOT_H, py, py};
    XAI_TRY(xai_canvas_polyline(d->canvas, ax, ay, 3, xai_pdf_grey, 0.7, 0));

    size_t bytes;
    if (!xai_mul_size(most + 1, sizeof(double), &bytes))
        return xai_fail(XAI_ERR_NOMEM, "PDF line chart: %zu points overflow", most);
    double *xs = malloc(bytes), *ys = malloc(bytes);
    xai_status st = xs && ys ? XAI_OK
                             : xai_fail(XAI_ERR_NOMEM, "PDF line chart: out of memory");
    for (size_t s = 0; st == XAI_OK && s < c->n_series; s++)
        st = draw_series(d, &c->series[s], s, px, py, sx, sy, xlo, ylo, py, py + PLOT_H,
                         xs, ys);
    free(xs);
    free(ys);
    XAI_TRY(st);

    if (c->y_label) {
        XAI_TRY(xai_canvas_text_width(d->canvas, XAI_FONT_REGULAR, 7.5, c->y_label, &tw));
        XAI_TRY(xai_canvas_text_up(d->canvas, XAI_FONT_REGULAR, 7.5, xai_pdf_grey,
                                   xai_pdf_left() + 7, py + fmax(0, (PLOT_H - tw) / 2),
                                   c->y_label));
    }
    double yb = py - 14;
    if (c->x_label) {
        XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, 7.5, xai_pdf_grey, px, yb - 8, pw,
                                 XAI_PDF_ALIGN_CENTER, c->x_label));
        yb -= 12;
    }
    XAI_TRY(legend(d, c, px, pw, yb - 4, 1, &legend_rows));
    xai_pdf_advance(d, 4 + PLOT_H + below);
    xai_pdf_advance(d, PDF_BLOCK_GAP);
    return XAI_OK;
}
