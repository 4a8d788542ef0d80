/* reports/pdf_heatmap.c: a matrix as coloured cells, labels and a colour bar. */
#include "pdf_layout.h"

#include <math.h>
#include <stdlib.h>

#include "core/error.h"

#define HM_LABEL_SIZE 7.5
#define HM_BAR_W 9.0
#define HM_BAR_ROOM 66.0 /* colour bar, its ticks and gap */
#define HM_IMAGE_CELLS 2500 /* above this many cells: one embedded image */

void xai_pdf_color_range(const double *v, size_t n, xai_pdf_cmap *cmap, double *lo,
                         double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            mn = fmin(mn, v[i]), mx = fmax(mx, v[i]);
    if (*cmap == XAI_PDF_CMAP_AUTO)
        *cmap = mn < 0 ? XAI_PDF_CMAP_DIVERGING : XAI_PDF_CMAP_SEQUENTIAL;
    if (*lo < *hi)
        return; /* the caller's fixed range */
    if (!(mn <= mx)) /* no finite value */
        mn = 0, mx = 1;
    if (*cmap == XAI_PDF_CMAP_DIVERGING) {
        double m = fmax(fabs(mn), fabs(mx));
        *lo = -(m > 0 ? m : 1);
        *hi = -*lo;
    } else {
        *lo = mn;
        *hi = mx > mn ? mx : mn + 1;
    }
}

double xai_pdf_color_t(xai_pdf_cmap cmap, double v, double lo, double hi)
{
    (void)cmap;
    return isfinite(v) ? (v - lo) / (hi - lo) : NAN;
}

xai_status xai_pdf_colorbar(xai_pdf *d, xai_pdf_cmap cmap, double lo, double hi, double x,
                            double top, double h, const char *label)
{
    enum { STEPS = 128 };
    unsigned char px[STEPS * 3];
    for (int i = 0; i < STEPS; i++) { /* top row = high values */
        xai_pdf_rgb c = xai_pdf_cmap_color(cmap, 1.0 - (i + 0.5) / STEPS);
        px[3 * i] = (unsigned char)lrint(c.r * 255);
        px[3 * i + 1] = (unsigned char)lrint(c.g * 255);
        px[3 * i + 2] = (unsigned char)lrint(c.b * 255);
    }
    XAI_TRY(xai_canvas_image_rgb(d->canvas, px, 1, STEPS, x, top - h, HM_BAR_W, h));
    XAI_TRY(xai_canvas_rect(d->canvas, x, top - h, HM_BAR_W, h, NULL, &xai_pdf_rule, 0.5));
    double ticks[8], a = lo, b = hi;
    size_t n = xai_pdf_nice_ticks(&a, &b, h > 80 ? 6 : 3, ticks);
    char num[32];
    for (size_t k = 0; k < n; k++) {
        if (ticks[k] < lo - 1e-12 * (hi - lo) || ticks[k] > hi + 1e-12 * (hi - lo))
            continue; /* nice ticks may overshoot the bar */
        double y = top - h + (ticks[k] - lo) / (hi - lo) * h;
        double xs[2] = {x + HM_BAR_W, x + HM_BAR_W + 3}, ys[2] = {y, y};
        XAI_TRY(xai_canvas_polyline(d->canvas, xs, ys, 2, xai_pdf_grey, 0.5, 0));
        xai_pdf_format_number(ticks[k], num, sizeof num);
        XAI_TRY(xai_canvas_text(d->canvas, XAI_FONT_REGULAR, 6.5, xai_pdf_grey,
                                x + HM_BAR_W + 5, y - 2.2, num));
    }
    if (label) { /* turned, centred along the bar */
        double lw;
        XAI_TRY(xai_canvas_text_width(d->canvas, XAI_FONT_REGULAR, 7, label, &lw));
        XAI_TRY(xai_canvas_text_up(d->canvas, XAI_FONT_REGULAR, 7, xai_pdf_grey,
                                   x + HM_BAR_W + 40, top - h + fmax(0, (h - lw) / 2), label));
    }
    return XAI_OK;
}

