/* reports/pdf_table.c: tables whose header row repeats across pages. */
#include "pdf_layout.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define T_SIZE 8.5
#define T_LEAD 11.0
#define T_PAD_X 5.0
#define T_PAD_Y 3.0
#define T_KEEP_ROWS 12 /* tables up to this many rows do not split */

static const xai_pdf_rgb zebra = {0.965f, 0.970f, 0.978f};

/* A number, possibly signed, in e-notation or with a trailing '%'. */
static int is_number(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return 0;
    char *end;
    strtod(s, &end);
    if (end == s)
        return 0;
    if (*end == '%')
        end++;
    while (isspace((unsigned char)*end))
        end++;
    return *end == '\0';
}

static const char *cell_text(const xai_pdf_table *t, size_t r, size_t c)
{
    const char *s = t->cells ? t->cells[r * t->cols + c] : NULL;
    return s ? s : "";
}

/* Relative luminance; dark fills get white text. */
static int is_dark(xai_pdf_rgb c) { return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b < 0.45; }

/* Column widths: natural (widest cell) if the table fits, else each column
 * gets a fair share and the space left goes to the wide columns. */
static xai_status column_widths(xai_pdf *d, const xai_pdf_table *t, double *w)
{
    double avail = xai_pdf_width(), total = 0;
    for (size_t c = 0; c < t->cols; c++) {
        double m = 0, tw;
        if (t->header) {
            XAI_TRY(xai_canvas_text_width(d->canvas, XAI_FONT_BOLD, T_SIZE,
                                          t->header[c] ? t->header[c] : "", &tw));
            m = tw;
        }
        for (size_t r = 0; r < t->rows; r++) {
            XAI_TRY(xai_canvas_text_width(d->canvas, XAI_FONT_REGULAR, T_SIZE,
                                          cell_text(t, r, c), &tw));
            m = fmax(m, tw);
        }
        w[c] = fmax(m + 2 * T_PAD_X + 0.5, 24.0);
        total += w[c];
    }
    if (total <= avail)
        return XAI_OK;
    double share = avail / (double)t->cols, used = 0, excess = 0;
    for (size_t c = 0; c < t->cols; c++) {
        used += fmin(w[c], share);
        if (w[c] > share)
            excess += w[c] - share;
    }
    double spare = avail - used;
    for (size_t c = 0; c < t->cols; c++)
        if (w[c] > share)
            w[c] = share + spare * (w[c] - share) / excess;
    return XAI_OK;
}

typedef struct row_lines {
    xai_pdf_lines *cell; /* cols entries */
    double height;
} row_lines;

static void row_free(row_lines *r, size_t cols)
{
    for (size_t c = 0; c < cols; c++)
        xai_pdf_lines_free(&r->cell[c]);
}

/* Wraps one row (texts[c]) into its columns and measures its height. */
static xai_status row_wrap(xai_pdf *d, xai_font f, const char *const *texts, size_t cols,
                           const double *w, row_lines *r)
{
    size_t most = 1;
    for (size_t c = 0; c < cols; c++) {
        xai_status s = xai_pdf_wrap(d, f, T_SIZE, texts[c] ? texts[c] : "",
                                    w[c] - 2 * T_PAD_X, &r->cell[c]);
        if (s != XAI_OK) {
            row_free(r, c);
            return s;
        }
        if (r->cell[c].n > most)
            most = r->cell[c].n;
    }
    r->height = most * T_LEAD + 2 * T_PAD_Y;
    return XAI_OK;
}

