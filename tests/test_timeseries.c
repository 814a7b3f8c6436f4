/* Unit tests for src/timeseries.c and the series path through pipeline.h and results.c: the
 * interval count and memory figure, the bucket table against its formula, the clamp into the
 * last interval, recording, merging (sums and maxima), percentiles and their error bound, the
 * rows written to HDF5, and reset/attach keeping each pipeline on its own row. */
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "results.h"
#include "timeseries.h"

static void test_nintervals_and_bytes(void **state)
{
    (void)state;
    assert_int_equal(ipb_ts_nintervals(10.0, 1.0), 11);  /* 10 s + 1 s of drain */
    assert_int_equal(ipb_ts_nintervals(1.0, 0.3), 7);    /* ceil(2 / 0.3) */
    assert_int_equal(ipb_ts_nintervals(5.0, 0.01), 600); /* ceil(6 / 0.01) */
    assert_int_equal(ipb_ts_nintervals(1.0, 0.0), 0);
    assert_int_equal(ipb_ts_nintervals(1e6, 1e-9), 0); /* beyond UINT32_MAX: refused upstream */
    assert_int_equal(sizeof(struct ipb_ts_interval), 8 * (8 + IPB_TS_NBUCKETS));
    assert_int_equal(ipb_ts_bytes(64, 600), (size_t)64 * 600 * sizeof(struct ipb_ts_interval));
    assert_int_equal(ipb_ts_bytes(4096, UINT64_MAX / 2), SIZE_MAX);
}

static void test_bucket_table(void **state)
{
    (void)state;
    /* Bounds are round(1000 * 10^(j/6)) ns, j = 0..48: 1 us to 100 s, 6 per decade. */
    for (unsigned j = 0; j + 1 < IPB_TS_NBUCKETS; j++) {
        uint64_t want = (uint64_t)llround(1000.0 * pow(10.0, (double)j / 6.0));
        assert_int_equal(ipb_ts_bucket_upper_ns(j), want);
        assert_int_equal(ipb_ts_bucket_lower_ns(j + 1), want);
    }
    assert_int_equal(ipb_ts_bucket_lower_ns(0), 0);
    assert_int_equal(ipb_ts_bucket_upper_ns(IPB_TS_NBUCKETS - 1), UINT64_MAX);
    /* Every bucket holds its lower bound and the value just below its upper bound. */
    for (unsigned b = 0; b < IPB_TS_NBUCKETS; b++) {
        assert_int_equal(ipb_ts_bucket(ipb_ts_bucket_lower_ns(b)), b);
        if (b + 1 < IPB_TS_NBUCKETS)
            assert_int_equal(ipb_ts_bucket(ipb_ts_bucket_upper_ns(b) - 1), b);
    }
    assert_int_equal(ipb_ts_bucket(0), 0);
    assert_int_equal(ipb_ts_bucket(999), 0);
    assert_int_equal(ipb_ts_bucket(1000), 1);
    assert_int_equal(ipb_ts_bucket(UINT64_MAX), IPB_TS_NBUCKETS - 1);
    /* The stated error bound: a bucket's geometric midpoint is within 10^(1/12) of its ends. */
    for (unsigned b = 1; b + 1 < IPB_TS_NBUCKETS; b++) {
        double lo = (double)ipb_ts_bucket_lower_ns(b), hi = (double)ipb_ts_bucket_upper_ns(b);
        double mid = sqrt(lo * hi);
        assert_true(mid / lo - 1.0 <= IPB_TS_REL_ERROR);
        assert_true(1.0 - mid / hi <= IPB_TS_REL_ERROR);
    }
}

static struct ipb_ts_interval *new_series(unsigned n)
{
    struct ipb_ts_interval *iv = calloc(n, sizeof(*iv));
    assert_non_null(iv);
    return iv;
}

