#include "prng.h"

#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void ipb_prng_seed(struct ipb_prng *g, uint64_t seed, uint64_t rank, uint64_t pipeline)
{
    /* Mix the three inputs through splitmix64 one after another, so (seed, rank, pipeline)
     * triples that differ in any part give unrelated states. */
    uint64_t x = seed;
    x = splitmix64(&x) ^ rank;
    x = splitmix64(&x) ^ pipeline;
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix64(&x);
    /* xoshiro's one forbidden state is all zero; splitmix64 cannot produce four zeros in a
     * row, but guard it anyway: it costs nothing. */
    if ((g->s[0] | g->s[1] | g->s[2] | g->s[3]) == 0)
        g->s[0] = 1;
}

double ipb_prng_uniform(struct ipb_prng *g)
{
    return (double)(ipb_prng_next(g) >> 11) * 0x1.0p-53;
}

void ipb_prng_fill(struct ipb_prng *g, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len >= 8) {
        uint64_t v = ipb_prng_next(g);
        memcpy(p, &v, 8);
        p += 8;
        len -= 8;
    }
    if (len > 0) {
        uint64_t v = ipb_prng_next(g);
        memcpy(p, &v, len);
    }
}

void ipb_prng_fill_sparse(struct ipb_prng *g, void *buf, size_t len, uint64_t k)
{
    unsigned char *p = buf;
    if (k <= 1) {
        ipb_prng_fill(g, buf, len);
        return;
    }
    uint64_t v = 0;
    unsigned left = 0; /* unused bytes left in v */
    for (size_t i = 0; i < len; i += k) {
        if (left == 0) {
            v = ipb_prng_next(g);
            left = 8;
        }
        p[i] = (unsigned char)v;
        v >>= 8;
        left--;
        if (k > len - i) /* next i would overflow size_t for huge k */
            break;
    }
}
