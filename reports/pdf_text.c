/* reports/pdf_text.c: word wrap, headings, paragraphs and code blocks. */
#include "pdf_layout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

size_t xai_pdf_utf8_len(const char *s)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            return 1; /* malformed (or the terminator): one byte */
    return n;
}

/* Runs fn on a NUL-terminated copy of text[0 .. len). */
typedef xai_status (*span_fn)(xai_pdf *d, const char *z, void *arg);

static xai_status with_span(xai_pdf *d, const char *text, size_t len, span_fn fn, void *arg)
{
    char small[256];
    char *z = small;
    if (len >= sizeof small) {
        if (len == SIZE_MAX || !(z = malloc(len + 1)))
            return xai_fail(XAI_ERR_NOMEM, "PDF: out of memory for %zu bytes of text", len);
    }
    memcpy(z, text, len);
    z[len] = '\0';
    xai_status s = fn(d, z, arg);
    if (z != small)
        free(z);
    return s;
}

struct span_args {
    xai_font font;
    double size, x, y, *width;
    xai_pdf_rgb color;
};

static xai_status measure_fn(xai_pdf *d, const char *z, void *arg)
{
    struct span_args *a = arg;
    return xai_canvas_text_width(d->canvas, a->font, a->size, z, a->width);
}

static xai_status draw_fn(xai_pdf *d, const char *z, void *arg)
{
    struct span_args *a = arg;
    return xai_canvas_text(d->canvas, a->font, a->size, a->color, a->x, a->y, z);
}

xai_status xai_pdf_span_width(xai_pdf *d, xai_font font, double size,
                              const char *text, size_t len, double *width)
{
    struct span_args a = {font, size, 0, 0, width, xai_pdf_ink};
    return with_span(d, text, len, measure_fn, &a);
}

xai_status xai_pdf_span_draw(xai_pdf *d, xai_font font, double size,
                             xai_pdf_rgb color, double x, double y,
                             const char *text, size_t len)
{
    struct span_args a = {font, size, x, y, NULL, color};
    return with_span(d, text, len, draw_fn, &a);
}

/* ---- wrapping ------------------------------------------------------------ */

void xai_pdf_lines_free(xai_pdf_lines *l)
{
    free(l->off);
    free(l->len);
    memset(l, 0, sizeof *l);
}

static xai_status push_line(xai_pdf_lines *l, size_t off, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16, bytes;
        if (!xai_mul_size(cap, sizeof(size_t), &bytes))
            return xai_fail(XAI_ERR_NOMEM, "PDF: too many lines of text");
        size_t *o = realloc(l->off, bytes);
        if (o)
            l->off = o;
        size_t *n = o ? realloc(l->len, bytes) : NULL;
        if (!n)
            return xai_fail(XAI_ERR_NOMEM, "PDF: out of memory wrapping text");
        l->len = n;
        l->cap = cap;
    }
    l->off[l->n] = off;
    l->len[l->n] = len;
    l->n++;
    return XAI_OK;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Splits the word text[ws .. we) into lines of at most width, between
 * characters; the last piece stays open as the current line. */
static xai_status break_word(xai_pdf *d, xai_font f, double size, const char *text,
                             size_t ws, size_t we, double width, xai_pdf_lines *l,
                             size_t *line_start, size_t *line_end, double *line_w)
{
    size_t start = ws;
    double w = 0;
    for (size_t i = ws; i < we;) {
        size_t cl = xai_pdf_utf8_len(text + i);
        if (i + cl > we)
            cl = we - i;
        double cw;
        XAI_TRY(xai_pdf_span_width(d, f, size, text + i, cl, &cw));
        if (w + cw > width && i > start) {
            XAI_TRY(push_line(l, start, i - start));
            start = i;
            w = 0;
        }
        w += cw;
        i += cl;
    }
    *line_start = start;
    *line_end = we;
    *line_w = w;
    return XAI_OK;
}

