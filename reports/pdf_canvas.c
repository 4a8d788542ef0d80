/* reports/pdf_canvas.c: the only file that talks to libharu. */
#include "pdf_canvas.h"

#include <hpdf.h>
#include <hpdf_doc.h> /* HPDF_Doc's mmgr and xref, for the ToUnicode fix */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"

#define DEFAULT_FONT_DIR "/usr/share/fonts/truetype/dejavu"

static const char *const font_file[XAI_FONT_COUNT] = {
    [XAI_FONT_REGULAR] = "DejaVuSans.ttf",
    [XAI_FONT_BOLD] = "DejaVuSans-Bold.ttf",
    [XAI_FONT_MONO] = "DejaVuSansMono.ttf",
};

struct xai_canvas {
    HPDF_Doc pdf;
    HPDF_Font font[XAI_FONT_COUNT];
    HPDF_Page *pages;
    size_t n_pages, cap_pages, current;
    HPDF_STATUS err, detail; /* first error seen by the handler */
    xai_status failed;       /* sticky status once libharu has failed */
    char message[512];
    char *scratch; /* sanitised text */
    size_t scratch_cap;
};

/* libharu calls this instead of aborting; the calling function then returns
 * an error code, which we check through c->err. */
static void on_hpdf_error(HPDF_STATUS err, HPDF_STATUS detail, void *user)
{
    xai_canvas *c = user;
    if (c->err == 0) {
        c->err = err;
        c->detail = detail;
    }
}

static const char *hpdf_error_text(HPDF_STATUS e)
{
    switch (e) {
    case HPDF_FAILD_TO_ALLOC_MEM: return "out of memory";
    case HPDF_FILE_IO_ERROR: return "file I/O error";
    case HPDF_FILE_OPEN_ERROR: return "cannot open file";
    case HPDF_INVALID_FONTDEF_DATA: return "invalid font data";
    case HPDF_TTF_INVALID_CMAP: return "TrueType font has no usable cmap";
    case HPDF_TTF_INVALID_FOMAT: return "not a TrueType font";
    case HPDF_TTF_MISSING_TABLE: return "TrueType font misses a table";
    case HPDF_TTF_CANNOT_EMBEDDING_FONT: return "font forbids embedding";
    case HPDF_INVALID_IMAGE: return "invalid image";
    case HPDF_PAGE_INVALID_SIZE: return "invalid page size";
    case HPDF_PAGE_OUT_OF_RANGE: return "value out of range";
    case HPDF_INVALID_PARAMETER: return "invalid parameter";
    default: return "PDF library error";
    }
}

static xai_status hpdf_status(HPDF_STATUS e)
{
    switch (e) {
    case HPDF_FAILD_TO_ALLOC_MEM: return XAI_ERR_NOMEM;
    case HPDF_FILE_IO_ERROR:
    case HPDF_FILE_OPEN_ERROR: return XAI_ERR_IO;
    case HPDF_INVALID_FONTDEF_DATA:
    case HPDF_TTF_INVALID_CMAP:
    case HPDF_TTF_INVALID_FOMAT:
    case HPDF_TTF_MISSING_TABLE:
    case HPDF_TTF_CANNOT_EMBEDDING_FONT: return XAI_ERR_PARSE;
    default: return XAI_ERR_INTERNAL;
    }
}

/* Turns a recorded libharu error into a sticky failure of the canvas. */
static xai_status fail_hpdf(xai_canvas *c, const char *what)
{
    c->failed = hpdf_status(c->err);
    snprintf(c->message, sizeof c->message,
             "PDF: %s while %s (libharu error 0x%04X, detail %u)",
             hpdf_error_text(c->err), what, (unsigned)c->err, (unsigned)c->detail);
    return xai_fail(c->failed, "%s", c->message);
}

/* Common prologue: a failed canvas stays failed. */
static xai_status check_alive(xai_canvas *c)
{
    if (c->failed != XAI_OK)
        return xai_fail(c->failed, "%s", c->message);
    return XAI_OK;
}

#define HPDF_CHECK(c, what)                                                    \
    do {                                                                       \
        if ((c)->err != 0)                                                     \
            return fail_hpdf((c), (what));                                     \
    } while (0)

static xai_status current_page(xai_canvas *c, HPDF_Page *page)
{
    XAI_TRY(check_alive(c));
    if (c->n_pages == 0)
        return xai_fail(XAI_ERR_INTERNAL, "PDF: drawing before the first page");
    *page = c->pages[c->current];
    return XAI_OK;
}

/* ---- UTF-8 cleaning ------------------------------------------------------ */

