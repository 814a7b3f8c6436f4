/* Integration tests: the real program under the real launcher, checked through its .dat row.
 *
 * Every method at 1, 2 and 3 ranks (3 oversubscribes a 2-core machine), then one run each for
 * the options that change what a row says (--sync, --compute-sparsity 0, aliases, --label,
 * --seed, --dat appending, unit suffixes, --opt=value). Each row is checked against the
 * contract in docs/design.md and against itself: the rounded columns must agree with the exact
 * ones within the rounding of their printf format, not within a fudge factor. */
#include "harness.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "result_fields.h"

#define MIB 1048576.0

/* Column indices, from the one list (the literal header test below pins the original's 11). */
#define COL_ENUM(type, len, name, hdr, fmt, doc) COL_##name,
enum { IPB_RESULT_FIELDS(COL_ENUM) NCOLS };

/* What a run was asked to do: what its row must say. */
struct expect {
    unsigned np;
    const char *method; /* canonical name */
    unsigned concurrency;
    double duration;
    uint64_t buffer_bytes;
    double recv_delay;
    const char *sync; /* every, end, none */
    uint64_t sparsity;
    const char *engine; /* "-", "io_uring", "posix", or "any" (io_uring or posix) */
    const char *label;  /* "-" when none */
    const char *seed;   /* NULL: any */
};

static int setup(void **state)
{
    return th_ctx_setup_tagged(state, "integ");
}

/* Run under the launcher in the test's directory ("%s" in an argument is that directory) and
 * parse stdout: the run itself takes duration plus start-up, anything much longer is a hang. */
static void run_ipb(struct th_ctx *c, unsigned np, double duration, const char *const *args)
{
    th_ctx_run(c, np, duration + 30.0, args);
}

static const char *col(struct th_ctx *c, int row, int col)
{
    return c->d.row[row][col];
}

static uint64_t col_u64(struct th_ctx *c, int row, int k)
{
    uint64_t v = 0;
    TH_EXPECT(&c->r, th_u64(col(c, row, k), &v) == 0,
              "column %d <%s> is \"%s\", not an unsigned integer", k, th_column_name(k),
              col(c, row, k));
    return v;
}

static double col_f64(struct th_ctx *c, int row, int k)
{
    double v = 0;
    TH_EXPECT(&c->r, th_f64(col(c, row, k), &v) == 0, "column %d <%s> is \"%s\", not a number", k,
              th_column_name(k), col(c, row, k));
    return v;
}

static void expect_str(struct th_ctx *c, int row, int k, const char *want)
{
    TH_EXPECT(&c->r, strcmp(col(c, row, k), want) == 0, "column %d <%s> is \"%s\", expected \"%s\"",
              k, th_column_name(k), col(c, row, k), want);
}

static void expect_u64(struct th_ctx *c, int row, int k, uint64_t want)
{
    uint64_t v = col_u64(c, row, k);
    TH_EXPECT(&c->r, v == want, "column %d <%s> is %" PRIu64 ", expected %" PRIu64, k,
              th_column_name(k), v, want);
}

/* |got - want| <= tol */
static void expect_near(struct th_ctx *c, const char *what, double got, double want, double tol)
{
    TH_EXPECT(&c->r, fabs(got - want) <= tol, "%s: got %.9g, expected %.9g within %.3g", what, got,
              want, tol);
}

static void expect_in(struct th_ctx *c, const char *what, double got, double lo, double hi)
{
    TH_EXPECT(&c->r, got >= lo && got <= hi, "%s: got %.9g, expected within [%.9g, %.9g]", what,
              got, lo, hi);
}

static void expect_timestamp(struct th_ctx *c, int row)
{
    const char *ts = col(c, row, COL_timestamp);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
    TH_EXPECT(&c->r, rest != NULL, "timestamp \"%s\" is not ISO-8601 (YYYY-MM-DDTHH:MM:SS...)", ts);
    if (*rest == '.')
        for (rest++; *rest >= '0' && *rest <= '9'; rest++)
            ;
    TH_EXPECT(&c->r, strcmp(rest, "Z") == 0 || strcmp(rest, "+00:00") == 0,
              "timestamp \"%s\" does not say UTC (Z or +00:00)", ts);
    time_t t = timegm(&tm);
    /* the start of this run, so between our spawn and the end of the run (one second of
     * truncation on each side) */
    TH_EXPECT(&c->r, t >= c->r.wall_start - 1 && t <= c->r.wall_end + 1,
              "timestamp \"%s\" is not within this run (%lld..%lld, got %lld)", ts,
              (long long)c->r.wall_start, (long long)c->r.wall_end, (long long)t);
}