xai_status xai_pdf_wrap(xai_pdf *d, xai_font f, double size, const char *text,
                        double width, xai_pdf_lines *l)
{
    memset(l, 0, sizeof *l);
    double space;
    xai_status s = xai_pdf_span_width(d, f, size, " ", 1, &space);
    size_t n = strlen(text), i = 0;
    while (s == XAI_OK && i <= n) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t seg_end = nl ? (size_t)(nl - text) : n;
        size_t line_start = 0, line_end = 0, pos = i;
        int open = 0;
        double line_w = 0;
        while (s == XAI_OK) {
            while (pos < seg_end && is_space(text[pos]))
                pos++;
            if (pos >= seg_end)
                break;
            size_t ws = pos;
            while (pos < seg_end && !is_space(text[pos]))
                pos++;
            double ww;
            s = xai_pdf_span_width(d, f, size, text + ws, pos - ws, &ww);
            if (s != XAI_OK)
                break;
            /* the gap keeps its spaces (tabs were made spaces too) */
            double gap = (double)(ws - line_end) * space;
            if (open && line_w + gap + ww <= width) {
                line_end = pos;
                line_w += gap + ww;
                continue;
            }
            if (open && (s = push_line(l, line_start, line_end - line_start)) != XAI_OK)
                break;
            open = 1;
            if (ww <= width) {
                line_start = ws, line_end = pos, line_w = ww;
            } else {
                s = break_word(d, f, size, text, ws, pos, width, l, &line_start,
                               &line_end, &line_w);
            }
        }
        if (s == XAI_OK)
            s = push_line(l, open ? line_start : i, open ? line_end - line_start : 0);
        if (!nl)
            break;
        i = seg_end + 1;
    }
    if (s != XAI_OK)
        xai_pdf_lines_free(l);
    return s;
}

/* ---- single-line helpers ------------------------------------------------- */

xai_status xai_pdf_text_fit(xai_pdf *d, xai_font font, double size,
                            xai_pdf_rgb color, double x, double y, double w,
                            xai_pdf_align align, const char *text)
{
    size_t len = strlen(text);
    double tw;
    XAI_TRY(xai_pdf_span_width(d, font, size, text, len, &tw));
    char *cut = NULL;
    if (tw > w) { /* drop characters from the end until text + "…" fits */
        static const char ell[] = "\xE2\x80\xA6";
        double ew;
        XAI_TRY(xai_pdf_span_width(d, font, size, ell, 3, &ew));
        size_t keep = 0;
        double acc = 0;
        for (size_t i = 0; i < len;) {
            size_t cl = xai_pdf_utf8_len(text + i);
            if (i + cl > len)
                cl = len - i;
            double cw;
            XAI_TRY(xai_pdf_span_width(d, font, size, text + i, cl, &cw));
            if (acc + cw + ew > w)
                break;
            acc += cw;
            i += cl;
            keep = i;
        }
        if (!(cut = malloc(keep + 4)))
            return xai_fail(XAI_ERR_NOMEM, "PDF: out of memory");
        memcpy(cut, text, keep);
        memcpy(cut + keep, ell, 4);
        text = cut;
        len = keep + 3;
        tw = acc + ew;
    }
    double dx = align == XAI_PDF_ALIGN_RIGHT ? w - tw
              : align == XAI_PDF_ALIGN_CENTER ? (w - tw) / 2 : 0;
    xai_status s = xai_pdf_span_draw(d, font, size, color, x + dx, y, text, len);
    free(cut);
    return s;
}

void xai_pdf_format_number(double v, char *buf, size_t size)
{
    double a = fabs(v);
    if (isnan(v)) {
        snprintf(buf, size, "n/a");
    } else if (isinf(v)) {
        snprintf(buf, size, v > 0 ? "inf" : "-inf");
    } else if (a == 0) {
        snprintf(buf, size, "0");
    } else if (a >= 1e-3 && a < 1e5) {
        /* three significant digits, trailing zeros dropped */
        int dec = 2 - (int)floor(log10(a));
        if (dec < 0)
            dec = 0;
        snprintf(buf, size, "%.*f", dec, v);
        char *dot = strchr(buf, '.');
        if (dot) {
            char *e = buf + strlen(buf) - 1;
            while (e > dot && *e == '0')
                *e-- = '\0';
            if (e == dot)
                *e = '\0';
        }
        if (strcmp(buf, "-0") == 0)
            snprintf(buf, size, "0");
    } else {
        snprintf(buf, size, "%.2e", v);
    }
}

