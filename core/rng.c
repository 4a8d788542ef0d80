/* core/rng.c: xoshiro256** streams seeded by splitmix64 of (seed, stream). */
#include <xai/rng.h>

#include <math.h>

#include "error.h"
#include "rng_step.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void xai_rng_init(xai_rng *rng, uint64_t seed, uint64_t stream)
{
    /* Mix the stream index through splitmix first so that neighbouring
     * (seed, stream) pairs start far apart in the splitmix sequence. */
    uint64_t t = stream;
    uint64_t x = seed ^ splitmix64(&t);
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
    rng->has_spare = 0;
    rng->spare_normal = 0.0;
}

uint64_t xai_rng_u64(xai_rng *rng) { return rng_step(rng->s); }

double xai_rng_uniform(xai_rng *rng)
{
    return (double)(xai_rng_u64(rng) >> 11) * 0x1.0p-53;
}

uint64_t xai_rng_below(xai_rng *rng, uint64_t n)
{
    /* Reject the top partial block so every residue is equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do
        v = xai_rng_u64(rng);
    while (v >= limit);
    return v % n;
}

double xai_rng_normal(xai_rng *rng)
{
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare_normal;
    }
    double u, v, s;
    do {
        u = 2.0 * xai_rng_uniform(rng) - 1.0;
        v = 2.0 * xai_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    rng->spare_normal = v * f;
    rng->has_spare = 1;
    return u * f;
}

int xai_rng_bernoulli(xai_rng *rng, double p) { return xai_rng_uniform(rng) < p; }

xai_status xai_rng_choose(xai_rng *rng, uint32_t n, uint32_t k, uint32_t *out)
{
    if (k > n)
        return xai_fail(XAI_ERR_INVALID, "cannot choose %u of %u items", k, n);
    /* Floyd: for j = n-k .. n-1 pick t in [0, j]; take t unless already
     * taken, else take j.  Every k-subset is equally likely. */
    uint32_t m = 0;
    for (uint32_t j = n - k; j < n; j++) {
        uint32_t t = (uint32_t)xai_rng_below(rng, (uint64_t)j + 1);
        int taken = 0;
        for (uint32_t i = 0; i < m; i++)
            if (out[i] == t) {
                taken = 1;
                break;
            }
        out[m++] = taken ? j : t;
    }
    /* Floyd's order is biased (j tends to come last): shuffle. */
    for (uint32_t i = m; i > 1; i--) {
        uint32_t r = (uint32_t)xai_rng_below(rng, i);
        uint32_t tmp = out[i - 1];
        out[i - 1] = out[r];
        out[r] = tmp;
    }
    return XAI_OK;
}
