/* Unit tests for src/stats.c: Welford/Chan moments and the summary of a series. */
#include "unit.h"

#include <math.h>
#include <stdio.h>

#include "stats.h"

static void test_moments_merge(void **state)
{
    (void)state;
    const double x[] = {3, 7, 7, 19, 24, 1, 0.5, 100};
    struct ipb_moments all = {0}, a = {0}, b = {0};
    for (int i = 0; i < 8; i++) {
        ipb_moments_add(&all, x[i]);
        ipb_moments_add(i < 3 ? &a : &b, x[i]);
    }
    ipb_moments_merge(&a, &b);
    double mean = 161.5 / 8;
    double ss = 0;
    for (int i = 0; i < 8; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    assert_near(a.n, 8, 0);
    assert_near(a.mean, mean, 1e-12);
    assert_near(a.m2, ss, 1e-9);
    assert_near(ipb_moments_stddev(&a, 0), sqrt(ss / 8), 1e-12);
    assert_near(ipb_moments_stddev(&a, 1), sqrt(ss / 7), 1e-12);
    assert_near(a.min, 0.5, 0);
    assert_near(a.max, 100, 0);
    assert_near(all.m2, a.m2, 1e-9);
    double sm, ssd, smin, smax;
    ipb_series_summary(x, 8, &sm, &ssd, &smin, &smax);
    assert_near(sm, mean, 1e-12);
    assert_near(ssd, sqrt(ss / 7), 1e-12);
    ipb_series_summary(x, 1, &sm, &ssd, &smin, &smax);
    assert_near(ssd, 0.0, 0.0);
}

/* The edges the record meets: no rank or pipeline yet (nan spread), one (no spread), merging
 * into or from an empty set, a series of no repetitions. */
static void test_moments_edges(void **state)
{
    (void)state;
    struct ipb_moments m = {0}, empty = {0};
    assert_true(isnan(ipb_moments_stddev(&m, 0)));
    assert_true(isnan(ipb_moments_stddev(&m, 1)));
    ipb_moments_add(&m, 4.0);
    assert_near(ipb_moments_stddev(&m, 0), 0.0, 0.0);
    assert_near(ipb_moments_stddev(&m, 1), 0.0, 0.0);
    ipb_moments_merge(&m, &empty);
    assert_near(m.n, 1.0, 0.0);
    assert_near(m.mean, 4.0, 0.0);
    ipb_moments_merge(&empty, &m);
    assert_memory_equal(&empty, &m, sizeof(m));
    /* Equal values: no spread, never a negative variance's nan from rounding. */
    for (int i = 0; i < 10; i++)
        ipb_moments_add(&m, 0.1);
    assert_true(ipb_moments_stddev(&m, 0) >= 0.0);
    double mean, sd, mn, mx;
    ipb_series_summary(NULL, 0, &mean, &sd, &mn, &mx);
    assert_true(isnan(mean) && isnan(sd) && isnan(mn) && isnan(mx));
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moments_merge),
        cmocka_unit_test(test_moments_edges),
    };
    return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