static xai_status check_map(const xai_pdf_heatmap *m)
{
    size_t n;
    if (!m || m->rows == 0 || m->cols == 0 || !m->values)
        return xai_fail(XAI_ERR_INVALID, "PDF heatmap: empty matrix");
    if (!xai_mul3_size(m->rows, m->cols, 3, &n))
        return xai_fail(XAI_ERR_NOMEM, "PDF heatmap: %zu x %zu cells overflow", m->rows,
                        m->cols);
    if (m->vmin < m->vmax && !(isfinite(m->vmin) && isfinite(m->vmax)))
        return xai_fail(XAI_ERR_INVALID, "PDF heatmap: colour range is not finite");
    if (!(m->width >= 0) || m->width > PDF_PAGE_W)
        return xai_fail(XAI_ERR_INVALID, "PDF heatmap: width %g pt", m->width);
    return XAI_OK;
}

static xai_status max_label_width(xai_pdf *d, const char *const *labels, size_t n,
                                  double *w)
{
    *w = 0;
    for (size_t i = 0; labels && i < n; i++) {
        double tw;
        XAI_TRY(xai_canvas_text_width(d->canvas, XAI_FONT_REGULAR, HM_LABEL_SIZE,
                                      labels[i] ? labels[i] : "", &tw));
        *w = fmax(*w, tw);
    }
    return XAI_OK;
}

static xai_status draw_cells_image(xai_pdf *d, const xai_pdf_heatmap *m, xai_pdf_cmap cmap,
                                   double lo, double hi, double x, double top, double w,
                                   double h)
{
    unsigned char *px = malloc(m->rows * m->cols * 3); /* size checked in check_map */
    if (!px)
        return xai_fail(XAI_ERR_NOMEM, "PDF heatmap: out of memory for %zu x %zu cells",
                        m->rows, m->cols);
    for (size_t i = 0; i < m->rows * m->cols; i++) {
        xai_pdf_rgb c = xai_pdf_cmap_color(cmap, xai_pdf_color_t(cmap, m->values[i], lo, hi));
        px[3 * i] = (unsigned char)lrint(c.r * 255);
        px[3 * i + 1] = (unsigned char)lrint(c.g * 255);
        px[3 * i + 2] = (unsigned char)lrint(c.b * 255);
    }
    xai_status s = xai_canvas_image_rgb(d->canvas, px, m->cols, m->rows, x, top - h, w, h);
    free(px);
    return s;
}

static xai_status draw_cells_rects(xai_pdf *d, const xai_pdf_heatmap *m, xai_pdf_cmap cmap,
                                   double lo, double hi, double x, double top, double cw,
                                   double ch)
{
    double size = fmin(7.5, fmin(ch * 0.5, cw * 0.22));
    char num[32];
    for (size_t r = 0; r < m->rows; r++)
        for (size_t c = 0; c < m->cols; c++) {
            double v = m->values[r * m->cols + c];
            xai_pdf_rgb col = xai_pdf_cmap_color(cmap, xai_pdf_color_t(cmap, v, lo, hi));
            double cx = x + c * cw, cy = top - (r + 1) * ch;
            XAI_TRY(xai_canvas_rect(d->canvas, cx, cy, cw, ch, &col, &xai_pdf_white,
                                    cw > 12 ? 0.8 : 0));
            if (!m->annotate || size < 4)
                continue;
            double lum = 0.2126 * col.r + 0.7152 * col.g + 0.0722 * col.b;
            xai_pdf_format_number(v, num, sizeof num);
            XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, size,
                                     lum < 0.5 ? xai_pdf_white : xai_pdf_ink, cx + 1,
                                     cy + ch / 2 - 0.35 * size, cw - 2, XAI_PDF_ALIGN_CENTER,
                                     num));
        }
    return XAI_OK;
}

