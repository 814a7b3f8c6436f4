/* Per-pipeline pseudo-random generator: xoshiro256** seeded through splitmix64.
 *
 * Each pipeline owns one state, so threads never share a generator (a shared generator is what
 * collapsed the Python original's free-threaded numbers). Streams are derived from
 * (seed, rank, pipeline) so runs are reproducible and pipelines never share a stream. */
#ifndef IPB_PRNG_H
#define IPB_PRNG_H

#include <stddef.h>
#include <stdint.h>

struct ipb_prng {
    uint64_t s[4];
};

void ipb_prng_seed(struct ipb_prng *g, uint64_t seed, uint64_t rank, uint64_t pipeline);

static inline uint64_t ipb_prng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t ipb_prng_next(struct ipb_prng *g)
{
    uint64_t *s = g->s;
    uint64_t result = ipb_prng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ipb_prng_rotl(s[3], 45);
    return result;
}

/* A uniform double in [0, 1): the top 53 bits of one draw, so every value is a multiple of
 * 2^-53 and 1.0 itself is never returned (the receive-delay models take log(1 - u)). */
double ipb_prng_uniform(struct ipb_prng *g);

/* Fill all len bytes (set-up: makes the data incompressible before the clock starts). */
void ipb_prng_fill(struct ipb_prng *g, void *buf, size_t len);

/* The compute stage: overwrite bytes 0, k, 2k, ... of buf. One generator call feeds eight
 * bytes, so the cost is one call per 8 touched bytes plus one store per byte. k >= 1. */
void ipb_prng_fill_sparse(struct ipb_prng *g, void *buf, size_t len, uint64_t k);

#endif