/* ---- blocks -------------------------------------------------------------- */

/* Baseline of a line whose box of height lead starts at top. */
static double baseline(double top, double lead, double size)
{
    return top - lead / 2 - 0.33 * size;
}

/* Draws wrapped lines from the cursor, breaking pages between lines. */
static xai_status draw_lines(xai_pdf *d, xai_font f, double size, double lead,
                             xai_pdf_rgb color, const char *text, double indent,
                             const xai_pdf_lines *l)
{
    for (size_t i = 0; i < l->n; i++) {
        XAI_TRY(xai_pdf_reserve(d, lead));
        XAI_TRY(xai_pdf_span_draw(d, f, size, color, xai_pdf_left() + indent,
                                  baseline(d->y, lead, size), text + l->off[i],
                                  l->len[i]));
        xai_pdf_advance(d, lead);
    }
    return XAI_OK;
}

#define H_AFTER(level) ((level) == 1 ? 8.0 : 3.0)
#define H_BEFORE(level) ((level) == 1 ? 14.0 : 8.0)
#define H_SIZE(level) ((level) == 1 ? 15.0 : 11.5)

xai_status xai_pdf_heading_height(xai_pdf *d, double *height)
{
    *height = 0;
    if (!d->pending)
        return XAI_OK;
    int level = d->pending_level;
    xai_pdf_lines l;
    XAI_TRY(xai_pdf_wrap(d, XAI_FONT_BOLD, H_SIZE(level), d->pending, xai_pdf_width(), &l));
    *height = H_BEFORE(level) + (double)l.n * H_SIZE(level) * 1.3 + H_AFTER(level);
    xai_pdf_lines_free(&l);
    return XAI_OK;
}

xai_status xai_pdf_flush_heading(xai_pdf *d)
{
    if (!d->pending)
        return XAI_OK;
    char *text = d->pending;
    int level = d->pending_level;
    d->pending = NULL; /* drawing below reserves space without it */
    double size = H_SIZE(level);
    xai_pdf_lines l;
    xai_status s = xai_pdf_wrap(d, XAI_FONT_BOLD, size, text, xai_pdf_width(), &l);
    if (s == XAI_OK) {
        if (!d->page_empty)
            xai_pdf_advance(d, H_BEFORE(level));
        s = draw_lines(d, XAI_FONT_BOLD, size, size * 1.3,
                       level == 1 ? xai_pdf_accent : xai_pdf_ink, text, 0, &l);
        xai_pdf_lines_free(&l);
    }
    free(text);
    XAI_TRY(s);
    if (level == 1)
        XAI_TRY(xai_canvas_rect(d->canvas, xai_pdf_left(), d->y - 2, xai_pdf_width(), 0.8,
                                &xai_pdf_accent, NULL, 0));
    xai_pdf_advance(d, H_AFTER(level));
    return XAI_OK;
}

/* A heading is held back and drawn by the next block's xai_pdf_reserve, so
 * that it never ends a page alone. */
xai_status xai_pdf_add_heading(xai_pdf *d, int level, const char *text)
{
    XAI_TRY(xai_pdf_check_open(d, "adding a heading"));
    if (!text || (level != 1 && level != 2))
        return xai_fail(XAI_ERR_INVALID, "PDF: heading level %d (must be 1 or 2)", level);
    if (d->pending) { /* two headings in a row: keep the first with the second */
        xai_pdf_lines l;
        XAI_TRY(xai_pdf_wrap(d, XAI_FONT_BOLD, H_SIZE(level), text, xai_pdf_width(), &l));
        double h = H_BEFORE(level) + (double)l.n * H_SIZE(level) * 1.3 + H_AFTER(level);
        xai_pdf_lines_free(&l);
        XAI_TRY(xai_pdf_reserve(d, h + 2 * PDF_BODY_LEAD));
    }
    size_t n = strlen(text) + 1;
    if (!(d->pending = malloc(n)))
        return xai_fail(XAI_ERR_NOMEM, "PDF: out of memory for a heading");
    memcpy(d->pending, text, n);
    d->pending_level = level;
    return XAI_OK;
}