/* The row `row` of the parsed output (stdout or a --dat file) against what was asked. */
static void check_row(struct th_ctx *c, int row, const struct expect *e)
{
    struct th_result *r = &c->r;
    TH_EXPECT(r, c->d.ncols[row] == th_ncolumns(),
              "row %d has %d tab-separated fields, the header has %d columns", row, c->d.ncols[row],
              th_ncolumns());

    /* what was asked */
    expect_str(c, row, COL_version, PACKAGE_VERSION);
    expect_u64(c, row, COL_ranks, e->np);
    expect_str(c, row, COL_method, e->method);
    expect_u64(c, row, COL_concurrency, e->concurrency);
    expect_near(c, "duration column", col_f64(c, row, COL_duration_s), e->duration,
                1e-6 * e->duration); /* %g keeps 6 significant digits */
    expect_near(c, "KiB buffer_size column", col_f64(c, row, COL_buffer_kib),
                (double)e->buffer_bytes / 1024.0, 1e-6 * (double)e->buffer_bytes / 1024.0);
    expect_near(c, "recv delay column (%.3f)", col_f64(c, row, COL_recv_delay_s), e->recv_delay,
                0.0005 + 1e-12);
    expect_u64(c, row, COL_nodes, 1);
    expect_u64(c, row, COL_pipelines, (uint64_t)e->np * e->concurrency);
    expect_str(c, row, COL_sync, e->sync);
    expect_u64(c, row, COL_compute_sparsity, e->sparsity);
    if (strcmp(e->engine, "any") == 0)
        TH_EXPECT(r,
                  strcmp(col(c, row, COL_aio_engine), "io_uring") == 0 ||
                      strcmp(col(c, row, COL_aio_engine), "posix") == 0,
                  "aio engine column is \"%s\", expected the engine that ran: io_uring or posix",
                  col(c, row, COL_aio_engine));
    else
        expect_str(c, row, COL_aio_engine, e->engine);
    expect_str(c, row, COL_label, e->label);
    if (e->seed != NULL)
        expect_str(c, row, COL_seed, e->seed);
    else
        (void)col_u64(c, row, COL_seed);
    const char *id = col(c, row, COL_run_id);
    TH_EXPECT(r, strlen(id) >= 4 && strcmp(id, "-") != 0 && strpbrk(id, " \t") == NULL,
              "run id \"%s\" is not a usable id", id);
    expect_timestamp(c, row);

    /* what was measured, and how the columns agree */
    uint64_t bytes = col_u64(c, row, COL_xferred_bytes);
    uint64_t buffers = col_u64(c, row, COL_buffers);
    uint64_t pipelines = (uint64_t)e->np * e->concurrency;
    double mib = col_f64(c, row, COL_xferred_mib);
    double seconds = col_f64(c, row, COL_elapsed_s);
    double elapsed = col_f64(c, row, COL_elapsed_precise_s);
    double thru = col_f64(c, row, COL_throughput_mib_s);
    double rmin = col_f64(c, row, COL_rank_throughput_min_mib_s);
    double rmax = col_f64(c, row, COL_rank_throughput_max_mib_s);
    double compute_s = col_f64(c, row, COL_compute_s);
    double exact_mib = (double)bytes / MIB;
    const double h3 = 0.0005 + 1e-9; /* half a unit of %.3f, plus double noise */

    TH_EXPECT(r, bytes == buffers * e->buffer_bytes,
              "bytes %" PRIu64 " != buffers %" PRIu64 " x buffer size %" PRIu64, bytes, buffers,
              e->buffer_bytes);
    /* every pipeline starts at least one iteration (now - t0 < duration at t0) ... */
    TH_EXPECT(r, buffers >= pipelines, "buffers %" PRIu64 " < pipelines %" PRIu64, buffers,
              pipelines);
    /* ... and iteration k starts no earlier than k recv delays after t0, and only before the
     * duration is up: at most ceil(duration / delay) <= floor(duration / delay) + 1 each */
    if (e->recv_delay > 0) {
        uint64_t most = pipelines * ((uint64_t)floor(e->duration / e->recv_delay) + 1);
        TH_EXPECT(r, buffers <= most,
                  "buffers %" PRIu64 " > %" PRIu64 ": more iterations than --recv-delay allows",
                  buffers, most);
    }
    expect_near(c, "MiB xferred (%.3f) vs bytes / 2^20", mib, exact_mib, h3);
    expect_near(c, "seconds (%.3f) vs elapsed (%.9f)", seconds, elapsed, h3);
    /* a pipeline starts iterations while now - t0 < duration, so it ends at or after it */
    TH_EXPECT(r, elapsed >= e->duration, "elapsed %.9f s < duration %g s", elapsed, e->duration);
    /* and the last iteration started before the duration: one recv delay, one buffer write
     * and an fsync later it is done. 3 s covers that on a loaded, oversubscribed VM; a run
     * that also timed its set-up or teardown would usually show here. */
    TH_EXPECT(r, elapsed <= e->duration + e->recv_delay + 3.0,
              "elapsed %.9f s is far past duration %g s", elapsed, e->duration);

    /* aggregate = exact MiB / elapsed; elapsed is printed to 1e-9, throughput to 1e-3 */
    double a_lo = exact_mib / (elapsed + 5e-10), a_hi = exact_mib / (elapsed - 5e-10);
    expect_in(c, "aggregate throughput vs bytes / elapsed", thru, a_lo - h3, a_hi + h3);
    /* and against the rounded columns, as a reader of the original's 11 columns sees them */
    expect_in(c, "aggregate throughput vs MiB xferred / seconds", thru,
              (mib - h3) / (seconds + h3) - h3, (mib + h3) / (seconds - h3) + h3);

    if (e->sparsity > 0) {
        TH_EXPECT(r, compute_s > 0, "compute seconds %.6f with compute on", compute_s);
        double cthru = col_f64(c, row, COL_compute_throughput_mib_s);
        double cs_lo = compute_s - 5e-7, cs_hi = compute_s + 5e-7; /* %.6f */
        double hi = cs_lo > 0 ? exact_mib / cs_lo + h3 : INFINITY;
        expect_in(c, "compute throughput vs bytes / compute seconds", cthru, exact_mib / cs_hi - h3,
                  hi);
    } else {
        expect_str(c, row, COL_compute_throughput_mib_s, "nan");
        TH_EXPECT(r, compute_s == 0, "compute seconds %.6f with --compute-sparsity 0", compute_s);
    }

    /* Per-rank throughput r_i = B_i / E_i with E_i <= E (run elapsed = max over ranks) and
     * E_i >= duration. The rank with E_i = E has r_i = B_i / E <= B / E: so min <= aggregate.
     * sum r_i >= sum B_i / E = aggregate: so max x ranks >= aggregate. r_i <= B_i / duration:
     * so max <= B / duration and min x ranks <= sum r_i <= B / duration. */
    double np = e->np;
    TH_EXPECT(r, rmin <= rmax, "min rank throughput %.3f > max %.3f", rmin, rmax);
    TH_EXPECT(r, rmin <= thru + 2 * h3, "min rank throughput %.3f > aggregate %.3f", rmin, thru);
    TH_EXPECT(r, rmax * np >= thru - (np + 1) * h3,
              "max rank throughput %.3f x %g ranks < aggregate %.3f", rmax, np, thru);
    TH_EXPECT(r, rmax <= exact_mib / e->duration + h3,
              "max rank throughput %.3f > all bytes / duration = %.6f", rmax,
              exact_mib / e->duration);
    TH_EXPECT(r, rmin * np <= exact_mib / e->duration + np * h3,
              "min rank throughput %.3f x %g ranks > all bytes / duration = %.6f", rmin, np,
              exact_mib / e->duration);
    if (e->np == 1) {
        /* one rank: its elapsed is the run's, its bytes are all bytes */
        expect_near(c, "min rank throughput with one rank vs aggregate", rmin, thru, 2 * h3);
        expect_near(c, "max rank throughput with one rank vs aggregate", rmax, thru, 2 * h3);
    }
}

