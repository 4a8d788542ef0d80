/* reports/pdf_image.c: a grid of images with optional heatmap overlays. */
#include "pdf_layout.h"

#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "overlay.h"

#define TILE_MAX 118.0
#define TILE_MIN 72.0
#define TILE_GAP 10.0
#define CAPTION_H 13.0

/* Size of the tile's raster: the image's, or the overlay's without one. */
static void tile_size(const xai_pdf_image *im, size_t *h, size_t *w)
{
    *h = im->pixels ? im->height : im->overlay_height ? im->overlay_height : im->height;
    *w = im->pixels ? im->width : im->overlay_width ? im->overlay_width : im->width;
}

static xai_status check_image(const xai_pdf_image *im, size_t k)
{
    size_t n, h, w;
    if (!im->pixels && !im->overlay)
        return xai_fail(XAI_ERR_INVALID, "PDF image grid: tile %zu has neither image nor overlay",
                        k);
    if (im->pixels && im->channels != 1 && im->channels != 3)
        return xai_fail(XAI_ERR_SHAPE, "PDF image grid: tile %zu has %zu channels (1 or 3)", k,
                        im->channels);
    tile_size(im, &h, &w);
    if (h == 0 || w == 0 || h > 16384 || w > 16384)
        return xai_fail(XAI_ERR_SHAPE, "PDF image grid: tile %zu is %zu x %zu pixels", k, h, w);
    if (!xai_mul3_size(h, w, 3, &n))
        return xai_fail(XAI_ERR_NOMEM, "PDF image grid: tile %zu too large", k);
    if (im->overlay) {
        size_t oh = im->overlay_height ? im->overlay_height : h;
        size_t ow = im->overlay_width ? im->overlay_width : w;
        if (oh > 16384 || ow > 16384)
            return xai_fail(XAI_ERR_SHAPE, "PDF image grid: overlay %zu is %zu x %zu", k, oh, ow);
    }
    return XAI_OK;
}

/* Bilinear sample of the oh x ow map at output pixel (y, x) of h x w. */
static double sample(const double *m, size_t oh, size_t ow, size_t h, size_t w, size_t y,
                     size_t x)
{
    double sy = ((double)y + 0.5) * (double)oh / (double)h - 0.5;
    double sx = ((double)x + 0.5) * (double)ow / (double)w - 0.5;
    sy = fmin(fmax(sy, 0), (double)oh - 1);
    sx = fmin(fmax(sx, 0), (double)ow - 1);
    size_t y0 = (size_t)sy, x0 = (size_t)sx;
    size_t y1 = y0 + 1 < oh ? y0 + 1 : y0, x1 = x0 + 1 < ow ? x0 + 1 : x0;
    double fy = sy - (double)y0, fx = sx - (double)x0;
    return (1 - fy) * ((1 - fx) * m[y0 * ow + x0] + fx * m[y0 * ow + x1]) +
           fy * ((1 - fx) * m[y1 * ow + x0] + fx * m[y1 * ow + x1]);
}

static double clamp01(double v) { return isfinite(v) ? fmin(fmax(v, 0), 1) : 0; }

/* Fills px (h x w RGB bytes) with the image, the overlay, or the overlay
 * blended over a grey copy of the image (reports/overlay.h). */