/* Decodes one UTF-8 sequence at s (n bytes left); returns its length (>= 1)
 * and the code point, or U+FFFD for a malformed sequence (length 1). */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xC2 && c <= 0xDF) { len = 2; min = 0x80; c &= 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; min = 0x800; c &= 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; min = 0x10000; c &= 0x07; }
    else { *cp = 0xFFFD; return 1; }
    if (len > n) { *cp = 0xFFFD; return 1; }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) { *cp = 0xFFFD; return 1; }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) { *cp = 0xFFFD; return 1; }
    *cp = c;
    return len;
}

/* Copies utf8 into c->scratch, valid and within the BMP (libharu's UTF-8
 * encoder handles 16-bit codes only). */
static xai_status sanitize(xai_canvas *c, const char *utf8, const char **out)
{
    size_t n = strlen(utf8), need;
    /* each input byte yields at most 3 output bytes (U+FFFD) */
    if (!xai_mul_size(n, 3, &need) || need == SIZE_MAX)
        return xai_fail(XAI_ERR_NOMEM, "PDF: text too long");
    need++;
    if (need > c->scratch_cap) {
        char *p = realloc(c->scratch, need);
        if (!p)
            return xai_fail(XAI_ERR_NOMEM, "PDF: out of memory for %zu bytes of text", n);
        c->scratch = p;
        c->scratch_cap = need;
    }
    const unsigned char *s = (const unsigned char *)utf8;
    unsigned char *d = (unsigned char *)c->scratch;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (cp < 0x20 || cp == 0x7F) {
            *d++ = ' ';
        } else if (cp > 0xFFFF || cp == 0xFFFD) {
            *d++ = 0xEF; *d++ = 0xBF; *d++ = 0xBD;
        } else {
            memcpy(d, s + i, len);
            d += len;
        }
        i += len;
    }
    *d = '\0';
    *out = c->scratch;
    return XAI_OK;
}

/* ---- life cycle ---------------------------------------------------------- */

/* libharu 2.4 gives a UTF-8 Type0 font the encoding CMap (a begincidrange
 * block) as its /ToUnicode, which poppler rejects ("Invalid 'begincidrange'
 * operator in ToUnicode CMap", once per font and page).  Text is written as
 * UTF-16BE code points (BMP; Identity-H), so the right ToUnicode is the
 * identity: one bfrange per high byte, surrogates excluded.  The old
 * stream stays in the file unreferenced. */
