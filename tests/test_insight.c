/* Integration tests of what a run shows of its inside, under the real launcher:
 *   - the stage times of every pipeline add up to its elapsed time (every method, every --sync),
 *     checked through the <stage bookkeeping gap> column, the largest |elapsed - sum of stages|
 *     of any pipeline of the run: at most STAGE_GAP_REL x elapsed;
 *   - latency percentiles ordered and plausible; fsync counts per --sync; the histograms in the
 *     HDF5 file add up to the counts of the row;
 *   - stragglers named on stderr and in the row; deadline beside drain throughput;
 *   - --repetitions with --warmup: one row per repetition tied by a series id, files re-created
 *     each time (the fork children serve every repetition), a summary line;
 *   - --progress lines while the run goes, on every method, across ranks;
 *   - --recv-model: recorded, and the mean wait is the --recv-delay;
 *   - --import: a foreign row in the .dat and the HDF5 file. */
#include "harness.h"

#include <hdf5.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "result_fields.h"

#define COL_ENUM(type, len, name, hdr, fmt, doc) COL_##name,
enum { IPB_RESULT_FIELDS(COL_ENUM) NCOLS };

/* The stage bookkeeping error: every stage time is a difference of two clock readings and the
 * stages tile each pipeline's timed phase, so their sum equals elapsed up to floating-point
 * rounding of the running sums (~1e-16 relative per addition, 1e-12 after 10^4 iterations). A
 * stretch of time no stage counts is at least one clock read (~20 ns, 1e-8 of a 2 s run): the
 * bound tells the two apart. */
#define STAGE_GAP_REL 1e-9

static int setup(void **state)
{
    return th_ctx_setup_tagged(state, "insight");
}

static const char *col(struct th_ctx *c, int row, int k)
{
    return c->d.row[row][k];
}

static double f64(struct th_ctx *c, int row, int k)
{
    double v = 0;
    TH_EXPECT(&c->r, th_f64(col(c, row, k), &v) == 0, "<%s> is \"%s\", not a number",
              th_column_name(k), col(c, row, k));
    return v;
}

static uint64_t u64(struct th_ctx *c, int row, int k)
{
    uint64_t v = 0;
    TH_EXPECT(&c->r, th_u64(col(c, row, k), &v) == 0, "<%s> is \"%s\", not an integer",
              th_column_name(k), col(c, row, k));
    return v;
}

/* ---- stage times add up -------------------------------------------------------------------- */

struct stage_case {
    const char *method, *engine, *sync;
    unsigned np, concurrency;
    const char *recv_delay, *sparsity;
};

static const struct stage_case stage_cases[] = {
    {"sequential", NULL, "every", 2, 1, "0.01", "8"}, {"sequential", NULL, "end", 1, 1, "0", "0"},
    {"openmp", NULL, "every", 2, 3, "0.01", "8"},     {"openmp", NULL, "none", 1, 2, "0", "8"},
    {"fork", NULL, "every", 2, 3, "0.01", "8"},       {"fork", NULL, "end", 1, 2, "0.01", "0"},
    {"aio", "io_uring", "every", 2, 4, "0.01", "8"},  {"aio", "io_uring", "end", 1, 4, "0", "8"},
    {"aio", "posix", "every", 1, 4, "0", "8"},        {"aio", "posix", "none", 2, 3, "0.01", "0"},
};
#define NSTAGE (sizeof stage_cases / sizeof stage_cases[0])

