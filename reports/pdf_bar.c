/* reports/pdf_bar.c: horizontal bars of signed values, largest |value| first. */
#include "pdf_layout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"

static const xai_pdf_rgb pos_default = {0.80f, 0.20f, 0.22f};
static const xai_pdf_rgb neg_default = {0.16f, 0.42f, 0.70f};
static const xai_pdf_rgb others_grey = {0.62f, 0.64f, 0.67f};

typedef struct ranked {
    double abs;
    size_t index;
} ranked;

/* Descending |value|; ties keep the input order (deterministic output). */
static int by_abs_desc(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->abs != b->abs)
        return a->abs < b->abs ? 1 : -1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static xai_status check_chart(const xai_pdf_bar_chart *c)
{
    if (!c || c->n == 0 || !c->labels || !c->values)
        return xai_fail(XAI_ERR_INVALID, "PDF bar chart: no values");
    for (size_t i = 0; i < c->n; i++) {
        if (!c->labels[i])
            return xai_fail(XAI_ERR_INVALID, "PDF bar chart: label %zu is NULL", i);
        if (!isfinite(c->values[i]))
            return xai_fail(XAI_ERR_NUMERIC, "PDF bar chart: value %zu ('%s') is not finite",
                            i, c->labels[i]);
    }
    return XAI_OK;
}

typedef struct bars {
    size_t n;          /* bars drawn, including "others" */
    const char **label;
    double *value;
    int *is_others;
    char others_label[64];
} bars;

static xai_status draw_bars(xai_pdf *d, const xai_pdf_bar_chart *c, const bars *b)
{
    /* rows shrink (to 7 pt) so that long charts still fit on one page */
    double avail = PDF_TOP - PDF_BOTTOM - PDF_TITLE_H - 40;
    double row = fmin(15.0, avail / (double)b->n);
    if (row < 7.0)
        return xai_fail(XAI_ERR_INVALID,
                        "PDF bar chart: %zu bars do not fit on a page; use top_k", b->n);
    double size = fmin(8.0, row * 0.62);
    double vmin = 0, vmax = 0;
    for (size_t i = 0; i < b->n; i++) {
        vmin = fmin(vmin, b->value[i]);
        vmax = fmax(vmax, b->value[i]);
    }
    if (vmin == vmax)
        vmax = 1;
    double ticks[8];
    double lo = vmin, hi = vmax;
    size_t nt = xai_pdf_nice_ticks(&lo, &hi, 6, ticks);

    /* geometry: [labels][gap][value room | bars | value room] */
    double W = xai_pdf_width(), label_w = 0, value_w = 0, tw;
    char num[32];
    for (size_t i = 0; i < b->n; i++) {
        XAI_TRY(xai_canvas_text_width(d->canvas, XAI_FONT_REGULAR, size, b->label[i], &tw));
        label_w = fmax(label_w, tw);
        xai_pdf_format_number(b->value[i], num, sizeof num);
        XAI_TRY(xai_canvas_text_width(d->canvas, XAI_FONT_REGULAR, size * 0.9, num, &tw));
        value_w = fmax(value_w, tw + 4);
    }
    label_w = fmin(label_w, W * 0.32);
    double x0 = xai_pdf_left() + label_w + 8 + (vmin < 0 ? value_w : 0);
    double x1 = xai_pdf_left() + W - (vmax > 0 ? value_w : 0);
    double scale = (x1 - x0) / (hi - lo), zero = x0 - lo * scale;
    double height = (c->title ? PDF_TITLE_H : 0) + b->n * row + 30;
    XAI_TRY(xai_pdf_reserve(d, height));
    XAI_TRY(xai_pdf_block_title(d, c->title));

    double top = d->y, bottom = top - b->n * row;
    const xai_pdf_rgb pos = c->positive ? *c->positive : pos_default;
    const xai_pdf_rgb neg = c->negative ? *c->negative : neg_default;
    for (size_t k = 0; k < nt; k++) { /* light grid lines */
        double x = zero + ticks[k] * scale;
        double xs[2] = {x, x}, ys[2] = {top, bottom};
        XAI_TRY(xai_canvas_polyline(d->canvas, xs, ys, 2, xai_pdf_light, 0.6, 0));
    }
    for (size_t i = 0; i < b->n; i++) {
        double yc = top - (i + 0.5) * row, bh = row * 0.68, v = b->value[i];
        const xai_pdf_rgb *col = b->is_others[i] ? &others_grey : v >= 0 ? &pos : &neg;
        double xa = zero, xb = zero + v * scale;
        if (xb < xa)
            xa = xb, xb = zero;
        XAI_TRY(xai_canvas_rect(d->canvas, xa, yc - bh / 2, fmax(xb - xa, 0.3), bh, col,
                                NULL, 0));
        XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, size,
                                 b->is_others[i] ? xai_pdf_grey : xai_pdf_ink,
                                 xai_pdf_left(), yc - 0.35 * size, label_w,
                                 XAI_PDF_ALIGN_RIGHT, b->label[i]));
        xai_pdf_format_number(v, num, sizeof num);
        XAI_TRY(xai_canvas_text_width(d->canvas, XAI_FONT_REGULAR, size * 0.9, num, &tw));
        double tx = v >= 0 ? zero + v * scale + 3 : zero + v * scale - 3 - tw;
        XAI_TRY(xai_canvas_text(d->canvas, XAI_FONT_REGULAR, size * 0.9, xai_pdf_grey, tx,
                                yc - 0.33 * size * 0.9, num));
    }
    double zx[2] = {zero, zero}, zy[2] = {top + 2, bottom - 2};
    XAI_TRY(xai_canvas_polyline(d->canvas, zx, zy, 2, xai_pdf_ink, 0.7, 0));
    /* value axis below the bars */
    double ay = bottom - 4, ax[2] = {zero + lo * scale, zero + hi * scale}, ayy[2] = {ay, ay};
    XAI_TRY(xai_canvas_polyline(d->canvas, ax, ayy, 2, xai_pdf_rule, 0.6, 0));
    for (size_t k = 0; k < nt; k++) {
        double x = zero + ticks[k] * scale, tx[2] = {x, x}, ty[2] = {ay, ay - 3};
        XAI_TRY(xai_canvas_polyline(d->canvas, tx, ty, 2, xai_pdf_rule, 0.6, 0));
        xai_pdf_format_number(ticks[k], num, sizeof num);
        XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, 7, xai_pdf_grey, x - 30, ay - 11, 60,
                                 XAI_PDF_ALIGN_CENTER, num));
    }
    if (c->value_label)
        XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, 7.5, xai_pdf_grey, x0, ay - 22,
                                 x1 - x0, XAI_PDF_ALIGN_CENTER, c->value_label));
    xai_pdf_advance(d, b->n * row + 30);
    xai_pdf_advance(d, PDF_BLOCK_GAP);
    return XAI_OK;
}

