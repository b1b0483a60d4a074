/* Deterministic PRNG for generators and tests: splitmix64 seeding + xoshiro256**. */
#ifndef TP_COMMON_RNG_H
#define TP_COMMON_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} tp_rng;

static inline uint64_t tp_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void tp_rng_seed(tp_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = tp_splitmix64(&seed);
}

static inline uint64_t tp_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t tp_rng_next(tp_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = tp_rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = tp_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n), n > 0 (multiply-shift, bias negligible for n << 2^32). */
static inline uint32_t tp_rng_below(tp_rng *r, uint32_t n)
{
    return (uint32_t)(((tp_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

#endif
