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

/* Two-sided 95% t quantiles, df 1..30, then 40, 60, 120 (standard tables). */
double xai_audit_t95(size_t df)
{
    static const double t[30] = {
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    if (df == 0)
        return INFINITY;
    if (df <= 30)
        return t[df - 1];
    if (df <= 40)
        return 2.021;
    if (df <= 60)
        return 2.000;
    if (df <= 120)
        return 1.980;
    return 1.960;
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
