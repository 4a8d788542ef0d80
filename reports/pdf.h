/* reports/pdf.h: a small layout layer for PDF reports (internal to libxai).
 *
 * A document flows content down A4 pages: each add_* call places one block
 * (heading, paragraph, table, chart ...) below the previous one and starts a
 * new page when the block does not fit.  Every page carries a header (title,
 * date) and a footer ("page x of y", drawn at save time when y is known).
 * Text is UTF-8, set in an embedded DejaVu Sans, so any Latin, Greek or
 * Cyrillic name renders; a character the font lacks shows as the font's
 * empty box (and still extracts as text) instead of failing.
 *
 *     xai_pdf *doc;
 *     xai_pdf_options o = xai_pdf_options_default();
 *     o.title = "Audit of model.onnx";
 *     XAI_TRY(xai_pdf_new(&o, &doc));
 *     xai_pdf_add_heading(doc, 1, "Summary");
 *     xai_pdf_add_paragraph(doc, "The model ...");
 *     xai_status s = xai_pdf_save(doc, "report.pdf");
 *     xai_pdf_free(doc);
 *
 * Every call returns xai_status with a message in xai_last_error().  After a
 * failure inside the PDF library the document is unusable: later calls return
 * the same error, and xai_pdf_free is the only thing left to do.  libharu is
 * used only by reports/pdf_canvas.c; nothing here depends on it. */
#ifndef XAI_REPORTS_PDF_H
#define XAI_REPORTS_PDF_H

#include <xai/base.h>
#include <xai/outfile.h>

#include "colormap.h"

typedef struct xai_pdf xai_pdf;

/* A colour, each channel in [0, 1] (reports/colormap.h). */
typedef xai_rgb xai_pdf_rgb;

typedef struct xai_pdf_options {
    const char *title;    /* page headers and document info; required */
    const char *subject;  /* document info; NULL = none */
    int64_t date;         /* seconds since 1970 UTC for header and info; <0 = now */
    const char *font_dir; /* holds DejaVuSans{,-Bold,Mono}.ttf; NULL = Debian's */
} xai_pdf_options;

xai_pdf_options xai_pdf_options_default(void);

/* Creates an empty document (the first page is added by the first block).
 * Fails with XAI_ERR_IO / XAI_ERR_PARSE when a font cannot be loaded. */
xai_status xai_pdf_new(const xai_pdf_options *options, xai_pdf **out);
void xai_pdf_free(xai_pdf *doc);

/* Writes the document to a temporary file in path's directory, then renames
 * it to path.  On failure neither path nor the temporary file is left behind
 * (an existing file at path is untouched).  Content cannot be added after a
 * save attempt; saving again (e.g. to another path) is allowed. */
xai_status xai_pdf_save(xai_pdf *doc, const char *path);

/* Writes the document into an open output file (not committed: the caller
 * commits it, possibly together with others). */
xai_status xai_pdf_save_to(xai_pdf *doc, xai_outfile *out);

/* Number of pages so far. */
size_t xai_pdf_page_count(const xai_pdf *doc);

/* The run-time version of the PDF library underneath (libharu), e.g.
 * "2.4.3"; defined in the adaptor, reports/pdf_canvas.c. */
const char *xai_pdf_library_version(void);

/* Starts a new page (no-op when the current page is still empty). */
xai_status xai_pdf_new_page(xai_pdf *doc);

/* Vertical gap of pt points (dropped at a page top). */
xai_status xai_pdf_add_space(xai_pdf *doc, double pt);

/* Heading of level 1 (section) or 2 (subsection); kept with what follows. */
xai_status xai_pdf_add_heading(xai_pdf *doc, int level, const char *text);

/* A wrapped paragraph; '\n' forces a line break, a blank line a new paragraph. */
xai_status xai_pdf_add_paragraph(xai_pdf *doc, const char *text);

/* Monospaced lines on a light background (long lines wrap); may split
 * across pages. */
xai_status xai_pdf_add_code(xai_pdf *doc, const char *text);

/* ---- tables -------------------------------------------------------------- */

typedef enum xai_pdf_align {
    XAI_PDF_ALIGN_AUTO = 0, /* right if every non-empty body cell is a number */
    XAI_PDF_ALIGN_LEFT,
    XAI_PDF_ALIGN_RIGHT,
    XAI_PDF_ALIGN_CENTER
} xai_pdf_align;

/* Column widths follow the content; a table wider than the page wraps its
 * widest columns.  Rows never split; the header row repeats on every page. */
typedef struct xai_pdf_table {
    size_t rows, cols;          /* body rows (0 allowed) and columns (>= 1) */
    const char *const *header;  /* cols strings; NULL = no header row */
    const char *const *cells;   /* rows * cols, row-major; a NULL cell is empty */
    const xai_pdf_align *align; /* cols entries; NULL = all AUTO */
    const xai_pdf_rgb *fill;    /* rows * cols backgrounds; NULL = none; an
                                   entry with r < 0 means none for that cell */
    const char *caption;        /* small text under the table; NULL = none */
} xai_pdf_table;

