/* reports/colormap.h: the colour maps shared by PDF reports and PNG overlays
 * (internal to libxai). */
#ifndef XAI_REPORTS_COLORMAP_H
#define XAI_REPORTS_COLORMAP_H

/* A colour, each channel in [0, 1]. */
typedef struct xai_rgb {
    float r, g, b;
} xai_rgb;

typedef enum xai_cmap {
    XAI_CMAP_AUTO = 0,   /* diverging if any value is negative, else sequential */
    XAI_CMAP_DIVERGING,  /* blue (negative) - white (0) - red (positive) */
    XAI_CMAP_SEQUENTIAL  /* viridis: dark purple (low) to yellow (high) */
} xai_cmap;

/* Colour of t in [0, 1] (clamped; NaN gives grey).  For DIVERGING, 0.5 is
 * white; map a signed v with t = 0.5 + 0.5 * v / max|v|.  AUTO is taken as
 * SEQUENTIAL (resolve it from the data first). */
xai_rgb xai_cmap_color(xai_cmap cmap, double t);

#endif