xai_status xai_pdf_add_bar_chart(xai_pdf *d, const xai_pdf_bar_chart *c)
{
    XAI_TRY(xai_pdf_check_open(d, "adding a bar chart"));
    XAI_TRY(check_chart(c));
    size_t n = c->n, shown = c->top_k && c->top_k < n ? c->top_k : n;
    int others = shown < n && c->others;
    bars b = {shown + (size_t)others, NULL, NULL, NULL, {0}};
    ranked *r = calloc(n, sizeof *r);
    b.label = calloc(b.n, sizeof *b.label);
    b.value = calloc(b.n, sizeof *b.value);
    b.is_others = calloc(b.n, sizeof *b.is_others);
    xai_status s = XAI_OK;
    if (!r || !b.label || !b.value || !b.is_others) {
        s = xai_fail(XAI_ERR_NOMEM, "PDF bar chart: out of memory for %zu bars", n);
    } else {
        for (size_t i = 0; i < n; i++)
            r[i].abs = fabs(c->values[i]), r[i].index = i;
        qsort(r, n, sizeof *r, by_abs_desc);
        for (size_t i = 0; i < shown; i++) {
            b.label[i] = c->labels[r[i].index];
            b.value[i] = c->values[r[i].index];
        }
        if (others) {
            double rest = 0; /* sum of the remaining signed values */
            for (size_t i = shown; i < n; i++)
                rest += c->values[r[i].index];
            snprintf(b.others_label, sizeof b.others_label, "%zu others (sum)", n - shown);
            b.label[shown] = b.others_label;
            b.value[shown] = rest;
            b.is_others[shown] = 1;
        }
        s = draw_bars(d, c, &b);
    }
    free(r);
    free(b.label);
    free(b.value);
    free(b.is_others);
    return s;
}
