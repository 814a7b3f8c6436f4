/* Integration tests of --interval under the real launcher: the time series of a run, in
 * /run/<id>/timeseries, read back three ways (the HDF5 C API, h5py, h5dump):
 *   - every method at 1, 2 and 3 ranks: the intervals add up to the run's bytes and buffers,
 *     which add up to the bytes on disk (--keep-files); the rows are contiguous from 0 (end_s =
 *     the next start_s) and cover the timed phase; MiB/s of a row = bytes / MiB / its length;
 *     latency percentiles ordered and below the exact maximum, nan where nothing completed;
 *     no backlog and no drops in the closed loop;
 *   - --repetitions: each repetition its own series, adding up to its own row;
 *   - a series over the memory bound refused on every rank, with the figure. */
#include "harness.h"

#include <dirent.h>
#include <hdf5.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "record.h"

#define COL_ENUM(type, len, name, hdr, fmt, doc) COL_##name,
enum { IPB_RESULT_FIELDS(COL_ENUM) NCOLS };

static int setup(void **state)
{
    return th_ctx_setup_tagged(state, "timeseries");
}

static uint64_t u64(struct th_ctx *c, int row, int k)
{
    uint64_t v = 0;
    TH_EXPECT(&c->r, th_u64(c->d.row[row][k], &v) == 0, "<%s> is \"%s\", not an integer",
              th_column_name(k), c->d.row[row][k]);
    return v;
}

/* The memory type of a row, built by hand here (not from the program's table) so a member the
 * program misnames or mistypes fails the read. */
static hid_t row_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(struct ipb_ts_row));
#define INS(name, h5t) H5Tinsert(t, #name, offsetof(struct ipb_ts_row, name), h5t)
    INS(start_s, H5T_NATIVE_DOUBLE);
    INS(end_s, H5T_NATIVE_DOUBLE);
    INS(bytes, H5T_NATIVE_UINT64);
    INS(buffers, H5T_NATIVE_UINT64);
    INS(mib_s, H5T_NATIVE_DOUBLE);
    INS(backlog_mean, H5T_NATIVE_DOUBLE);
    INS(backlog_max, H5T_NATIVE_UINT64);
    INS(dropped, H5T_NATIVE_UINT64);
    INS(arrival_p50_s, H5T_NATIVE_DOUBLE);
    INS(arrival_p99_s, H5T_NATIVE_DOUBLE);
    INS(arrival_p999_s, H5T_NATIVE_DOUBLE);
    INS(arrival_max_s, H5T_NATIVE_DOUBLE);
#undef INS
    return t;
}

/* /run/<run_id>/timeseries of file into *rows (malloc'd); returns the row count, -1 if absent.
 * *interval gets its interval_s attribute. */
static long read_series(const char *file, const char *run_id, struct ipb_ts_row **rows,
                        double *interval)
{
    char name[128];
    snprintf(name, sizeof name, "run/%s/timeseries", run_id);
    long n = -1;
    *rows = NULL;
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = f >= 0 ? H5Dopen2(f, name, H5P_DEFAULT) : -1;
    hid_t s = d >= 0 ? H5Dget_space(d) : -1;
    hid_t t = row_type();
    hid_t a = d >= 0 ? H5Aopen(d, "interval_s", H5P_DEFAULT) : -1;
    if (s >= 0 && a >= 0 && H5Aread(a, H5T_NATIVE_DOUBLE, interval) >= 0) {
        hssize_t k = H5Sget_simple_extent_npoints(s);
        *rows = calloc(k > 0 ? (size_t)k : 1, sizeof(**rows));
        if (*rows && (k == 0 || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, *rows) >= 0))
            n = (long)k;
    }
    if (a >= 0)
        H5Aclose(a);
    H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    if (d >= 0)
        H5Dclose(d);
    if (f >= 0)
        H5Fclose(f);
    return n;
}

/* Sum of the sizes of the files in dir whose names start with prefix. */
static uint64_t bytes_on_disk(const char *dir, const char *prefix)
{
    uint64_t sum = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        char path[4400];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0)
            sum += (uint64_t)st.st_size;
    }
    if (d != NULL)
        closedir(d);
    return sum;
}