xai_status xai_pdf_add_heatmap(xai_pdf *d, const xai_pdf_heatmap *m)
{
    XAI_TRY(xai_pdf_check_open(d, "adding a heatmap"));
    XAI_TRY(check_map(m));
    xai_pdf_cmap cmap = m->cmap;
    double lo = m->vmin, hi = m->vmax;
    xai_pdf_color_range(m->values, m->rows * m->cols, &cmap, &lo, &hi);

    double row_w, col_w;
    XAI_TRY(max_label_width(d, m->row_labels, m->rows, &row_w));
    XAI_TRY(max_label_width(d, m->col_labels, m->cols, &col_w));
    double W = m->width > 0 ? fmin(m->width, xai_pdf_width()) : xai_pdf_width();
    row_w = m->row_labels ? fmin(row_w, W * 0.3) + 6 : 0;
    double grid_w = W - row_w - HM_BAR_ROOM;
    double cw = fmin(grid_w / (double)m->cols, 60.0);
    int upright = m->col_labels && col_w > cw - 3; /* labels too wide: turn them */
    double col_h = !m->col_labels ? 0 : upright ? fmin(col_w, 90.0) + 6 : 12;
    double max_grid_h = PDF_TOP - PDF_BOTTOM - col_h - (m->title ? PDF_TITLE_H : 0) - 20;
    double ch = fmin(cw, max_grid_h / (double)m->rows);
    if (m->rows * m->cols > HM_IMAGE_CELLS) /* an image: keep its aspect ratio */
        ch = cw = fmin(grid_w / (double)m->cols, max_grid_h / (double)m->rows);
    double grid_h = ch * m->rows;
    double height = (m->title ? PDF_TITLE_H : 0) + col_h + fmax(grid_h, 60) + 6;
    XAI_TRY(xai_pdf_reserve(d, height));
    XAI_TRY(xai_pdf_block_title(d, m->title));

    double x = xai_pdf_left() + row_w, top = d->y - col_h;
    for (size_t c = 0; m->col_labels && c < m->cols; c++) {
        const char *l = m->col_labels[c] ? m->col_labels[c] : "";
        double cx = x + (c + 0.5) * cw;
        if (upright) {
            /* ellipsis via a horizontal fit is not possible when rotated; labels
             * longer than the room are rare and shown in full */
            XAI_TRY(xai_canvas_text_up(d->canvas, XAI_FONT_REGULAR, HM_LABEL_SIZE, xai_pdf_ink,
                                       cx + 0.35 * HM_LABEL_SIZE, top + 4, l));
        } else {
            XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, HM_LABEL_SIZE, xai_pdf_ink,
                                     cx - cw / 2, top + 4, cw, XAI_PDF_ALIGN_CENTER, l));
        }
    }
    for (size_t r = 0; m->row_labels && r < m->rows; r++)
        XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, HM_LABEL_SIZE, xai_pdf_ink,
                                 xai_pdf_left(), top - (r + 0.5) * ch - 0.35 * HM_LABEL_SIZE,
                                 row_w - 6, XAI_PDF_ALIGN_RIGHT,
                                 m->row_labels[r] ? m->row_labels[r] : ""));
    if (m->rows * m->cols > HM_IMAGE_CELLS)
        XAI_TRY(draw_cells_image(d, m, cmap, lo, hi, x, top, cw * m->cols, grid_h));
    else
        XAI_TRY(draw_cells_rects(d, m, cmap, lo, hi, x, top, cw, ch));
    XAI_TRY(xai_pdf_colorbar(d, cmap, lo, hi, x + cw * m->cols + 10, top,
                             fmax(grid_h, 60), m->colorbar_label));
    xai_pdf_advance(d, height - (m->title ? PDF_TITLE_H : 0));
    xai_pdf_advance(d, PDF_BLOCK_GAP);
    return XAI_OK;
}