/* stdout: one header (the names of result_fields.h, in order) and one row. */
static void check_stdout(struct th_ctx *c, const struct expect *e)
{
    char why[512];
    TH_EXPECT(&c->r, c->d.nheaders == 1, "stdout has %d '#' header lines, expected 1",
              c->d.nheaders);
    TH_EXPECT(&c->r, th_dat_check_header(c->d.header, why, sizeof why) == 0, "%s", why);
    TH_EXPECT(&c->r, c->d.nrows == 1, "stdout has %d rows, expected exactly 1", c->d.nrows);
    check_row(c, 0, e);
}

/* The --dat file after one run: exactly what stdout said. */
static void check_dat_file_is_stdout(struct th_ctx *c, const char *path)
{
    char *text = th_read_file(path, NULL);
    TH_EXPECT(&c->r, text != NULL, "--dat %s was not created", path);
    char want[16384];
    snprintf(want, sizeof want, "%s\n%s\n", c->d.header ? c->d.header : "",
             c->d.row_line[0] ? c->d.row_line[0] : "");
    int same = strcmp(text, want) == 0;
    if (!same)
        print_error("---- %s holds:\n%s----\n", path, text);
    free(text);
    TH_EXPECT(&c->r, same, "--dat %s is not the header and row printed on stdout", path);
}

