/* Unit tests for src/arrivals.c: the open-loop schedule against schedules computed here by hand
 * from the same seeded generator (every --recv-model, both --recv-phase values), the queue under
 * block and drop with hand-made ready times, the backlog samples, the end rules, stops, and the
 * accounting invariant arrived = taken + dropped + left_waiting. */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "arrivals.h"
#include "options.h"
#include "prng.h"
#include "recv_model.h"

static struct ipb_options opts_for(enum ipb_recv_model m, enum ipb_recv_phase ph, double delay,
                                   double duration, unsigned backlog, enum ipb_backlog_policy pol)
{
    struct ipb_options o;
    ipb_options_defaults(&o);
    o.arrivals = IPB_ARRIVALS_OPEN;
    o.recv_model = m;
    o.recv_phase = ph;
    o.recv_delay_s = delay;
    o.duration_s = duration;
    o.backlog = backlog;
    o.backlog_policy = pol;
    return o;
}

/* ---- the schedule -------------------------------------------------------------------------- */

/* The k-th delay as the models are documented (recv_model.h), written out here again: the
 * generator calls in the order the model makes them, the phase factor after the first draw. */
static double hand_delay(const struct ipb_options *o, struct ipb_prng *g, int k)
{
    const double mean = o->recv_delay_s;
    double d = 0;
    switch (o->recv_model) {
    case IPB_RECV_CONSTANT:
        d = mean;
        break;
    case IPB_RECV_UNIFORM:
        d = 2.0 * mean * ipb_prng_uniform(g);
        break;
    case IPB_RECV_NORMAL: {
        double u1 = 1.0 - ipb_prng_uniform(g), u2 = ipb_prng_uniform(g);
        d = mean + mean / 4.0 * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
        if (d < 0)
            d = 0;
        break;
    }
    case IPB_RECV_EXPONENTIAL:
        d = -mean * log(1.0 - ipb_prng_uniform(g));
        break;
    }
    if (k == 0 && o->recv_phase == IPB_RECV_PHASE_RANDOM)
        d *= 0.5 + ipb_prng_uniform(g);
    return d;
}

/* A pipeline that is always ready: each ready() finds nothing waiting and names the next
 * arrival, which is then taken. The arrivals it is told are the schedule. */
static void schedule_case(enum ipb_recv_model m, enum ipb_recv_phase ph)
{
    const int n = 200;
    const double delay = 0.01;
    struct ipb_options o = opts_for(m, ph, delay, 1e6, 4, IPB_BACKLOG_BLOCK);
    struct ipb_prng g, h;
    ipb_recv_seed(&g, 42, 3, 5);
    ipb_recv_seed(&h, 42, 3, 5);
    struct ipb_arrivals a;
    assert_int_equal(ipb_arrivals_init(&a, &o, &g), 0);
    ipb_arrivals_start(&a);
    double want = 0.0, now = 0.0;
    for (int k = 0; k < n; k++) {
        want += hand_delay(&o, &h, k);
        struct ipb_arrival_take t;
        enum ipb_arrival_step s = ipb_arrivals_ready(&a, now, &t);
        if (s == IPB_ARRIVAL_WAIT) {
            assert_true(t.arrival > now);
            assert_int_equal(t.backlog, 0);
            ipb_arrivals_take_next(&a);
        } else {
            /* a zero delay (normal, clamped) puts the next arrival at now: it was waiting */
            assert_int_equal(s, IPB_ARRIVAL_TAKE);
            assert_dbl_eq(t.arrival, now);
        }
        assert_near(t.arrival, want, 1e-12 * want);
        if (k == 0 && ph == IPB_RECV_PHASE_ALIGNED && m == IPB_RECV_CONSTANT)
            assert_dbl_eq(t.arrival, delay);
        if (k == 0 && ph == IPB_RECV_PHASE_RANDOM && m == IPB_RECV_CONSTANT)
            assert_true(t.arrival >= 0.5 * delay && t.arrival < 1.5 * delay);
        assert_int_equal(t.dropped, 0);
        now = t.arrival;
    }
    /* mean rate 1 / delay: n arrivals take about n x delay (loose: a check of scale) */
    assert_true(now > 0.5 * n * delay && now < 1.5 * n * delay);
    assert_int_equal(a.taken, n);
    ipb_arrivals_free(&a);
}

