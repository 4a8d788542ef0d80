/* audit/stats.c: mean, standard error, t quantiles, paired comparisons. */
#include <math.h>

#include "audit_impl.h"

/* mean = sum v / n, se = sd / sqrt(n) with the n-1 sample sd. */
xai_audit_stat xai_audit_stat_of(const double *v, size_t n)
{
    xai_audit_stat r = {NAN, NAN, 0};
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            sum += v[i];
            r.count++;
        }
    if (!r.count)
        return r;
    r.mean = sum / (double)r.count;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            ss += (v[i] - r.mean) * (v[i] - r.mean);
    r.se = r.count > 1 ? sqrt(ss / (double)(r.count - 1) / (double)r.count) : NAN;
    return r;
}

/* P(|T| <= t) for Student's t with df degrees of freedom, exact for integer
 * df by the finite series of Abramowitz & Stegun 26.7.3 (odd df) and 26.7.4
 * (even df) in theta = atan(t / sqrt(df)): O(df) terms. */
static double t_abs_cdf(double t, size_t df)
{
    double th = atan(t / sqrt((double)df));
    double c = cos(th), s = sin(th), c2 = c * c, sum = 0;
    if (df % 2) {
        /* (2/pi) (theta + sin(theta) (c + 2/3 c^3 + 2*4/(3*5) c^5 + ...)) */
        double term = c;
        for (size_t k = 3; k <= df; k += 2) {
            sum += term;
            term *= c2 * (double)(k - 1) / (double)k;
        }
        return 2.0 / M_PI * (th + s * sum);
    }
    /* sin(theta) (1 + 1/2 c^2 + 1*3/(2*4) c^4 + ...) */
    double term = 1;
    for (size_t k = 2; k <= df; k += 2) {
        sum += term;
        term *= c2 * (double)(k - 1) / (double)k;
    }
    return s * sum;
}

/* Two-sided 95% t quantile (the 0.975 quantile) for any df >= 1: bisection
 * of the exact P(|T| <= t) = 0.95 up to df 10000 (the root lies between the
 * normal quantile and the df = 1 value 12.7062), beyond it the Cornish-Fisher
 * expansion z + (z^3 + z) / (4 df) + (5 z^5 + 16 z^3 + 3 z) / (96 df^2),
 * whose next term is below 3e-12 there. */
double xai_audit_t95(size_t df)
{
    const double z = 1.959963984540054; /* the normal 0.975 quantile */
    if (df == 0)
        return INFINITY;
    if (df > 10000) {
        double v = (double)df, z2 = z * z;
        return z + z * (z2 + 1) / (4 * v) + z * (5 * z2 * z2 + 16 * z2 + 3) / (96 * v * v);
    }
    double lo = z, hi = 12.71;
    for (;;) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            return mid;
        if (t_abs_cdf(mid, df) < 0.95)
            lo = mid;
        else
            hi = mid;
    }
}

/* d_i = a_i - b_i; sign decided when the 95% interval mean +- t se excludes 0. */
int xai_audit_paired(const double *a, const double *b, size_t n,
                     xai_audit_stat *diff)
{
    double sum = 0, ss = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(a[i]) && isfinite(b[i])) {
            sum += a[i] - b[i];
            k++;
        }
    xai_audit_stat d = {NAN, NAN, k};
    if (k) {
        d.mean = sum / (double)k;
        for (size_t i = 0; i < n; i++)
            if (isfinite(a[i]) && isfinite(b[i])) {
                double e = a[i] - b[i] - d.mean;
                ss += e * e;
            }
        d.se = k > 1 ? sqrt(ss / (double)(k - 1) / (double)k) : NAN;
    }
    if (diff)
        *diff = d;
    if (k < 2)
        return 0;
    double half = xai_audit_t95(k - 1) * d.se;
    if (d.mean + half < 0)
        return -1;
    if (d.mean - half > 0)
        return 1;
    return 0;
}