static xai_status row_draw(xai_pdf *d, xai_font f, const char *const *texts,
                           const xai_pdf_table *t, const xai_pdf_align *align,
                           const double *w, const row_lines *r,
                           const xai_pdf_rgb *row_fill, const xai_pdf_rgb *cell_fill)
{
    double x = xai_pdf_left(), top = d->y, total = 0;
    for (size_t c = 0; c < t->cols; c++)
        total += w[c];
    if (row_fill)
        XAI_TRY(xai_canvas_rect(d->canvas, x, top - r->height, total, r->height, row_fill,
                                NULL, 0));
    for (size_t c = 0; c < t->cols; c++) {
        xai_pdf_rgb ink = xai_pdf_ink;
        if (cell_fill && cell_fill[c].r >= 0) {
            XAI_TRY(xai_canvas_rect(d->canvas, x, top - r->height, w[c], r->height,
                                    &cell_fill[c], NULL, 0));
            if (is_dark(cell_fill[c]))
                ink = xai_pdf_white;
        }
        const char *s = texts[c] ? texts[c] : "";
        const xai_pdf_lines *l = &r->cell[c];
        for (size_t i = 0; i < l->n; i++) {
            double lw, bx = x + T_PAD_X, inner = w[c] - 2 * T_PAD_X;
            XAI_TRY(xai_pdf_span_width(d, f, T_SIZE, s + l->off[i], l->len[i], &lw));
            if (align[c] == XAI_PDF_ALIGN_RIGHT)
                bx += inner - lw;
            else if (align[c] == XAI_PDF_ALIGN_CENTER)
                bx += (inner - lw) / 2;
            double base = top - T_PAD_Y - i * T_LEAD - T_LEAD / 2 - 0.33 * T_SIZE;
            XAI_TRY(xai_pdf_span_draw(d, f, T_SIZE, ink, bx, base, s + l->off[i], l->len[i]));
        }
        x += w[c];
    }
    xai_pdf_advance(d, r->height);
    return XAI_OK;
}

static xai_status rule(xai_pdf *d, double width, double thickness)
{
    return xai_canvas_rect(d->canvas, xai_pdf_left(), d->y - thickness / 2, width, thickness,
                           &xai_pdf_ink, NULL, 0);
}

/* Header row between a thick and a thin rule. */
static xai_status draw_header(xai_pdf *d, const xai_pdf_table *t, const xai_pdf_align *al,
                              const double *w, double total, const row_lines *hr)
{
    XAI_TRY(rule(d, total, 1.0));
    if (!t->header)
        return XAI_OK;
    XAI_TRY(row_draw(d, XAI_FONT_BOLD, t->header, t, al, w, hr, NULL, NULL));
    return rule(d, total, 0.5);
}

static xai_status check_table(const xai_pdf_table *t)
{
    size_t n;
    if (!t || t->cols == 0)
        return xai_fail(XAI_ERR_INVALID, "PDF table: no columns");
    if (!xai_mul_size(t->rows, t->cols, &n))
        return xai_fail(XAI_ERR_NOMEM, "PDF table: %zu x %zu cells overflow", t->rows, t->cols);
    if (t->rows > 0 && !t->cells)
        return xai_fail(XAI_ERR_INVALID, "PDF table: %zu rows but no cells", t->rows);
    if (t->fill) {
        for (size_t i = 0; i < n; i++) {
            xai_pdf_rgb c = t->fill[i];
            if (c.r >= 0 && !(c.r <= 1 && c.g >= 0 && c.g <= 1 && c.b >= 0 && c.b <= 1))
                return xai_fail(XAI_ERR_INVALID,
                                "PDF table: fill colour of row %zu, column %zu is outside [0, 1]",
                                i / t->cols + 1, i % t->cols + 1);
        }
    }
    return XAI_OK;
}

