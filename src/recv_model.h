/* Receive-delay models: how long the recv stage of each iteration waits (docs/design.md, "What it
 * measures"). Real data does not arrive like clockwork, and a constant delay lets pipelines fall
 * into lock-step with the storage; the other models give the same mean with a spread.
 *
 *   constant     every wait is --recv-delay (the Python original; the default)
 *   uniform      uniform on [0, 2 x delay]            (mean delay, stddev delay / sqrt 3)
 *   normal       normal(delay, stddev), clamped at 0  (--recv-stddev, default delay / 4)
 *   exponential  exponential with mean delay: Poisson arrivals at rate 1 / delay
 *
 * Each pipeline draws its waits from its own generator, seeded from (--seed, rank, pipeline) but
 * separate from the compute stage's, so the data written does not depend on the model and a run
 * is reproducible from the recorded seed and model. Pure: no I/O, no globals. */
#ifndef IPB_RECV_MODEL_H
#define IPB_RECV_MODEL_H

#include "prng.h"

enum ipb_recv_model {
    IPB_RECV_CONSTANT,
    IPB_RECV_UNIFORM,
    IPB_RECV_NORMAL,
    IPB_RECV_EXPONENTIAL,
};

#define IPB_RECV_NMODELS 4

const char *ipb_recv_model_name(enum ipb_recv_model m);
/* 0 and the model for a name, -1 if there is none. */
int ipb_recv_model_find(const char *name, enum ipb_recv_model *out);

/* The generator of a pipeline's waits: a stream distinct from the compute stage's
 * ipb_prng_seed(seed, rank, pipeline). */
void ipb_recv_seed(struct ipb_prng *g, uint64_t seed, uint64_t rank, uint64_t pipeline);

/* One wait in seconds (>= 0) drawn from the model with the given mean and (normal only)
 * standard deviation. mean <= 0 gives 0 for every model. */
double ipb_recv_sample(enum ipb_recv_model m, double mean, double stddev, struct ipb_prng *g);

#endif
