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

#endif