static void test_record_and_clamp(void **state)
{
    (void)state;
    struct ipb_ts_interval *iv = new_series(4);
    struct ipb_ts_ref ts = {iv, 4, 0.5};
    ipb_ts_record(&ts, 0.0, 100, 0.002, 0);  /* interval 0 */
    ipb_ts_record(&ts, 0.49, 100, 0.004, 3); /* interval 0 */
    ipb_ts_record(&ts, 0.5, 10, 0.001, 1);   /* interval 1: [0.5, 1.0) */
    ipb_ts_record(&ts, 1.75, 1, 0.001, 0);   /* interval 3, the last */
    ipb_ts_record(&ts, 9.0, 1, 0.001, 7);    /* after the last: clamped into it */
    ipb_ts_record(&ts, -1.0, 1, 0.001, 0);   /* cannot happen; lands in interval 0 */
    ipb_ts_dropped(&ts, 0.6, 1);
    ipb_ts_dropped(&ts, 100.0, 1);
    assert_int_equal(iv[0].bytes, 201);
    assert_int_equal(iv[0].buffers, 3);
    assert_int_equal(iv[0].backlog_sum, 3);
    assert_int_equal(iv[0].backlog_samples, 3);
    assert_int_equal(iv[0].backlog_max, 3);
    assert_int_equal(iv[0].lat_max_ns, 4000000);
    assert_int_equal(iv[0].t_last_ns, 490000000);
    assert_int_equal(iv[1].bytes, 10);
    assert_int_equal(iv[1].dropped, 1);
    assert_int_equal(iv[2].buffers, 0);
    assert_int_equal(iv[3].bytes, 2);
    assert_int_equal(iv[3].backlog_max, 7);
    assert_int_equal(iv[3].dropped, 1);
    assert_int_equal(iv[3].t_last_ns, 9000000000u);
    /* The series off: nothing happens, nothing is touched. */
    struct ipb_ts_ref off = {NULL, 0, 0.0};
    ipb_ts_record(&off, 1.0, 1, 1.0, 1);
    ipb_ts_dropped(&off, 1.0, 1);
    free(iv);
}

static void test_merge_sums_and_maxima(void **state)
{
    (void)state;
    struct ipb_ts_interval *a = new_series(2), *b = new_series(2);
    struct ipb_ts_ref ta = {a, 2, 1.0}, tb = {b, 2, 1.0};
    ipb_ts_record(&ta, 0.1, 5, 0.5, 2);
    ipb_ts_record(&tb, 0.2, 7, 0.25, 9);
    ipb_ts_record(&tb, 1.5, 1, 3.0, 1);
    ipb_ts_dropped(&ta, 1.2, 1);
    ipb_ts_merge(a, b, 2);
    assert_int_equal(a[0].bytes, 12);
    assert_int_equal(a[0].buffers, 2);
    assert_int_equal(a[0].backlog_sum, 11);
    assert_int_equal(a[0].backlog_samples, 2);
    assert_int_equal(a[0].backlog_max, 9);
    assert_int_equal(a[0].lat_max_ns, 500000000);
    assert_int_equal(a[0].t_last_ns, 200000000);
    assert_int_equal(a[1].bytes, 1);
    assert_int_equal(a[1].dropped, 1);
    assert_int_equal(a[1].lat_max_ns, 3000000000u);
    uint64_t total = 0;
    for (unsigned k = 0; k < IPB_TS_NBUCKETS; k++)
        total += a[0].lat[k] + a[1].lat[k];
    assert_int_equal(total, 3);
    free(a);
    free(b);
}

static void test_percentiles(void **state)
{
    (void)state;
    struct ipb_ts_interval *iv = new_series(1);
    struct ipb_ts_ref ts = {iv, 1, 10.0};
    assert_true(isnan(ipb_ts_percentile_s(iv, 50.0)));
    /* 98 buffers at 2 ms, one at 50 ms, one at 0.7 s: p50 near 2 ms, p99 near 50 ms, the
     * maximum exact. */
    for (int i = 0; i < 98; i++)
        ipb_ts_record(&ts, 1.0, 1, 0.002, 0);
    ipb_ts_record(&ts, 1.0, 1, 0.05, 0);
    ipb_ts_record(&ts, 1.0, 1, 0.7, 0);
    double p50 = ipb_ts_percentile_s(iv, 50.0), p99 = ipb_ts_percentile_s(iv, 99.0);
    double p999 = ipb_ts_percentile_s(iv, 99.9), max = ipb_ts_percentile_s(iv, 100.0);
    assert_true(fabs(p50 / 0.002 - 1.0) <= IPB_TS_REL_ERROR);
    assert_true(fabs(p99 / 0.05 - 1.0) <= IPB_TS_REL_ERROR);
    assert_true(fabs(p999 / 0.7 - 1.0) <= IPB_TS_REL_ERROR);
    assert_near(max, 0.7, 1e-12);
    assert_true(p50 <= p99 && p99 <= p999 && p999 <= max);
    /* A single value: every percentile is clamped to the exact maximum at most. */
    struct ipb_ts_interval *one = new_series(1);
    struct ipb_ts_ref t1 = {one, 1, 1.0};
    ipb_ts_record(&t1, 0.0, 1, 0.0101, 0); /* bucket [10 ms, 14.7 ms): midpoint 12.1 ms */
    assert_near(ipb_ts_percentile_s(one, 50.0), 0.0101, 1e-12);
    /* Below 1 us and above 100 s. */
    struct ipb_ts_interval *edge = new_series(1);
    struct ipb_ts_ref te = {edge, 1, 1.0};
    ipb_ts_record(&te, 0.0, 1, 2e-7, 0);
    assert_near(ipb_ts_percentile_s(edge, 50.0), 2e-7, 1e-12);
    ipb_ts_record(&te, 0.0, 1, 250.0, 0);
    assert_near(ipb_ts_percentile_s(edge, 100.0), 250.0, 1e-9);
    assert_near(ipb_ts_percentile_s(edge, 99.0), 250.0, 1e-9);
    free(iv);
    free(one);
    free(edge);
}

