/* reports/pdf_layout.h: the document state and layout helpers shared by the
 * block files (pdf_text.c, pdf_table.c, pdf_bar.c, pdf_heatmap.c,
 * pdf_line.c).  Not for use outside reports/. */
#ifndef XAI_REPORTS_PDF_LAYOUT_H
#define XAI_REPORTS_PDF_LAYOUT_H

#include "pdf.h"
#include "pdf_canvas.h"

/* A4 in points, margins, and the type scale. */
#define PDF_PAGE_W 595.276
#define PDF_PAGE_H 841.890
#define PDF_MARGIN_X 56.0
#define PDF_TOP 770.0    /* first baseline area starts below the header */
#define PDF_BOTTOM 64.0  /* content ends above the footer */
#define PDF_BODY_SIZE 9.5
#define PDF_BODY_LEAD 13.5
#define PDF_SMALL_SIZE 7.5
#define PDF_BLOCK_GAP 10.0 /* space after each block */

struct xai_pdf {
    xai_canvas *canvas;
    char *title, *subject;
    int64_t date;
    char date_text[32];
    double y;       /* top of the next block on the current page */
    int page_empty; /* nothing drawn below the header yet */
    int closed;     /* a save was attempted: footers drawn, no more content */
    unsigned char *bytes; /* the serialised file, kept after the first save */
    size_t n_bytes;
    char *pending;  /* a heading waiting to be placed with the next block */
    int pending_level;
};

/* Palette. */
extern const xai_pdf_rgb xai_pdf_ink, xai_pdf_grey, xai_pdf_light, xai_pdf_rule,
    xai_pdf_accent, xai_pdf_white;

double xai_pdf_left(void);
double xai_pdf_width(void);

/* Fails if the document no longer accepts content. */
xai_status xai_pdf_check_open(const xai_pdf *doc, const char *what);

/* Makes room for a block of height pt: starts the first page, or a new one
 * when the block (with a pending heading above it) does not fit below the
 * cursor; a block taller than a page just starts on a fresh page.  Then
 * draws the pending heading, so headings stay with what follows. */
xai_status xai_pdf_reserve(xai_pdf *doc, double height);

/* Height of the pending heading (0 if none) / draws it at the cursor. */
xai_status xai_pdf_heading_height(xai_pdf *doc, double *height);
xai_status xai_pdf_flush_heading(xai_pdf *doc);

/* Moves the cursor down by pt and marks the page used. */
void xai_pdf_advance(xai_pdf *doc, double pt);

/* Draws "page x of y" footers on every page (once, at save time). */
xai_status xai_pdf_draw_footers(xai_pdf *doc);

/* Starts a page unconditionally. */
xai_status xai_pdf_force_page(xai_pdf *doc);

/* Lines of wrapped text: line i is text[off[i] .. off[i] + len[i]). */
typedef struct xai_pdf_lines {
    size_t n, cap;
    size_t *off, *len;
} xai_pdf_lines;

void xai_pdf_lines_free(xai_pdf_lines *lines);

/* Greedy word wrap of text into lines no wider than width ('\n' breaks;
 * a word wider than the line is broken between characters). */
xai_status xai_pdf_wrap(xai_pdf *doc, xai_font font, double size, const char *text,
                        double width, xai_pdf_lines *lines);

/* Width of / draws text[0 .. len). */
xai_status xai_pdf_span_width(xai_pdf *doc, xai_font font, double size,
                              const char *text, size_t len, double *width);
xai_status xai_pdf_span_draw(xai_pdf *doc, xai_font font, double size,
                             xai_pdf_rgb color, double x, double y,
                             const char *text, size_t len);

/* Draws text in a box [x, x + w) aligned left/right/centre, cut with an
 * ellipsis when wider than w. */
xai_status xai_pdf_text_fit(xai_pdf *doc, xai_font font, double size,
                            xai_pdf_rgb color, double x, double y, double w,
                            xai_pdf_align align, const char *text);

/* A block title (bold, body size) at the cursor; moves it down PDF_TITLE_H. */
xai_status xai_pdf_block_title(xai_pdf *doc, const char *title);
#define PDF_TITLE_H 16.0

/* "%.3g"-like compact number text; "-0" and "nan" handled. */
void xai_pdf_format_number(double v, char *buf, size_t size);

/* "Nice" axis ticks (1, 2 or 5 times a power of ten) covering [lo, hi]:
 * widens [lo, hi] to whole steps, writes at most max (>= 3) ticks; returns
 * the count. */
size_t xai_pdf_nice_ticks(double *lo, double *hi, size_t max, double *ticks);

/* Resolves AUTO to a concrete map and, unless lo < hi already, the colour
 * range from the finite values (symmetric around 0 for DIVERGING). */
void xai_pdf_color_range(const double *v, size_t n, xai_pdf_cmap *cmap, double *lo,
                         double *hi);
/* Position of v in [lo, hi] as t for xai_pdf_cmap_color (NaN stays NaN). */
double xai_pdf_color_t(xai_pdf_cmap cmap, double v, double lo, double hi);
/* A vertical colour bar of height h whose top is at (x, top), with ticks. */
xai_status xai_pdf_colorbar(xai_pdf *doc, xai_pdf_cmap cmap, double lo, double hi,
                            double x, double top, double h, const char *label);

/* Length in bytes of the UTF-8 character starting at s (1 if malformed). */
size_t xai_pdf_utf8_len(const char *s);

#endif