/* The data files in the test directory: none, or with --keep-files exactly ranks x
 * concurrency files BASE.<rank>.<pipeline>, each a non-empty multiple of the buffer size, that
 * add up to the bytes column. `others` are the other names expected there. */
static void check_data_files(struct th_ctx *c, const struct expect *e, int keep, const char *others)
{
    char *names;
    int n;
    names = th_listdir(c->dir, &n);
    int nothers = 0;
    for (const char *s = others; s && *s; s++)
        if (s == others || s[-1] == ' ')
            nothers++;
    if (!keep) {
        int ok = strcmp(names, others ? others : "") == 0;
        char copy[4096];
        snprintf(copy, sizeof copy, "%s", names);
        free(names);
        TH_EXPECT(&c->r, ok,
                  "without --keep-files the directory should hold only \"%s\", it holds \"%s\"",
                  others ? others : "", copy);
        return;
    }
    free(names);
    TH_EXPECT(&c->r, n == (int)(e->np * e->concurrency) + nothers,
              "with --keep-files expected %u data files (+%d others), found %d entries",
              e->np * e->concurrency, nothers, n);
    uint64_t total = 0;
    for (unsigned rk = 0; rk < e->np; rk++) {
        for (unsigned p = 0; p < e->concurrency; p++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/data.%u.%u", c->dir, rk, p);
            struct stat st;
            TH_EXPECT(&c->r, lstat(path, &st) == 0 && S_ISREG(st.st_mode),
                      "data file %s missing (or not a regular file) with --keep-files", path);
            uint64_t size = (uint64_t)st.st_size;
            TH_EXPECT(&c->r, size > 0 && size % e->buffer_bytes == 0,
                      "%s has %" PRIu64 " bytes: not a non-empty multiple of %" PRIu64, path, size,
                      e->buffer_bytes);
            total += size;
            if (e->sparsity > 0 && rk == e->np - 1 && p == e->concurrency - 1) {
                /* compute fills every K-th byte from the PRNG: the file cannot be all zeros */
                size_t len;
                char *data = th_read_file(path, &len);
                size_t nz = 0;
                for (size_t i = 0; data != NULL && i < len; i++)
                    nz += data[i] != 0;
                free(data);
                TH_EXPECT(&c->r, nz > 0, "%s is all zeros although compute was on", path);
            }
        }
    }
    uint64_t bytes = col_u64(c, 0, COL_xferred_bytes);
    TH_EXPECT(&c->r, total == bytes,
              "the data files hold %" PRIu64 " bytes, the bytes column says %" PRIu64, total,
              bytes);
}

/* ---- every method at 1, 2 and 3 ranks ------------------------------------------------------ */

struct matrix_case {
    unsigned np;
    const char *method;
    const char *engine; /* --aio-engine, or NULL */
    unsigned concurrency;
};

#define MCASES(np)                                                                                 \
    {np, "sequential", NULL, 1}, {np, "openmp", NULL, 4}, {np, "fork", NULL, 4},                   \
        {np, "aio", "io_uring", 4},                                                                \
    {                                                                                              \
        np, "aio", "posix", 4                                                                      \
    }
static const struct matrix_case matrix[] = {MCASES(1), MCASES(2), MCASES(3)};

static void test_matrix(void **state)
{
    struct th_ctx *c = *state;
    const struct matrix_case *m = c->param;
    /* keep the files at 1 and 3 ranks to check them; at 2 ranks check that none remain */
    int keep = m->np != 2;
    char conc[16];
    snprintf(conc, sizeof conc, "%u", m->concurrency);
    const char *args[32] = {
        "--method",     m->method,       "--concurrency", conc, "--duration",    "1",
        "--recv-delay", "0.01",          "--buffer-size", "64", "--output-file", "%s/data",
        "--dat",        "%s/results.dat"};
    int n = 14;
    if (m->engine != NULL) {
        args[n++] = "--aio-engine";
        args[n++] = m->engine;
    }
    if (keep)
        args[n++] = "--keep-files";
    args[n] = NULL;
    run_ipb(c, m->np, 1.0, args);
    th_ctx_expect_success(c, -1);
    struct expect e = {
        m->np, m->method, m->concurrency, 1.0, 65536, 0.01, "every", 8, m->engine ? m->engine : "-",
        "-",   NULL};
    check_stdout(c, &e);
    char dat[4200];
    snprintf(dat, sizeof dat, "%s/results.dat", c->dir);
    check_dat_file_is_stdout(c, dat);
    check_data_files(c, &e, keep, "results.dat");
}

