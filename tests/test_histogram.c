/* Unit tests for the pure parts of issue 5 ("see inside a run"):
 *   src/histogram.c    bucket boundaries, the relative-error bound, merging, percentiles against
 *                      exactly known data;
 *   src/recv_model.c   the receive-delay models: means, spreads, seeding, determinism;
 *   src/record.c       Welford/Chan moments, the straggler and throughput columns built from
 *                      rank rows, latency columns from a reduced histogram, series summaries,
 *                      --import of a foreign record;
 *   src/progress.c     the progress line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "ipb_status.h"
#include "method.h"
#include "options.h"
#include "progress.h"
#include "record.h"
#include "recv_model.h"

static void assert_near_(double got, double want, double tol, const char *expr, const char *file,
                         int line)
{
    if (!(fabs(got - want) <= tol)) {
        print_error("%s = %.17g, expected %.17g within %.3g\n", expr, got, want, tol);
        _fail(file, line);
    }
}
#define assert_near(got, want, tol) assert_near_((got), (want), (tol), #got, __FILE__, __LINE__)

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

/* ---- receive-delay models ----------------------------------------------------------------- */

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

static void test_options_new(void **state)
{
    (void)state;
    struct ipb_options o;
    char err[512];
    char *ok[] = {"p", "--recv-model", "normal", "--recv-stddev", "0.01", "--repetitions",
                  "3", "--warmup",     "1.5",    "--progress",    "0.5"};
    ipb_options_defaults(&o);
    assert_int_equal(ipb_options_parse(11, ok, &o, err, sizeof err), IPB_OK);
    assert_int_equal(o.recv_model, IPB_RECV_NORMAL);
    assert_near(ipb_options_recv_stddev(&o), 0.01, 0.0);
    assert_int_equal(o.repetitions, 3);
    assert_near(o.warmup_s, 1.5, 0.0);
    assert_near(o.progress_s, 0.5, 0.0);
    ipb_options_defaults(&o);
    assert_int_equal(o.repetitions, 1);
    assert_near(ipb_options_recv_stddev(&o), 0.1 / 4, 0.0);

    struct {
        char *opt, *value, *needle;
    } bad[] = {
        {"--recv-model", "poisson", "--recv-model 'poisson': unknown"},
        {"--repetitions", "0", "--repetitions '0'"},
        {"--warmup", "-1", "--warmup '-1'"},
        {"--progress", "0.001", "--progress '0.001'"},
        {"--recv-stddev", "0.1", "--recv-stddev '0.1': only applies to --recv-model normal"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *argv[] = {"p", bad[i].opt, bad[i].value};
        ipb_options_defaults(&o);
        assert_int_equal(ipb_options_parse(3, argv, &o, err, sizeof err), IPB_EBADINPUT);
        if (strstr(err, bad[i].needle) == NULL) {
            print_error("message '%s' lacks '%s'\n", err, bad[i].needle);
            fail();
        }
    }
}

/* ---- moments and the record ---------------------------------------------------------------- */

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

/* Two ranks, two pipelines each, with hand-made counters: every straggler and throughput column
 * of the record, exactly. */
static void test_record_insight_columns(void **state)
{
    (void)state;
    struct ipb_options o;
    ipb_options_defaults(&o);
    o.duration_s = 10.0;
    o.concurrency = 2;
    o.method = ipb_method_find("openmp");
    const uint64_t MiB = 1048576;
    struct ipb_pipeline_stats *st = calloc(4, sizeof(*st));
    assert_non_null(st);
    /* rank 0: 100 MiB in 10 s, 50 MiB in 10 s; rank 1: 40 MiB in 10 s, 10 MiB in 20 s */
    const uint64_t bytes[4] = {100 * MiB, 50 * MiB, 40 * MiB, 10 * MiB};
    const double el[4] = {10.0, 10.0, 10.0, 20.0};
    for (int i = 0; i < 4; i++) {
        st[i].bytes = bytes[i];
        st[i].deadline_bytes = bytes[i] - MiB;
        st[i].iterations = bytes[i] / MiB;
        st[i].elapsed_s = el[i];
        st[i].recv_s = el[i] / 2;
        st[i].compute_s = el[i] / 4;
        st[i].write_s = el[i] / 8;
        st[i].fsync_s = el[i] / 8 + (i == 3 ? 1e-6 : 0.0); /* a gap of 1 us in one pipeline */
        st[i].fsyncs = st[i].iterations;
        ipb_hist_record(&st[i].lat[IPB_LAT_FSYNC], 0.001 * (i + 1));
        ipb_hist_record(&st[i].lat[IPB_LAT_WRITE], 0.0001 * (i + 1));
    }
    struct ipb_rank_row rows[2];
    ipb_rank_row_fill(&rows[0], 0, "fast-host", &st[0], 2);
    ipb_rank_row_fill(&rows[1], 1, "slow-host", &st[2], 2);
    assert_int_equal(rows[1].slowest_pipeline, 1);
    assert_near(rows[1].fsync_max_s, 0.004, 1e-12);
    assert_near(rows[0].write_min_s, 0.0001, 1e-12);
    struct ipb_run_meta meta = {
        .version = "t", .run_id = "r1", .timestamp = "ts", .series_id = "s0", .repetition = 2};
    struct ipb_record rec;
    ipb_record_fill(&rec, &o, &meta, rows, 2);
    /* ranks: 150 MiB / 10 s = 15, 50 MiB / 20 s = 2.5 */
    assert_near(rec.rank_throughput_min_mib_s, 2.5, 1e-12);
    assert_near(rec.rank_throughput_max_mib_s, 15.0, 1e-12);
    assert_near(rec.rank_throughput_mean_mib_s, 8.75, 1e-12);
    assert_near(rec.rank_throughput_stddev_mib_s, 6.25, 1e-12);
    assert_int_equal(rec.slowest_rank, 1);
    assert_string_equal(rec.slowest_host, "slow-host");
    /* pipelines: 10, 5, 4, 0.5 MiB/s */
    assert_near(rec.pipeline_throughput_min_mib_s, 0.5, 1e-12);
    assert_near(rec.pipeline_throughput_max_mib_s, 10.0, 1e-12);
    assert_near(rec.pipeline_throughput_mean_mib_s, 4.875, 1e-12);
    double m = 4.875,
           ss = (10 - m) * (10 - m) + (5 - m) * (5 - m) + (4 - m) * (4 - m) + (0.5 - m) * (0.5 - m);
    assert_near(rec.pipeline_throughput_stddev_mib_s, sqrt(ss / 4), 1e-12);
    assert_int_equal(rec.slowest_pipeline_rank, 1);
    assert_int_equal(rec.slowest_pipeline, 1);
    /* deadline: 196 MiB / 10 s; drain: 200 MiB / 20 s */
    assert_int_equal(rec.deadline_bytes, 196 * MiB);
    assert_near(rec.deadline_throughput_mib_s, 19.6, 1e-12);
    assert_near(rec.throughput_mib_s, 10.0, 1e-12);
    /* stages summed; the bookkeeping gap of the worst pipeline */
    assert_near(rec.recv_s, 25.0, 1e-12);
    assert_near(rec.write_s, 6.25, 1e-12);
    assert_near(rec.fsync_s, 6.25 + 1e-6, 1e-12);
    assert_near(rec.stage_gap_max_s, 1e-6, 1e-12);
    assert_int_equal(rec.fsyncs, 200);
    /* series */
    assert_string_equal(rec.series_id, "s0");
    assert_int_equal(rec.repetition, 2);
    assert_int_equal(rec.repetitions, 1);
    assert_string_equal(rec.recv_model, "constant");
    assert_true(isnan(rec.recv_stddev_s));
    /* latencies nan until the reduced histograms are given */
    assert_true(isnan(rec.fsync_p50_s));
    struct ipb_hist *lat = calloc(IPB_LAT_NKINDS, sizeof(*lat));
    assert_non_null(lat);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < IPB_LAT_NKINDS; k++)
            for (unsigned j = 0; j < IPB_HIST_NBUCKETS; j++)
                lat[k].bucket[j] += st[i].lat[k].bucket[j];
    ipb_record_set_latency(&rec, rows, 2, lat);
    assert_near(rec.fsync_max_s, 0.004, 1e-12);  /* exact, from the rank rows */
    assert_near(rec.fsync_p999_s, 0.004, 1e-12); /* rank 4 of 4: clamped to max */
    assert_true(fabs(rec.fsync_p50_s - 0.002) / 0.002 < IPB_HIST_REL_ERROR); /* rank 2 */
    assert_near(rec.write_max_s, 0.0004, 1e-12);
    assert_true(isnan(rec.iteration_p50_s)); /* nothing recorded */
    assert_true(isnan(rec.iteration_max_s));
    char line[1024];
    ipb_record_straggler_line(&rec, line, sizeof line);
    assert_non_null(strstr(line, "slowest rank 1 on slow-host: 2.500 MiB/s"));
    assert_non_null(strstr(line, "slowest pipeline 1.1"));
    assert_non_null(strstr(line, "drain 10.000, deadline 19.600 MiB/s"));
    /* Interrupted (issue 6): the signal any rank caught names the run; the drain figure stays
     * (bytes / elapsed of what completed), the deadline one is nan (no deadline was reached). */
    assert_string_equal(rec.interrupted, "no");
    rows[1].stop_signal = SIGTERM;
    ipb_record_fill(&rec, &o, &meta, rows, 2);
    assert_string_equal(rec.interrupted, "SIGTERM");
    assert_true(isnan(rec.deadline_throughput_mib_s));
    assert_near(rec.throughput_mib_s, 10.0, 1e-12);
    assert_int_equal(rec.deadline_bytes, 196 * MiB);
    free(lat);
    free(st);
}