static HPDF_STATUS fix_to_unicode(HPDF_Doc pdf, HPDF_Font font)
{
    HPDF_Dict s = HPDF_DictStream_New(pdf->mmgr, pdf->xref);
    if (!s)
        return HPDF_FAILD_TO_ALLOC_MEM;
    s->filter = HPDF_STREAM_FILTER_FLATE_DECODE;
    HPDF_Stream st = s->stream;
    HPDF_STATUS r = HPDF_Stream_WriteStr(st,
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
    int hi[256], n = 0;
    for (int h = 0; h < 256; h++)
        if (h < 0xD8 || h > 0xDF)
            hi[n++] = h;
    char line[64];
    for (int k = 0; k < n && r == HPDF_OK; k++) {
        if (k % 100 == 0) { /* at most 100 entries per block */
            snprintf(line, sizeof line, "%d beginbfrange\n", n - k < 100 ? n - k : 100);
            r = HPDF_Stream_WriteStr(st, line);
        }
        snprintf(line, sizeof line, "<%02X00> <%02XFF> <%02X00>\n", hi[k], hi[k], hi[k]);
        if (r == HPDF_OK)
            r = HPDF_Stream_WriteStr(st, line);
        if (r == HPDF_OK && (k % 100 == 99 || k == n - 1))
            r = HPDF_Stream_WriteStr(st, "endbfrange\n");
    }
    if (r == HPDF_OK)
        r = HPDF_Stream_WriteStr(st, "endcmap\nCMapName currentdict /CMap defineresource "
                                     "pop\nend\nend\n");
    return r == HPDF_OK ? HPDF_Dict_Add(font, "ToUnicode", s) : r;
}

static xai_status load_font(xai_canvas *c, const char *dir, xai_font f)
{
    char path[4096];
    int len = snprintf(path, sizeof path, "%s/%s", dir, font_file[f]);
    if (len < 0 || (size_t)len >= sizeof path)
        return xai_fail(XAI_ERR_INVALID, "PDF: font directory path too long: '%s'", dir);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return xai_fail(XAI_ERR_IO, "PDF: cannot open font '%s'", path);
    fclose(fp);
    const char *name = HPDF_LoadTTFontFromFile(c->pdf, path, HPDF_TRUE);
    if (name && c->err == 0)
        c->font[f] = HPDF_GetFont(c->pdf, name, "UTF-8");
    if (c->font[f] && c->err == 0 && fix_to_unicode(c->pdf, c->font[f]) != HPDF_OK &&
        c->err == 0)
        c->err = HPDF_FAILD_TO_ALLOC_MEM;
    if (c->err != 0 || !name || !c->font[f]) {
        char what[4200];
        snprintf(what, sizeof what, "loading font '%s'", path);
        if (c->err == 0)
            c->err = HPDF_INVALID_FONTDEF_DATA;
        return fail_hpdf(c, what);
    }
    return XAI_OK;
}

xai_status xai_canvas_new(const char *font_dir, xai_canvas **out)
{
    *out = NULL;
    xai_canvas *c = calloc(1, sizeof *c);
    if (!c)
        return xai_fail(XAI_ERR_NOMEM, "PDF: out of memory");
    c->pdf = HPDF_New(on_hpdf_error, c);
    if (!c->pdf) {
        free(c);
        return xai_fail(XAI_ERR_NOMEM, "PDF: cannot create a document (out of memory)");
    }
    HPDF_SetCompressionMode(c->pdf, HPDF_COMP_ALL);
    HPDF_UseUTFEncodings(c->pdf);
    HPDF_SetCurrentEncoder(c->pdf, "UTF-8");
    if (c->err != 0) {
        xai_status s = fail_hpdf(c, "setting up UTF-8 text");
        xai_canvas_free(c);
        return s;
    }
    const char *dir = font_dir ? font_dir : DEFAULT_FONT_DIR;
    for (int f = 0; f < XAI_FONT_COUNT; f++) {
        xai_status s = load_font(c, dir, (xai_font)f);
        if (s != XAI_OK) {
            xai_canvas_free(c);
            return s;
        }
    }
    *out = c;
    return XAI_OK;
}

void xai_canvas_free(xai_canvas *c)
{
    if (!c)
        return;
    if (c->pdf)
        HPDF_Free(c->pdf);
    free(c->pages);
    free(c->scratch);
    free(c);
}

xai_status xai_canvas_add_page(xai_canvas *c, double w, double h)
{
    XAI_TRY(check_alive(c));
    if (c->n_pages == c->cap_pages) {
        size_t cap = c->cap_pages ? 2 * c->cap_pages : 8, bytes;
        if (!xai_mul_size(cap, sizeof *c->pages, &bytes))
            return xai_fail(XAI_ERR_NOMEM, "PDF: too many pages");
        HPDF_Page *p = realloc(c->pages, bytes);
        if (!p)
            return xai_fail(XAI_ERR_NOMEM, "PDF: out of memory for page %zu", c->n_pages + 1);
        c->pages = p;
        c->cap_pages = cap;
    }
    HPDF_Page page = HPDF_AddPage(c->pdf);
    HPDF_CHECK(c, "adding a page");
    HPDF_Page_SetWidth(page, (HPDF_REAL)w);
    HPDF_Page_SetHeight(page, (HPDF_REAL)h);
    HPDF_Page_SetLineJoin(page, HPDF_ROUND_JOIN);
    HPDF_CHECK(c, "sizing a page");
    c->pages[c->n_pages] = page;
    c->current = c->n_pages++;
    return XAI_OK;
}

size_t xai_canvas_page_count(const xai_canvas *c) { return c->n_pages; }

const char *xai_pdf_library_version(void) { return HPDF_GetVersion(); }

xai_status xai_canvas_select_page(xai_canvas *c, size_t i)
{
    XAI_TRY(check_alive(c));
    if (i >= c->n_pages)
        return xai_fail(XAI_ERR_INTERNAL, "PDF: page %zu of %zu selected", i + 1, c->n_pages);
    c->current = i;
    return XAI_OK;
}

/* ---- text ---------------------------------------------------------------- */

xai_status xai_canvas_text_width(xai_canvas *c, xai_font font, double size,
                                 const char *utf8, double *width)
{
    const char *t;
    *width = 0;
    XAI_TRY(check_alive(c));
    XAI_TRY(sanitize(c, utf8, &t));
    size_t n = strlen(t);
    if (n == 0)
        return XAI_OK;
    if (n > 0xFFFFFFFFu)
        return xai_fail(XAI_ERR_INVALID, "PDF: text of %zu bytes is too long", n);
    HPDF_TextWidth tw = HPDF_Font_TextWidth(c->font[font], (const HPDF_BYTE *)t, (HPDF_UINT)n);
    HPDF_CHECK(c, "measuring text");
    *width = tw.width * size / 1000.0;
    return XAI_OK;
}

static void set_fill(HPDF_Page page, xai_pdf_rgb col)
{
    HPDF_Page_SetRGBFill(page, col.r, col.g, col.b);
}

static void set_stroke(HPDF_Page page, xai_pdf_rgb col)
{
    HPDF_Page_SetRGBStroke(page, col.r, col.g, col.b);
}

static int finite_all(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* Text with its baseline starting at (x, y): horizontal, or rotated a
 * quarter turn counter-clockwise (reading upwards) when up is set. */
static xai_status draw_text(xai_canvas *c, xai_font font, double size, xai_pdf_rgb color,
                            double x, double y, const char *utf8, int up)
{
    HPDF_Page page = NULL;
    const char *t;
    XAI_TRY(current_page(c, &page));
    if (!isfinite(x) || !isfinite(y) || !(size > 0))
        return xai_fail(XAI_ERR_INTERNAL, "PDF: text placed at a non-finite position");
    XAI_TRY(sanitize(c, utf8, &t));
    if (!*t)
        return XAI_OK;
    set_fill(page, color);
    HPDF_Page_BeginText(page);
    HPDF_Page_SetFontAndSize(page, c->font[font], (HPDF_REAL)size);
    if (up) {
        HPDF_Page_SetTextMatrix(page, 0, 1, -1, 0, (HPDF_REAL)x, (HPDF_REAL)y);
        HPDF_Page_ShowText(page, t);
    } else {
        HPDF_Page_TextOut(page, (HPDF_REAL)x, (HPDF_REAL)y, t);
    }
    HPDF_Page_EndText(page);
    HPDF_CHECK(c, "drawing text");
    return XAI_OK;
}

xai_status xai_canvas_text(xai_canvas *c, xai_font font, double size,
                           xai_pdf_rgb color, double x, double y, const char *utf8)
{
    return draw_text(c, font, size, color, x, y, utf8, 0);
}

xai_status xai_canvas_text_up(xai_canvas *c, xai_font font, double size,
                              xai_pdf_rgb color, double x, double y, const char *utf8)
{
    return draw_text(c, font, size, color, x, y, utf8, 1);
}

/* ---- shapes and images --------------------------------------------------- */

xai_status xai_canvas_rect(xai_canvas *c, double x, double y, double w, double h,
                           const xai_pdf_rgb *fill, const xai_pdf_rgb *stroke,
                           double line_width)
{
    HPDF_Page page = NULL;
    XAI_TRY(current_page(c, &page));
    double v[4] = {x, y, w, h};
    if (!finite_all(v, 4))
        return xai_fail(XAI_ERR_INTERNAL, "PDF: rectangle with non-finite geometry");
    if (!fill && !stroke)
        return XAI_OK;
    if (fill)
        set_fill(page, *fill);
    if (stroke) {
        set_stroke(page, *stroke);
        HPDF_Page_SetLineWidth(page, (HPDF_REAL)line_width);
    }
    HPDF_Page_Rectangle(page, (HPDF_REAL)x, (HPDF_REAL)y, (HPDF_REAL)w, (HPDF_REAL)h);
    if (fill && stroke)
        HPDF_Page_FillStroke(page);
    else if (fill)
        HPDF_Page_Fill(page);
    else
        HPDF_Page_Stroke(page);
    HPDF_CHECK(c, "drawing a rectangle");
    return XAI_OK;
}

xai_status xai_canvas_polyline(xai_canvas *c, const double *xs, const double *ys,
                               size_t n, xai_pdf_rgb color, double line_width,
                               double dash)
{
    HPDF_Page page = NULL;
    XAI_TRY(current_page(c, &page));
    if (n < 2)
        return XAI_OK;
    if (!finite_all(xs, n) || !finite_all(ys, n))
        return xai_fail(XAI_ERR_INTERNAL, "PDF: polyline with non-finite points");
    set_stroke(page, color);
    HPDF_Page_SetLineWidth(page, (HPDF_REAL)line_width);
    if (dash > 0) {
        HPDF_UINT16 pattern[1] = {(HPDF_UINT16)(dash < 1 ? 1 : dash > 100 ? 100 : dash)};
        HPDF_Page_SetDash(page, pattern, 1, 0);
    }
    HPDF_Page_MoveTo(page, (HPDF_REAL)xs[0], (HPDF_REAL)ys[0]);
    for (size_t i = 1; i < n; i++)
        HPDF_Page_LineTo(page, (HPDF_REAL)xs[i], (HPDF_REAL)ys[i]);
    HPDF_Page_Stroke(page);
    if (dash > 0)
        HPDF_Page_SetDash(page, NULL, 0, 0);
    HPDF_CHECK(c, "drawing a line");
    return XAI_OK;
}

xai_status xai_canvas_dot(xai_canvas *c, double x, double y, double r,
                          xai_pdf_rgb color)
{
    HPDF_Page page = NULL;
    XAI_TRY(current_page(c, &page));
    if (!isfinite(x) || !isfinite(y) || !(r > 0))
        return xai_fail(XAI_ERR_INTERNAL, "PDF: dot with non-finite geometry");
    set_fill(page, color);
    HPDF_Page_Circle(page, (HPDF_REAL)x, (HPDF_REAL)y, (HPDF_REAL)r);
    HPDF_Page_Fill(page);
    HPDF_CHECK(c, "drawing a marker");
    return XAI_OK;
}

xai_status xai_canvas_image_rgb(xai_canvas *c, const unsigned char *rgb,
                                size_t w, size_t h, double x, double y,
                                double dw, double dh)
{
    HPDF_Page page = NULL;
    XAI_TRY(current_page(c, &page));
    if (w == 0 || h == 0 || w > 0xFFFFFFu || h > 0xFFFFFFu)
        return xai_fail(XAI_ERR_INVALID, "PDF: image of %zu x %zu pixels", w, h);
    HPDF_Image img = HPDF_LoadRawImageFromMem(c->pdf, rgb, (HPDF_UINT)w, (HPDF_UINT)h,
                                              HPDF_CS_DEVICE_RGB, 8);
    HPDF_CHECK(c, "embedding an image");
    HPDF_Page_DrawImage(page, img, (HPDF_REAL)x, (HPDF_REAL)y, (HPDF_REAL)dw, (HPDF_REAL)dh);
    HPDF_CHECK(c, "drawing an image");
    return XAI_OK;
}

/* ---- document ------------------------------------------------------------ */

xai_status xai_canvas_set_info(xai_canvas *c, const char *title,
                               const char *subject, const char *creator,
                               int64_t date)
{
    XAI_TRY(check_alive(c));
    time_t t = (time_t)date;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return xai_fail(XAI_ERR_INVALID, "PDF: date %lld out of range", (long long)date);
    HPDF_Date d = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec, 'Z', 0, 0};
    const char *s;
    XAI_TRY(sanitize(c, title, &s));
    HPDF_SetInfoAttr(c->pdf, HPDF_INFO_TITLE, s);
    if (subject) {
        XAI_TRY(sanitize(c, subject, &s));
        HPDF_SetInfoAttr(c->pdf, HPDF_INFO_SUBJECT, s);
    }
    XAI_TRY(sanitize(c, creator, &s));
    HPDF_SetInfoAttr(c->pdf, HPDF_INFO_CREATOR, s);
    HPDF_SetInfoDateAttr(c->pdf, HPDF_INFO_CREATION_DATE, d);
    HPDF_SetInfoDateAttr(c->pdf, HPDF_INFO_MOD_DATE, d);
    HPDF_CHECK(c, "setting the document info");
    return XAI_OK;
}

xai_status xai_canvas_serialize(xai_canvas *c, unsigned char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    XAI_TRY(check_alive(c));
    HPDF_SaveToStream(c->pdf);
    HPDF_CHECK(c, "writing the document");
    HPDF_UINT32 size = HPDF_GetStreamSize(c->pdf);
    HPDF_CHECK(c, "writing the document");
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf)
        return xai_fail(XAI_ERR_NOMEM, "PDF: out of memory for a %u-byte document",
                        (unsigned)size);
    HPDF_UINT32 got = 0;
    while (got < size) {
        HPDF_UINT32 chunk = size - got;
        HPDF_STATUS st = HPDF_ReadFromStream(c->pdf, buf + got, &chunk);
        got += chunk;
        if (st == HPDF_STREAM_EOF || chunk == 0) {
            /* the end of the stream is reported as an error; not one here */
            if (c->err == HPDF_STREAM_EOF)
                c->err = 0, c->detail = 0, HPDF_ResetError(c->pdf);
            break;
        }
        if (c->err != 0) {
            free(buf);
            return fail_hpdf(c, "reading the document back");
        }
    }
    if (got != size) {
        free(buf);
        return xai_fail(XAI_ERR_INTERNAL, "PDF: document stream gave %u of %u bytes",
                        (unsigned)got, (unsigned)size);
    }
    *data = buf;
    *len = size;
    return XAI_OK;
}