static void test_stages_add_up(void **state)
{
    struct th_ctx *c = *state;
    for (size_t i = 0; i < NSTAGE; i++) {
        const struct stage_case *s = &stage_cases[i];
        char conc[16];
        snprintf(conc, sizeof conc, "%u", s->concurrency);
        const char *args[24] = {"--method",     s->method,     "--concurrency",      conc,
                                "--duration",   "1",           "--buffer-size",      "64",
                                "--recv-delay", s->recv_delay, "--compute-sparsity", s->sparsity,
                                "--sync",       s->sync,       "--output-file",      "%s/d"};
        size_t n = 16;
        if (s->engine) {
            args[n++] = "--aio-engine";
            args[n++] = s->engine;
        }
        args[n] = NULL;
        th_ctx_run(c, s->np, 40, args);
        th_ctx_expect_success(c, 1);
        double elapsed = f64(c, 0, COL_elapsed_precise_s);
        double gap = f64(c, 0, COL_stage_gap_max_s);
        TH_EXPECT(&c->r, gap >= 0.0 && gap <= STAGE_GAP_REL * elapsed,
                  "%s --sync %s: a pipeline's stages differ from its elapsed time by %.3g s "
                  "(bound %.3g s)",
                  s->method, s->sync, gap, STAGE_GAP_REL * elapsed);
        /* the summed stages of the run: at most pipelines x elapsed, and at least the slowest
         * pipeline's elapsed (they tile it) */
        double sum = f64(c, 0, COL_recv_s) + f64(c, 0, COL_compute_s) + f64(c, 0, COL_write_s) +
                     f64(c, 0, COL_fsync_s);
        double pipes = (double)u64(c, 0, COL_pipelines);
        TH_EXPECT(&c->r, sum <= pipes * elapsed * (1 + 1e-6) + 1e-5 && sum >= elapsed - 1e-5,
                  "stages summed over the run: %.6f s, elapsed %.6f s, %g pipelines", sum, elapsed,
                  pipes);
        /* fsyncs: per buffer, per file, or none */
        uint64_t fsyncs = u64(c, 0, COL_fsyncs), buffers = u64(c, 0, COL_buffers);
        uint64_t want = strcmp(s->sync, "every") == 0 ? buffers
                        : strcmp(s->sync, "end") == 0 ? (uint64_t)pipes
                                                      : 0;
        TH_EXPECT(&c->r, fsyncs == want, "--sync %s: %" PRIu64 " fsyncs, expected %" PRIu64,
                  s->sync, fsyncs, want);
        if (strcmp(s->sync, "none") == 0)
            TH_EXPECT(&c->r, strcmp(col(c, 0, COL_fsync_p50_s), "nan") == 0,
                      "no fsync, yet an fsync p50 of %s", col(c, 0, COL_fsync_p50_s));
    }
}

/* ---- latency columns and the HDF5 histograms ----------------------------------------------- */

static int read_u64s(hid_t f, const char *name, uint64_t *out, size_t n)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t s = H5Dget_space(d);
    hssize_t got = H5Sget_simple_extent_npoints(s);
    int rc = (got == (hssize_t)n &&
              H5Dread(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0)
                 ? 0
                 : -1;
    H5Sclose(s);
    H5Dclose(d);
    return rc;
}

static int read_attr_i64(hid_t f, const char *obj, const char *name, int64_t *v)
{
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0)
        return -1;
    int rc = H5Aread(a, H5T_NATIVE_INT64, v) >= 0 ? 0 : -1;
    H5Aclose(a);
    return rc;
}

static void check_latency_order(struct th_ctx *c, int row, int first)
{
    double p[5];
    for (int k = 0; k < 5; k++)
        p[k] = f64(c, row, first + k);
    for (int k = 0; k < 4; k++)
        TH_EXPECT(&c->r, p[k] > 0 && p[k] <= p[k + 1] * (1 + 1.0 / 64),
                  "<%s> %.9f then <%s> %.9f: percentiles out of order", th_column_name(first + k),
                  p[k], th_column_name(first + k + 1), p[k + 1]);
}

