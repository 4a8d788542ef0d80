/* reports/pdf_canvas.h: drawing primitives over libharu (the one adaptor).
 *
 * Coordinates are PDF points with the origin at the page's bottom left.  A
 * libharu error is recorded by an error handler (no longjmp) and turned into
 * an xai_status naming the operation; after that every call fails the same
 * way.  Text is UTF-8; invalid bytes and characters outside the Basic
 * Multilingual Plane become U+FFFD, control characters become spaces. */
#ifndef XAI_REPORTS_PDF_CANVAS_H
#define XAI_REPORTS_PDF_CANVAS_H

#include "pdf.h"

typedef struct xai_canvas xai_canvas;

typedef enum xai_font {
    XAI_FONT_REGULAR,
    XAI_FONT_BOLD,
    XAI_FONT_MONO,
    XAI_FONT_COUNT
} xai_font;

/* Loads the three DejaVu fonts from font_dir (NULL = Debian's directory). */
xai_status xai_canvas_new(const char *font_dir, xai_canvas **out);
void xai_canvas_free(xai_canvas *c);

/* Appends a page of w x h points and makes it current. */
xai_status xai_canvas_add_page(xai_canvas *c, double w, double h);
size_t xai_canvas_page_count(const xai_canvas *c);
/* Makes page i (0-based) current again (footers are drawn at the end). */
xai_status xai_canvas_select_page(xai_canvas *c, size_t i);

/* Width in points of utf8 set in font at size. */
xai_status xai_canvas_text_width(xai_canvas *c, xai_font font, double size,
                                 const char *utf8, double *width);
/* Draws utf8 with its baseline starting at (x, y). */
xai_status xai_canvas_text(xai_canvas *c, xai_font font, double size,
                           xai_pdf_rgb color, double x, double y, const char *utf8);

/* Draws utf8 rotated counter-clockwise by 90 degrees (reading upwards),
 * its baseline starting at (x, y). */
xai_status xai_canvas_text_up(xai_canvas *c, xai_font font, double size,
                              xai_pdf_rgb color, double x, double y, const char *utf8);

/* Rectangle; fill and/or stroke may be NULL. */
xai_status xai_canvas_rect(xai_canvas *c, double x, double y, double w, double h,
                           const xai_pdf_rgb *fill, const xai_pdf_rgb *stroke,
                           double line_width);
/* Open polyline through n >= 2 points; dash > 0 draws it dashed. */
xai_status xai_canvas_polyline(xai_canvas *c, const double *xs, const double *ys,
                               size_t n, xai_pdf_rgb color, double line_width,
                               double dash);
/* Filled circle. */
xai_status xai_canvas_dot(xai_canvas *c, double x, double y, double r,
                          xai_pdf_rgb color);
/* An 8-bit RGB image (w x h pixels, row-major, top row first) drawn into the
 * box (x, y, dw, dh). */
xai_status xai_canvas_image_rgb(xai_canvas *c, const unsigned char *rgb,
                                size_t w, size_t h, double x, double y,
                                double dw, double dh);

/* Title, subject (may be NULL), creator and creation/modification date. */
xai_status xai_canvas_set_info(xai_canvas *c, const char *title,
                               const char *subject, const char *creator,
                               int64_t date);

/* Serialises the document into a malloc'ed buffer the caller frees. */
xai_status xai_canvas_serialize(xai_canvas *c, unsigned char **data, size_t *len);

#endif