xai_status xai_pdf_add_table(xai_pdf *doc, const xai_pdf_table *table);

/* ---- colour maps ---------------------------------------------------------- */

/* The maps of reports/colormap.h under the PDF layer's names. */
typedef xai_cmap xai_pdf_cmap;
#define XAI_PDF_CMAP_AUTO XAI_CMAP_AUTO
#define XAI_PDF_CMAP_DIVERGING XAI_CMAP_DIVERGING
#define XAI_PDF_CMAP_SEQUENTIAL XAI_CMAP_SEQUENTIAL

/* Colour of t in [0, 1]: xai_cmap_color. */
static inline xai_pdf_rgb xai_pdf_cmap_color(xai_pdf_cmap cmap, double t)
{
    return xai_cmap_color(cmap, t);
}

/* ---- charts -------------------------------------------------------------- */

/* Horizontal bars of signed values, largest |value| on top, one label each.
 * With top_k > 0 only the top_k largest are drawn; if also `others`, one more
 * grey bar holds the sum of the rest.  Values must be finite. */
typedef struct xai_pdf_bar_chart {
    size_t n;
    const char *const *labels; /* n names */
    const double *values;      /* n values */
    size_t top_k;              /* 0 = all */
    int others;
    const char *title;         /* drawn above; NULL = none */
    const char *value_label;   /* axis caption, e.g. "attribution"; NULL = none */
    const xai_pdf_rgb *positive, *negative; /* NULL = red / blue */
} xai_pdf_bar_chart;

xai_status xai_pdf_add_bar_chart(xai_pdf *doc, const xai_pdf_bar_chart *chart);

/* Vertical bars grouped by category, in the given order: category i has one
 * bar per series (values[s * n + i]).  Each series may have a dashed
 * horizontal reference line (e.g. a flagging threshold) in its colour.
 * Values and finite reference lines must lie in [y_min, y_max]. */
typedef struct xai_pdf_column_chart {
    size_t n, n_series;          /* categories (>= 1), series (1..4) */
    const char *const *labels;   /* n category names */
    const char *const *series;   /* n_series names (legend) */
    const double *values;        /* n_series * n */
    const double *reference;     /* n_series levels (NaN: none), or NULL */
    const char *reference_label; /* legend text for the lines, or NULL */
    double y_min, y_max;         /* axis range, y_min < y_max */
    const char *title, *y_label; /* NULL = none */
} xai_pdf_column_chart;

xai_status xai_pdf_add_column_chart(xai_pdf *doc, const xai_pdf_column_chart *chart);

/* A matrix as coloured cells with row/column labels and a colour bar.  NaN
 * cells are drawn grey.  Large matrices (e.g. a saliency map) become an image. */
typedef struct xai_pdf_heatmap {
    size_t rows, cols;
    const double *values;            /* rows * cols, row-major */
    const char *const *row_labels;   /* rows names; NULL = none */
    const char *const *col_labels;   /* cols names; NULL = none */
    xai_pdf_cmap cmap;
    double vmin, vmax;   /* colour range; vmin >= vmax = from the data
                            (symmetric +-max|v| for DIVERGING) */
    int annotate;        /* print each value in its cell (small matrices) */
    const char *title;   /* NULL = none */
    const char *colorbar_label; /* NULL = none */
    double width;        /* points; 0 = the content width (or less, to keep
                            cells square up to 60 pt) */
} xai_pdf_heatmap;

xai_status xai_pdf_add_heatmap(xai_pdf *doc, const xai_pdf_heatmap *map);

/* One tile of an image grid: an image (channels 1 or 3, CHW floats in
 * [0, 1], clamped) and optionally a heatmap drawn over it (its own size,
 * resampled bilinearly to the image).  Without pixels the overlay alone is
 * shown.  Overlay opacity grows with |value| so the image stays visible
 * where the map is near zero. */
typedef struct xai_pdf_image {
    size_t channels, height, width;
    const float *pixels;       /* channels * height * width; NULL = none */
    const double *overlay;     /* overlay_height * overlay_width; NULL = none */
    size_t overlay_height, overlay_width; /* 0 = the image size */
    xai_pdf_cmap overlay_cmap;
    const char *caption;       /* under the tile; NULL = none */
} xai_pdf_image;

/* A row of n tiles (wrapping to more rows when they do not fit). */
xai_status xai_pdf_add_image_grid(xai_pdf *doc, const xai_pdf_image *images,
                                  size_t n, const char *title);

typedef struct xai_pdf_series {
    const char *name;
    size_t n;
    const double *x, *y; /* n points; a non-finite point breaks the line */
} xai_pdf_series;

/* Lines with axes, ticks and a legend. */
typedef struct xai_pdf_line_chart {
    size_t n_series;
    const xai_pdf_series *series;
    const char *title, *x_label, *y_label; /* NULL = none */
    double y_min, y_max; /* fixed y range if y_min < y_max, else from data */
} xai_pdf_line_chart;

xai_status xai_pdf_add_line_chart(xai_pdf *doc, const xai_pdf_line_chart *chart);

#endif
