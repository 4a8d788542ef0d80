/* core/rng_normals.c: many standard normals at once (Box-Muller on pairs of
 * uniforms, with polynomial log and sin/cos in loops the compiler can
 * vectorise; a scalar polar-method call costs a libm log and a rejection
 * branch per pair). */
#include <xai/rng.h>

#include <math.h>
#include <string.h>

#include "rng_step.h"

enum { PAIRS = 64 };

/* log(u) for u in (0, 1]: u = m 2^(e + 1/2) with m in [sqrt(1/2), sqrt(2)),
 * log m = 2 atanh(t), t = (m - 1) / (m + 1), |t| <= 0.1716: the odd series
 * to t^19 is exact to below 1e-16.  Integer bits are moved into doubles
 * without int-to-double conversions or branches so that the loop vectorises. */
static inline double log_unit(double u)
{
    uint64_t bits, ebits;
    memcpy(&bits, &u, sizeof bits);
    ebits = ((bits >> 52) & 0x7ff) | 0x4330000000000000ULL; /* 2^52 + biased e */
    bits = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
    double m, e;
    memcpy(&m, &bits, sizeof m);
    memcpy(&e, &ebits, sizeof e);
    e -= 4503599627370496.0 + 1023;
    m *= 0.70710678118654752440; /* [1, 2) -> [sqrt(1/2), sqrt(2)): + log(2)/2 */
    e += 0.5;
    double t = (m - 1) / (m + 1), t2 = t * t;
    double p = 1.0 / 19;
    p = p * t2 + 1.0 / 17;
    p = p * t2 + 1.0 / 15;
    p = p * t2 + 1.0 / 13;
    p = p * t2 + 1.0 / 11;
    p = p * t2 + 1.0 / 9;
    p = p * t2 + 1.0 / 7;
    p = p * t2 + 1.0 / 5;
    p = p * t2 + 1.0 / 3;
    p = p * t2 + 1.0;
    return e * 0.69314718055994530942 + 2 * t * p;
}

/* cos and sin of 2 pi v for v in [0, 1): of a = (2 pi v - pi) / 4 in
 * [-pi/4, pi/4) by Taylor series (error < 1e-16), doubled twice, negated
 * (cos(x - pi) = -cos x); no branches. */
static inline void sincos_turn(double v, double *c, double *s)
{
    double a = (v - 0.5) * 1.5707963267948966, a2 = a * a;
    double sa = 1.0 / 6227020800;
    sa = sa * -a2 + 1.0 / 39916800;
    sa = sa * -a2 + 1.0 / 362880;
    sa = sa * -a2 + 1.0 / 5040;
    sa = sa * -a2 + 1.0 / 120;
    sa = sa * -a2 + 1.0 / 6;
    sa = a * (1 - a2 * sa);
    double ca = 1.0 / 20922789888000;
    ca = ca * -a2 + 1.0 / 87178291200;
    ca = ca * -a2 + 1.0 / 479001600;
    ca = ca * -a2 + 1.0 / 3628800;
    ca = ca * -a2 + 1.0 / 40320;
    ca = ca * -a2 + 1.0 / 720;
    ca = ca * -a2 + 1.0 / 24;
    ca = ca * -a2 + 0.5;
    ca = 1 - a2 * ca;
    double c2 = ca * ca - sa * sa, s2 = 2 * sa * ca;
    *c = -(c2 * c2 - s2 * s2);
    *s = -(2 * s2 * c2);
}

/* An AVX2 clone doubles the vector width where the CPU has it; both clones
 * do the same IEEE operations in the same order (no FMA), so the numbers are
 * identical on either. */
__attribute__((target_clones("avx2", "default")))
void xai_rng_normals(xai_rng *rng, size_t n, double *out)
{
    double u[PAIRS], v[PAIRS], a[PAIRS], b[PAIRS];
    uint64_t st[4];
    memcpy(st, rng->s, sizeof st);
    for (size_t done = 0; done < n;) {
        size_t pairs = (n - done + 1) / 2;
        pairs = pairs < PAIRS ? pairs : PAIRS;
        for (size_t p = 0; p < pairs; p++) {
            u[p] = (double)(int64_t)((rng_step(st) >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
            v[p] = (double)(int64_t)(rng_step(st) >> 11) * 0x1.0p-53; /* [0, 1) */
        }
#pragma omp simd
        for (size_t p = 0; p < pairs; p++) {
            double r = sqrt(-2 * log_unit(u[p])), c, s;
            sincos_turn(v[p], &c, &s);
            a[p] = r * c;
            b[p] = r * s;
        }
        for (size_t p = 0; p < pairs && done < n; p++) {
            out[done++] = a[p];
            if (done < n)
                out[done++] = b[p];
        }
    }
    memcpy(rng->s, st, sizeof st);
}
