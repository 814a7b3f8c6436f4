#include "arrivals.h"

#include <stdlib.h>
#include <string.h>

#include "recv_model.h"

double ipb_arrival_delay(const struct ipb_options *o, struct ipb_prng *g, bool first)
{
    double d = ipb_recv_sample(o->recv_model, o->recv_delay_s, ipb_options_recv_stddev(o), g);
    /* The first receive of a run sets the pipeline's phase (options.h, enum ipb_recv_phase). */
    if (first && o->recv_phase == IPB_RECV_PHASE_RANDOM)
        d *= 0.5 + ipb_prng_uniform(g);
    return d;
}

int ipb_arrivals_init(struct ipb_arrivals *a, const struct ipb_options *opts, struct ipb_prng *prng)
{
    memset(a, 0, sizeof(*a));
    a->opts = opts;
    a->prng = prng;
    a->cap = opts->backlog > 0 ? opts->backlog : 1;
    a->queue = malloc(a->cap * sizeof(*a->queue));
    return a->queue != NULL ? 0 : -1;
}

void ipb_arrivals_free(struct ipb_arrivals *a)
{
    free(a->queue);
    a->queue = NULL;
}

/* Draw the arrival after the current one. */
static void draw_next(struct ipb_arrivals *a)
{
    a->next += ipb_arrival_delay(a->opts, a->prng, a->drawn == 0);
    a->drawn++;
}

void ipb_arrivals_start(struct ipb_arrivals *a)
{
    a->head = a->len = 0;
    a->next = 0.0;
    a->drawn = a->taken = a->dropped = a->abandoned = 0;
    a->left_waiting = a->arrived = 0;
    a->finished = false;
    draw_next(a);
}

/* next arrived by `upto` and belongs to the run */
static bool due(const struct ipb_arrivals *a, double upto)
{
    return a->next <= upto && a->next < a->opts->duration_s;
}

/* Deal with every arrival due by `upto`, in order, as each would have been at its own time;
 * returns how many were dropped. Under block, the first that finds no room stops the walk: it
 * and everything after it are held by the sender. */
static uint64_t admit(struct ipb_arrivals *a, double upto)
{
    uint64_t dropped = 0;
    while (due(a, upto)) {
        if (a->len < a->cap) {
            a->queue[(a->head + a->len) % a->cap] = a->next;
            a->len++;
        } else if (a->opts->backlog_policy == IPB_BACKLOG_DROP) {
            dropped++;
        } else {
            break;
        }
        draw_next(a);
    }
    a->dropped += dropped;
    return dropped;
}

enum ipb_arrival_step ipb_arrivals_ready(struct ipb_arrivals *a, double now,
                                         struct ipb_arrival_take *t)
{
    t->arrival = 0.0;
    t->backlog = 0;
    t->dropped = 0;
    /* The same rule as the closed loop: no iteration starts at or after the deadline. What
     * arrived by then is dealt with by ipb_arrivals_finish. */
    if (a->finished || !(now < a->opts->duration_s))
        return IPB_ARRIVAL_END;
    t->dropped = admit(a, now);
    if (a->len > 0) {
        t->arrival = a->queue[a->head];
        t->backlog = a->len;
        a->head = (a->head + 1) % a->cap;
        a->len--;
        a->taken++;
        return IPB_ARRIVAL_TAKE;
    }
    /* Nothing waiting, so the sender holds nothing either (block admits while there is room):
     * the next buffer is the next arrival, unless it comes too late for the run. */
    if (!(a->next < a->opts->duration_s))
        return IPB_ARRIVAL_END;
    t->arrival = a->next;
    return IPB_ARRIVAL_WAIT;
}

void ipb_arrivals_take_next(struct ipb_arrivals *a)
{
    a->taken++;
    draw_next(a);
}

void ipb_arrivals_abandon(struct ipb_arrivals *a)
{
    if (a->taken > 0) {
        a->taken--;
        a->abandoned++;
    }
}

uint64_t ipb_arrivals_finish(struct ipb_arrivals *a, double end)
{
    if (a->finished)
        return 0;
    uint64_t dropped = admit(a, end);
    /* What the sender still holds (block): every arrival due by then, counted, not queued. */
    uint64_t held = 0;
    while (due(a, end)) {
        held++;
        draw_next(a);
    }
    a->left_waiting = a->len + held + a->abandoned;
    /* every arrival drawn but the one not yet due */
    a->arrived = a->drawn > 0 ? a->drawn - 1 : 0;
    a->finished = true;
    return dropped;
}
