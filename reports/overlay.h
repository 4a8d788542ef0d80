/* reports/overlay.h: an image with an attribution heatmap blended over it,
 * rendered to RGB bytes or written as a PNG (internal to libxai; the PDF
 * image grid blends with the same formula).
 *
 * Each pixel: the input is greyed (grey = 0.15 + 0.7 * luma, so every colour
 * of the map stands out), then the map's colour is alpha-blended over it with
 * alpha = 0.75 * strength: |2t - 1| for the diverging map (0 at white, i.e.
 * at attribution 0), t for the sequential one.  A zero attribution leaves
 * the greyed input; the largest gets the end colour of the map at 75 %. */
#ifndef XAI_REPORTS_OVERLAY_H
#define XAI_REPORTS_OVERLAY_H

#include <stdint.h>

#include <xai/base.h>
#include <xai/outfile.h>

#include "colormap.h"

#define XAI_OVERLAY_ALPHA 0.75 /* opacity of the strongest value */
#define XAI_OVERLAY_MIN_SIDE 128u /* upscaled short side, at least */
#define XAI_OVERLAY_MAX_SIDE 4096u /* upscaled long side, at most */

/* Greys rgb (each in [0, 1]) and blends colour-map position t over it in
 * place (see above; NaN t blends nothing). */
void xai_overlay_blend(xai_cmap cmap, double t, double rgb[3]);

/* An image, CHW floats: 3 or 4 channels are shown as RGB (a 4th, alpha, is
 * ignored), otherwise channel 0 as grey.  Values are shown as they are if
 * all lie in [0, 1], else stretched from the image's min..max. */
typedef struct xai_overlay_image {
    uint32_t channels, height, width;
    const float *pixels;
} xai_overlay_image;

/* The integer nearest-neighbour upscale factor: the smallest s with
 * min(h, w) * s >= XAI_OVERLAY_MIN_SIDE, lowered so that max(h, w) * s <=
 * XAI_OVERLAY_MAX_SIDE, and at least 1. */
uint32_t xai_overlay_scale(uint32_t height, uint32_t width);

/* Renders the image, upscaled by `scale`, into rgb (caller-owned,
 * height*scale x width*scale x 3 bytes, row-major).  With attr (channels x
 * height x width attributions, summed over channels per pixel) the map is
 * blended over it: DIVERGING over [-max|v|, max|v|] for signed
 * attributions, SEQUENTIAL over [0, max v] for unsigned ones (negative
 * values count as 0), AUTO: DIVERGING if any value is negative.  Non-finite
 * attributions are an error. */
xai_status xai_overlay_render(const xai_overlay_image *im, const float *attr,
                              xai_cmap cmap, uint32_t scale, uint8_t *rgb);

/* Renders at xai_overlay_scale() and writes an RGB PNG to path atomically
 * (xai_png_write).  Errors name the path. */
xai_status xai_overlay_write_png(const char *path, const xai_overlay_image *im,
                                 const float *attr, xai_cmap cmap);

/* The same into an open output file, not committed (xai_outfile_commit_all). */
xai_status xai_overlay_write_png_to(xai_outfile *out, const xai_overlay_image *im,
                                    const float *attr, xai_cmap cmap);

#endif