/* ---- single options ------------------------------------------------------------------------ */

/* A short run of one rank x 2 pipelines with extra options; checks stdout and cleanup. */
static void short_run(struct th_ctx *c, unsigned np, const char *const *extra,
                      const struct expect *e)
{
    const char *args[40] = {"--duration",    "0.3", "--recv-delay",  "0.01",
                            "--buffer-size", "64",  "--output-file", "%s/data"};
    int n = 8;
    for (const char *const *s = extra; *s != NULL && n < 38; s++)
        args[n++] = *s;
    args[n] = NULL;
    run_ipb(c, np, 0.3, args);
    th_ctx_expect_success(c, -1);
    check_stdout(c, e);
}

static void test_sync_end(void **state)
{
    struct th_ctx *c = *state;
    const char *extra[] = {"--method", "openmp", "--concurrency", "2", "--sync", "end", NULL};
    struct expect e = {1, "openmp", 2, 0.3, 65536, 0.01, "end", 8, "-", "-", NULL};
    short_run(c, 1, extra, &e);
    check_data_files(c, &e, 0, "");
}

static void test_sync_none(void **state)
{
    struct th_ctx *c = *state;
    const char *extra[] = {"--method", "fork", "--concurrency", "2", "--sync", "none", NULL};
    struct expect e = {2, "fork", 2, 0.3, 65536, 0.01, "none", 8, "-", "-", NULL};
    short_run(c, 2, extra, &e);
    check_data_files(c, &e, 0, "");
}

static void test_sparsity_zero(void **state)
{
    struct th_ctx *c = *state;
    const char *extra[] = {"--method",           "openmp", "--concurrency", "2",
                           "--compute-sparsity", "0",      "--keep-files",  NULL};
    struct expect e = {1, "openmp", 2, 0.3, 65536, 0.01, "every", 0, "-", "-", NULL};
    short_run(c, 1, extra, &e);
    check_data_files(c, &e, 1, "");
}

struct alias_case {
    const char *given, *canonical, *engine;
};
static const struct alias_case aliases[] = {
    {"threading", "openmp", "-"},
    {"multiprocess", "fork", "-"},
    {"asyncio", "aio", "any"},
};

static void test_alias(void **state)
{
    struct th_ctx *c = *state;
    const struct alias_case *al = c->param;
    const char *extra[] = {"--method", al->given, "--concurrency", "2", NULL};
    struct expect e = {1, al->canonical, 2, 0.3, 65536, 0.01, "every", 8, al->engine, "-", NULL};
    short_run(c, 1, extra, &e);
    check_data_files(c, &e, 0, "");
}

/* aio without --aio-engine: auto picks one, and the row names the one that ran */
static void test_aio_auto(void **state)
{
    struct th_ctx *c = *state;
    const char *extra[] = {"--method", "aio", "--concurrency", "3", NULL};
    struct expect e = {1, "aio", 3, 0.3, 65536, 0.01, "every", 8, "any", "-", NULL};
    short_run(c, 1, extra, &e);
    check_data_files(c, &e, 0, "");
}

static void test_label_seed(void **state)
{
    struct th_ctx *c = *state;
    const char *extra[] = {"--method", "sequential", "--label", "sweep A #3, run 2",
                           "--seed",   "12345",      NULL};
    struct expect e = {2,   "sequential",        1,      0.3, 65536, 0.01, "every", 8,
                       "-", "sweep A #3, run 2", "12345"};
    short_run(c, 2, extra, &e);
    check_data_files(c, &e, 0, "");
}

/* --opt=value everywhere, and a size with a unit suffix (1 MiB = 1024 KiB) */
static void test_equals_and_units(void **state)
{
    struct th_ctx *c = *state;
    const char *args[] = {"--method=fork",     "--concurrency=2",         "--duration=0.3",
                          "--recv-delay=0.01", "--buffer-size=1MiB",      "--output-file=%s/data",
                          "--keep-files",      "--compute-sparsity=4096", NULL};
    run_ipb(c, 1, 0.3, args);
    th_ctx_expect_success(c, -1);
    struct expect e = {1, "fork", 2, 0.3, 1048576, 0.01, "every", 4096, "-", "-", NULL};
    check_stdout(c, &e);
    check_data_files(c, &e, 1, "");
}

/* Only --duration given: every other option at its documented default (sequential, 1
 * pipeline, 256 KiB, 0.1 s recv delay, sparsity 8, sync every, seed 1), and the default data
 * files (in the working directory) removed at the end. */
