/* reports/overlay.c: attribution heatmaps blended over their input image
 * (formulas in overlay.h). */
#include "overlay.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <xai/image.h>

#include "core/error.h"

static double clamp01(double v) { return isfinite(v) ? fmin(fmax(v, 0), 1) : 0; }

void xai_overlay_blend(xai_cmap cmap, double t, double rgb[3])
{
    double luma = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
    rgb[0] = rgb[1] = rgb[2] = 0.15 + 0.7 * clamp01(luma);
    if (!isfinite(t))
        return;
    t = clamp01(t);
    double a = XAI_OVERLAY_ALPHA * (cmap == XAI_CMAP_DIVERGING ? fabs(2 * t - 1) : t);
    xai_rgb c = xai_cmap_color(cmap, t);
    rgb[0] = (1 - a) * rgb[0] + a * c.r;
    rgb[1] = (1 - a) * rgb[1] + a * c.g;
    rgb[2] = (1 - a) * rgb[2] + a * c.b;
}

uint32_t xai_overlay_scale(uint32_t height, uint32_t width)
{
    uint32_t lo = height < width ? height : width, hi = height < width ? width : height;
    if (lo == 0)
        return 1;
    uint32_t s = (XAI_OVERLAY_MIN_SIDE + lo - 1) / lo;
    if ((uint64_t)hi * s > XAI_OVERLAY_MAX_SIDE)
        s = XAI_OVERLAY_MAX_SIDE / hi;
    return s ? s : 1;
}

/* Display range of the image: [0, 1] if every value is inside, else its
 * min..max (a constant image maps to mid grey). */
static void display_range(const xai_overlay_image *im, size_t n, double *lo, double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(im->pixels[i]))
            mn = fmin(mn, im->pixels[i]), mx = fmax(mx, im->pixels[i]);
    *lo = 0, *hi = 1;
    if (mn <= mx && (mn < 0 || mx > 1)) {
        *lo = mn;
        *hi = mx > mn ? mx : mn + 1;
    }
}

/* Per-pixel attribution (summed over channels) into map; its colour range. */
static xai_status attr_map(const xai_overlay_image *im, const float *attr, size_t hw,
                           double *map, xai_cmap *cmap, double *lo, double *hi)
{
    double mn = 0, mx = 0;
    for (size_t p = 0; p < hw; p++) {
        double v = 0;
        for (uint32_t c = 0; c < im->channels; c++)
            v += attr[c * hw + p];
        if (!isfinite(v))
            return xai_fail(XAI_ERR_NUMERIC, "overlay: the attribution of pixel "
                            "(%zu, %zu) is not a finite number", p / im->width,
                            p % im->width);
        map[p] = v;
        mn = fmin(mn, v), mx = fmax(mx, v);
    }
    if (*cmap == XAI_CMAP_AUTO)
        *cmap = mn < 0 ? XAI_CMAP_DIVERGING : XAI_CMAP_SEQUENTIAL;
    if (*cmap == XAI_CMAP_DIVERGING) { /* symmetric around 0 */
        double m = fmax(-mn, mx);
        *hi = m > 0 ? m : 1;
        *lo = -*hi;
    } else { /* anchored at 0 */
        *lo = 0;
        *hi = mx > 0 ? mx : 1;
    }
    return XAI_OK;
}