static void test_latency_and_histograms(void **state)
{
    struct th_ctx *c = *state;
    const char *methods[] = {"openmp", "fork", "aio"};
    for (int m = 0; m < 3; m++) {
        const char *args[] = {"--method",
                              methods[m],
                              "--concurrency",
                              "3",
                              "--duration",
                              "1",
                              "--buffer-size",
                              "64",
                              "--recv-delay",
                              "0.02",
                              "--output-file",
                              "%s/d",
                              "--hdf5",
                              "%s/r.h5",
                              NULL};
        th_ctx_run(c, 2, 40, args);
        th_ctx_expect_success(c, 1);
        check_latency_order(c, 0, COL_write_p50_s);
        check_latency_order(c, 0, COL_fsync_p50_s);
        check_latency_order(c, 0, COL_iteration_p50_s);
        /* an iteration waits 20 ms, plus a write and an fsync */
        double it50 = f64(c, 0, COL_iteration_p50_s);
        TH_EXPECT(&c->r, it50 >= 0.02 * (1 - 1.0 / 64) && it50 < 1.0,
                  "iteration p50 %.6f s with a 20 ms receive delay", it50);
        TH_EXPECT(&c->r,
                  f64(c, 0, COL_fsync_max_s) <= f64(c, 0, COL_iteration_max_s) &&
                      f64(c, 0, COL_write_max_s) <= f64(c, 0, COL_iteration_max_s),
                  "a write or fsync longer than the longest iteration");
    }
    /* The last run's histograms: in /run/<run_id>/histograms, counts that add up to the row. */
    char path[512];
    snprintf(path, sizeof path, "%s/r.h5", c->dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    TH_EXPECT(&c->r, f >= 0, "cannot open %s", path);
    char grp[256];
    snprintf(grp, sizeof grp, "run/%s/histograms", col(c, 0, COL_run_id));
    size_t nb = 0;
    {
        char name[300];
        snprintf(name, sizeof name, "%s/bucket_lower_ns", grp);
        hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
        TH_EXPECT(&c->r, d >= 0, "no %s in %s", name, path);
        hid_t s = H5Dget_space(d);
        nb = (size_t)H5Sget_simple_extent_npoints(s);
        H5Sclose(s);
        H5Dclose(d);
    }
    uint64_t *lower = calloc(nb, 8), *upper = calloc(nb, 8), *cnt = calloc(nb, 8);
    char name[300];
    snprintf(name, sizeof name, "%s/bucket_lower_ns", grp);
    TH_EXPECT(&c->r, read_u64s(f, name, lower, nb) == 0, "reading %s", name);
    snprintf(name, sizeof name, "%s/bucket_upper_ns", grp);
    TH_EXPECT(&c->r, read_u64s(f, name, upper, nb) == 0, "reading %s", name);
    for (size_t i = 0; i + 1 < nb; i++)
        TH_EXPECT(&c->r, upper[i] >= lower[i] && upper[i] + 1 == lower[i + 1],
                  "bucket %zu [%" PRIu64 ", %" PRIu64 "] then %" PRIu64, i, lower[i], upper[i],
                  lower[i + 1]);
    const struct {
        const char *kind;
        int count_col;
        int max_col;
    } kinds[] = {{"write", COL_buffers, COL_write_max_s},
                 {"fsync", COL_fsyncs, COL_fsync_max_s},
                 {"iteration", COL_buffers, COL_iteration_max_s}};
    for (int k = 0; k < 3; k++) {
        snprintf(name, sizeof name, "%s/%s", grp, kinds[k].kind);
        TH_EXPECT(&c->r, read_u64s(f, name, cnt, nb) == 0, "reading %s", name);
        uint64_t sum = 0, hi = 0;
        for (size_t i = 0; i < nb; i++) {
            sum += cnt[i];
            if (cnt[i])
                hi = upper[i];
        }
        int64_t count = -1, max_ns = -1;
        TH_EXPECT(&c->r,
                  read_attr_i64(f, name, "count", &count) == 0 &&
                      read_attr_i64(f, name, "max_ns", &max_ns) == 0,
                  "attributes of %s", name);
        uint64_t want = u64(c, 0, kinds[k].count_col);
        TH_EXPECT(&c->r, sum == want && (uint64_t)count == want,
                  "%s: buckets add up to %" PRIu64 ", count %" PRId64 ", the row says %" PRIu64,
                  name, sum, count, want);
        double row_max = f64(c, 0, kinds[k].max_col);
        TH_EXPECT(&c->r, fabs((double)max_ns * 1e-9 - row_max) < 1e-9 && (uint64_t)max_ns <= hi,
                  "%s: max %" PRId64 " ns, the row says %.9f s, highest bucket ends %" PRIu64, name,
                  max_ns, row_max, hi);
    }
    free(lower);
    free(upper);
    free(cnt);
    H5Fclose(f);
}

/* ---- stragglers, deadline and drain --------------------------------------------------------- */

static void test_stragglers_named(void **state)
{
    struct th_ctx *c = *state;
    const char *args[] = {"--method",
                          "openmp",
                          "--concurrency",
                          "2",
                          "--duration",
                          "1",
                          "--recv-delay",
                          "0.05",
                          "--buffer-size",
                          "64",
                          "--output-file",
                          "%s/d",
                          NULL};
    th_ctx_run(c, 2, 40, args);
    th_ctx_expect_success(c, 1);
    char host[256] = "";
    gethostname(host, sizeof host);
    uint64_t slow = u64(c, 0, COL_slowest_rank);
    TH_EXPECT(&c->r, slow < 2, "slowest rank %" PRIu64 " of 2", slow);
    TH_EXPECT(&c->r, strcmp(col(c, 0, COL_slowest_host), host) == 0, "slowest host %s, not %s",
              col(c, 0, COL_slowest_host), host);
    TH_EXPECT(&c->r, u64(c, 0, COL_slowest_pipeline) < 2, "slowest pipeline index");
    double rmin = f64(c, 0, COL_rank_throughput_min_mib_s),
           rmean = f64(c, 0, COL_rank_throughput_mean_mib_s),
           rmax = f64(c, 0, COL_rank_throughput_max_mib_s),
           rsd = f64(c, 0, COL_rank_throughput_stddev_mib_s);
    TH_EXPECT(&c->r,
              rmin <= rmean + 1e-3 && rmean <= rmax + 1e-3 && rsd >= 0 &&
                  rsd <= (rmax - rmin) / 2 + 1e-3,
              "rank throughput min/mean/max/stddev %g/%g/%g/%g", rmin, rmean, rmax, rsd);
    double pmin = f64(c, 0, COL_pipeline_throughput_min_mib_s),
           pmean = f64(c, 0, COL_pipeline_throughput_mean_mib_s),
           pmax = f64(c, 0, COL_pipeline_throughput_max_mib_s);
    TH_EXPECT(&c->r, pmin > 0 && pmin <= pmean + 1e-3 && pmean <= pmax + 1e-3,
              "pipeline throughput min/mean/max %g/%g/%g", pmin, pmean, pmax);
    /* 4 pipelines, each about a quarter of the total */
    TH_EXPECT(&c->r, fabs(4 * pmean - f64(c, 0, COL_throughput_mib_s)) < 0.2 * 4 * pmean,
              "mean pipeline %g MiB/s, total %g MiB/s", pmean, f64(c, 0, COL_throughput_mib_s));
    /* deadline: only what was done by t0 + 1 s; drain: everything, over the slowest elapsed */
    uint64_t dl = u64(c, 0, COL_deadline_bytes), all = u64(c, 0, COL_xferred_bytes);
    TH_EXPECT(&c->r, dl > 0 && dl <= all, "bytes by deadline %" PRIu64 " of %" PRIu64, dl, all);
    TH_EXPECT(&c->r,
              fabs(f64(c, 0, COL_deadline_throughput_mib_s) - (double)dl / 1048576.0 / 1.0) < 1e-3,
              "deadline throughput is not bytes by deadline / duration");
    /* ... and on stderr, for whoever reads it */
    char want[300];
    snprintf(want, sizeof want,
             "io-pipeline-bench: [summary] slowest rank %" PRIu64 " on %s: ", slow, host);
    TH_EXPECT(&c->r, strstr(c->r.err, want) != NULL, "stderr lacks \"%s\"", want);
    TH_EXPECT(&c->r, th_info_lines(c->r.err, "summary") == 1, "one summary line expected");
}

/* ---- repetitions ---------------------------------------------------------------------------- */

static void test_repetitions(void **state)
{
    struct th_ctx *c = *state;
    const char *methods[] = {"sequential", "openmp", "fork", "aio"};
    for (int m = 0; m < 4; m++) {
        const char *conc = m == 0 ? "1" : "2";
        const char *args[] = {"--method",      methods[m], "--concurrency", conc,
                              "--duration",    "0.5",      "--warmup",      "0.5",
                              "--repetitions", "3",        "--recv-delay",  "0.02",
                              "--buffer-size", "64",       "--output-file", "%s/d",
                              "--dat",         "%s/r.dat", "--keep-files",  NULL};
        th_ctx_run(c, 2, 60, args);
        th_ctx_expect_success(c, 3);
        /* the warmup is untimed, not absent: the run took at least warmup + 3 x duration */
        TH_EXPECT(&c->r, c->r.seconds >= 2.0, "%s: 3 x 0.5 s + 0.5 s warmup took %.2f s",
                  methods[m], c->r.seconds);
        for (int i = 0; i < 3; i++) {
            TH_EXPECT(&c->r,
                      u64(c, i, COL_repetition) == (uint64_t)i && u64(c, i, COL_repetitions) == 3,
                      "row %d: repetition %s of %s", i, col(c, i, COL_repetition),
                      col(c, i, COL_repetitions));
            TH_EXPECT(&c->r, strcmp(col(c, i, COL_series_id), col(c, 0, COL_run_id)) == 0,
                      "row %d: series %s, first run %s", i, col(c, i, COL_series_id),
                      col(c, 0, COL_run_id));
            TH_EXPECT(&c->r, i == 0 || strcmp(col(c, i, COL_run_id), col(c, i - 1, COL_run_id)),
                      "rows %d and %d share run id %s", i - 1, i, col(c, i, COL_run_id));
            TH_EXPECT(&c->r, f64(c, i, COL_warmup_s) == 0.5, "warmup column");
            /* each repetition measured alone: its bytes are in its own files, from zero */
            double el = f64(c, i, COL_elapsed_precise_s);
            TH_EXPECT(&c->r, el >= 0.5 && el < 1.5, "row %d: elapsed %.3f s for 0.5 s", i, el);
            uint64_t bufs = u64(c, i, COL_buffers);
            uint64_t most = (uint64_t)(2 * atoi(conc)) * (uint64_t)(0.5 / 0.02 + 1);
            TH_EXPECT(&c->r, bufs > 0 && bufs <= most,
                      "row %d: %" PRIu64 " buffers, at most %" PRIu64 " in one 0.5 s repetition", i,
                      bufs, most);
        }
        TH_EXPECT(&c->r, th_info_lines(c->r.err, "summary") == 4,
                  "a straggler line per repetition and one series summary expected");
        char want[128];
        snprintf(want, sizeof want, "[summary] series %s, 3 repetitions", col(c, 0, COL_run_id));
        TH_EXPECT(&c->r, strstr(c->r.err, want) != NULL, "stderr lacks \"%s\"", want);
        /* --keep-files keeps the last repetition's files only: their size is its bytes */
        int nfiles = 0;
        char *names = th_listdir(c->dir, &nfiles);
        int ndata = 0;
        long long size = 0;
        for (char *tok = strtok(names, " "); tok; tok = strtok(NULL, " ")) {
            if (strncmp(tok, "d.", 2) != 0)
                continue;
            ndata++;
            char p[512];
            struct stat st;
            snprintf(p, sizeof p, "%s/%s", c->dir, tok);
            if (stat(p, &st) == 0)
                size += st.st_size;
            unlink(p);
        }
        free(names);
        TH_EXPECT(&c->r, ndata == 2 * atoi(conc), "%d data files kept, expected %d", ndata,
                  2 * atoi(conc));
        TH_EXPECT(&c->r, (uint64_t)size == u64(c, 2, COL_xferred_bytes),
                  "kept files hold %lld bytes, the last repetition wrote %s", size,
                  col(c, 2, COL_xferred_bytes));
        char dat[512];
        snprintf(dat, sizeof dat, "%s/r.dat", c->dir);
        unlink(dat);
    }
}

/* ---- progress ------------------------------------------------------------------------------- */

static void test_progress(void **state)
{
    struct th_ctx *c = *state;
    const char *methods[] = {"sequential", "openmp", "fork", "aio"};
    for (int m = 0; m < 4; m++) {
        for (unsigned np = 1; np <= 2; np++) {
            const char *args[] = {"--method",      methods[m],      "--concurrency",
                                  m ? "2" : "1",   "--duration",    "2",
                                  "--progress",    "0.4",           "--recv-delay",
                                  "0.01",          "--buffer-size", "64",
                                  "--output-file", "%s/d",          NULL};
            th_ctx_run(c, np, 40, args);
            th_ctx_expect_success(c, 1);
            int lines = th_info_lines(c->r.err, "progress");
            /* ticks at 0.4, 0.8, 1.2, 1.6 (and maybe 2.0) s */
            TH_EXPECT(&c->r, lines >= 3 && lines <= 6, "%s -np %u: %d progress lines", methods[m],
                      np, lines);
            char want[64];
            snprintf(want, sizeof want, "of %u ranks running", np);
            TH_EXPECT(&c->r, np == 1 || strstr(c->r.err, want) != NULL,
                      "the progress lines do not count %u ranks", np);
            TH_EXPECT(&c->r, strstr(c->r.err, "MiB/s so far") != NULL, "no throughput so far");
            TH_EXPECT(&c->r, f64(c, 0, COL_progress_s) == 0.4, "progress column");
        }
    }
}

/* ---- receive-delay models ------------------------------------------------------------------- */

static void test_recv_models(void **state)
{
    struct th_ctx *c = *state;
    const char *models[] = {"constant", "uniform", "normal", "exponential"};
    for (int m = 0; m < 4; m++) {
        const char *args[] = {"--method",
                              "openmp",
                              "--concurrency",
                              "4",
                              "--duration",
                              "2",
                              "--recv-delay",
                              "0.01",
                              "--recv-model",
                              models[m],
                              "--sync",
                              "none",
                              "--compute-sparsity",
                              "0",
                              "--buffer-size",
                              "4",
                              "--output-file",
                              "%s/d",
                              NULL};
        th_ctx_run(c, 1, 40, args);
        th_ctx_expect_success(c, 1);
        TH_EXPECT(&c->r, strcmp(col(c, 0, COL_recv_model), models[m]) == 0, "recv model %s",
                  col(c, 0, COL_recv_model));
        /* the mean wait is the delay, whatever the model (4 x ~200 samples: within 20 %) */
        double mean = f64(c, 0, COL_recv_s) / (double)u64(c, 0, COL_buffers);
        TH_EXPECT(&c->r, mean > 0.008 && mean < 0.013, "%s: mean recv %.5f s for 0.01 s", models[m],
                  mean);
        if (m == 2)
            TH_EXPECT(&c->r, f64(c, 0, COL_recv_stddev_s) == 0.0025, "normal: default stddev");
        else
            TH_EXPECT(&c->r, strcmp(col(c, 0, COL_recv_stddev_s), "nan") == 0, "stddev");
    }
}

/* ---- --import ------------------------------------------------------------------------------- */

static void test_import(void **state)
{
    struct th_ctx *c = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/fio.rec", c->dir);
    th_write_file(path, "method\tfio-psync\nconcurrency\t4\nthroughput_mib_s\t321.5\n"
                        "fsync_p99_s\t0.004\nlabel\tfio side by side\n");
    const char *args[] = {"--import", "%s/fio.rec", "--dat", "%s/r.dat", "--hdf5", "%s/r.h5", NULL};
    th_ctx_run(c, 1, 30, args);
    th_ctx_expect_success(c, 1);
    TH_EXPECT(&c->r, strcmp(col(c, 0, COL_method), "fio-psync") == 0, "method");
    TH_EXPECT(&c->r, f64(c, 0, COL_throughput_mib_s) == 321.5, "throughput");
    /* and a real run appends to the same files */
    const char *run[] = {"--duration", "0.3",   "--recv-delay", "0",      "--output-file",
                         "%s/d",       "--dat", "%s/r.dat",     "--hdf5", "%s/r.h5",
                         NULL};
    th_ctx_run(c, 1, 30, run);
    th_ctx_expect_success(c, 1);
    snprintf(path, sizeof path, "%s/r.dat", c->dir);
    char *text = th_read_file(path, NULL);
    struct th_dat d;
    th_dat_parse(text ? text : "", &d);
    TH_EXPECT(&c->r, d.nheaders == 1 && d.nrows == 2, "%s: %d headers, %d rows", path, d.nheaders,
              d.nrows);
    th_dat_free(&d);
    free(text);
    snprintf(path, sizeof path, "%s/r.h5", c->dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = f >= 0 ? H5Dopen2(f, "runs", H5P_DEFAULT) : -1;
    hid_t sp = ds >= 0 ? H5Dget_space(ds) : -1;
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    TH_EXPECT(&c->r, n == 2, "/runs has %lld rows, expected 2", (long long)n);
    H5Sclose(sp);
    H5Dclose(ds);
    H5Fclose(f);
    /* bad input: exit 2, one line naming --import, the file and the line */
    snprintf(path, sizeof path, "%s/bad.rec", c->dir);
    th_write_file(path, "method\tfio\nthroughput\t1\n");
    const char *bad[] = {"--import", "%s/bad.rec", NULL};
    th_ctx_run(c, 1, 30, bad);
    char *lines[4] = {0};
    int nl = th_program_lines(c->r.err, lines, 4);
    TH_EXPECT(&c->r,
              c->r.exited && c->r.status == 2 && nl == 1 && strstr(lines[0], "--import") &&
                  strstr(lines[0], "line 2: unknown field 'throughput'"),
              "a bad --import file must exit 2 with one line naming it");
    th_lines_free(lines, nl);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, th_ctx_teardown)

int main(int argc, char **argv)
{
    th_init(argc, argv);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const struct CMUnitTest tests[] = {
        T(test_stages_add_up),    T(test_latency_and_histograms),
        T(test_stragglers_named), T(test_repetitions),
        T(test_progress),         T(test_recv_models),
        T(test_import),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