static void test_defaults(void **state)
{
    struct th_ctx *c = *state;
    const char *args[] = {"--duration", "0.3", NULL};
    run_ipb(c, 2, 0.3, args);
    th_ctx_expect_success(c, -1);
    struct expect e = {2, "sequential", 1, 0.3, 262144, 0.1, "every", 8, "-", "-", "1"};
    check_stdout(c, &e);
    check_data_files(c, &e, 0, "");
}

/* Many pipelines in one rank, as in the original's sweeps (up to 64): io_uring queue depth,
 * POSIX AIO request lists, dozens of children or threads. */
static const struct matrix_case many[] = {
    {1, "aio", "io_uring", 64},
    {1, "aio", "posix", 64},
    {1, "fork", NULL, 32},
    {1, "openmp", NULL, 32},
};

static void test_many_pipelines(void **state)
{
    struct th_ctx *c = *state;
    const struct matrix_case *m = c->param;
    char conc[16];
    snprintf(conc, sizeof conc, "%u", m->concurrency);
    const char *args[] = {"--method",      m->method,
                          "--concurrency", conc,
                          "--duration",    "0.5",
                          "--recv-delay",  "0.01",
                          "--buffer-size", "16",
                          "--output-file", "%s/data",
                          "--keep-files",  m->engine ? "--aio-engine" : NULL,
                          m->engine,       NULL};
    run_ipb(c, m->np, 0.5, args);
    th_ctx_expect_success(c, -1);
    struct expect e = {
        m->np, m->method, m->concurrency, 0.5, 16384, 0.01, "every", 8, m->engine ? m->engine : "-",
        "-",   NULL};
    check_stdout(c, &e);
    check_data_files(c, &e, 1, "");
}

/* --dat twice: the header once, then one row per run, each the row that run printed; only rank
 * 0 writes (two ranks would make two rows per run). */
static void test_dat_twice(void **state)
{
    struct th_ctx *c = *state;
    const char *args[] = {
        "--method", "sequential",     "--duration", "0.3",           "--recv-delay",
        "0.01",     "--buffer-size",  "64",         "--output-file", "%s/data",
        "--dat",    "%s/results.dat", NULL};
    char dat[4200];
    snprintf(dat, sizeof dat, "%s/results.dat", c->dir);
    struct expect e = {2, "sequential", 1, 0.3, 65536, 0.01, "every", 8, "-", "-", NULL};

    run_ipb(c, 2, 0.3, args);
    th_ctx_expect_success(c, -1);
    check_stdout(c, &e);
    check_dat_file_is_stdout(c, dat);
    char *row1 = strdup(c->d.row_line[0]);
    char *id1 = strdup(col(c, 0, COL_run_id));

    run_ipb(c, 2, 0.3, args);
    th_ctx_expect_success(c, -1);
    check_stdout(c, &e);
    char *row2 = strdup(c->d.row_line[0]);
    char *id2 = strdup(col(c, 0, COL_run_id));
    int same_id = strcmp(id1, id2) == 0;

    char *text = th_read_file(dat, NULL);
    struct th_dat fd;
    th_dat_parse(text ? text : "", &fd);
    int ok_headers = fd.nheaders == 1, ok_rows = fd.nrows == 2;
    int ok_first = text != NULL && strncmp(text, "#", 1) == 0;
    int ok_r1 = ok_rows && strcmp(fd.row_line[0], row1) == 0;
    int ok_r2 = ok_rows && strcmp(fd.row_line[1], row2) == 0;
    if (!(ok_headers && ok_rows && ok_first && ok_r1 && ok_r2))
        print_error("---- %s holds:\n%s----\n", dat, text ? text : "(nothing)");
    th_dat_free(&fd);
    free(text);
    free(row1);
    free(row2);
    free(id1);
    free(id2);
    TH_EXPECT(&c->r, !same_id, "two runs have the same run id");
    TH_EXPECT(&c->r, ok_first, "the --dat file does not start with the header");
    TH_EXPECT(&c->r, ok_headers, "the --dat file has not exactly one header after two runs");
    TH_EXPECT(&c->r, ok_rows, "the --dat file has not exactly two rows after two runs");
    TH_EXPECT(&c->r, ok_r1 && ok_r2, "the --dat rows are not the rows the two runs printed");
    check_data_files(c, &e, 0, "results.dat");
}

/* Three runs appending to one new --dat file at the same time (a job array sharing one results
 * file): one header, and each run's row exactly once, whole. */