xai_status xai_pdf_add_paragraph(xai_pdf *d, const char *text)
{
    XAI_TRY(xai_pdf_check_open(d, "adding a paragraph"));
    if (!text)
        return xai_fail(XAI_ERR_INVALID, "PDF: NULL paragraph text");
    xai_pdf_lines l;
    XAI_TRY(xai_pdf_wrap(d, XAI_FONT_REGULAR, PDF_BODY_SIZE, text, xai_pdf_width(), &l));
    /* avoid a lone first line at the bottom of a page */
    xai_status s = xai_pdf_reserve(d, (l.n > 1 ? 2 : 1) * PDF_BODY_LEAD);
    if (s == XAI_OK)
        s = draw_lines(d, XAI_FONT_REGULAR, PDF_BODY_SIZE, PDF_BODY_LEAD, xai_pdf_ink,
                       text, 0, &l);
    xai_pdf_lines_free(&l);
    XAI_TRY(s);
    xai_pdf_advance(d, PDF_BLOCK_GAP * 0.6);
    return XAI_OK;
}

xai_status xai_pdf_add_code(xai_pdf *d, const char *text)
{
    XAI_TRY(xai_pdf_check_open(d, "adding a code block"));
    if (!text)
        return xai_fail(XAI_ERR_INVALID, "PDF: NULL code text");
    const double size = 8.0, lead = 10.5, pad = 6;
    xai_pdf_lines l;
    XAI_TRY(xai_pdf_wrap(d, XAI_FONT_MONO, size, text, xai_pdf_width() - 2 * pad, &l));
    xai_status s = XAI_OK;
    /* a block that fits on one page is kept together (no orphan lines) */
    if (l.n * lead + 2 * pad <= PDF_TOP - PDF_BOTTOM)
        s = xai_pdf_reserve(d, l.n * lead + 2 * pad);
    for (size_t i = 0; s == XAI_OK && i < l.n;) {
        /* as many lines as fit on this page, on one background box */
        s = xai_pdf_reserve(d, lead + 2 * pad);
        if (s != XAI_OK)
            break;
        size_t fit = (size_t)((d->y - PDF_BOTTOM - 2 * pad) / lead);
        if (fit == 0)
            fit = 1;
        if (fit > l.n - i)
            fit = l.n - i;
        double h = fit * lead + 2 * pad;
        s = xai_canvas_rect(d->canvas, xai_pdf_left(), d->y - h, xai_pdf_width(), h,
                            &xai_pdf_light, &xai_pdf_rule, 0.4);
        xai_pdf_advance(d, pad);
        for (size_t k = 0; s == XAI_OK && k < fit; k++, i++) {
            s = xai_pdf_span_draw(d, XAI_FONT_MONO, size, xai_pdf_ink, xai_pdf_left() + pad,
                                  baseline(d->y, lead, size), text + l.off[i], l.len[i]);
            xai_pdf_advance(d, lead);
        }
        xai_pdf_advance(d, pad);
    }
    xai_pdf_lines_free(&l);
    XAI_TRY(s);
    xai_pdf_advance(d, PDF_BLOCK_GAP);
    return XAI_OK;
}

xai_status xai_pdf_block_title(xai_pdf *d, const char *title)
{
    if (!title)
        return XAI_OK;
    XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_BOLD, PDF_BODY_SIZE, xai_pdf_ink, xai_pdf_left(),
                             baseline(d->y, PDF_TITLE_H, PDF_BODY_SIZE), xai_pdf_width(),
                             XAI_PDF_ALIGN_LEFT, title));
    xai_pdf_advance(d, PDF_TITLE_H);
    return XAI_OK;
}