/* --import: the fio script's rows. */
static void test_record_import(void **state)
{
    (void)state;
    struct ipb_record rec;
    char err[256];
    const char *text = "# fio 3.33\n"
                       "method\tfio-psync\n"
                       "concurrency\t4\r\n"
                       "throughput_mib_s\t123.5\n"
                       "fsync_p99_s\t0.0042\n"
                       "\n"
                       "label\tfio side by side\n";
    assert_int_equal(ipb_record_import(&rec, text, "0.1.0", "RID", "TS", err, sizeof err), IPB_OK);
    assert_string_equal(rec.method, "fio-psync");
    assert_int_equal(rec.concurrency, 4);
    assert_near(rec.throughput_mib_s, 123.5, 0);
    assert_near(rec.fsync_p99_s, 0.0042, 0);
    assert_string_equal(rec.label, "fio side by side");
    assert_string_equal(rec.run_id, "RID");
    assert_string_equal(rec.series_id, "RID");
    assert_string_equal(rec.version, "0.1.0");
    assert_string_equal(rec.aio_engine, "-");
    assert_true(isnan(rec.compute_s));
    assert_int_equal(rec.ranks, 0);
    char row[8192];
    assert_true(ipb_dat_row(&rec, row, sizeof row) > 0);
    assert_int_equal(ipb_dat_ncolumns(), 67);
    assert_string_equal(rec.interrupted, "no"); /* fio runs are never cut */

    struct {
        const char *text, *needle;
    } bad[] = {
        {"method\tfio\nbogus\t1\n", "line 2: unknown field 'bogus'"},
        {"method fio\n", "line 1: expected 'field<TAB>value'"},
        {"method\tfio\nconcurrency\t-1\n", "line 2: concurrency '-1': not a non-negative"},
        {"method\tfio\nthroughput_mib_s\t12x\n", "throughput_mib_s '12x': not a number"},
        {"concurrency\t1\n", "no method given"},
        {"method\t0123456789abcdefg\n", "longer than 15 characters"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ipb_record_import(&rec, bad[i].text, "v", "r", "t", err, sizeof err),
                         IPB_EBADINPUT);
        if (strstr(err, bad[i].needle) == NULL) {
            print_error("message '%s' lacks '%s'\n", err, bad[i].needle);
            fail();
        }
    }
}

static void test_progress_line(void **state)
{
    (void)state;
    char line[256];
    ipb_progress_format(line, sizeof line, 4.0, 400ull << 20, 300ull << 20, 1.0, 2, 3, false);
    assert_string_equal(line, "[progress] 4.0 s: 400.0 MiB written, 100.000 MiB/s so far, "
                              "100.000 MiB/s in the last 1.0 s (2 of 3 ranks running)");
    ipb_progress_format(line, sizeof line, 2.0, 10ull << 20, 0, 2.0, 1, 1, true);
    assert_non_null(strstr(line, "rank 0 only: 10.0 MiB written, 5.000 MiB/s so far"));
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
        cmocka_unit_test(test_recv_models),
        cmocka_unit_test(test_recv_seeding),
        cmocka_unit_test(test_options_new),
        cmocka_unit_test(test_moments_merge),
        cmocka_unit_test(test_record_insight_columns),
        cmocka_unit_test(test_record_import),
        cmocka_unit_test(test_progress_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
