/* core/rng_step.h: one xoshiro256** step, shared by rng.c and the batched
 * normals (inlined there: a call per value is a large part of their cost). */
#ifndef XAI_CORE_RNG_STEP_H
#define XAI_CORE_RNG_STEP_H

#include <stdint.h>

static inline uint64_t rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_step(uint64_t *s)
{
    uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl(s[3], 45);
    return result;
}

/* Uniform integers below n from the same 64-bit values, by the same
 * rejection, as xai_rng_below, without its two 64-bit divisions per draw:
 * the rejection limit and a 128-bit reciprocal m = ceil(2^128 / n) are
 * computed once per n, and v mod n is the top 64 bits of (m v mod 2^128) n
 * (Lemire, Kaser & Kurz, "Faster remainder by direct computation", 2019). */
__extension__ typedef unsigned __int128 rng_u128;

typedef struct rng_below_n {
    uint64_t n, limit;
    rng_u128 m;
} rng_below_n;

static inline void rng_below_prepare(rng_below_n *b, uint64_t n)
{
    b->n = n;
    b->limit = UINT64_MAX - UINT64_MAX % n;
    b->m = ~(rng_u128)0 / n + 1; /* n = 1: wraps to 0, and v mod 1 = 0 */
}

static inline uint64_t rng_mod_prepared(uint64_t v, const rng_below_n *b)
{
    rng_u128 frac = b->m * v; /* the fraction v / n in 128 fixed-point bits */
    rng_u128 lo = (rng_u128)(uint64_t)frac * b->n;
    rng_u128 hi = (rng_u128)(uint64_t)(frac >> 64) * b->n;
    return (uint64_t)((hi + (lo >> 64)) >> 64);
}

static inline uint64_t rng_below_prepared(uint64_t *s, const rng_below_n *b)
{
    uint64_t v;
    do
        v = rng_step(s);
    while (v >= b->limit);
    return rng_mod_prepared(v, b);
}

#endif