static void test_schedule_every_model_and_phase(void **state)
{
    (void)state;
    const enum ipb_recv_model models[] = {IPB_RECV_CONSTANT, IPB_RECV_UNIFORM, IPB_RECV_NORMAL,
                                          IPB_RECV_EXPONENTIAL};
    for (int i = 0; i < 4; i++) {
        schedule_case(models[i], IPB_RECV_PHASE_RANDOM);
        schedule_case(models[i], IPB_RECV_PHASE_ALIGNED);
    }
}

/* The closed loop's delay is the same draw: the first scaled by the phase factor only. */
static void test_delay_is_the_closed_loops_draw(void **state)
{
    (void)state;
    struct ipb_options o =
        opts_for(IPB_RECV_EXPONENTIAL, IPB_RECV_PHASE_RANDOM, 0.1, 10, 1, IPB_BACKLOG_BLOCK);
    struct ipb_prng g, h;
    ipb_recv_seed(&g, 9, 0, 0);
    ipb_recv_seed(&h, 9, 0, 0);
    for (int k = 0; k < 50; k++)
        assert_dbl_eq(ipb_arrival_delay(&o, &g, k == 0), hand_delay(&o, &h, k));
    o.recv_delay_s = 0.0; /* no delay at all: every draw 0, the phase too */
    assert_dbl_eq(ipb_arrival_delay(&o, &g, true), 0.0);
}

/* ---- the queue ----------------------------------------------------------------------------- */

struct fixture {
    struct ipb_options o;
    struct ipb_prng g;
    struct ipb_arrivals a;
};

/* Arrivals at 1, 2, 3, ... (constant delay 1, aligned phase). */
static void fixture_start(struct fixture *f, double duration, unsigned backlog,
                          enum ipb_backlog_policy pol)
{
    f->o = opts_for(IPB_RECV_CONSTANT, IPB_RECV_PHASE_ALIGNED, 1.0, duration, backlog, pol);
    ipb_recv_seed(&f->g, 1, 0, 0);
    assert_int_equal(ipb_arrivals_init(&f->a, &f->o, &f->g), 0);
    ipb_arrivals_start(&f->a);
}

static void expect_take(struct fixture *f, double now, double arrival, uint64_t backlog,
                        uint64_t dropped)
{
    struct ipb_arrival_take t;
    assert_int_equal(ipb_arrivals_ready(&f->a, now, &t), IPB_ARRIVAL_TAKE);
    assert_dbl_eq(t.arrival, arrival);
    assert_int_equal(t.backlog, backlog);
    assert_int_equal(t.dropped, dropped);
}

static void expect_wait_take(struct fixture *f, double now, double arrival)
{
    struct ipb_arrival_take t;
    assert_int_equal(ipb_arrivals_ready(&f->a, now, &t), IPB_ARRIVAL_WAIT);
    assert_dbl_eq(t.arrival, arrival);
    assert_int_equal(t.backlog, 0);
    assert_int_equal(t.dropped, 0);
    ipb_arrivals_take_next(&f->a);
}

static void expect_end(struct fixture *f, double now)
{
    struct ipb_arrival_take t;
    assert_int_equal(ipb_arrivals_ready(&f->a, now, &t), IPB_ARRIVAL_END);
}

static void expect_accounts(struct fixture *f, uint64_t arrived, uint64_t taken, uint64_t dropped,
                            uint64_t left)
{
    assert_int_equal(f->a.arrived, arrived);
    assert_int_equal(f->a.taken, taken);
    assert_int_equal(f->a.dropped, dropped);
    assert_int_equal(f->a.left_waiting, left);
    assert_int_equal(f->a.arrived, f->a.taken + f->a.dropped + f->a.left_waiting);
}

/* block, bound 3: the sender holds what finds the queue full, and it joins later with its own
 * arrival time. */
static void test_block(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 100, 3, IPB_BACKLOG_BLOCK);
    expect_wait_take(&f, 0.0, 1.0);  /* busy from 1 to 5.5 */
    expect_take(&f, 5.5, 2.0, 3, 0); /* 2, 3, 4 queued, 5 held */
    expect_take(&f, 5.6, 3.0, 3, 0); /* 5 joined: 3, 4, 5 */
    expect_take(&f, 9.5, 4.0, 3, 0); /* 4, 5, 6 queued; 7, 8, 9 held */
    expect_take(&f, 9.6, 5.0, 3, 0); /* 7 joined */
    /* arrived by 10.5: 1..10; queue 6, 7, 8 (8 joined), held 9 and 10 */
    assert_int_equal(ipb_arrivals_finish(&f.a, 10.5), 0);
    expect_accounts(&f, 10, 5, 0, 5);
    assert_int_equal(ipb_arrivals_finish(&f.a, 50), 0); /* once only */
    expect_accounts(&f, 10, 5, 0, 5);
    expect_end(&f, 11);
    ipb_arrivals_free(&f.a);
}