/* The series of one run against its row: sums, contiguity, MiB/s, percentiles, closed loop. */
static void check_series(struct th_ctx *c, const char *file, const char *run_id, double duration,
                         double interval_want, uint64_t bytes, uint64_t buffers,
                         double arrival_max, const char *what)
{
    double series_max = 0.0;
    struct ipb_ts_row *rows = NULL;
    double interval = 0.0;
    long n = read_series(file, run_id, &rows, &interval);
    TH_EXPECT(&c->r, n > 0, "%s: no /run/%s/timeseries in %s", what, run_id, file);
    TH_EXPECT(&c->r, interval == interval_want, "%s: interval_s %g, expected %g", what, interval,
              interval_want);
    /* the timed phase is covered: ceil(duration / interval) rows at least, and no more than the
     * drain allowance adds */
    long timed = (long)ceil(duration / interval - 1e-9);
    long most = (long)ceil((duration + 1.0) / interval + 1e-9);
    TH_EXPECT(&c->r, n >= timed && n <= most, "%s: %ld rows, expected %ld to %ld", what, n, timed,
              most);
    TH_EXPECT(&c->r, rows[0].start_s == 0.0, "%s: first row starts at %g", what, rows[0].start_s);
    uint64_t sum_bytes = 0, sum_buffers = 0;
    for (long k = 0; k < n; k++) {
        const struct ipb_ts_row *r = &rows[k];
        if (k + 1 < n)
            TH_EXPECT(&c->r, r->end_s == rows[k + 1].start_s,
                      "%s: row %ld ends at %.17g, row %ld starts at %.17g", what, k, r->end_s,
                      k + 1, rows[k + 1].start_s);
        TH_EXPECT(&c->r, fabs(r->start_s - (double)k * interval) <= 1e-9,
                  "%s: row %ld starts at %.17g, not k x interval", what, k, r->start_s);
        double len = r->end_s - r->start_s;
        TH_EXPECT(&c->r, len > 0 && (k + 1 == n || fabs(len - interval) <= 1e-9),
                  "%s: row %ld is %.9g s long (interval %g)", what, k, len, interval);
        double mib_s = (double)r->bytes / 1048576.0 / len;
        TH_EXPECT(&c->r, fabs(r->mib_s - mib_s) <= 1e-9 * (mib_s > 1 ? mib_s : 1),
                  "%s: row %ld MiB/s %.17g, bytes / MiB / length = %.17g", what, k, r->mib_s,
                  mib_s);
        TH_EXPECT(&c->r, r->bytes % 65536 == 0 && r->bytes / 65536 == r->buffers,
                  "%s: row %ld: %" PRIu64 " bytes is not %" PRIu64 " buffers of 64 KiB", what, k,
                  r->bytes, r->buffers);
        TH_EXPECT(&c->r, r->dropped == 0 && r->backlog_max == 0,
                  "%s: row %ld: drops or backlog in the closed loop", what, k);
        if (r->buffers == 0) {
            TH_EXPECT(&c->r,
                      isnan(r->arrival_p50_s) && isnan(r->arrival_max_s) && isnan(r->backlog_mean),
                      "%s: row %ld: latency of an empty interval is not nan", what, k);
        } else {
            TH_EXPECT(&c->r,
                      r->arrival_p50_s > 0 && r->arrival_p50_s <= r->arrival_p99_s &&
                          r->arrival_p99_s <= r->arrival_p999_s &&
                          r->arrival_p999_s <= r->arrival_max_s && r->arrival_max_s < 30.0,
                      "%s: row %ld: arrival p50 %.9g p99 %.9g p99.9 %.9g max %.9g not ordered",
                      what, k, r->arrival_p50_s, r->arrival_p99_s, r->arrival_p999_s,
                      r->arrival_max_s);
            if (r->arrival_max_s > series_max)
                series_max = r->arrival_max_s;
            TH_EXPECT(&c->r, r->backlog_mean == 0.0, "%s: row %ld backlog mean %g", what, k,
                      r->backlog_mean);
        }
        sum_bytes += r->bytes;
        sum_buffers += r->buffers;
    }
    /* Both maxima are exact (not from buckets): the run's is the largest interval's, to the
     * .dat's nine decimals. */
    TH_EXPECT(&c->r, fabs(series_max - arrival_max) <= 1.5e-9,
              "%s: longest arrival latency %.9f s in the series, %.9f s in the row", what,
              series_max, arrival_max);
    TH_EXPECT(&c->r, sum_bytes == bytes && sum_buffers == buffers,
              "%s: the series adds up to %" PRIu64 " bytes, %" PRIu64
              " buffers; the row says %" PRIu64 ", %" PRIu64,
              what, sum_bytes, sum_buffers, bytes, buffers);
    free(rows);
}