xai_status xai_overlay_render(const xai_overlay_image *im, const float *attr,
                              xai_cmap cmap, uint32_t scale, uint8_t *rgb)
{
    size_t hw, n, sh, sw;
    if (!im || !im->pixels || !rgb || im->channels == 0 || im->height == 0 ||
        im->width == 0 || scale == 0)
        return xai_fail(XAI_ERR_INVALID, "overlay: an image (%ux%ux%u, scale %u) "
                        "and an output buffer are required", im ? im->channels : 0,
                        im ? im->height : 0, im ? im->width : 0, scale);
    if (cmap != XAI_CMAP_AUTO && cmap != XAI_CMAP_DIVERGING && cmap != XAI_CMAP_SEQUENTIAL)
        return xai_fail(XAI_ERR_INVALID, "overlay: unknown colour map %d", (int)cmap);
    if (!xai_mul_size(im->height, im->width, &hw) || !xai_mul_size(hw, im->channels, &n) ||
        !xai_mul_size(im->height, scale, &sh) || !xai_mul_size(im->width, scale, &sw) ||
        !xai_mul3_size(sh, sw, 3, &n))
        return xai_fail(XAI_ERR_NOMEM, "overlay: %ux%ux%u image at scale %u is too "
                        "large", im->channels, im->height, im->width, scale);
    double *map = NULL, lo = 0, hi = 1, plo, phi;
    if (attr) {
        if (!(map = malloc(hw * sizeof *map)))
            return xai_fail(XAI_ERR_NOMEM, "overlay: out of memory (%zu pixels)", hw);
        xai_status s = attr_map(im, attr, hw, map, &cmap, &lo, &hi);
        if (s != XAI_OK) {
            free(map);
            return s;
        }
    }
    display_range(im, hw * im->channels, &plo, &phi);
    int colour = im->channels >= 3;
    for (size_t y = 0; y < im->height; y++)
        for (size_t x = 0; x < im->width; x++) {
            size_t p = y * im->width + x;
            double v[3];
            for (int c = 0; c < 3; c++)
                v[c] = clamp01((im->pixels[(colour ? (size_t)c : 0) * hw + p] - plo) /
                               (phi - plo));
            if (map)
                xai_overlay_blend(cmap, (map[p] - lo) / (hi - lo), v);
            uint8_t px[3];
            for (int c = 0; c < 3; c++)
                px[c] = (uint8_t)lrint(clamp01(v[c]) * 255);
            /* nearest neighbour: the pixel fills a scale x scale block */
            for (size_t dy = 0; dy < scale; dy++) {
                uint8_t *row = rgb + ((y * scale + dy) * sw + x * scale) * 3;
                for (size_t dx = 0; dx < scale; dx++)
                    row[3 * dx] = px[0], row[3 * dx + 1] = px[1], row[3 * dx + 2] = px[2];
            }
        }
    free(map);
    return XAI_OK;
}

xai_status xai_overlay_write_png(const char *path, const xai_overlay_image *im,
                                 const float *attr, xai_cmap cmap)
{
    if (!path || !im)
        return xai_fail(XAI_ERR_INVALID, "overlay: a path and an image are required");
    xai_outfile *out;
    XAI_TRY(xai_outfile_open(path, &out));
    xai_status s = xai_overlay_write_png_to(out, im, attr, cmap);
    if (s != XAI_OK) {
        xai_outfile_abort(out);
        return s;
    }
    return xai_outfile_commit(out);
}

xai_status xai_overlay_write_png_to(xai_outfile *out, const xai_overlay_image *im,
                                    const float *attr, xai_cmap cmap)
{
    if (!out || !im)
        return xai_fail(XAI_ERR_INVALID, "overlay: a file and an image are required");
    const char *path = xai_outfile_path(out);
    uint32_t s = xai_overlay_scale(im->height, im->width);
    size_t n;
    if (!xai_mul3_size((size_t)im->height * s, (size_t)im->width * s, 3, &n) ||
        (uint64_t)im->height * s > UINT32_MAX || (uint64_t)im->width * s > UINT32_MAX)
        return xai_fail(XAI_ERR_NOMEM, "%s: a %ux%u image is too large", path,
                        im->height, im->width);
    uint8_t *rgb = malloc(n ? n : 1);
    if (!rgb)
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory (%zu bytes)", path, n);
    xai_status st = xai_overlay_render(im, attr, cmap, s, rgb);
    if (st == XAI_OK)
        st = xai_png_write_to(out, im->width * s, im->height * s, 3, rgb);
    else {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", xai_last_error());
        st = xai_fail(st, "%s: %s", path, msg);
    }
    free(rgb);
    return st;
}