/* drop, bound 3: what finds the queue full is lost and counted when the pipeline next looks. */
static void test_drop(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 100, 3, IPB_BACKLOG_DROP);
    expect_wait_take(&f, 0.0, 1.0);
    expect_take(&f, 5.5, 2.0, 3, 1);   /* 2, 3, 4 queued, 5 dropped */
    expect_take(&f, 5.6, 3.0, 2, 0);   /* nothing new: 3, 4 */
    expect_take(&f, 9.5, 4.0, 3, 2);   /* 4, 6, 7 queued; 8, 9 dropped */
    expect_take(&f, 20.0, 6.0, 3, 10); /* 6, 7, 10 queued; 11..20 dropped */
    expect_take(&f, 20.1, 7.0, 2, 0);
    expect_take(&f, 20.2, 10.0, 1, 0);
    expect_wait_take(&f, 20.3, 21.0); /* empty: wait for the next arrival, sample 0 */
    /* by 22.5: 22 queued */
    assert_int_equal(ipb_arrivals_finish(&f.a, 22.5), 0);
    expect_accounts(&f, 22, 8, 13, 1);
    ipb_arrivals_free(&f.a);
}

/* A drop found only at the end is counted by finish. */
static void test_drop_at_finish(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 10, 1, IPB_BACKLOG_DROP);
    expect_wait_take(&f, 0.0, 1.0);
    expect_end(&f, 12.0); /* past the deadline: no iteration, nothing dealt with yet */
    /* 2 queued, 3..9 dropped (10 is not < duration) */
    assert_int_equal(ipb_arrivals_finish(&f.a, 12.0), 7);
    expect_accounts(&f, 9, 1, 7, 1);
    ipb_arrivals_free(&f.a);
}

/* No iteration starts at or after the deadline, nor for a buffer arriving at or after it. */
static void test_end_rules(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 3.5, 4, IPB_BACKLOG_BLOCK);
    expect_wait_take(&f, 0.0, 1.0);
    expect_wait_take(&f, 1.5, 2.0);
    expect_wait_take(&f, 2.2, 3.0);
    expect_end(&f, 3.1); /* the next arrival, 4, is after the deadline: no waiting for it */
    assert_int_equal(ipb_arrivals_finish(&f.a, 3.1), 0);
    expect_accounts(&f, 3, 3, 0, 0);
    ipb_arrivals_free(&f.a);

    /* an arrival exactly at the deadline is not the run's */
    fixture_start(&f, 3.0, 4, IPB_BACKLOG_BLOCK);
    expect_wait_take(&f, 0.0, 1.0);
    expect_wait_take(&f, 1.0, 2.0);
    expect_end(&f, 2.5);
    assert_int_equal(ipb_arrivals_finish(&f.a, 4.0), 0);
    expect_accounts(&f, 2, 2, 0, 0);
    ipb_arrivals_free(&f.a);

    /* ready past the deadline with buffers waiting: they are left waiting */
    fixture_start(&f, 6.0, 2, IPB_BACKLOG_BLOCK);
    expect_wait_take(&f, 0.0, 1.0);
    expect_end(&f, 6.0);
    assert_int_equal(ipb_arrivals_finish(&f.a, 6.0), 0);
    expect_accounts(&f, 5, 1, 0, 4); /* 2, 3 queued, 4, 5 held */
    ipb_arrivals_free(&f.a);
}

/* Stops: during a wait (nothing taken; counted only if it arrived), and mid-iteration (the
 * taken buffer handed back: left waiting). */
static void test_stops(void **state)
{
    (void)state;
    struct fixture f;
    struct ipb_arrival_take t;

    fixture_start(&f, 100, 4, IPB_BACKLOG_BLOCK);
    assert_int_equal(ipb_arrivals_ready(&f.a, 0.0, &t), IPB_ARRIVAL_WAIT);
    assert_int_equal(ipb_arrivals_finish(&f.a, 0.5), 0); /* stopped before it arrived */
    expect_accounts(&f, 0, 0, 0, 0);
    ipb_arrivals_free(&f.a);

    fixture_start(&f, 100, 4, IPB_BACKLOG_BLOCK);
    assert_int_equal(ipb_arrivals_ready(&f.a, 0.0, &t), IPB_ARRIVAL_WAIT);
    assert_int_equal(ipb_arrivals_finish(&f.a, 1.2), 0); /* arrived, never taken */
    expect_accounts(&f, 1, 0, 0, 1);
    ipb_arrivals_free(&f.a);

    fixture_start(&f, 100, 4, IPB_BACKLOG_BLOCK);
    expect_wait_take(&f, 0.0, 1.0);
    expect_take(&f, 3.5, 2.0, 2, 0);
    ipb_arrivals_abandon(&f.a); /* its iteration was cut */
    assert_int_equal(ipb_arrivals_finish(&f.a, 3.6), 0);
    expect_accounts(&f, 3, 1, 0, 2);
    expect_end(&f, 4.0); /* finished: nothing more */
    ipb_arrivals_free(&f.a);
}