/* h5dump's view of a run's series: the sum of its bytes member (member 2 of each record). */
static int h5dump_series_bytes(const char *file, const char *run_id, uint64_t *sum, long *nrec)
{
    char name[128];
    snprintf(name, sizeof name, "/run/%s/timeseries", run_id);
    struct th_argv a;
    th_argv_init(&a);
    const char *args[] = {"h5dump", "-y", "-A", "0", "-d", name, file, NULL};
    th_argv_addv(&a, args);
    struct th_result r;
    memset(&r, 0, sizeof r);
    th_run(&a, NULL, 30.0, &r);
    th_argv_free(&a);
    int rc = -1;
    *sum = 0;
    *nrec = 0;
    if (r.exited && r.status == 0) {
        /* (attributes suppressed) "DATA {" then "{ v, v, ... }," per record: whitespace removed,
         * member 2 summed */
        char *p = strstr(r.out, "DATA {");
        char *flat = p ? malloc(strlen(p) + 1) : NULL;
        size_t k = 0;
        for (; flat && *p; p++)
            if (*p != ' ' && *p != '\n' && *p != '\r')
                flat[k++] = *p;
        if (flat) {
            flat[k] = '\0';
            rc = 0;
            for (char *q = strchr(flat + 5, '{'); q != NULL; q = strchr(q + 1, '{')) {
                char *f = q + 1;
                for (int m = 0; m < 2 && f; m++)
                    f = strchr(f, ',') ? strchr(f, ',') + 1 : NULL;
                if (f == NULL) {
                    rc = -1;
                    break;
                }
                *sum += strtoull(f, NULL, 10);
                (*nrec)++;
            }
            free(flat);
        }
    } else {
        th_result_print(&r);
    }
    th_result_free(&r);
    return rc;
}

struct method_case {
    const char *method;
    unsigned concurrency;
};

static const struct method_case methods[] = {
    {"sequential", 1}, {"openmp", 2}, {"fork", 2}, {"aio", 3}};

static void test_every_method_and_rank_count(void **state)
{
    struct th_ctx *c = *state;
    char h5[4200], base[64], conc[16], run_ids[12][48];
    uint64_t row_bytes[12];
    int nruns = 0;
    snprintf(h5, sizeof h5, "%s/r.h5", c->dir);
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
        for (unsigned np = 1; np <= 3; np++) {
            snprintf(base, sizeof base, "%%s/d-%s-%u", methods[m].method, np);
            snprintf(conc, sizeof conc, "%u", methods[m].concurrency);
            const char *args[] = {"--method",
                                  methods[m].method,
                                  "--concurrency",
                                  conc,
                                  "--duration",
                                  "0.8",
                                  "--recv-delay",
                                  "0.01",
                                  "--buffer-size",
                                  "64",
                                  "--interval",
                                  "0.1",
                                  "--hdf5",
                                  "%s/r.h5",
                                  "--keep-files",
                                  "--output-file",
                                  base,
                                  NULL};
            th_ctx_run(c, np, 40, args);
            th_ctx_expect_success(c, 1);
            char what[64];
            snprintf(what, sizeof what, "%s at %u rank%s", methods[m].method, np,
                     np > 1 ? "s" : "");
            uint64_t bytes = u64(c, 0, COL_xferred_bytes), buffers = u64(c, 0, COL_buffers);
            char prefix[64];
            snprintf(prefix, sizeof prefix, "d-%s-%u.", methods[m].method, np);
            uint64_t disk = bytes_on_disk(c->dir, prefix);
            TH_EXPECT(&c->r, disk == bytes && bytes > 0,
                      "%s: %" PRIu64 " bytes on disk, %" PRIu64 " reported", what, disk, bytes);
            check_series(c, h5, c->d.row[0][COL_run_id], 0.8, 0.1, bytes, buffers,
                         atof(c->d.row[0][COL_arrival_max_s]), what);
            snprintf(run_ids[nruns], sizeof run_ids[0], "%s", c->d.row[0][COL_run_id]);
            row_bytes[nruns++] = bytes;
        }
    }
    /* h5dump reads every series and finds the same bytes. */
    for (int i = 0; i < nruns; i++) {
        uint64_t sum = 0;
        long nrec = 0;
        TH_EXPECT(&c->r, h5dump_series_bytes(h5, run_ids[i], &sum, &nrec) == 0 && nrec >= 8,
                  "h5dump could not read /run/%s/timeseries (%ld records)", run_ids[i], nrec);
        TH_EXPECT(&c->r, sum == row_bytes[i],
                  "h5dump: /run/%s/timeseries adds up to %" PRIu64 " bytes, the row says %" PRIu64,
                  run_ids[i], sum, row_bytes[i]);
    }
    /* h5py (what the analysis reads with): every run's series adds up to its /runs row, and
     * the rows are contiguous with MiB/s = bytes / MiB / length. */
    struct th_argv a;
    th_argv_init(&a);
    const char *py[] = {
        "/usr/bin/python3", "-c",
        "import sys, h5py, numpy as np\n"
        "f = h5py.File(sys.argv[1], 'r')\n"
        "n = 0\n"
        "for row in f['runs'][:]:\n"
        "    ts = f['run'][row['run_id'].decode()]['timeseries'][:]\n"
        "    assert ts['bytes'].sum() == row['xferred_bytes'], 'bytes'\n"
        "    assert ts['buffers'].sum() == row['buffers'], 'buffers'\n"
        "    assert ts['start_s'][0] == 0 and (ts['end_s'][:-1] == ts['start_s'][1:]).all()\n"
        "    mib = ts['bytes'] / 2**20 / (ts['end_s'] - ts['start_s'])\n"
        "    assert np.allclose(ts['mib_s'], mib, rtol=1e-12, atol=0), 'mib_s'\n"
        "    n += 1\n"
        "print('series', n)\n",
        h5, NULL};
    th_argv_addv(&a, py);
    struct th_result r;
    memset(&r, 0, sizeof r);
    th_run(&a, NULL, 60.0, &r);
    th_argv_free(&a);
    char want[32];
    snprintf(want, sizeof want, "series %d\n", nruns);
    TH_EXPECT(&r, r.exited && r.status == 0 && strcmp(r.out, want) == 0,
              "h5py disagrees with the series (expected \"%s\")", want);
    th_result_free(&r);
}