static void test_dat_concurrent(void **state)
{
    struct th_ctx *c = *state;
    enum { NRUNS = 3 };
    char dat[4200];
    snprintf(dat, sizeof dat, "%s/results.dat", c->dir);
    struct th_proc *procs[NRUNS];
    struct th_result res[NRUNS];
    memset(res, 0, sizeof res);
    for (int i = 0; i < NRUNS; i++) {
        struct th_argv a;
        th_mpirun(&a, 1);
        th_argv_add(&a, "--duration");
        th_argv_add(&a, "0.3");
        th_argv_add(&a, "--recv-delay");
        th_argv_add(&a, "0.01");
        th_argv_add(&a, "--buffer-size");
        th_argv_add(&a, "64");
        th_argv_add(&a, "--output-file");
        th_argv_addf(&a, "%s/data%d", c->dir, i);
        th_argv_add(&a, "--dat");
        th_argv_add(&a, dat);
        th_argv_add(&a, "--label");
        th_argv_addf(&a, "run %d", i);
        procs[i] = th_spawn(&a, c->dir);
        th_argv_free(&a);
    }
    /* all must have exited before any th_finish: it counts every process still running below
     * this test as left behind */
    for (int done = 0, spins = 0; !done && spins < 3000; spins++) {
        done = 1;
        for (int i = 0; i < NRUNS; i++)
            done &= th_pump(procs[i], 0.01);
    }
    for (int i = 0; i < NRUNS; i++)
        th_finish(procs[i], 30.0, &res[i]);

    char *text = th_read_file(dat, NULL);
    struct th_dat fd;
    th_dat_parse(text ? text : "", &fd);
    char why[512] = "";
    for (int i = 0; i < NRUNS && why[0] == '\0'; i++) {
        struct th_result *r = &res[i];
        struct th_dat d;
        th_dat_parse(r->out, &d);
        if (r->timed_out || !r->exited || r->status != 0 || r->nleftovers != 0)
            snprintf(why, sizeof why, "run %d failed (exit %d, timed out %d, leftovers %d)", i,
                     r->status, r->timed_out, r->nleftovers);
        else if (d.nrows != 1)
            snprintf(why, sizeof why, "run %d printed %d rows", i, d.nrows);
        else {
            int seen = 0;
            for (int k = 0; k < fd.nrows && k < TH_MAX_ROWS; k++)
                seen += strcmp(fd.row_line[k], d.row_line[0]) == 0;
            if (seen != 1)
                snprintf(why, sizeof why, "the row of run %d is %d times in the --dat file", i,
                         seen);
        }
        th_dat_free(&d);
        if (why[0] != '\0')
            th_result_print(r);
    }
    if (why[0] == '\0' && fd.nheaders != 1)
        snprintf(why, sizeof why, "the --dat file has %d header lines", fd.nheaders);
    if (why[0] == '\0' && fd.nrows != NRUNS)
        snprintf(why, sizeof why, "the --dat file has %d rows for %d runs", fd.nrows, NRUNS);
    if (why[0] != '\0')
        print_error("---- %s holds:\n%s----\n", dat, text ? text : "(nothing)");
    th_dat_free(&fd);
    free(text);
    for (int i = 0; i < NRUNS; i++)
        th_result_free(&res[i]);
    TH_EXPECT(NULL, why[0] == '\0', "%s", why);
}

/* The original's analysis reads columns 0-10 by position and skips '#' lines: the first 11
 * names are the original's (column 1 now the rank count), literally, not from result_fields.h,
 * so that reordering that list cannot silently break them. */
static void test_header_compatible_with_original(void **state)
{
    struct th_ctx *c = *state;
    const char *extra[] = {"--method", "sequential", NULL};
    struct expect e = {1, "sequential", 1, 0.3, 65536, 0.01, "every", 8, "-", "-", NULL};
    short_run(c, 1, extra, &e);
    const char *original = "#<version>\t<ranks>\t<method>\t<concurrency>\t<duration>\t"
                           "<KiB buffer_size>\t<recv delay>\t<MiB xferred>\t"
                           "<sequential compute throughput (MiB/s)>\t<seconds>\t"
                           "<aggregate overall throughput (MiB/s)>\t";
    TH_EXPECT(&c->r, strncmp(c->d.header, original, strlen(original)) == 0,
              "the header does not start with the original's 11 columns:\n    %s", original);
    /* the original's plotting script: method in 2, concurrency in 3, throughput in 10 */
    expect_str(c, 0, 2, "sequential");
    expect_u64(c, 0, 3, 1);
    (void)col_f64(c, 0, 10);
    (void)col_f64(c, 0, 4);
    (void)col_f64(c, 0, 9);
}

