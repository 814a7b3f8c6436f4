/* Unit tests for src/histogram.c: bucket boundaries, the relative-error bound, merging,
 * percentiles against exactly known data, the latency kinds' names. */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"

static struct ipb_hist *new_hist(void)
{
    struct ipb_hist *h = malloc(sizeof(*h));
    assert_non_null(h);
    ipb_hist_init(h);
    return h;
}

/* ---- buckets --------------------------------------------------------------------------------- */

static void test_bucket_layout(void **state)
{
    (void)state;
    assert_int_equal(IPB_HIST_NBUCKETS, (IPB_HIST_MAX_BITS - IPB_HIST_SUB_BITS + 1) * 32);
    /* Exact region: one value per bucket. */
    for (unsigned v = 0; v < IPB_HIST_SUB; v++) {
        assert_int_equal(ipb_hist_index(v), v);
        assert_int_equal(ipb_hist_bucket_lower(v), v);
        assert_int_equal(ipb_hist_bucket_upper(v), v);
    }
    /* The first log-linear group: [32, 64) in 32 buckets of width 1, then [64, 128) width 2. */
    assert_int_equal(ipb_hist_index(32), 32);
    assert_int_equal(ipb_hist_index(63), 63);
    assert_int_equal(ipb_hist_index(64), 64);
    assert_int_equal(ipb_hist_index(65), 64);
    assert_int_equal(ipb_hist_index(66), 65);
    assert_int_equal(ipb_hist_index(127), 95);
    assert_int_equal(ipb_hist_index(128), 96);
    assert_int_equal(ipb_hist_bucket_lower(96), 128);
    assert_int_equal(ipb_hist_bucket_upper(96), 131);
    /* 1 ms = 1,000,000 ns: 2^19 <= 1e6 < 2^20, width 2^14 = 16384. */
    unsigned i = ipb_hist_index(1000000);
    assert_true(ipb_hist_bucket_lower(i) <= 1000000 && 1000000 <= ipb_hist_bucket_upper(i));
    assert_int_equal(ipb_hist_bucket_upper(i) - ipb_hist_bucket_lower(i) + 1, 16384);
    /* The clamp: 2^40 ns and beyond share the last bucket, whose upper bound is open. */
    assert_int_equal(ipb_hist_index(UINT64_C(1) << 40), IPB_HIST_NBUCKETS - 1);
    assert_int_equal(ipb_hist_index(UINT64_MAX), IPB_HIST_NBUCKETS - 1);
    assert_int_equal(ipb_hist_index((UINT64_C(1) << 40) - 1), IPB_HIST_NBUCKETS - 1);
    assert_int_equal(ipb_hist_bucket_upper(IPB_HIST_NBUCKETS - 1), UINT64_MAX);
}

/* Every bucket: its bounds map back to it, buckets tile the integers with no gap or overlap,
 * and the width is at most 2^-S of the lower bound (what the error bound rests on). */
static void test_bucket_bounds_tile(void **state)
{
    (void)state;
    uint64_t expect_lower = 0;
    for (unsigned i = 0; i < IPB_HIST_NBUCKETS; i++) {
        uint64_t lo = ipb_hist_bucket_lower(i), hi = ipb_hist_bucket_upper(i);
        assert_int_equal(lo, expect_lower);
        assert_true(hi >= lo);
        assert_int_equal(ipb_hist_index(lo), i);
        assert_int_equal(ipb_hist_index(hi), i);
        if (i >= IPB_HIST_SUB && i + 1 < IPB_HIST_NBUCKETS) {
            uint64_t width = hi - lo + 1;
            assert_true(width * IPB_HIST_SUB <= lo);
            /* the midpoint is within the documented relative error of both ends */
            double mid = ((double)lo + (double)hi) / 2.0;
            assert_true(fabs(mid - (double)lo) / (double)lo < IPB_HIST_REL_ERROR);
            assert_true(fabs(mid - (double)hi) / (double)hi < IPB_HIST_REL_ERROR);
        }
        expect_lower = hi + 1;
    }
    assert_int_equal(expect_lower, 0); /* UINT64_MAX + 1 wrapped: the whole range is covered */
    assert_near(IPB_HIST_REL_ERROR, 1.0 / 64.0, 0.0);
}

/* ---- recording and percentiles ------------------------------------------------------------ */

static void test_empty_histogram(void **state)
{
    (void)state;
    struct ipb_hist *h = new_hist();
    assert_true(isnan(ipb_hist_percentile_ns(h, 50.0)));
    assert_true(isnan(ipb_hist_percentile_ns(h, 100.0)));
    /* all-zero bytes are an empty histogram: the first value sets min */
    ipb_hist_record_ns(h, 700);
    assert_int_equal(h->count, 1);
    assert_int_equal(h->min_ns, 700);
    assert_int_equal(h->max_ns, 700);
    free(h);
}

/* 1..1000 ns, once each: nearest-rank percentiles are exactly known. Values below 32 are exact;
 * above, the reported value is the bucket's midpoint, within 1/64 of the true one. */