/* --repetitions 2: two rows, each with its own series adding up to its own counts. */
static void test_repetitions_each_their_series(void **state)
{
    struct th_ctx *c = *state;
    const char *args[] = {"--method",
                          "fork",
                          "--concurrency",
                          "2",
                          "--duration",
                          "0.5",
                          "--recv-delay",
                          "0.01",
                          "--buffer-size",
                          "64",
                          "--interval",
                          "0.05",
                          "--repetitions",
                          "2",
                          "--hdf5",
                          "%s/r.h5",
                          "--output-file",
                          "%s/d",
                          NULL};
    th_ctx_run(c, 2, 40, args);
    th_ctx_expect_success(c, 2);
    char h5[4200];
    snprintf(h5, sizeof h5, "%s/r.h5", c->dir);
    for (int row = 0; row < 2; row++) {
        char what[32];
        snprintf(what, sizeof what, "repetition %d", row);
        check_series(c, h5, c->d.row[row][COL_run_id], 0.5, 0.05, u64(c, row, COL_xferred_bytes),
                     u64(c, row, COL_buffers), atof(c->d.row[row][COL_arrival_max_s]), what);
    }
}

/* Over the memory bound: every rank exits 2 with one line giving the figure; nothing created. */
static void test_memory_bound_refused(void **state)
{
    struct th_ctx *c = *state;
    struct th_argv a;
    th_mpirun_each_rank(&a, 2);
    char h5[4200], out[4200];
    snprintf(h5, sizeof h5, "%s/r.h5", c->dir);
    snprintf(out, sizeof out, "%s/d", c->dir);
    const char *args[] = {"--method",   "openmp", "--concurrency", "64", "--duration",    "99",
                          "--interval", "0.01",   "--hdf5",        h5,   "--output-file", out,
                          NULL};
    th_argv_addv(&a, args);
    struct th_result *r = &c->r;
    th_run(&a, c->dir, 30.0, r);
    th_argv_free(&a);
    TH_EXPECT(r, th_every_rank_exited(r, 2), "every rank must exit 2");
    char *lines[4] = {0};
    int nl = th_program_lines(r->err, lines, 4);
    TH_EXPECT(r,
              nl == 1 && strstr(lines[0], "--interval '0.01': the series would take 283.2 MiB "
                                          "per rank (64 pipelines x 10000 intervals x 464 "
                                          "bytes), more than 256 MiB"),
              "one line with the figure expected");
    th_lines_free(lines, nl);
    int n = 0;
    char *names = th_listdir(c->dir, &n);
    TH_EXPECT(r, n == 0, "created: %s", names);
    free(names);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, th_ctx_teardown)

int main(int argc, char **argv)
{
    th_init(argc, argv);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const struct CMUnitTest tests[] = {
        T(test_every_method_and_rank_count),
        T(test_repetitions_each_their_series),
        T(test_memory_bound_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