static void compose(const xai_pdf_image *im, size_t h, size_t w, unsigned char *px)
{
    size_t oh = im->overlay_height ? im->overlay_height : h;
    size_t ow = im->overlay_width ? im->overlay_width : w;
    xai_pdf_cmap cmap = im->overlay_cmap;
    double lo = 0, hi = 0;
    if (im->overlay)
        xai_pdf_color_range(im->overlay, oh * ow, &cmap, &lo, &hi);
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            double rgb[3] = {0, 0, 0};
            if (im->pixels) {
                const float *p = im->pixels + y * w + x;
                for (int c = 0; c < 3; c++)
                    rgb[c] = clamp01(p[(im->channels == 3 ? (size_t)c : 0) * h * w]);
            }
            if (im->overlay) {
                double v = sample(im->overlay, oh, ow, h, w, y, x);
                double t = xai_pdf_color_t(cmap, v, lo, hi);
                if (im->pixels) { /* over a grey copy, opacity by strength */
                    xai_overlay_blend(cmap, t, rgb);
                } else {
                    xai_pdf_rgb c = xai_pdf_cmap_color(cmap, t);
                    rgb[0] = c.r, rgb[1] = c.g, rgb[2] = c.b;
                }
            }
            for (int c = 0; c < 3; c++)
                px[3 * (y * w + x) + (size_t)c] = (unsigned char)lrint(clamp01(rgb[c]) * 255);
        }
}

static xai_status draw_tile(xai_pdf *d, const xai_pdf_image *im, double x, double top,
                            double tw, double th)
{
    size_t h, w;
    tile_size(im, &h, &w);
    unsigned char *px = malloc(h * w * 3); /* checked in check_image */
    if (!px)
        return xai_fail(XAI_ERR_NOMEM, "PDF image grid: out of memory for %zu x %zu pixels",
                        h, w);
    compose(im, h, w, px);
    xai_status s = xai_canvas_image_rgb(d->canvas, px, w, h, x, top - th, tw, th);
    free(px);
    XAI_TRY(s);
    XAI_TRY(xai_canvas_rect(d->canvas, x, top - th, tw, th, NULL, &xai_pdf_rule, 0.5));
    if (im->caption)
        XAI_TRY(xai_pdf_text_fit(d, XAI_FONT_REGULAR, PDF_SMALL_SIZE, xai_pdf_ink, x,
                                 top - th - 9.5, tw, XAI_PDF_ALIGN_CENTER, im->caption));
    return XAI_OK;
}

xai_status xai_pdf_add_image_grid(xai_pdf *d, const xai_pdf_image *images, size_t n,
                                  const char *title)
{
    XAI_TRY(xai_pdf_check_open(d, "adding an image grid"));
    if (!images || n == 0)
        return xai_fail(XAI_ERR_INVALID, "PDF image grid: no images");
    for (size_t k = 0; k < n; k++)
        XAI_TRY(check_image(&images[k], k));
    double W = xai_pdf_width();
    size_t per_row = n;
    double tw = fmin(TILE_MAX, (W - (double)(n - 1) * TILE_GAP) / (double)n);
    if (tw < TILE_MIN) {
        per_row = (size_t)((W + TILE_GAP) / (TILE_MIN + TILE_GAP));
        tw = fmin(TILE_MAX, (W - (double)(per_row - 1) * TILE_GAP) / (double)per_row);
    }
    int first = 1;
    for (size_t start = 0; start < n; start += per_row) {
        size_t end = start + per_row < n ? start + per_row : n;
        double row_h = 0;
        for (size_t k = start; k < end; k++) {
            size_t h, w;
            tile_size(&images[k], &h, &w);
            row_h = fmax(row_h, fmin(tw * (double)h / (double)w, 2 * tw));
        }
        XAI_TRY(xai_pdf_reserve(d, row_h + CAPTION_H + (first && title ? PDF_TITLE_H : 0)));
        if (first)
            XAI_TRY(xai_pdf_block_title(d, title));
        first = 0;
        for (size_t k = start; k < end; k++) {
            size_t h, w;
            tile_size(&images[k], &h, &w);
            double th = fmin(tw * (double)h / (double)w, 2 * tw);
            double x = xai_pdf_left() + (double)(k - start) * (tw + TILE_GAP);
            XAI_TRY(draw_tile(d, &images[k], x, d->y, tw, th));
        }
        xai_pdf_advance(d, row_h + CAPTION_H + 4);
    }
    xai_pdf_advance(d, PDF_BLOCK_GAP);
    return XAI_OK;
}