static void test_rows(void **state)
{
    (void)state;
    /* duration 1 s, interval 0.25 s: 8 intervals (1 s of drain); completions in 0, 1, 3 and
     * one late completion clamped into the last, at 3.1 s. */
    const unsigned n = (unsigned)ipb_ts_nintervals(1.0, 0.25);
    assert_int_equal(n, 8);
    struct ipb_ts_interval *iv = new_series(n);
    struct ipb_ts_ref ts = {iv, n, 0.25};
    ipb_ts_record(&ts, 0.1, 1048576, 0.01, 0);
    ipb_ts_record(&ts, 0.3, 1048576, 0.01, 2);
    ipb_ts_record(&ts, 0.8, 524288, 0.01, 0);
    struct ipb_ts_row *rows = calloc(n, sizeof(*rows));
    assert_non_null(rows);
    /* Only the timed phase's 4 rows: nothing completed in the drain. */
    assert_int_equal(ipb_results_series_rows(rows, iv, n, 1.0, 0.25), 4);
    ipb_ts_record(&ts, 3.1, 1048576, 0.5, 0);
    assert_int_equal(ipb_results_series_rows(rows, iv, n, 1.0, 0.25), n);
    uint64_t bytes = 0;
    for (unsigned k = 0; k < n; k++) {
        if (k > 0)
            assert_dbl_eq(rows[k].start_s, rows[k - 1].end_s); /* contiguous */
        assert_near(rows[k].mib_s,
                    (double)rows[k].bytes / 1048576.0 / (rows[k].end_s - rows[k].start_s), 1e-9);
        bytes += rows[k].bytes;
    }
    assert_dbl_eq(rows[0].start_s, 0.0);
    assert_int_equal(bytes, 3 * 1048576 + 524288);
    assert_near(rows[0].mib_s, 4.0, 1e-12);
    assert_near(rows[1].backlog_mean, 2.0, 0.0);
    assert_int_equal(rows[1].backlog_max, 2);
    assert_true(isnan(rows[2].backlog_mean)); /* no buffer: no mean */
    assert_true(isnan(rows[2].arrival_p50_s));
    /* The last interval [1.75, 2.0) took the completion at 3.1 s: it ends there. */
    assert_dbl_eq(rows[n - 1].start_s, 1.75);
    assert_near(rows[n - 1].end_s, 3.1, 1e-9);
    assert_near(rows[n - 1].mib_s, 1.0 / 1.35, 1e-9);
    assert_near(rows[n - 1].arrival_max_s, 0.5, 1e-9);
    free(rows);
    free(iv);
}

static void test_stats_attach_and_reset(void **state)
{
    (void)state;
    const unsigned np = 3, n = 5;
    struct ipb_pipeline_stats *st = aligned_alloc(IPB_CACHE_LINE, np * sizeof(*st));
    assert_non_null(st);
    memset(st, 0, np * sizeof(*st));
    struct ipb_ts_interval *iv = new_series(np * n);
    ipb_stats_attach_series(st, np, iv, n, 0.5);
    for (unsigned i = 0; i < np; i++)
        ipb_stats_iteration_done(&st[i], 10 + i, 0.75, 1.0, 0.01, i);
    ipb_stats_dropped(&st[2], 0.2, 1);
    for (unsigned i = 0; i < np; i++) {
        assert_int_equal(iv[i * n + 1].bytes, 10 + i); /* each pipeline on its own row */
        assert_int_equal(iv[i * n + 1].backlog_max, i);
        assert_int_equal(st[i].bytes, 10 + i);
    }
    assert_int_equal(iv[2 * n].dropped, 1);
    assert_int_equal(st[2].dropped, 1); /* the run counts it too */
    /* Reset: counters and the row zeroed, the reference kept. */
    ipb_stats_reset(&st[1]);
    assert_int_equal(st[1].bytes, 0);
    assert_ptr_equal(st[1].ts.iv, &iv[n]);
    assert_int_equal(iv[n + 1].bytes, 0);
    assert_int_equal(iv[1].bytes, 10); /* the neighbours' rows untouched */
    assert_int_equal(iv[2 * n + 1].bytes, 12);
    free(iv);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nintervals_and_bytes),
        cmocka_unit_test(test_bucket_table),
        cmocka_unit_test(test_record_and_clamp),
        cmocka_unit_test(test_merge_sums_and_maxima),
        cmocka_unit_test(test_percentiles),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_stats_attach_and_reset),
    };
    return cmocka_run_group_tests_name("timeseries", tests, NULL, NULL);
}
