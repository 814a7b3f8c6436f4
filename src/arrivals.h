/* Open-loop arrivals: one pipeline's schedule of buffer arrivals and its bounded waiting queue
 * (docs/design.md, "Open-loop arrivals"). Pure: no I/O, no clock, no globals; times are seconds
 * since the pipeline's t0, handed in by the caller, so the unit is tested with made-up times.
 *
 * The schedule. Buffer k arrives at a_k = a_(k-1) + d_k (a_(-1) = 0), the d_k drawn from
 * --recv-model with the --recv-phase of the first draw (ipb_arrival_delay, the same draw the
 * closed loop sleeps), whatever the pipeline is doing: the sender does not slow down because the
 * pipeline is busy. Only arrivals with a_k < duration belong to the run.
 *
 * The queue. When the pipeline is ready for a buffer at time `now` (ipb_arrivals_ready), every
 * arrival a_j <= now not yet seen is dealt with in order: with fewer than --backlog buffers
 * waiting it joins the queue, keeping its a_j; otherwise `drop` loses it (counted) and `block`
 * leaves it with the sender, who holds it (and everything after it) until there is room, when it
 * joins the queue still carrying its own a_j: latency is from the intended arrival, so a blocked
 * sender cannot hide the delay it suffered (no coordinated omission). Arrivals are dealt with
 * lazily, at the next ready time, which decides exactly as dealing with each at its own a_j
 * would: between two ready times the pipeline takes nothing, so the queue only grows.
 *
 * Accounting, exact (tests/test_arrivals.c): after ipb_arrivals_finish(end),
 *     arrivals with a_j < duration and a_j <= end  =  taken + dropped + left_waiting
 * where taken counts buffers taken and not abandoned (a buffer whose iteration a stop cut short
 * is handed back with ipb_arrivals_abandon and counted as left waiting), and left_waiting is
 * the queue plus what the sender still holds. For a run that reaches its end, end >= duration:
 * every arrival of [0, duration) is accounted for. */
#ifndef IPB_ARRIVALS_H
#define IPB_ARRIVALS_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "prng.h"

/* One receive delay from --recv-model (recv_model.h); the first of a run (first = true) is
 * scaled by the --recv-phase factor, x0.5 to x1.5 for random, so the mean rate stays
 * 1 / --recv-delay. Both loops use it: closed sleeps it, open adds it to the schedule. */
double ipb_arrival_delay(const struct ipb_options *o, struct ipb_prng *g, bool first);

enum ipb_arrival_step {
    IPB_ARRIVAL_TAKE, /* a buffer was waiting: take it now */
    IPB_ARRIVAL_WAIT, /* nothing waiting: wait until the next arrival, then take_next */
    IPB_ARRIVAL_END,  /* no iteration starts: now >= duration, or nothing arrives before it */
};

/* What ipb_arrivals_ready() found. */
struct ipb_arrival_take {
    double arrival;   /* TAKE: the buffer's scheduled arrival; WAIT: the one to wait for */
    uint64_t backlog; /* buffers waiting at the take, the taken one included; 0 after a wait */
    uint64_t dropped; /* arrivals dropped while this call dealt with the arrivals up to now */
};

struct ipb_arrivals {
    const struct ipb_options *opts;
    struct ipb_prng *prng; /* the pipeline's receive stream (recv_model.h) */
    double *queue;         /* ring of the waiting buffers' arrival times, opts->backlog long */
    unsigned cap, head, len;
    double next;    /* the next arrival not yet queued, dropped or taken (already drawn) */
    uint64_t drawn; /* arrivals drawn so far, next included */
    uint64_t taken; /* buffers taken and not abandoned */
    uint64_t dropped;
    uint64_t abandoned;    /* taken buffers handed back: left waiting */
    uint64_t left_waiting; /* set by ipb_arrivals_finish */
    uint64_t arrived;      /* set by ipb_arrivals_finish: arrivals accounted for */
    bool finished;
};

/* Untimed set-up: the queue (opts->backlog arrival times). prng is not used until
 * ipb_arrivals_start. Returns 0, or -1 when out of memory. */
int ipb_arrivals_init(struct ipb_arrivals *a, const struct ipb_options *opts,
                      struct ipb_prng *prng);
void ipb_arrivals_free(struct ipb_arrivals *a);

/* At t0: an empty queue, zero counters, and the first arrival drawn (with its phase). Every
 * repetition calls it again, drawing a new phase as the closed loop does. */
void ipb_arrivals_start(struct ipb_arrivals *a);

/* The pipeline is ready for its next buffer at `now`. TAKE: the oldest waiting buffer is taken
 * (removed, counted). WAIT: nothing is waiting; t->arrival is the next arrival (> now, <
 * duration), not yet taken: wait for it, then call ipb_arrivals_take_next (or nothing, if a stop
 * came first: it then stays in the schedule and finish counts it if it arrived). END: no
 * iteration starts. t->dropped: add it to the pipeline's drop count. */
enum ipb_arrival_step ipb_arrivals_ready(struct ipb_arrivals *a, double now,
                                         struct ipb_arrival_take *t);

/* After WAIT: the awaited buffer arrived and is taken. */
void ipb_arrivals_take_next(struct ipb_arrivals *a);

/* The buffer last taken was not completed (a stop cut its iteration): it counts as left
 * waiting, not as taken. */
void ipb_arrivals_abandon(struct ipb_arrivals *a);

/* The pipeline stopped at `end` (>= duration when the run ran its course; earlier when a stop
 * cut it): deal with the arrivals up to min(end, duration) and set left_waiting and arrived.
 * Returns the arrivals dropped meanwhile (add them to the drop count). Once only; later calls
 * return 0. */
uint64_t ipb_arrivals_finish(struct ipb_arrivals *a, double end);

#endif
