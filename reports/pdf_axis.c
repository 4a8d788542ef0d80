/* reports/pdf_axis.c: tick positions for chart axes. */
#include "pdf_layout.h"

#include <math.h>

size_t xai_pdf_nice_ticks(double *lo, double *hi, size_t max, double *ticks)
{
    if (max < 3) /* 3 ticks always suffice: a step >= the range spans it in 2 */
        max = 3;
    if (!(*hi > *lo)) { /* a flat range: open it around the value */
        double pad = *lo != 0 ? fabs(*lo) * 0.1 : 1.0;
        *lo -= pad;
        *hi += pad;
    }
    double range = *hi - *lo;
    double mag = pow(10, floor(log10(range / (double)(max - 1))));
    static const double mult[] = {1, 2, 2.5, 5, 10, 20, 50, 100};
    double step = range, a = *lo, b = *hi;
    for (size_t k = 0; k < sizeof mult / sizeof *mult; k++) {
        step = mult[k] * mag;
        a = floor(*lo / step + 1e-9) * step;
        b = ceil(*hi / step - 1e-9) * step;
        if ((size_t)llround((b - a) / step) + 1 <= max)
            break;
    }
    size_t n = (size_t)llround((b - a) / step) + 1;
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++) {
        double t = a + (double)i * step;
        ticks[i] = fabs(t) < step * 1e-9 ? 0.0 : t;
    }
    *lo = a;
    *hi = a + (double)(n - 1) * step;
    return n;
}