static xai_status draw_table(xai_pdf *d, const xai_pdf_table *t, double *w,
                             xai_pdf_align *al, row_lines *hr, row_lines *br)
{
    XAI_TRY(column_widths(d, t, w));
    double total = 0;
    for (size_t c = 0; c < t->cols; c++) {
        total += w[c];
        al[c] = t->align ? t->align[c] : XAI_PDF_ALIGN_AUTO;
        if (al[c] == XAI_PDF_ALIGN_AUTO) {
            int numeric = 1, any = 0;
            for (size_t r = 0; r < t->rows && numeric; r++) {
                const char *s = cell_text(t, r, c);
                if (*s)
                    any = 1, numeric = is_number(s);
            }
            al[c] = numeric && any ? XAI_PDF_ALIGN_RIGHT : XAI_PDF_ALIGN_LEFT;
        }
    }
    hr->height = 0;
    if (t->header)
        XAI_TRY(row_wrap(d, XAI_FONT_BOLD, t->header, t->cols, w, hr));
    /* keep a short table whole, and a long one from leaving fewer than
     * three rows at the bottom of a page */
    double keep = hr->height + 2;
    for (size_t r = 0; r < t->rows && r < (t->rows <= T_KEEP_ROWS ? t->rows : 3); r++) {
        XAI_TRY(row_wrap(d, XAI_FONT_REGULAR, t->cells + r * t->cols, t->cols, w, br));
        keep += br->height;
        row_free(br, t->cols);
    }
    if (keep < PDF_TOP - PDF_BOTTOM)
        XAI_TRY(xai_pdf_reserve(d, keep));
    for (size_t r = 0; r < t->rows; r++) {
        xai_status s = row_wrap(d, XAI_FONT_REGULAR, t->cells + r * t->cols, t->cols, w, br);
        if (s == XAI_OK && (r == 0 || d->y - br->height - 1 < PDF_BOTTOM)) {
            /* first row, or a page break: (re)start with the header */
            if (r > 0)
                s = rule(d, total, 1.0);
            if (s == XAI_OK)
                s = r == 0 ? xai_pdf_reserve(d, hr->height + br->height + 2)
                           : xai_pdf_force_page(d);
            if (s == XAI_OK)
                s = draw_header(d, t, al, w, total, hr);
        }
        if (s == XAI_OK)
            s = row_draw(d, XAI_FONT_REGULAR, t->cells + r * t->cols, t, al, w, br,
                         r % 2 ? &zebra : NULL, t->fill ? t->fill + r * t->cols : NULL);
        row_free(br, t->cols);
        XAI_TRY(s);
    }
    if (t->rows == 0) {
        XAI_TRY(xai_pdf_reserve(d, hr->height + 2));
        XAI_TRY(draw_header(d, t, al, w, total, hr));
    }
    XAI_TRY(rule(d, total, 1.0));
    xai_pdf_advance(d, 1);
    if (t->caption) {
        xai_pdf_lines l;
        XAI_TRY(xai_pdf_wrap(d, XAI_FONT_REGULAR, PDF_SMALL_SIZE, t->caption,
                             xai_pdf_width(), &l));
        xai_status s = XAI_OK;
        xai_pdf_advance(d, 3);
        for (size_t i = 0; s == XAI_OK && i < l.n; i++) {
            s = xai_pdf_reserve(d, 10);
            if (s == XAI_OK)
                s = xai_pdf_span_draw(d, XAI_FONT_REGULAR, PDF_SMALL_SIZE, xai_pdf_grey,
                                      xai_pdf_left(), d->y - 7.5, t->caption + l.off[i],
                                      l.len[i]);
            xai_pdf_advance(d, 10);
        }
        xai_pdf_lines_free(&l);
        XAI_TRY(s);
    }
    xai_pdf_advance(d, PDF_BLOCK_GAP);
    return XAI_OK;
}

xai_status xai_pdf_add_table(xai_pdf *d, const xai_pdf_table *t)
{
    XAI_TRY(xai_pdf_check_open(d, "adding a table"));
    XAI_TRY(check_table(t));
    size_t n;
    if (!xai_mul_size(t->cols, 2 * sizeof(xai_pdf_lines) + sizeof(double) +
                                   sizeof(xai_pdf_align), &n))
        return xai_fail(XAI_ERR_NOMEM, "PDF table: %zu columns overflow", t->cols);
    double *w = calloc(t->cols, sizeof *w);
    xai_pdf_align *al = calloc(t->cols, sizeof *al);
    row_lines hr = {calloc(t->cols, sizeof(xai_pdf_lines)), 0};
    row_lines br = {calloc(t->cols, sizeof(xai_pdf_lines)), 0};
    xai_status s = w && al && hr.cell && br.cell
                       ? draw_table(d, t, w, al, &hr, &br)
                       : xai_fail(XAI_ERR_NOMEM, "PDF table: out of memory for %zu columns",
                                  t->cols);
    if (hr.cell)
        row_free(&hr, t->cols);
    free(hr.cell);
    free(br.cell);
    free(w);
    free(al);
    return s;
}
