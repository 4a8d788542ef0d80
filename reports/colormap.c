/* reports/colormap.c: a diverging and a perceptual sequential colour map.
 *
 * Both are piecewise-linear through published anchor colours: ColorBrewer's
 * 11-class RdBu (reversed, so negative is blue) and the 9 evenly spaced
 * samples of matplotlib's viridis, whose lightness rises monotonically. */
#include "colormap.h"

#include <math.h>

static const unsigned char rdbu[11][3] = {
    {5, 48, 97},    {33, 102, 172}, {67, 147, 195}, {146, 197, 222},
    {209, 229, 240}, {247, 247, 247}, {253, 219, 199}, {244, 165, 130},
    {214, 96, 77},  {178, 24, 43},  {103, 0, 31},
};

static const unsigned char viridis[9][3] = {
    {68, 1, 84},   {71, 45, 123},  {59, 82, 139},   {44, 114, 142}, {33, 145, 140},
    {40, 174, 128}, {94, 201, 98}, {173, 220, 48}, {253, 231, 37},
};

static xai_rgb lerp_table(const unsigned char (*tab)[3], int n, double t)
{
    double x = t * (n - 1);
    int i = (int)floor(x);
    if (i >= n - 1)
        i = n - 2;
    double f = x - i;
    xai_rgb c;
    c.r = (float)(((1 - f) * tab[i][0] + f * tab[i + 1][0]) / 255.0);
    c.g = (float)(((1 - f) * tab[i][1] + f * tab[i + 1][1]) / 255.0);
    c.b = (float)(((1 - f) * tab[i][2] + f * tab[i + 1][2]) / 255.0);
    return c;
}

xai_rgb xai_cmap_color(xai_cmap cmap, double t)
{
    if (isnan(t)) {
        xai_rgb grey = {0.75f, 0.75f, 0.75f};
        return grey;
    }
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    if (cmap == XAI_CMAP_DIVERGING)
        return lerp_table(rdbu, 11, t);
    return lerp_table(viridis, 9, t);
}
