#include "recv_model.h"

#include <math.h>
#include <string.h>

static const char *const names[IPB_RECV_NMODELS] = {"constant", "uniform", "normal", "exponential"};

const char *ipb_recv_model_name(enum ipb_recv_model m)
{
    return (unsigned)m < IPB_RECV_NMODELS ? names[m] : "?";
}

int ipb_recv_model_find(const char *name, enum ipb_recv_model *out)
{
    for (unsigned i = 0; i < IPB_RECV_NMODELS; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum ipb_recv_model)i;
            return 0;
        }
    return -1;
}

void ipb_recv_seed(struct ipb_prng *g, uint64_t seed, uint64_t rank, uint64_t pipeline)
{
    /* The compute stream is seeded from (seed, rank, pipeline); flipping the top bit of the seed
     * gives an unrelated state (splitmix64 mixes every bit) for the same triple. */
    ipb_prng_seed(g, seed ^ UINT64_C(0x8000000000000000), rank, pipeline);
}

double ipb_recv_sample(enum ipb_recv_model m, double mean, double stddev, struct ipb_prng *g)
{
    if (!(mean > 0.0))
        return 0.0;
    switch (m) {
    case IPB_RECV_CONSTANT:
        return mean;
    case IPB_RECV_UNIFORM:
        return 2.0 * mean * ipb_prng_uniform(g);
    case IPB_RECV_NORMAL: {
        /* Box-Muller; one of the pair is thrown away: two generator calls per iteration cost
         * nothing next to a write. 1 - u keeps log() away from 0. */
        double u1 = 1.0 - ipb_prng_uniform(g), u2 = ipb_prng_uniform(g);
        double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
        double v = mean + stddev * z;
        return v > 0.0 ? v : 0.0;
    }
    case IPB_RECV_EXPONENTIAL:
        return -mean * log(1.0 - ipb_prng_uniform(g));
    }
    return mean;
}
