/* Unit tests for src/results.c without MPI: the per-rank and per-pipeline rows, the run record
 * built from them (docs/design.md "Timing" rules 4 and 5), its straggler, throughput and latency
 * columns, and the pure steps of ipb_results_collect() composed as the collective composes
 * them. */
#include "unit.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "method.h"
#include "options.h"
#include "results.h"

#define MIB (UINT64_C(1) << 20)

/* ---- helpers ------------------------------------------------------------------------------- */

static struct ipb_pipeline_stats pstats(uint64_t bytes, uint64_t iters, double elapsed, double recv,
                                        double compute, double write, double fsync)
{
    struct ipb_pipeline_stats s;
    memset(&s, 0, sizeof(s));
    s.bytes = bytes;
    s.iterations = iters;
    s.elapsed_s = elapsed;
    s.recv_s = recv;
    s.compute_s = compute;
    s.write_s = write;
    s.fsync_s = fsync;
    return s;
}

/* ---- ipb_rank_row_fill ---------------------------------------------------------------------- */

static void test_rank_row_sums_and_max(void **state)
{
    (void)state;
    struct ipb_pipeline_stats st[3];
    /* Binary-exact values, so the sums are exact. */
    st[0] = pstats(10 * MIB, 40, 5.25, 4.0, 0.5, 0.25, 0.5);
    st[1] = pstats(12 * MIB, 48, 5.75, 4.5, 0.75, 0.125, 0.375); /* the slowest */
    st[2] = pstats(2 * MIB, 8, 5.5, 4.25, 0.25, 0.5, 0.5);
    struct ipb_rank_row row;
    memset(&row, 0x5a, sizeof(row));
    ipb_rank_row_fill(&row, 7, "nid00042", st, 3);
    assert_int_equal(row.rank, 7);
    assert_string_equal(row.host, "nid00042");
    assert_int_equal(row.pipelines, 3);
    assert_int_equal(row.bytes, 24 * MIB);
    assert_int_equal(row.buffers, 96);
    assert_dbl_eq(row.elapsed_s, 5.75);
    assert_dbl_eq(row.recv_s, 12.75);
    assert_dbl_eq(row.compute_s, 1.5);
    assert_dbl_eq(row.write_s, 0.875);
    assert_dbl_eq(row.fsync_s, 1.375);

    /* The maximum wherever it sits. */
    st[0].elapsed_s = 9.0;
    ipb_rank_row_fill(&row, 0, "a", st, 3);
    assert_dbl_eq(row.elapsed_s, 9.0);
    st[0].elapsed_s = 1.0;
    st[2].elapsed_s = 8.0;
    ipb_rank_row_fill(&row, 0, "a", st, 3);
    assert_dbl_eq(row.elapsed_s, 8.0);
    /* Only the first npipelines count. */
    ipb_rank_row_fill(&row, 0, "a", st, 2);
    assert_int_equal(row.bytes, 22 * MIB);
    assert_int_equal(row.pipelines, 2);
    assert_dbl_eq(row.elapsed_s, 5.75);
}

