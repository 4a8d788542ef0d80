/* xai/rng.h: reproducible random streams.
 *
 * A stream is fully determined by (seed, stream index): explainers give each
 * instance the stream (seed, instance index), so results are bit-identical for
 * any thread count, batch size or number of MPI ranks.  The generator is
 * xoshiro256** seeded through splitmix64; the state is a plain value the caller
 * owns (no allocation, no global state). */
#ifndef XAI_RNG_H
#define XAI_RNG_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xai_rng {
    uint64_t s[4];
    double spare_normal; /* second value of the last polar-method pair */
    int has_spare;
} xai_rng;

/* Initialises rng to the stream (seed, stream). */
void xai_rng_init(xai_rng *rng, uint64_t seed, uint64_t stream);

/* 64 uniformly random bits. */
uint64_t xai_rng_u64(xai_rng *rng);

/* Uniform double in [0, 1) with 53 random bits. */
double xai_rng_uniform(xai_rng *rng);

/* Uniform integer in [0, n); n must be > 0.  Unbiased (rejection). */
uint64_t xai_rng_below(xai_rng *rng, uint64_t n);

/* Standard normal N(0, 1) (Marsaglia's polar method). */
double xai_rng_normal(xai_rng *rng);

/* n standard normals into out: Box-Muller, out[2i] = r cos(2 pi v),
 * out[2i + 1] = r sin(2 pi v), r = sqrt(-2 log u), from the uniforms
 * u = (a + 1) 2^-53 and v = b 2^-53 of two successive xai_rng_u64 values a, b
 * (top 53 bits).  Several times faster than n xai_rng_normal calls, and other
 * numbers; a pair's second value is dropped when n is odd.  Ignores and keeps
 * the spare of xai_rng_normal. */
void xai_rng_normals(xai_rng *rng, size_t n, double *out);

/* 1 with probability p, else 0. */
int xai_rng_bernoulli(xai_rng *rng, double p);

/* Writes k distinct integers drawn uniformly from [0, n) into out[0..k-1], in
 * random order (Floyd's algorithm, O(k^2) memory-free; intended for k << n or
 * small n).  Returns XAI_ERR_INVALID if k > n. */
xai_status xai_rng_choose(xai_rng *rng, uint32_t n, uint32_t k, uint32_t *out);

#ifdef __cplusplus
}
#endif
#endif
