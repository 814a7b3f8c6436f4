/* Unit tests for src/recv_model.c: the receive-delay models' means and spreads, seeding and
 * determinism, and their names. */
#include "unit.h"

#include <math.h>
#include <stdio.h>

#include "prng.h"
#include "recv_model.h"

static void sample_stats(enum ipb_recv_model m, double mean, double sd, int n, double *got_mean,
                         double *got_sd, double *got_min)
{
    struct ipb_prng g;
    ipb_recv_seed(&g, 7, 1, 2);
    double s = 0, s2 = 0, mn = INFINITY;
    for (int i = 0; i < n; i++) {
        double v = ipb_recv_sample(m, mean, sd, &g);
        assert_true(v >= 0.0);
        s += v;
        s2 += v * v;
        if (v < mn)
            mn = v;
    }
    *got_mean = s / n;
    *got_sd = sqrt(s2 / n - *got_mean * *got_mean);
    *got_min = mn;
}

static void test_recv_models(void **state)
{
    (void)state;
    double m, sd, mn;
    const int n = 200000; /* standard error of the mean ~ sd / 450 */
    sample_stats(IPB_RECV_CONSTANT, 0.1, 0.0, 1000, &m, &sd, &mn);
    assert_near(m, 0.1, 1e-12);
    assert_near(sd, 0.0, 1e-6); /* sqrt of E[x^2] - E[x]^2 in floating point */
    sample_stats(IPB_RECV_UNIFORM, 0.1, 0.0, n, &m, &sd, &mn);
    assert_near(m, 0.1, 0.001);
    assert_near(sd, 0.2 / sqrt(12.0), 0.001);
    sample_stats(IPB_RECV_NORMAL, 0.1, 0.02, n, &m, &sd, &mn);
    assert_near(m, 0.1, 0.0005);
    assert_near(sd, 0.02, 0.0005);
    sample_stats(IPB_RECV_EXPONENTIAL, 0.1, 0.0, n, &m, &sd, &mn);
    assert_near(m, 0.1, 0.001);
    assert_near(sd, 0.1, 0.002); /* exponential: stddev = mean */
    /* normal clamped at 0: a huge spread gives zeros, never negatives */
    sample_stats(IPB_RECV_NORMAL, 0.1, 1.0, 10000, &m, &sd, &mn);
    assert_near(mn, 0.0, 0.0);
    /* mean 0: every model waits 0 */
    for (int k = 0; k < IPB_RECV_NMODELS; k++) {
        sample_stats((enum ipb_recv_model)k, 0.0, 0.5, 100, &m, &sd, &mn);
        assert_near(m, 0.0, 0.0);
    }
}

static void test_recv_seeding(void **state)
{
    (void)state;
    struct ipb_prng a, b, c, compute;
    ipb_recv_seed(&a, 1, 0, 0);
    ipb_recv_seed(&b, 1, 0, 0);
    ipb_recv_seed(&c, 1, 0, 1);
    ipb_prng_seed(&compute, 1, 0, 0);
    int same_c = 0, same_compute = 0;
    for (int i = 0; i < 100; i++) {
        double x = ipb_recv_sample(IPB_RECV_EXPONENTIAL, 0.1, 0, &a);
        assert_true(x == ipb_recv_sample(IPB_RECV_EXPONENTIAL, 0.1, 0, &b)); /* reproducible */
        same_c += x == ipb_recv_sample(IPB_RECV_EXPONENTIAL, 0.1, 0, &c);
    }
    struct ipb_prng r;
    ipb_recv_seed(&r, 1, 0, 0);
    for (int i = 0; i < 100; i++)
        same_compute += ipb_prng_next(&r) == ipb_prng_next(&compute);
    assert_int_equal(same_c, 0);       /* pipelines have their own streams */
    assert_int_equal(same_compute, 0); /* and not the compute stage's */
    enum ipb_recv_model m;
    assert_int_equal(ipb_recv_model_find("exponential", &m), 0);
    assert_int_equal(m, IPB_RECV_EXPONENTIAL);
    assert_int_equal(ipb_recv_model_find("poisson", &m), -1);
    for (int k = 0; k < IPB_RECV_NMODELS; k++) {
        assert_int_equal(ipb_recv_model_find(ipb_recv_model_name((enum ipb_recv_model)k), &m), 0);
        assert_int_equal(m, k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recv_models),
        cmocka_unit_test(test_recv_seeding),
    };
    return cmocka_run_group_tests_name("recv_model", tests, NULL, NULL);
}