static void test_rank_row_empty_and_long_host(void **state)
{
    (void)state;
    struct ipb_rank_row row;
    memset(&row, 0x5a, sizeof(row));
    ipb_rank_row_fill(&row, 3, "h", NULL, 0);
    assert_int_equal(row.pipelines, 0);
    assert_int_equal(row.bytes, 0);
    assert_int_equal(row.buffers, 0);
    assert_dbl_eq(row.elapsed_s, 0.0);
    assert_dbl_eq(row.compute_s, 0.0);

    /* A host name longer than the field is cut, terminated, and nothing around it written. */
    char host[200];
    memset(host, 'h', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    struct {
        struct ipb_rank_row row;
        unsigned char guard[64];
    } g;
    memset(&g, 0x5a, sizeof(g));
    struct ipb_pipeline_stats st = pstats(1, 1, 1.0, 0, 0, 0, 0);
    ipb_rank_row_fill(&g.row, 1, host, &st, 1);
    assert_int_equal(strlen(g.row.host), sizeof(g.row.host) - 1);
    assert_int_equal(g.row.pipelines, 1);
    for (size_t i = 0; i < sizeof(g.guard); i++)
        assert_int_equal(g.guard[i], 0x5a);
}

/* ---- ipb_record_fill ----------------------------------------------------------------------- */

static void test_record_arithmetic(void **state)
{
    (void)state;
    struct ipb_options o;
    ipb_options_defaults(&o);
    o.method = &ipb_method_openmp;
    o.concurrency = 2;
    o.duration_s = 5.0;
    o.buffer_bytes = 256 * 1024;
    o.recv_delay_s = 0.1;
    o.compute_sparsity = 8;
    o.sync = IPB_SYNC_END;
    o.seed = 77;
    strcpy(o.label, "nvme sweep");

    /* Three ranks on hosts a, b, a: elapsed 4, 5.5 (the slowest) and 3. Byte counts that are not
     * round in MiB, so the arithmetic is checked to the last bit. */
    struct ipb_rank_row rows[3];
    rows[0] = unit_rank_row(0, "a", 2, 10 * MIB + 12345, 41, 4.0, 0.75);
    rows[1] = unit_rank_row(1, "b", 2, 12 * MIB + 1, 49, 5.5, 0.5);
    rows[2] = unit_rank_row(2, "a", 2, 3 * MIB, 12, 3.0, 0.25);
    struct ipb_record rec;
    memset(&rec, 0x5a, sizeof(rec));
    ipb_record_fill(&rec, &o, UNIT_META, rows, 3);

    const uint64_t bytes = 25 * MIB + 12346;
    assert_string_equal(rec.version, "0.1.0");
    assert_int_equal(rec.ranks, 3);
    assert_string_equal(rec.method, "openmp");
    assert_int_equal(rec.concurrency, 2);
    assert_dbl_eq(rec.duration_s, 5.0);
    assert_dbl_eq(rec.buffer_kib, 256.0);
    assert_dbl_eq(rec.recv_delay_s, 0.1);
    assert_int_equal(rec.xferred_bytes, bytes);
    assert_dbl_eq(rec.xferred_mib, (double)bytes / 1048576.0);
    /* Elapsed: max over ranks. Throughput: all bytes / 2^20 / that. */
    assert_dbl_eq(rec.elapsed_s, 5.5);
    assert_dbl_eq(rec.elapsed_precise_s, 5.5);
    assert_dbl_eq(rec.throughput_mib_s, (double)bytes / 1048576.0 / 5.5);
    /* Compute: all bytes / summed compute seconds. */
    assert_dbl_eq(rec.compute_s, 1.5);
    assert_dbl_eq(rec.compute_throughput_mib_s, (double)bytes / 1048576.0 / 1.5);
    assert_int_equal(rec.nodes, 2);
    assert_int_equal(rec.pipelines, 6);
    assert_int_equal(rec.buffers, 102);
    /* Per-rank throughput: rank 0 is (10 MiB + 12345) / 4, rank 1 (12 MiB + 1) / 5.5, rank 2
     * 3 MiB / 3 = 1 MiB/s, the slowest. */
    assert_dbl_eq(rec.rank_throughput_min_mib_s, 1.0);
    assert_dbl_eq(rec.rank_throughput_max_mib_s, (double)(10 * MIB + 12345) / 1048576.0 / 4.0);
    assert_string_equal(rec.sync, "end");
    assert_int_equal(rec.compute_sparsity, 8);
    assert_string_equal(rec.aio_engine, "-");
    assert_int_equal(rec.seed, 77);
    assert_string_equal(rec.run_id, "run-0001");
    assert_string_equal(rec.timestamp, "2025-01-02T03:04:05Z");
    assert_string_equal(rec.label, "nvme sweep");
}

static void test_record_compute_off_is_nan(void **state)
{
    (void)state;
    struct ipb_options o;
    ipb_options_defaults(&o);
    o.compute_sparsity = 0;
    /* The compute stage still takes a few nanoseconds of bookkeeping: no number for it. */
    struct ipb_rank_row row = unit_rank_row(0, "n", 1, 8 * MIB, 32, 2.0, 1e-6);
    struct ipb_record rec;
    ipb_record_fill(&rec, &o, UNIT_META, &row, 1);
    assert_true(isnan(rec.compute_throughput_mib_s));
    assert_dbl_eq(rec.throughput_mib_s, 4.0);
    assert_int_equal(rec.compute_sparsity, 0);
}

static void test_record_nodes_distinct_hosts(void **state)
{
    (void)state;
    struct ipb_options o;
    ipb_options_defaults(&o);
    static const struct {
        const char *hosts[6];
        unsigned n;
        uint64_t nodes;
    } cases[] = {
        {{"a"}, 1, 1},
        {{"a", "b", "a"}, 3, 2},
        {{"a", "a", "a", "a"}, 4, 1},
        {{"a", "b", "c", "d"}, 4, 4},
        {{"a", "b", "a", "c", "b", "c"}, 6, 3},
        {{"nid1", "nid10", "nid1", "nid100"}, 4, 3}, /* prefixes are different hosts */
        {{"x", "y", "y", "y", "y", "x"}, 6, 2},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct ipb_rank_row rows[6];
        for (unsigned i = 0; i < cases[c].n; i++)
            rows[i] = unit_rank_row(i, cases[c].hosts[i], 1, MIB, 4, 1.0, 0.5);
        struct ipb_record rec;
        ipb_record_fill(&rec, &o, UNIT_META, rows, cases[c].n);
        assert_int_equal(rec.nodes, cases[c].nodes);
        assert_int_equal(rec.ranks, cases[c].n);
        assert_int_equal(rec.pipelines, cases[c].n);
    }
}

static void test_record_min_max_rank_throughput(void **state)
{
    (void)state;
    struct ipb_options o;
    ipb_options_defaults(&o);
    /* 2, 8, 0.5 and 4 MiB/s: min and max are not the first or last rank. */
    struct ipb_rank_row rows[4] = {
        unit_rank_row(0, "a", 1, 4 * MIB, 16, 2.0, 0.5),
        unit_rank_row(1, "a", 1, 16 * MIB, 64, 2.0, 0.5),
        unit_rank_row(2, "a", 1, 1 * MIB, 4, 2.0, 0.5),
        unit_rank_row(3, "a", 1, 8 * MIB, 32, 2.0, 0.5),
    };
    struct ipb_record rec;
    ipb_record_fill(&rec, &o, UNIT_META, rows, 4);
    assert_dbl_eq(rec.rank_throughput_min_mib_s, 0.5);
    assert_dbl_eq(rec.rank_throughput_max_mib_s, 8.0);
    assert_dbl_eq(rec.throughput_mib_s, 14.5);
    assert_dbl_eq(rec.compute_throughput_mib_s, 29.0 / 2.0);
}

static void test_record_aio_engine_and_label(void **state)
{
    (void)state;
    struct ipb_options o;
    ipb_options_defaults(&o);
    struct ipb_rank_row row = unit_rank_row(0, "n", 1, MIB, 4, 1.0, 0.5);
    struct ipb_record rec;
    struct ipb_run_meta meta = *UNIT_META;

    meta.aio_engine = "";
    ipb_record_fill(&rec, &o, &meta, &row, 1);
    assert_string_equal(rec.aio_engine, "-");
    assert_string_equal(rec.label, "-"); /* no label: "-", never an empty column */

    meta.aio_engine = "io_uring";
    o.method = &ipb_method_aio;
    strcpy(o.label, "x y");
    ipb_record_fill(&rec, &o, &meta, &row, 1);
    assert_string_equal(rec.aio_engine, "io_uring");
    assert_string_equal(rec.method, "aio");
    assert_string_equal(rec.label, "x y");

    meta.aio_engine = "posix";
    ipb_record_fill(&rec, &o, &meta, &row, 1);
    assert_string_equal(rec.aio_engine, "posix");
}

static void test_record_zero_elapsed(void **state)
{
    (void)state;
    /* A run in which nothing completed: zeros, no division by zero. */
    struct ipb_options o;
    ipb_options_defaults(&o);
    struct ipb_rank_row rows[2] = {unit_rank_row(0, "a", 1, 0, 0, 0.0, 0.0),
                                   unit_rank_row(1, "b", 1, 0, 0, 0.0, 0.0)};
    struct ipb_record rec;
    ipb_record_fill(&rec, &o, UNIT_META, rows, 2);
    assert_dbl_eq(rec.elapsed_s, 0.0);
    assert_dbl_eq(rec.throughput_mib_s, 0.0);
    assert_dbl_eq(rec.rank_throughput_min_mib_s, 0.0);
    assert_dbl_eq(rec.rank_throughput_max_mib_s, 0.0);
    assert_true(isnan(rec.compute_throughput_mib_s));
    assert_int_equal(rec.nodes, 2);
}

/* ---- the insight columns ------------------------------------------------------------------ */

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
    /* Interrupted: the signal any rank caught names the run; the drain figure stays
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

/* ---- pipeline rows ------------------------------------------------------------------------- */

/* Distinct latencies per kind and pipeline: kind k of pipeline i records (k + 1) ms, (k + 1) *
 * (i + 2) ms and (k + 1) * (i + 3) ms, so a column filled from another kind's histogram, or
 * another pipeline's, differs. */
static void record_latencies(struct ipb_pipeline_stats *st, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned k = 0; k < IPB_LAT_NKINDS; k++)
            for (unsigned m = 1; m <= 3; m++)
                ipb_hist_record(&st[i].lat[k], 0.001 * (k + 1) * (m == 1 ? 1 : i + m));
}