/* A second start (the next repetition) begins from zero with a new phase. */
static void test_restart(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 100, 2, IPB_BACKLOG_DROP);
    expect_wait_take(&f, 0.0, 1.0);
    expect_take(&f, 9.0, 2.0, 2, 6); /* 2, 3 queued; 4..9 dropped */
    ipb_arrivals_finish(&f.a, 9.0);
    ipb_arrivals_start(&f.a);
    expect_accounts(&f, 0, 0, 0, 0);
    assert_false(f.a.finished);
    expect_wait_take(&f, 0.0, 1.0);
    ipb_arrivals_free(&f.a);
}

/* ---- the invariant under random load ------------------------------------------------------- */

/* Exponential arrivals (random phase) into a pipeline whose service times are random too, for
 * both policies and several bounds: every arrival of [0, duration) is taken, dropped or left
 * waiting, their number is what the schedule computed here says, samples stay within the
 * bound, drops reported call by call add up, and taken buffers come in arrival order. */
static void test_invariant_random_load(void **state)
{
    (void)state;
    const unsigned bounds[] = {1, 2, 5, 16};
    const enum ipb_backlog_policy pols[] = {IPB_BACKLOG_BLOCK, IPB_BACKLOG_DROP};
    for (int b = 0; b < 4; b++)
        for (int p = 0; p < 2; p++)
            for (uint64_t seed = 1; seed <= 5; seed++) {
                const double duration = 20.0, delay = 0.01;
                struct ipb_options o = opts_for(IPB_RECV_EXPONENTIAL, IPB_RECV_PHASE_RANDOM, delay,
                                                duration, bounds[b], pols[p]);
                struct ipb_prng g, h, service;
                ipb_recv_seed(&g, seed, 0, b);
                ipb_recv_seed(&h, seed, 0, b);
                ipb_prng_seed(&service, seed, 1, 2);
                /* the schedule by hand: arrivals before the deadline */
                uint64_t scheduled = 0;
                for (double at = hand_delay(&o, &h, 0); at < duration; at += hand_delay(&o, &h, 1))
                    scheduled++;

                struct ipb_arrivals a;
                assert_int_equal(ipb_arrivals_init(&a, &o, &g), 0);
                ipb_arrivals_start(&a);
                double now = 0, last = -1;
                uint64_t dropped = 0, taken = 0;
                for (;;) {
                    struct ipb_arrival_take t;
                    enum ipb_arrival_step s = ipb_arrivals_ready(&a, now, &t);
                    dropped += t.dropped;
                    if (s == IPB_ARRIVAL_END)
                        break;
                    if (s == IPB_ARRIVAL_WAIT) {
                        now = t.arrival;
                        ipb_arrivals_take_next(&a);
                    }
                    assert_true(t.arrival <= now && t.arrival < duration);
                    assert_true(t.arrival >= last);
                    assert_true(t.backlog <= bounds[b]);
                    last = t.arrival;
                    taken++;
                    /* service 0 to 2.4 x the mean gap: overloaded now and then */
                    now += 2.4 * delay * ipb_prng_uniform(&service);
                }
                dropped += ipb_arrivals_finish(&a, now);
                assert_int_equal(a.dropped, dropped);
                assert_int_equal(a.taken, taken);
                assert_int_equal(a.arrived, scheduled);
                assert_int_equal(a.arrived, a.taken + a.dropped + a.left_waiting);
                if (pols[p] == IPB_BACKLOG_BLOCK)
                    assert_int_equal(a.dropped, 0);
                ipb_arrivals_free(&a);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_every_model_and_phase),
        cmocka_unit_test(test_delay_is_the_closed_loops_draw),
        cmocka_unit_test(test_block),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_drop_at_finish),
        cmocka_unit_test(test_end_rules),
        cmocka_unit_test(test_stops),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_invariant_random_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