/* --help: exit 0, every option of the contract named, nothing run or created. */
static void test_help(void **state)
{
    struct th_ctx *c = *state;
    const char *args[] = {"--help", NULL};
    run_ipb(c, 1, 0, args);
    th_ctx_expect_success(c, -1);
    static const char *const opts[] = {
        "--method",      "--duration",         "--buffer-size", "--concurrency", "--recv-delay",
        "--output-file", "--compute-sparsity", "--sync",        "--aio-engine",  "--dat",
        "--hdf5",        "--keep-files",       "--label",       "--seed",        "--help",
        "--version",     "sequential",         "openmp",        "fork",          "aio",
        "threading",     "multiprocess",       "asyncio",       "io_uring",      "posix"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        TH_EXPECT(&c->r, strstr(c->r.out, opts[i]) != NULL, "--help does not mention %s", opts[i]);
    TH_EXPECT(&c->r, strstr(c->r.out, "#<version>") == NULL, "--help printed a .dat header");
    int n;
    char *names = th_listdir(c->dir, &n);
    free(names);
    TH_EXPECT(&c->r, n == 0, "--help created files in its working directory");
}

static void test_version(void **state)
{
    struct th_ctx *c = *state;
    const char *args[] = {"--version", NULL};
    run_ipb(c, 1, 0, args);
    th_ctx_expect_success(c, -1);
    TH_EXPECT(&c->r, strstr(c->r.out, PACKAGE_VERSION) != NULL,
              "--version does not print the version " PACKAGE_VERSION);
    TH_EXPECT(&c->r, c->d.nheaders == 0, "--version printed a .dat header");
    int n;
    char *names = th_listdir(c->dir, &n);
    free(names);
    TH_EXPECT(&c->r, n == 0, "--version created files in its working directory");
}

/* ---- the list ------------------------------------------------------------------------------ */

#define T(f)     cmocka_unit_test_setup_teardown(f, setup, th_ctx_teardown)
#define NMATRIX  (sizeof matrix / sizeof matrix[0])
#define NALIASES (sizeof aliases / sizeof aliases[0])
#define NMANY    (sizeof many / sizeof many[0])

int main(int argc, char **argv)
{
    th_init(argc, argv);
    static char names[NMATRIX + NALIASES + NMANY][96];
    struct CMUnitTest tests[64];
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)T(test_version);
    tests[n++] = (struct CMUnitTest)T(test_help);
    tests[n++] = (struct CMUnitTest)T(test_header_compatible_with_original);
    for (size_t i = 0; i < NMATRIX; i++) {
        const struct matrix_case *m = &matrix[i];
        snprintf(names[i], sizeof names[i], "matrix: -np %u --method %s%s%s --concurrency %u",
                 m->np, m->method, m->engine ? " --aio-engine " : "", m->engine ? m->engine : "",
                 m->concurrency);
        tests[n++] = (struct CMUnitTest){names[i], test_matrix, setup, th_ctx_teardown, (void *)m};
    }
    tests[n++] = (struct CMUnitTest)T(test_dat_twice);
    tests[n++] = (struct CMUnitTest)T(test_dat_concurrent);
    tests[n++] = (struct CMUnitTest)T(test_sync_end);
    tests[n++] = (struct CMUnitTest)T(test_sync_none);
    tests[n++] = (struct CMUnitTest)T(test_sparsity_zero);
    for (size_t i = 0; i < NALIASES; i++) {
        char *name = names[NMATRIX + i];
        snprintf(name, sizeof names[0], "alias: --method %s is %s", aliases[i].given,
                 aliases[i].canonical);
        tests[n++] =
            (struct CMUnitTest){name, test_alias, setup, th_ctx_teardown, (void *)&aliases[i]};
    }
    tests[n++] = (struct CMUnitTest)T(test_aio_auto);
    tests[n++] = (struct CMUnitTest)T(test_label_seed);
    tests[n++] = (struct CMUnitTest)T(test_equals_and_units);
    tests[n++] = (struct CMUnitTest)T(test_defaults);
    for (size_t i = 0; i < NMANY; i++) {
        const struct matrix_case *m = &many[i];
        char *name = names[NMATRIX + NALIASES + i];
        snprintf(name, sizeof names[0], "many pipelines: --method %s%s%s --concurrency %u",
                 m->method, m->engine ? " --aio-engine " : "", m->engine ? m->engine : "",
                 m->concurrency);
        tests[n++] =
            (struct CMUnitTest){name, test_many_pipelines, setup, th_ctx_teardown, (void *)m};
    }
    return _cmocka_run_group_tests("integration (mpirun)", tests, n, NULL, NULL);
}