static void test_pipeline_rows_fill(void **state)
{
    (void)state;
    struct ipb_pipeline_stats *st = calloc(2, sizeof(*st));
    assert_non_null(st);
    st[0] = pstats(8 * MIB, 32, 4.0, 1.0, 0.5, 2.0, 0.25);
    st[1] = pstats(3 * MIB, 12, 2.0, 0.5, 0.25, 1.0, 0.125);
    st[0].deadline_bytes = 7 * MIB;
    st[1].fsyncs = 12;
    record_latencies(st, 2);
    struct ipb_pipeline_row rows[3];
    memset(rows, 0x5a, sizeof(rows));
    ipb_pipeline_rows_fill(rows, 5, st, 2);
    assert_int_equal(rows[0].rank, 5);
    assert_int_equal(rows[1].rank, 5);
    assert_int_equal(rows[0].pipeline, 0);
    assert_int_equal(rows[1].pipeline, 1);
    assert_int_equal(rows[0].bytes, 8 * MIB);
    assert_int_equal(rows[1].iterations, 12);
    assert_dbl_eq(rows[0].elapsed_s, 4.0);
    assert_dbl_eq(rows[0].recv_s, 1.0);
    assert_dbl_eq(rows[0].compute_s, 0.5);
    assert_dbl_eq(rows[0].write_s, 2.0);
    assert_dbl_eq(rows[0].fsync_s, 0.25);
    assert_dbl_eq(rows[1].fsync_s, 0.125);
    assert_int_equal(rows[0].deadline_bytes, 7 * MIB);
    assert_int_equal(rows[1].fsyncs, 12);
    assert_dbl_eq(rows[0].throughput_mib_s, 2.0);
    assert_dbl_eq(rows[1].throughput_mib_s, 1.5);
    /* Every kind's columns from that kind's histogram of that pipeline. */
    for (unsigned i = 0; i < 2; i++) {
#define PIPE_LAT(r, ID, kind, text, meaning)                                                       \
    [IPB_LAT_##ID] = {(r)->kind##_p50_s, (r)->kind##_p99_s, (r)->kind##_max_s},
        const double cols[IPB_LAT_NKINDS][3] = {IPB_LAT_KINDS(PIPE_LAT, &rows[i])};
#undef PIPE_LAT
        for (unsigned k = 0; k < IPB_LAT_NKINDS; k++) {
            assert_dbl_eq(cols[k][0], ipb_hist_percentile_ns(&st[i].lat[k], 50.0) * 1e-9);
            assert_dbl_eq(cols[k][1], ipb_hist_percentile_ns(&st[i].lat[k], 99.0) * 1e-9);
            assert_near(cols[k][2], 0.001 * (k + 1) * (i + 3), 1e-15);
        }
    }
    /* Nothing written past the rows asked for. */
    const unsigned char *guard = (const unsigned char *)&rows[2];
    for (size_t b = 0; b < sizeof(rows[2]); b++)
        assert_int_equal(guard[b], 0x5a);
    /* An empty histogram: nan, not 0 (no fsync with --sync none). */
    struct ipb_pipeline_stats empty = pstats(MIB, 4, 1.0, 0, 0, 0, 0);
    ipb_pipeline_rows_fill(rows, 0, &empty, 1);
    assert_true(isnan(rows[0].fsync_p50_s));
    assert_true(isnan(rows[0].fsync_max_s));
    free(st);
}

/* ---- the backlog counters: pipeline -> rank -> record ---------------------------------------- */

/* The iteration hook counts what it is given; pipeline rows copy, rank rows sum (max: the
 * largest), and the record's mean is over every sample of every rank, not a mean of means. */
static void test_backlog_counters(void **state)
{
    (void)state;
    struct ipb_pipeline_stats *st = calloc(3, sizeof(*st));
    assert_non_null(st);
    /* pipeline 0: samples 0, 3, 5; pipeline 1: 2; pipeline 2 (rank 1): 1 x 4 */
    const uint64_t samples0[] = {0, 3, 5};
    for (int i = 0; i < 3; i++)
        ipb_stats_iteration_done(&st[0], MIB, 0.5 * (i + 1), 10, 0.25 * (i + 1), samples0[i]);
    ipb_stats_iteration_done(&st[1], MIB, 1.0, 10, 0.125, 2);
    for (int i = 0; i < 4; i++)
        ipb_stats_iteration_done(&st[2], MIB, 1.0 + i, 10, 0.0625, 1);
    st[0].dropped = 7;
    st[1].left_waiting = 2;
    st[2].dropped = 1;
    st[2].left_waiting = 3;
    assert_int_equal(st[0].backlog_samples, 3);
    assert_int_equal(st[0].backlog_sum, 8);
    assert_int_equal(st[0].backlog_max, 5);
    assert_int_equal(st[0].lat[IPB_LAT_ARRIVAL].count, 3);
    assert_int_equal(st[0].lat[IPB_LAT_ARRIVAL].max_ns, 750000000);
    assert_int_equal(st[2].bytes, 4 * MIB);

    struct ipb_pipeline_row prow[2];
    ipb_pipeline_rows_fill(prow, 0, st, 2);
    assert_int_equal(prow[0].backlog_samples, 3);
    assert_int_equal(prow[0].backlog_sum, 8);
    assert_int_equal(prow[0].backlog_max, 5);
    assert_int_equal(prow[0].dropped, 7);
    assert_int_equal(prow[1].left_waiting, 2);
    assert_near(prow[0].arrival_max_s, 0.75, 0.75 / 64);

    struct ipb_rank_row rows[2];
    ipb_rank_row_fill(&rows[0], 0, "a", &st[0], 2);
    ipb_rank_row_fill(&rows[1], 1, "b", &st[2], 1);
    assert_int_equal(rows[0].backlog_samples, 4);
    assert_int_equal(rows[0].backlog_sum, 10);
    assert_int_equal(rows[0].backlog_max, 5);
    assert_int_equal(rows[0].dropped, 7);
    assert_int_equal(rows[0].left_waiting, 2);
    assert_dbl_eq(rows[0].arrival_max_s, 0.75);
    assert_dbl_eq(rows[0].arrival_min_s, 0.125);

    struct ipb_options o;
    ipb_options_defaults(&o);
    o.arrivals = IPB_ARRIVALS_OPEN;
    o.backlog = 5;
    o.backlog_policy = IPB_BACKLOG_DROP;
    struct ipb_record rec;
    ipb_record_fill(&rec, &o, UNIT_META, rows, 2);
    assert_string_equal(rec.arrivals, "open");
    assert_int_equal(rec.backlog_bound, 5);
    assert_string_equal(rec.backlog_policy, "drop");
    assert_dbl_eq(rec.backlog_mean, 14.0 / 8.0); /* (0+3+5+2+1+1+1+1) / 8, not (2.5+1)/2 */
    assert_int_equal(rec.backlog_max, 5);
    assert_int_equal(rec.dropped, 8);
    assert_int_equal(rec.left_waiting, 5);

    /* closed: no bound, no policy; the samples are all 0 */
    ipb_options_defaults(&o);
    struct ipb_pipeline_stats c;
    memset(&c, 0, sizeof(c));
    ipb_stats_iteration_done(&c, MIB, 1.0, 10, 0.001, 0);
    ipb_rank_row_fill(&rows[0], 0, "a", &c, 1);
    ipb_record_fill(&rec, &o, UNIT_META, rows, 1);
    assert_string_equal(rec.arrivals, "closed");
    assert_int_equal(rec.backlog_bound, 0);
    assert_string_equal(rec.backlog_policy, "-");
    assert_dbl_eq(rec.backlog_mean, 0.0);
    assert_int_equal(rec.backlog_max, 0);
    assert_int_equal(rec.dropped, 0);
    /* no iteration at all: no mean to give */
    ipb_rank_row_fill(&rows[0], 0, "a", NULL, 0);
    ipb_record_fill(&rec, &o, UNIT_META, rows, 1);
    assert_true(isnan(rec.backlog_mean));
    free(st);
}

/* ---- rank rows: stage gap and latency extremes -------------------------------------------- */

static void test_rank_row_stage_gap_counts_every_stage(void **state)
{
    (void)state;
    /* Binary-exact stages summing to 7.75 s: each stage left out would change the gap. */
    struct ipb_pipeline_stats st[2];
    st[0] = pstats(MIB, 1, 8.0, 4.0, 2.0, 1.0, 0.75);  /* gap 0.25 */
    st[1] = pstats(MIB, 1, 7.75, 4.0, 2.0, 1.0, 0.75); /* gap 0 */
    struct ipb_rank_row row;
    ipb_rank_row_fill(&row, 0, "h", st, 2);
    assert_dbl_eq(row.stage_gap_max_s, 0.25);
    st[0].elapsed_s = 7.0; /* below the stages: the gap is absolute */
    ipb_rank_row_fill(&row, 0, "h", st, 2);
    assert_dbl_eq(row.stage_gap_max_s, 0.75);
}

static void test_rank_row_latency_extremes_every_kind(void **state)
{
    (void)state;
    struct ipb_pipeline_stats *st = calloc(3, sizeof(*st));
    assert_non_null(st);
    record_latencies(st, 3);
    struct ipb_rank_row row;
    ipb_rank_row_fill(&row, 0, "h", st, 3);
#define RANK_LAT(r, ID, kind, text, meaning)                                                       \
    [IPB_LAT_##ID] = {(r)->kind##_min_s, (r)->kind##_max_s},
    double minmax[IPB_LAT_NKINDS][2] = {IPB_LAT_KINDS(RANK_LAT, &row)};
    for (unsigned k = 0; k < IPB_LAT_NKINDS; k++) {
        assert_near(minmax[k][0], 0.001 * (k + 1), 1e-15);
        assert_near(minmax[k][1], 0.001 * (k + 1) * 5, 1e-15); /* pipeline 2, (2 + 3) */
    }
    /* No pipeline recorded a kind: nan, which the record's merge skips. */
    ipb_rank_row_fill(&row, 0, "h", st, 0);
    double none[IPB_LAT_NKINDS][2] = {IPB_LAT_KINDS(RANK_LAT, &row)};
#undef RANK_LAT
    for (unsigned k = 0; k < IPB_LAT_NKINDS; k++) {
        assert_true(isnan(none[k][0]));
        assert_true(isnan(none[k][1]));
    }
    free(st);
}

/* ---- the pure steps of collect, composed as the collective composes them ------------------ */

/* Two ranks of two pipelines: each rank's row and bucket sums, the sums added (MPI_Reduce's
 * MPI_SUM), then rank 0's build. The run's histograms must be exactly those of every pipeline
 * merged directly, and the record's latency columns their percentiles. */
static void test_collect_steps_two_ranks(void **state)
{
    (void)state;
    struct ipb_options o;
    ipb_options_defaults(&o);
    o.concurrency = 2;
    struct ipb_pipeline_stats *st = calloc(4, sizeof(*st));
    uint64_t *sum0 = malloc(IPB_RESULTS_NBUCKETS * sizeof(uint64_t));
    uint64_t *sum1 = malloc(IPB_RESULTS_NBUCKETS * sizeof(uint64_t));
    struct ipb_hist *merged = calloc(IPB_LAT_NKINDS, sizeof(*merged));
    struct ipb_hist *lat = malloc(IPB_LAT_NKINDS * sizeof(*lat));
    assert_true(st && sum0 && sum1 && merged && lat);
    for (unsigned i = 0; i < 4; i++)
        st[i] = pstats((i + 1) * MIB, i + 1, 1.0 + i, 0.5, 0.25, 0.125, 0.0625);
    record_latencies(st, 4);
    /* fsync left empty everywhere (--sync none): its columns must come out nan */
    for (unsigned i = 0; i < 4; i++)
        memset(&st[i].lat[IPB_LAT_FSYNC], 0, sizeof(st[i].lat[IPB_LAT_FSYNC]));
    for (unsigned i = 0; i < 4; i++)
        for (unsigned k = 0; k < IPB_LAT_NKINDS; k++)
            ipb_hist_merge(&merged[k], &st[i].lat[k]);

    struct ipb_rank_row rows[2];
    memset(sum0, 0x5a, IPB_RESULTS_NBUCKETS * sizeof(uint64_t)); /* overwritten, not added to */
    ipb_rank_row_fill(&rows[0], 0, "a", &st[0], 2);
    ipb_results_sum_buckets(sum0, &st[0], 2);
    ipb_rank_row_fill(&rows[1], 1, "b", &st[2], 2);
    ipb_results_sum_buckets(sum1, &st[2], 2);
    for (unsigned j = 0; j < IPB_RESULTS_NBUCKETS; j++)
        sum0[j] += sum1[j];

    struct ipb_pipeline_row pipes[4];
    ipb_pipeline_rows_fill(&pipes[0], 0, &st[0], 2);
    ipb_pipeline_rows_fill(&pipes[2], 1, &st[2], 2);
    struct ipb_results res;
    memset(&res, 0, sizeof(res));
    memset(lat, 0x5a, IPB_LAT_NKINDS * sizeof(*lat));
    ipb_results_build(&res, &o, UNIT_META, rows, 2, pipes, 4, sum0, lat);

    assert_ptr_equal(res.ranks, rows);
    assert_int_equal(res.nranks, 2);
    assert_ptr_equal(res.pipelines, pipes);
    assert_int_equal(res.npipelines, 4);
    assert_ptr_equal(res.lat, lat);
    assert_null(res.own_ranks); /* the caller's arrays: ipb_results_free leaves them alone */
    for (unsigned k = 0; k < IPB_LAT_NKINDS; k++)
        assert_memory_equal(&lat[k], &merged[k], sizeof(lat[k]));
    const struct ipb_record *rec = &res.record;
    assert_int_equal(rec->ranks, 2);
    assert_int_equal(rec->pipelines, 4);
    assert_int_equal(rec->xferred_bytes, 10 * MIB);
    assert_dbl_eq(rec->elapsed_s, 4.0);
    assert_dbl_eq(rec->recv_s, 2.0);
    assert_dbl_eq(rec->compute_s, 1.0);
    assert_dbl_eq(rec->write_s, 0.5);
    assert_dbl_eq(rec->fsync_s, 0.25);
    const struct ipb_hist *w = &merged[IPB_LAT_WRITE], *it = &merged[IPB_LAT_ITERATION];
    assert_dbl_eq(rec->write_p50_s, ipb_hist_percentile_ns(w, 50.0) * 1e-9);
    assert_dbl_eq(rec->write_p90_s, ipb_hist_percentile_ns(w, 90.0) * 1e-9);
    assert_dbl_eq(rec->write_p99_s, ipb_hist_percentile_ns(w, 99.0) * 1e-9);
    assert_dbl_eq(rec->write_p999_s, ipb_hist_percentile_ns(w, 99.9) * 1e-9);
    assert_near(rec->write_max_s, 0.001 * 6, 1e-15); /* pipeline 3's longest: 1 ms x (3 + 3) */
    assert_dbl_eq(rec->iteration_p99_s, ipb_hist_percentile_ns(it, 99.0) * 1e-9);
    assert_near(rec->iteration_max_s, 0.003 * 6, 1e-15);
    assert_true(isnan(rec->fsync_p50_s));
    assert_true(isnan(rec->fsync_max_s));

    /* A rank without pipelines adds nothing to the sums. */
    ipb_results_sum_buckets(sum1, NULL, 0);
    for (unsigned j = 0; j < IPB_RESULTS_NBUCKETS; j++)
        assert_int_equal(sum1[j], 0);

    ipb_results_free(&res);
    assert_null(res.ranks);
    assert_int_equal(res.nranks, 0);
    free(st);
    free(sum0);
    free(sum1);
    free(merged);
    free(lat);
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_row_sums_and_max),
        cmocka_unit_test(test_rank_row_empty_and_long_host),
        cmocka_unit_test(test_record_arithmetic),
        cmocka_unit_test(test_record_compute_off_is_nan),
        cmocka_unit_test(test_record_nodes_distinct_hosts),
        cmocka_unit_test(test_record_min_max_rank_throughput),
        cmocka_unit_test(test_record_aio_engine_and_label),
        cmocka_unit_test(test_record_zero_elapsed),
        cmocka_unit_test(test_record_insight_columns),
        cmocka_unit_test(test_pipeline_rows_fill),
        cmocka_unit_test(test_rank_row_stage_gap_counts_every_stage),
        cmocka_unit_test(test_rank_row_latency_extremes_every_kind),
        cmocka_unit_test(test_collect_steps_two_ranks),
        cmocka_unit_test(test_backlog_counters),
    };
    return cmocka_run_group_tests_name("results", tests, NULL, NULL);
}
