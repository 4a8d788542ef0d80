/* reports/pdf_doc.c: the document handle, page flow, header and footer. */
#include "pdf_layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"

const xai_pdf_rgb xai_pdf_ink = {0.13f, 0.14f, 0.16f};
const xai_pdf_rgb xai_pdf_grey = {0.42f, 0.45f, 0.49f};
const xai_pdf_rgb xai_pdf_light = {0.95f, 0.96f, 0.97f};
const xai_pdf_rgb xai_pdf_rule = {0.78f, 0.80f, 0.83f};
const xai_pdf_rgb xai_pdf_accent = {0.11f, 0.25f, 0.42f};
const xai_pdf_rgb xai_pdf_white = {1.0f, 1.0f, 1.0f};

double xai_pdf_left(void) { return PDF_MARGIN_X; }
double xai_pdf_width(void) { return PDF_PAGE_W - 2 * PDF_MARGIN_X; }

xai_pdf_options xai_pdf_options_default(void)
{
    xai_pdf_options o = {NULL, NULL, -1, NULL};
    return o;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

xai_status xai_pdf_new(const xai_pdf_options *o, xai_pdf **out)
{
    if (!out)
        return xai_fail(XAI_ERR_INVALID, "PDF: no output handle given");
    *out = NULL;
    if (!o || !o->title)
        return xai_fail(XAI_ERR_INVALID, "PDF: a document needs a title");
    xai_pdf *d = calloc(1, sizeof *d);
    if (!d)
        return xai_fail(XAI_ERR_NOMEM, "PDF: out of memory");
    d->title = dup_str(o->title);
    d->subject = o->subject ? dup_str(o->subject) : NULL;
    if (!d->title || (o->subject && !d->subject)) {
        xai_pdf_free(d);
        return xai_fail(XAI_ERR_NOMEM, "PDF: out of memory");
    }
    d->date = o->date >= 0 ? o->date : (int64_t)time(NULL);
    time_t t = (time_t)d->date;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        xai_pdf_free(d);
        return xai_fail(XAI_ERR_INVALID, "PDF: date %lld is out of range", (long long)o->date);
    }
    strftime(d->date_text, sizeof d->date_text, "%Y-%m-%d %H:%M UTC", &tm);
    xai_status s = xai_canvas_new(o->font_dir, &d->canvas);
    if (s == XAI_OK) {
        char creator[64];
        snprintf(creator, sizeof creator, "xai %s", xai_version());
        s = xai_canvas_set_info(d->canvas, d->title, d->subject, creator, d->date);
    }
    if (s != XAI_OK) {
        xai_pdf_free(d);
        return s;
    }
    d->page_empty = 1;
    *out = d;
    return XAI_OK;
}

void xai_pdf_free(xai_pdf *d)
{
    if (!d)
        return;
    xai_canvas_free(d->canvas);
    free(d->pending);
    free(d->bytes);
    free(d->title);
    free(d->subject);
    free(d);
}

size_t xai_pdf_page_count(const xai_pdf *d) { return xai_canvas_page_count(d->canvas); }

xai_status xai_pdf_check_open(const xai_pdf *d, const char *what)
{
    if (!d)
        return xai_fail(XAI_ERR_INVALID, "PDF: %s on a NULL document", what);
    if (d->closed)
        return xai_fail(XAI_ERR_INVALID, "PDF: %s after the document was saved", what);
    return XAI_OK;
}

/* Header: title left, date right, a hairline below. */
static xai_status draw_header(xai_pdf *d)
{
    double y = PDF_PAGE_H - 40, left = xai_pdf_left(), w = xai_pdf_width();
    double dw;
    XAI_TRY(xai_canvas_text_width(d->canvas, XAI_FONT_REGULAR, PDF_SMALL_SIZE,
                                  d->date_text, &dw));
    XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_BOLD, PDF_SMALL_SIZE, xai_pdf_accent, left, y,
                             w - dw - 24, XAI_PDF_ALIGN_LEFT, d->title));
    XAI_TRY(xai_canvas_text(d->canvas, XAI_FONT_REGULAR, PDF_SMALL_SIZE, xai_pdf_grey,
                            left + w - dw, y, d->date_text));
    return xai_canvas_rect(d->canvas, left, y - 7, w, 0.6, &xai_pdf_rule, NULL, 0);
}

xai_status xai_pdf_force_page(xai_pdf *d)
{
    XAI_TRY(xai_canvas_add_page(d->canvas, PDF_PAGE_W, PDF_PAGE_H));
    XAI_TRY(draw_header(d));
    d->y = PDF_TOP;
    d->page_empty = 1;
    return XAI_OK;
}

xai_status xai_pdf_reserve(xai_pdf *d, double height)
{
    double hh;
    XAI_TRY(xai_pdf_heading_height(d, &hh));
    if (xai_canvas_page_count(d->canvas) == 0 ||
        (!d->page_empty && d->y - hh - height < PDF_BOTTOM))
        XAI_TRY(xai_pdf_force_page(d));
    return xai_pdf_flush_heading(d);
}

void xai_pdf_advance(xai_pdf *d, double pt)
{
    d->y -= pt;
    d->page_empty = 0;
}

xai_status xai_pdf_new_page(xai_pdf *d)
{
    XAI_TRY(xai_pdf_check_open(d, "starting a page"));
    if (xai_canvas_page_count(d->canvas) > 0 && d->page_empty)
        return XAI_OK;
    return xai_pdf_force_page(d);
}

xai_status xai_pdf_add_space(xai_pdf *d, double pt)
{
    XAI_TRY(xai_pdf_check_open(d, "adding space"));
    if (!(pt >= 0) || pt > PDF_PAGE_H)
        return xai_fail(XAI_ERR_INVALID, "PDF: space of %g pt", pt);
    if (d->pending)
        XAI_TRY(xai_pdf_reserve(d, 0));
    if (xai_canvas_page_count(d->canvas) == 0 || d->page_empty)
        return XAI_OK;
    if (d->y - pt < PDF_BOTTOM)
        d->y = PDF_BOTTOM; /* the next block starts a page */
    else
        d->y -= pt;
    return XAI_OK;
}

/* Footers of every page once the total is known: version left, "page x of
 * y" right, a hairline above. */
xai_status xai_pdf_draw_footers(xai_pdf *d)
{
    size_t n = xai_canvas_page_count(d->canvas);
    double left = xai_pdf_left(), w = xai_pdf_width(), y = 36;
    char version[64];
    snprintf(version, sizeof version, "xai %s", xai_version());
    for (size_t i = 0; i < n; i++) {
        char text[64];
        snprintf(text, sizeof text, "page %zu of %zu", i + 1, n);
        XAI_TRY(xai_canvas_select_page(d->canvas, i));
        XAI_TRY(xai_canvas_rect(d->canvas, left, y + 11, w, 0.6, &xai_pdf_rule, NULL, 0));
        XAI_TRY(xai_canvas_text(d->canvas, XAI_FONT_REGULAR, PDF_SMALL_SIZE, xai_pdf_grey,
                                left, y, version));
        XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, PDF_SMALL_SIZE, xai_pdf_grey,
                                 left, y, w, XAI_PDF_ALIGN_RIGHT, text));
    }
    return XAI_OK;
}