static void test_percentiles_known_data(void **state)
{
    (void)state;
    struct ipb_hist *h = new_hist();
    for (uint64_t v = 1000; v >= 1; v--) /* order must not matter */
        ipb_hist_record_ns(h, v);
    assert_int_equal(h->count, 1000);
    assert_int_equal(h->min_ns, 1);
    assert_int_equal(h->max_ns, 1000);
    const double ps[] = {0.1, 1.0, 2.5, 3.1, 50.0, 90.0, 99.0, 99.9, 100.0};
    const double truth[] = {1, 10, 25, 31, 500, 900, 990, 999, 1000};
    for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
        double got = ipb_hist_percentile_ns(h, ps[k]);
        if (truth[k] < IPB_HIST_SUB || ps[k] == 100.0)
            assert_near(got, truth[k], 0.0);
        else
            assert_true(fabs(got - truth[k]) / truth[k] < IPB_HIST_REL_ERROR);
    }
    /* Exactly: p50 is rank 500, in bucket [496, 503] (width 8 above 256): midpoint 499.5. */
    assert_near(ipb_hist_percentile_ns(h, 50.0), 499.5, 0.0);
    /* p99.9 of 1000 values is rank 999 (not 1000): bucket [992, 1007] (width 16 above 512),
     * midpoint 999.5, below the maximum 1000 so not clamped. */
    assert_near(ipb_hist_percentile_ns(h, 99.9), 999.5, 0.0);
    free(h);
}

/* A distribution with a tail: 990 fast fsyncs of 1 ms, 9 of 20 ms, 1 of 300 ms. */
static void test_percentiles_tail(void **state)
{
    (void)state;
    struct ipb_hist *h = new_hist();
    for (int i = 0; i < 990; i++)
        ipb_hist_record(h, 0.001);
    for (int i = 0; i < 9; i++)
        ipb_hist_record(h, 0.020);
    ipb_hist_record(h, 0.300);
    double p50 = ipb_hist_percentile_ns(h, 50.0), p99 = ipb_hist_percentile_ns(h, 99.0);
    double p999 = ipb_hist_percentile_ns(h, 99.9), p100 = ipb_hist_percentile_ns(h, 100.0);
    /* rank 500 and 990 are 1 ms; rank 999 is 20 ms; max exact. */
    assert_true(fabs(p50 - 1e6) / 1e6 < IPB_HIST_REL_ERROR);
    assert_true(fabs(p99 - 1e6) / 1e6 < IPB_HIST_REL_ERROR);
    assert_true(fabs(p999 - 2e7) / 2e7 < IPB_HIST_REL_ERROR);
    assert_near(p100, 3e8, 0.0);
    /* rank 1000 is the 300 ms value: its bucket's midpoint (below the max, so not clamped) */
    assert_true(fabs(ipb_hist_percentile_ns(h, 99.95) - 3e8) / 3e8 < IPB_HIST_REL_ERROR);
    free(h);
}

static void test_record_seconds_and_clamp(void **state)
{
    (void)state;
    struct ipb_hist *h = new_hist();
    ipb_hist_record(h, 12e-9);  /* rounds to 12 ns */
    ipb_hist_record(h, -1.0);   /* cannot happen; counted as 0 */
    ipb_hist_record(h, 5000.0); /* beyond 2^40 ns: the last bucket, max exact */
    assert_int_equal(h->bucket[12], 1);
    assert_int_equal(h->bucket[0], 1);
    assert_int_equal(h->bucket[IPB_HIST_NBUCKETS - 1], 1);
    assert_int_equal(h->max_ns, UINT64_C(5000000000000));
    /* a percentile in the clamp bucket is the maximum, the only exact value there */
    assert_near(ipb_hist_percentile_ns(h, 100.0), 5e12, 0.0);
    assert_near(ipb_hist_percentile_ns(h, 90.0), 5e12, 0.0);
    assert_near(ipb_hist_percentile_ns(h, 50.0), 12.0, 0.0);
    free(h);
}

/* Merging two halves gives the histogram of the whole; so does summing bucket arrays (the MPI
 * reduction) and rebuilding count/min/max. */
static void test_merge(void **state)
{
    (void)state;
    struct ipb_hist *a = new_hist(), *b = new_hist(), *all = new_hist(), *sum = new_hist();
    struct ipb_hist *empty = new_hist();
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t v = x % 50000000; /* 0 .. 50 ms */
        ipb_hist_record_ns(i % 3 ? a : b, v);
        ipb_hist_record_ns(all, v);
    }
    ipb_hist_merge(a, empty); /* no-op */
    struct ipb_hist *copy = new_hist();
    *copy = *a;
    ipb_hist_merge(empty, b); /* into an empty one: becomes b */
    assert_memory_equal(empty, b, sizeof(*b));
    ipb_hist_merge(a, b);
    assert_memory_equal(a, all, sizeof(*a));
    for (unsigned i = 0; i < IPB_HIST_NBUCKETS; i++)
        sum->bucket[i] = copy->bucket[i] + b->bucket[i];
    ipb_hist_from_buckets(sum, all->min_ns, all->max_ns);
    assert_memory_equal(sum, all, sizeof(*sum));
    /* without exact bounds: the bounds of the extreme buckets */
    ipb_hist_from_buckets(sum, UINT64_MAX, 0);
    assert_int_equal(sum->count, all->count);
    assert_int_equal(sum->min_ns, ipb_hist_bucket_lower(ipb_hist_index(all->min_ns)));
    assert_int_equal(sum->max_ns, ipb_hist_bucket_upper(ipb_hist_index(all->max_ns)));
    for (double p = 5; p <= 100; p += 5)
        assert_near(ipb_hist_percentile_ns(a, p), ipb_hist_percentile_ns(all, p), 0.0);
    free(a);
    free(b);
    free(all);
    free(sum);
    free(empty);
    free(copy);
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(ipb_lat_kind_name(IPB_LAT_WRITE), "write");
    assert_string_equal(ipb_lat_kind_name(IPB_LAT_FSYNC), "fsync");
    assert_string_equal(ipb_lat_kind_name(IPB_LAT_ITERATION), "iteration");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_layout),
        cmocka_unit_test(test_bucket_bounds_tile),
        cmocka_unit_test(test_empty_histogram),
        cmocka_unit_test(test_percentiles_known_data),
        cmocka_unit_test(test_percentiles_tail),
        cmocka_unit_test(test_record_seconds_and_clamp),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
