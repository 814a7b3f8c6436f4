/* The HDF5 results file (docs/design.md, "The HDF5 results file"), read back with the HDF5
 * API and h5dump, never with the writer's own code:
 *
 *   - every method appends to one file under mpirun; each /runs row, formatted with the .dat
 *     formatter, is the .dat row byte for byte; per-rank and per-pipeline rows add up to the
 *     run; the context attributes are there;
 *   - a results path that is not HDF5, not ours, of another field list, unwritable, ... is
 *     refused with exit 2 before the run, and left as it was;
 *   - 8 appenders at the same moment, round after round, lose no row (a helper program, and the
 *     benchmark itself);
 *   - SIGKILL at random moments of appends leaves every earlier run readable (a helper that
 *     appends in a loop, and the benchmark itself).
 *
 * The helper is this program: "test_hdf5 --append FILE COUNT TAG NRANKS NPIPES" appends COUNT
 * synthetic runs with ipb_h5_append() and prints "committed <run_id>" after each. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "h5_writer.h"
#include "method.h"
#include "options.h"
#include "record.h"
#include "run_context.h"

/* ---- the helper: synthetic runs appended in a loop ------------------------------------------ */

static int helper_main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s --append FILE COUNT TAG NRANKS NPIPES\n", argv[0]);
        return 2;
    }
    const char *file = argv[2];
    int count = atoi(argv[3]);
    const char *tag = argv[4];
    unsigned nranks = (unsigned)atoi(argv[5]), npipes = (unsigned)atoi(argv[6]);

    struct ipb_options o;
    ipb_options_defaults(&o);
    snprintf(o.label, sizeof o.label, "helper %s", tag);
    struct ipb_run_context ctx;
    if (ipb_run_context_collect(&ctx, &o, argc, argv, 0) != 0)
        return 1;
    struct ipb_pipeline_stats *stats = calloc(npipes, sizeof *stats);
    struct ipb_rank_row *ranks = calloc(nranks, sizeof *ranks);
    struct ipb_pipeline_row *pipes = calloc((size_t)nranks * npipes, sizeof *pipes);
    ctx.rank_cpus = calloc(nranks, sizeof(char *));
    ctx.nranks = nranks;
    if (!stats || !ranks || !pipes || !ctx.rank_cpus)
        return 1;
    for (unsigned r = 0; r < nranks; r++) {
        for (unsigned i = 0; i < npipes; i++) {
            stats[i] = (struct ipb_pipeline_stats){
                .bytes = 65536ull * (r + i + 1),
                .iterations = r + i + 1,
                .elapsed_s = 1.0 + 0.001 * (r + i),
                .recv_s = 0.5,
                .compute_s = 0.01 * (i + 1),
                .write_s = 0.2,
                .fsync_s = 0.1,
            };
        }
        ipb_rank_row_fill(&ranks[r], r, "helper-host", stats, npipes);
        ipb_pipeline_rows_fill(pipes + (size_t)r * npipes, r, stats, npipes);
        ctx.rank_cpus[r] = strdup("0-1");
    }
    for (int k = 0; k < count; k++) {
        char run_id[40], ts[40];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(run_id, sizeof run_id, "%s-%d-%d", tag, (int)getpid(), k);
        struct ipb_run_meta meta = {.version = PACKAGE_VERSION, .run_id = run_id, .timestamp = ts};
        struct ipb_results res = {.ranks = ranks,
                                  .nranks = nranks,
                                  .pipelines = pipes,
                                  .npipelines = (size_t)nranks * npipes};
        ipb_record_fill(&res.record, &o, &meta, ranks, nranks);
        char err[IPB_ERRMSG_LEN];
        if (ipb_h5_append(file, &res, &ctx, err, sizeof err) != 0) {
            fprintf(stderr, "append: %s\n", err);
            return 1;
        }
        char line[64];
        int n = snprintf(line, sizeof line, "committed %s\n", run_id);
        if (write(1, line, (size_t)n) != n)
            return 1;
    }
    free(stats);
    free(ranks);
    free(pipes);
    ipb_run_context_free(&ctx);
    return 0;
}

/* Start the helper with stdout on a pipe; returns its pid. */
static pid_t spawn_helper(const char *file, int count, const char *tag, int nranks, int npipes,
                          int *out_fd)
{
    char self[4096], c[16], nr[16], np[16];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k <= 0)
        return -1;
    self[k] = '\0';
    snprintf(c, sizeof c, "%d", count);
    snprintf(nr, sizeof nr, "%d", nranks);
    snprintf(np, sizeof np, "%d", npipes);
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        execl(self, self, "--append", file, c, tag, nr, np, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    *out_fd = p[0];
    return pid;
}

/* Everything the helper printed (it is dead or about to be). */
static char *slurp_fd(int fd)
{
    size_t len = 0, cap = 4096;
    char *s = malloc(cap);
    for (;;) {
        if (len + 1024 > cap)
            s = realloc(s, cap *= 2);
        ssize_t n = read(fd, s + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    s[len] = '\0';
    close(fd);
    return s;
}

static int count_lines(const char *s, const char *prefix)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, prefix)) != NULL; p++)
        if (p == s || p[-1] == '\n')
            n++;
    return n;
}

/* ---- reading the file back, independently of the writer ------------------------------------- */

enum { TK_STR, TK_U64, TK_F64 };
struct tfield {
    const char *name;
    int kind;
    size_t len, off;
};
#define TF_REC(type, len, name, h, f, d) {#name, TK_##type, len, offsetof(struct ipb_record, name)},
#define TF_RANK(type, len, name, h, f, d)                                                          \
    {#name, TK_##type, len, offsetof(struct ipb_rank_row, name)},
#define TF_PIPE(type, len, name, h, f, d)                                                          \
    {#name, TK_##type, len, offsetof(struct ipb_pipeline_row, name)},
static const struct tfield rec_f[] = {IPB_RESULT_FIELDS(TF_REC)};
static const struct tfield rank_f[] = {IPB_RANK_FIELDS(TF_RANK)};
static const struct tfield pipe_f[] = {IPB_PIPELINE_FIELDS(TF_PIPE)};
#define NF(a) (sizeof(a) / sizeof((a)[0]))

static hid_t mem_type(const struct tfield *f, size_t n, size_t size)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, size);
    for (size_t i = 0; i < n; i++) {
        hid_t m;
        if (f[i].kind == TK_STR) {
            m = H5Tcopy(H5T_C_S1);
            H5Tset_size(m, f[i].len);
        } else {
            m = H5Tcopy(f[i].kind == TK_U64 ? H5T_NATIVE_UINT64 : H5T_NATIVE_DOUBLE);
        }
        H5Tinsert(t, f[i].name, f[i].off, m);
        H5Tclose(m);
    }
    return t;
}

/* Read a whole 1-D compound dataset into rows (malloc'd). Returns the row count or -1. */
static long read_table(hid_t loc, const char *name, const struct tfield *f, size_t nf, size_t size,
                       void **rows)
{
    *rows = NULL;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t s = H5Dget_space(d);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(s, &n, NULL);
    H5Sclose(s);
    hid_t t = mem_type(f, nf, size);
    *rows = calloc(n ? n : 1, size);
    long rc = (long)n;
    if (*rows == NULL || (n > 0 && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, *rows) < 0)) {
        free(*rows);
        *rows = NULL;
        rc = -1;
    }
    H5Tclose(t);
    H5Dclose(d);
    return rc;
}

static int attr_string(hid_t loc, const char *name, char *out, size_t outlen)
{
    out[0] = '\0';
    if (H5Aexists(loc, name) <= 0)
        return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *v = NULL;
    int rc = H5Aread(a, t, &v) >= 0 && v != NULL ? 0 : -1;
    if (rc == 0)
        snprintf(out, outlen, "%s", v);
    H5free_memory(v);
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

/* A 1-D string attribute: its element count, and element i into out. */
static long attr_string_at(hid_t loc, const char *name, size_t i, char *out, size_t outlen)
{
    out[0] = '\0';
    if (H5Aexists(loc, name) <= 0)
        return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t s = H5Aget_space(a);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(s, &n, NULL);
    H5Sclose(s);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char **v = calloc(n ? n : 1, sizeof(char *));
    long rc = -1;
    if (v && H5Aread(a, t, v) >= 0) {
        rc = (long)n;
        if (i < n && v[i])
            snprintf(out, outlen, "%s", v[i]);
        for (hsize_t k = 0; k < n; k++)
            H5free_memory(v[k]);
    }
    free(v);
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

static int attr_int(hid_t loc, const char *name, int64_t *v)
{
    if (H5Aexists(loc, name) <= 0)
        return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    int rc = H5Aread(a, H5T_NATIVE_INT64, v) >= 0 ? 0 : -1;
    H5Aclose(a);
    return rc;
}

struct results {
    long nrows;
    struct ipb_record *rows;
    char why[1024];
};

static void results_free(struct results *r)
{
    free(r->rows);
    r->rows = NULL;
    r->nrows = 0;
}

#define WHY(...)                                                                                   \
    do {                                                                                           \
        snprintf(res->why, sizeof res->why, __VA_ARGS__);                                          \
        goto out;                                                                                  \
    } while (0)

/* Open the file and read every row of /runs and every /run/<id> group in full, checking each
 * run against its own rows: the rank rows and the pipeline rows add up to the run's bytes and
 * buffers, the slowest rank is the run's elapsed time, there is one group per row and it knows
 * its row. Returns 0, or -1 with the first problem in res->why. */
static int read_results(const char *path, struct results *res)
{
    memset(res, 0, sizeof *res);
    res->nrows = -1;
    H5E_auto2_t func;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = -1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t run = -1;
    if (f < 0)
        WHY("%s: H5Fopen failed", path);
    void *rows = NULL;
    long n = read_table(f, "runs", rec_f, NF(rec_f), sizeof(struct ipb_record), &rows);
    if (n < 0)
        WHY("%s: cannot read /runs", path);
    res->rows = rows;
    res->nrows = n;
    run = H5Gopen2(f, "run", H5P_DEFAULT);
    H5G_info_t gi;
    if (run < 0 || H5Gget_info(run, &gi) < 0)
        WHY("%s: no /run group", path);
    if ((long)gi.nlinks != n)
        WHY("%s: %ld rows in /runs but %llu groups in /run", path, n,
            (unsigned long long)gi.nlinks);
    for (long i = 0; i < n; i++) {
        const struct ipb_record *rec = &res->rows[i];
        hid_t g = H5Gopen2(run, rec->run_id, H5P_DEFAULT);
        if (g < 0)
            WHY("row %ld: no group /run/%s", i, rec->run_id);
        int64_t index = -1;
        void *rr = NULL, *pr = NULL;
        long nr = read_table(g, "ranks", rank_f, NF(rank_f), sizeof(struct ipb_rank_row), &rr);
        long np =
            read_table(g, "pipelines", pipe_f, NF(pipe_f), sizeof(struct ipb_pipeline_row), &pr);
        int ok_index = attr_int(g, "runs_index", &index) == 0 && index == i;
        H5Gclose(g);
        const struct ipb_rank_row *ranks = rr;
        const struct ipb_pipeline_row *pipes = pr;
        uint64_t rb = 0, rbuf = 0, pb = 0, pbuf = 0;
        double relapsed = 0.0;
        for (long k = 0; k < nr; k++) {
            rb += ranks[k].bytes;
            rbuf += ranks[k].buffers;
            if (ranks[k].elapsed_s > relapsed)
                relapsed = ranks[k].elapsed_s;
        }
        for (long k = 0; k < np; k++) {
            pb += pipes[k].bytes;
            pbuf += pipes[k].iterations;
        }
        free(rr);
        free(pr);
        if (!ok_index)
            WHY("run %s: runs_index %" PRId64 ", it is row %ld", rec->run_id, index, i);
        if (nr != (long)rec->ranks || np != (long)rec->pipelines)
            WHY("run %s: %ld rank rows and %ld pipeline rows for %" PRIu64 " ranks and %" PRIu64
                " pipelines",
                rec->run_id, nr, np, rec->ranks, rec->pipelines);
        if (rb != rec->xferred_bytes || pb != rec->xferred_bytes)
            WHY("run %s: ranks hold %" PRIu64 " bytes, pipelines %" PRIu64 ", the run %" PRIu64,
                rec->run_id, rb, pb, rec->xferred_bytes);
        if (rbuf != rec->buffers || pbuf != rec->buffers)
            WHY("run %s: ranks hold %" PRIu64 " buffers, pipelines %" PRIu64 ", the run %" PRIu64,
                rec->run_id, rbuf, pbuf, rec->buffers);
        if (relapsed != rec->elapsed_s)
            WHY("run %s: slowest rank %.9f s, run elapsed %.9f s", rec->run_id, relapsed,
                rec->elapsed_s);
    }
    rc = 0;
out:
    if (run >= 0)
        H5Gclose(run);
    if (f >= 0)
        H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, func, data);
    return rc;
}

static int has_run(const struct results *r, const char *run_id)
{
    int n = 0;
    for (long i = 0; i < r->nrows; i++)
        n += strcmp(r->rows[i].run_id, run_id) == 0;
    return n;
}

/* Every "committed <id>" line of text names a row of r, exactly once. Returns the number of
 * committed ids, or -1 (with the missing one in why). */
static int check_committed(const struct results *r, const char *text, char *why, size_t whylen)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, "committed ")) != NULL;) {
        p += strlen("committed ");
        char id[64];
        size_t len = strcspn(p, "\n");
        if (p[len] != '\n') /* a line cut by the kill: not a commit report */
            break;
        snprintf(id, sizeof id, "%.*s", (int)len, p);
        if (has_run(r, id) != 1) {
            snprintf(why, whylen, "committed run %s is in the file %d times", id, has_run(r, id));
            return -1;
        }
        n++;
    }
    return n;
}

/* ---- fixtures and small tools ---------------------------------------------------------------- */

static int setup(void **state)
{
    return th_ctx_setup_tagged(state, "hdf5");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *h5dump_path(void)
{
    static char found[4096];
    const char *path = getenv("PATH");
    char copy[8192];
    snprintf(copy, sizeof copy, "%s", path ? path : "/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(found, sizeof found, "%s/h5dump", d);
        if (access(found, X_OK) == 0)
            return found;
    }
    return NULL;
}

/* h5dump reads the whole of /runs; returns its result (r freed by the caller). */
static void h5dump_runs(const char *file, struct th_result *r)
{
    struct th_argv a;
    th_argv_init(&a);
    th_argv_add(&a, h5dump_path());
    th_argv_add(&a, "-d");
    th_argv_add(&a, "/runs");
    th_argv_add(&a, file);
    th_run(&a, NULL, 60.0, r);
    th_argv_free(&a);
}

/* ---- 1. every method, read back and compared with the .dat ----------------------------------- */

struct method_case {
    const char *method;
    unsigned concurrency;
};
static const struct method_case methods[] = {
    {"sequential", 1}, {"openmp", 3}, {"fork", 3}, {"aio", 3}};

static void run_bench(struct th_ctx *c, unsigned np, const char *method, unsigned conc,
                      const char *h5, const char *dat, const char *label)
{
    struct th_argv a;
    th_mpirun(&a, np);
    const char *args[] = {"--method",     method, "--duration",    "0.4",
                          "--recv-delay", "0.01", "--buffer-size", "64"};
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
        th_argv_add(&a, args[i]);
    th_argv_add(&a, "--concurrency");
    th_argv_addf(&a, "%u", conc);
    th_argv_add(&a, "--output-file");
    th_argv_addf(&a, "%s/data", c->dir);
    th_argv_add(&a, "--hdf5");
    th_argv_add(&a, h5);
    if (dat) {
        th_argv_add(&a, "--dat");
        th_argv_add(&a, dat);
    }
    th_argv_add(&a, "--label");
    th_argv_add(&a, label);
    th_result_free(&c->r);
    th_run(&a, NULL, 120.0, &c->r);
    th_argv_free(&a);
}

static void test_every_method_reads_back(void **state)
{
    struct th_ctx *c = *state;
    char h5[4200], dat[4200];
    snprintf(h5, sizeof h5, "%s/results.h5", c->dir);
    snprintf(dat, sizeof dat, "%s/results.dat", c->dir);
    size_t nm = sizeof methods / sizeof methods[0];
    for (size_t i = 0; i < nm; i++) {
        char label[64];
        snprintf(label, sizeof label, "hdf5 test %s", methods[i].method);
        run_bench(c, 2, methods[i].method, methods[i].concurrency, h5, dat, label);
        TH_EXPECT(&c->r, c->r.exited && c->r.status == 0, "--method %s did not succeed",
                  methods[i].method);
    }

    /* The .dat rows, as the program wrote them. */
    char *text = th_read_file(dat, NULL);
    TH_EXPECT(NULL, text != NULL, "no %s", dat);
    struct th_dat d;
    th_dat_parse(text, &d);
    free(text);
    TH_EXPECT(NULL, d.nrows == (int)nm, "%s has %d rows, expected %zu", dat, d.nrows, nm);

    struct results res;
    int rc = read_results(h5, &res);
    TH_EXPECT(NULL, rc == 0, "%s", res.why);
    TH_EXPECT(NULL, res.nrows == (long)nm, "/runs has %ld rows, expected %zu", res.nrows, nm);

    struct utsname u;
    uname(&u);
    unsigned hmaj, hmin, hrel;
    H5get_libversion(&hmaj, &hmin, &hrel);
    char hver[32];
    snprintf(hver, sizeof hver, "%u.%u.%u", hmaj, hmin, hrel);
    char realdir[4096];
    TH_EXPECT(NULL, realpath(c->dir, realdir) != NULL, "realpath %s", c->dir);

    hid_t f = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    TH_EXPECT(NULL, f >= 0, "cannot open %s", h5);
    for (long i = 0; i < res.nrows; i++) {
        const struct ipb_record *rec = &res.rows[i];
        /* Every field, through the .dat formatter, is the .dat row: same values, same order. */
        char line[4096];
        TH_EXPECT(NULL, ipb_dat_row(rec, line, sizeof line) > 0, "row %ld does not format", i);
        TH_EXPECT(NULL, strcmp(line, d.row_line[i]) == 0,
                  "row %ld differs from the .dat:\n  hdf5: %s\n  .dat: %s", i, line, d.row_line[i]);
        TH_EXPECT(NULL, strcmp(rec->method, methods[i].method) == 0, "row %ld is method %s", i,
                  rec->method);
        TH_EXPECT(NULL, rec->ranks == 2 && rec->pipelines == 2 * methods[i].concurrency,
                  "row %ld: %" PRIu64 " ranks, %" PRIu64 " pipelines", i, rec->ranks,
                  rec->pipelines);
        TH_EXPECT(NULL, rec->xferred_bytes > 0, "row %ld wrote nothing", i);

        /* The context. */
        char name[64];
        snprintf(name, sizeof name, "run/%s", rec->run_id);
        hid_t g = H5Gopen2(f, name, H5P_DEFAULT);
        TH_EXPECT(NULL, g >= 0, "no /run/%s", rec->run_id);
        char v[4096], want[128];
        TH_EXPECT(NULL, attr_string(g, "command_line", v, sizeof v) == 0, "no command_line");
        snprintf(want, sizeof want, "--method %s", methods[i].method);
        TH_EXPECT(NULL, strstr(v, want) && strstr(v, "--label 'hdf5 test"),
                  "command_line '%s' lacks '%s' or the quoted label", v, want);
        TH_EXPECT(NULL, attr_string(g, "mpi_library_version", v, sizeof v) == 0 && v[0],
                  "no mpi_library_version");
        if (strcmp(th_mpi_flavour(), "openmpi") == 0)
            TH_EXPECT(NULL, strstr(v, "Open MPI") != NULL, "mpi_library_version '%s'", v);
        TH_EXPECT(NULL, attr_string(g, "hdf5_version", v, sizeof v) == 0 && !strcmp(v, hver),
                  "hdf5_version '%s', the library is %s", v, hver);
        TH_EXPECT(NULL, attr_string(g, "kernel", v, sizeof v) == 0 && strstr(v, u.release),
                  "kernel '%s' lacks %s", v, u.release);
        TH_EXPECT(NULL, attr_string(g, "compiler", v, sizeof v) == 0 && v[0], "no compiler");
        TH_EXPECT(NULL, attr_string(g, "data_directory", v, sizeof v) == 0 && !strcmp(v, realdir),
                  "data_directory '%s', expected '%s'", v, realdir);
        TH_EXPECT(NULL, attr_string(g, "fs_type", v, sizeof v) == 0 && v[0], "no fs_type");
        TH_EXPECT(NULL, attr_string(g, "mount_point", v, sizeof v) == 0 && v[0] == '/',
                  "mount_point '%s'", v);
        TH_EXPECT(NULL, attr_string(g, "timestamp", v, sizeof v) == 0 && !strcmp(v, rec->timestamp),
                  "timestamp attribute '%s' is not the row's '%s'", v, rec->timestamp);
        for (size_t k = 0; k < 2; k++) {
            TH_EXPECT(NULL, attr_string_at(g, "hostnames", k, v, sizeof v) == 2 && v[0],
                      "hostnames: not one per rank");
            TH_EXPECT(NULL,
                      attr_string_at(g, "cpus_allowed", k, v, sizeof v) == 2 && v[0] &&
                          strspn(v, "0123456789,-") == strlen(v),
                      "cpus_allowed[%zu] '%s' is not a CPU list", k, v);
        }
        int64_t threads = 0;
        TH_EXPECT(NULL, attr_int(g, "omp_max_threads", &threads) == 0 && threads >= 1,
                  "omp_max_threads %" PRId64, threads);
        H5Gclose(g);
    }
    H5Fclose(f);

    /* h5dump, with no code of ours, reads every row. */
    if (h5dump_path() == NULL) {
        print_message("h5dump not found (Debian: hdf5-tools): its check skipped\n");
    } else {
        th_result_free(&c->r); /* th_run overwrites it: the last run_bench's result */
        h5dump_runs(h5, &c->r);
        TH_EXPECT(&c->r, c->r.exited && c->r.status == 0, "h5dump failed");
        for (long i = 0; i < res.nrows; i++)
            TH_EXPECT(&c->r, strstr(c->r.out, res.rows[i].run_id) != NULL,
                      "h5dump does not show run %s", res.rows[i].run_id);
    }
    results_free(&res);
    th_dat_free(&d);
}

/* ---- 2. bad results paths: refused before the run -------------------------------------------- */

enum prep {
    P_TEXT,
    P_FOREIGN_H5,
    P_OTHER_FIELDS,
    P_MISSING_DIR,
    P_UNDER_FILE,
    P_DIRECTORY,
    P_DANGLING,
    P_RO_NEW,
    P_RO_EXISTING
};
struct bad_path {
    const char *name;
    enum prep prep;
    const char *says; /* the error line contains this */
};
static const struct bad_path bad_paths[] = {
    {"a text file", P_TEXT, "not an HDF5 file"},
    {"an HDF5 file that is not ours", P_FOREIGN_H5, "not an io-pipeline-bench results file"},
    {"our layout with other result fields", P_OTHER_FIELDS, "append to a new file"},
    {"a missing directory", P_MISSING_DIR, "missing"},
    {"a path under a regular file", P_UNDER_FILE, "results.h5"},
    {"a directory", P_DIRECTORY, "not a regular file"},
    {"a dangling symlink", P_DANGLING, "dangling"},
    {"a new file in a read-only directory", P_RO_NEW, "not writable"},
    {"an existing results file in a read-only directory", P_RO_EXISTING, "not writable"},
};

/* A file with our root attributes and groups, but a /runs of two fields only: what an older
 * build with another field list would have written. */
static void make_other_fields(const char *path)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5Tcreate(H5T_COMPOUND, 16);
    H5Tinsert(t, "version", 0, H5T_STD_U64LE);
    H5Tinsert(t, "ranks", 8, H5T_STD_U64LE);
    hsize_t zero = 0, unl = H5S_UNLIMITED, chunk = 8;
    hid_t s = H5Screate_simple(1, &zero, &unl);
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(p, 1, &chunk);
    H5Dclose(H5Dcreate2(f, "runs", t, s, H5P_DEFAULT, p, H5P_DEFAULT));
    H5Gclose(H5Gcreate2(f, "run", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    hid_t vs = H5Tcopy(H5T_C_S1);
    H5Tset_size(vs, H5T_VARIABLE);
    hid_t sc = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "creator", vs, sc, H5P_DEFAULT, H5P_DEFAULT);
    const char *creator = "io-pipeline-bench";
    H5Awrite(a, vs, &creator);
    H5Aclose(a);
    a = H5Acreate2(f, "layout_version", H5T_STD_I64LE, sc, H5P_DEFAULT, H5P_DEFAULT);
    int64_t one = IPB_H5_LAYOUT_VERSION;
    H5Awrite(a, H5T_NATIVE_INT64, &one);
    H5Aclose(a);
    H5Sclose(sc);
    H5Tclose(vs);
    H5Pclose(p);
    H5Sclose(s);
    H5Tclose(t);
    H5Fclose(f);
}

static void make_foreign(const char *path)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n = 4;
    hid_t s = H5Screate_simple(1, &n, NULL);
    H5Dclose(H5Dcreate2(f, "someone_elses_data", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT));
    H5Sclose(s);
    H5Fclose(f);
}

/* A valid results file with one synthetic run, made by the helper. */
static void make_results(const char *path)
{
    int fd;
    pid_t pid = spawn_helper(path, 1, "seed", 2, 2, &fd);
    TH_EXPECT(NULL, pid > 0, "cannot start the helper");
    char *out = slurp_fd(fd);
    int ws = 0;
    waitpid(pid, &ws, 0);
    TH_EXPECT(NULL, WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && count_lines(out, "committed ") == 1,
              "the helper could not create %s", path);
    free(out);
}

static char *snapshot(const char *path, size_t *len)
{
    return th_read_file(path, len);
}

static void bad_path_case(struct th_ctx *c, const struct bad_path *bp)
{
    char h5[4200], p[4200];
    snprintf(h5, sizeof h5, "%s/results.h5", c->dir);
    switch (bp->prep) {
    case P_TEXT:
        th_write_file(h5, "precious text, not HDF5\n");
        break;
    case P_FOREIGN_H5:
        make_foreign(h5);
        break;
    case P_OTHER_FIELDS:
        make_other_fields(h5);
        break;
    case P_MISSING_DIR:
        snprintf(h5, sizeof h5, "%s/missing/results.h5", c->dir);
        break;
    case P_UNDER_FILE:
        snprintf(p, sizeof p, "%s/file", c->dir);
        th_write_file(p, "a regular file\n");
        snprintf(h5, sizeof h5, "%s/file/results.h5", c->dir);
        break;
    case P_DIRECTORY:
        TH_EXPECT(NULL, mkdir(h5, 0755) == 0, "mkdir %s", h5);
        break;
    case P_DANGLING:
        snprintf(p, sizeof p, "%s/victim.h5", c->dir);
        TH_EXPECT(NULL, symlink(p, h5) == 0, "symlink %s", h5);
        break;
    case P_RO_NEW:
    case P_RO_EXISTING:
        snprintf(c->mnt, sizeof c->mnt, "%s/ro", c->dir);
        TH_EXPECT(NULL, mkdir(c->mnt, 0755) == 0, "mkdir %s", c->mnt);
        if (mount("tmpfs", c->mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0) {
            print_message("cannot mount a tmpfs on %s (%s): skipped (root ignores mode bits, so "
                          "only a read-only mount makes a directory unwritable)\n",
                          c->mnt, strerror(errno));
            c->mnt[0] = '\0';
            skip();
        }
        snprintf(h5, sizeof h5, "%s/results.h5", c->mnt);
        if (bp->prep == P_RO_EXISTING)
            make_results(h5);
        TH_EXPECT(NULL,
                  mount(NULL, c->mnt, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) ==
                      0,
                  "remount %s read-only: %s", c->mnt, strerror(errno));
        break;
    }
    size_t len_before = 0;
    char *before = snapshot(h5, &len_before);
    int nbefore = 0;
    char *list_before = th_listdir(c->dir, &nbefore);

    struct th_argv a;
    th_mpirun(&a, 2);
    const char *args[] = {"--method",     "openmp", "--concurrency", "2", "--duration", "30",
                          "--recv-delay", "0.01",   "--buffer-size", "64"};
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
        th_argv_add(&a, args[i]);
    th_argv_add(&a, "--output-file");
    th_argv_addf(&a, "%s/data", c->dir);
    th_argv_add(&a, "--hdf5");
    th_argv_add(&a, h5);
    th_run(&a, NULL, 60.0, &c->r);
    th_argv_free(&a);
    struct th_result *r = &c->r;

    TH_EXPECT(r, r->exited && r->status == 2, "a bad --hdf5 path must exit with status 2");
    TH_EXPECT(r, r->seconds < 15.0, "refused after %.1f s: the check must come before the 30 s run",
              r->seconds);
    TH_EXPECT(r, r->out_len == 0, "a refused run printed a result on stdout");
    char *lines[8];
    int n = th_program_lines(r->err, lines, 8);
    int names = n >= 1 && strstr(lines[0], "--hdf5") && strstr(lines[0], bp->says);
    th_lines_free(lines, n < 8 ? n : 8);
    TH_EXPECT(r, n == 1, "%d program lines on stderr, expected one", n);
    TH_EXPECT(r, names, "the error line does not name --hdf5 and say '%s'", bp->says);

    /* Nothing created, nothing changed. */
    int nafter = 0;
    char *list_after = th_listdir(c->dir, &nafter);
    int same_list = strcmp(list_before, list_after) == 0;
    char lb[4200];
    snprintf(lb, sizeof lb, "before: '%s', after: '%s'", list_before, list_after);
    free(list_before);
    free(list_after);
    TH_EXPECT(r, same_list, "the directory changed: %s", lb);
    size_t len_after = 0;
    char *after = snapshot(h5, &len_after);
    int same = (before == NULL && after == NULL) || (before && after && len_before == len_after &&
                                                     memcmp(before, after, len_before) == 0);
    free(before);
    free(after);
    TH_EXPECT(r, same, "%s changed", h5);
    if (bp->prep == P_DANGLING) {
        snprintf(p, sizeof p, "%s/victim.h5", c->dir);
        TH_EXPECT(r, !th_exists(p), "the dangling symlink was followed: %s exists", p);
    }
    if (bp->prep == P_RO_NEW) {
        int k = 0;
        free(th_listdir(c->mnt, &k));
        TH_EXPECT(r, k == 0, "something was created in the read-only directory");
    }
}

static void test_bad_path(void **state)
{
    struct th_ctx *c = *state;
    bad_path_case(c, c->param);
}

static int count_temporaries(const char *dir, const char *base)
{
    char prefix[256];
    snprintf(prefix, sizeof prefix, ".%s.tmp.", base);
    int n = 0;
    char *names = th_listdir(dir, &n);
    int k = 0;
    for (char *p = names; p && (p = strstr(p, prefix)) != NULL; p++)
        k++;
    free(names);
    return k;
}

/* A results file that someone replaces with something else during the run: the append fails
 * (exit 1, a line naming --hdf5) and leaves the replacement as it is. */
static void test_replaced_during_run(void **state)
{
    struct th_ctx *c = *state;
    char h5[4200], other[4200];
    snprintf(h5, sizeof h5, "%s/results.h5", c->dir);
    snprintf(other, sizeof other, "%s/other", c->dir);
    make_results(h5);
    struct th_argv a;
    th_mpirun(&a, 2);
    const char *args[] = {"--method",     "openmp", "--concurrency", "2",  "--duration", "3",
                          "--recv-delay", "0.01",   "--buffer-size", "64", "--hdf5",     h5};
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
        th_argv_add(&a, args[i]);
    th_argv_add(&a, "--output-file");
    th_argv_addf(&a, "%s/data", c->dir);
    struct th_proc *p = th_spawn(&a, NULL);
    th_argv_free(&a);
    th_pump(p, 2.0); /* past the preflight, inside the timed run */
    const char *text = "replaced during the run: not HDF5\n";
    TH_EXPECT(NULL, th_write_file(other, text) == 0 && rename(other, h5) == 0, "replace %s", h5);
    th_finish(p, 60.0, &c->r);
    struct th_result *r = &c->r;
    TH_EXPECT(r, r->exited && r->status == 1, "a failed append must exit with status 1");
    char *lines[8];
    int n = th_program_lines(r->err, lines, 8);
    int names = n >= 1 && strstr(lines[0], "--hdf5") != NULL;
    th_lines_free(lines, n < 8 ? n : 8);
    TH_EXPECT(r, names, "the error line does not name --hdf5");
    char *now = th_read_file(h5, NULL);
    int same = now != NULL && strcmp(now, text) == 0;
    free(now);
    TH_EXPECT(r, same, "the replacement %s was modified", h5);
    TH_EXPECT(r, count_temporaries(c->dir, "results.h5") == 0, "a temporary copy was left");
}

/* ---- 3. concurrent appenders ----------------------------------------------------------------- */

#define APPENDERS    8
#define ROUNDS       6
#define PER_APPENDER 2

static void test_concurrent_appenders(void **state)
{
    struct th_ctx *c = *state;
    char h5[4200];
    snprintf(h5, sizeof h5, "%s/concurrent.h5", c->dir); /* absent: 8 jobs race to create it */
    long expected = 0;
    char *all = calloc(1, 1);
    for (int round = 0; round < ROUNDS; round++) {
        pid_t pid[APPENDERS];
        int fd[APPENDERS];
        for (int j = 0; j < APPENDERS; j++) {
            char tag[16];
            snprintf(tag, sizeof tag, "r%dj%d", round, j);
            pid[j] = spawn_helper(h5, PER_APPENDER, tag, 4, 8, &fd[j]);
            TH_EXPECT(NULL, pid[j] > 0, "cannot start appender %d", j);
        }
        for (int j = 0; j < APPENDERS; j++) {
            char *out = slurp_fd(fd[j]);
            int ws = 0;
            waitpid(pid[j], &ws, 0);
            TH_EXPECT(NULL, WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
                      "round %d: appender %d failed (status %d)", round, j, ws);
            TH_EXPECT(NULL, count_lines(out, "committed ") == PER_APPENDER,
                      "round %d: appender %d committed %d runs, not %d", round, j,
                      count_lines(out, "committed "), PER_APPENDER);
            size_t la = strlen(all), lo = strlen(out);
            all = realloc(all, la + lo + 1);
            memcpy(all + la, out, lo + 1);
            free(out);
        }
        expected += APPENDERS * PER_APPENDER;
        struct results res;
        int rc = read_results(h5, &res);
        TH_EXPECT(NULL, rc == 0, "round %d: %s", round, res.why);
        TH_EXPECT(NULL, res.nrows == expected, "round %d: %ld rows, expected %ld", round, res.nrows,
                  expected);
        char why[256] = "";
        int committed = check_committed(&res, all, why, sizeof why);
        TH_EXPECT(NULL, committed == expected, "round %d: %s (%d committed)", round, why,
                  committed);
        results_free(&res);
    }
    free(all);
    print_message("%d rounds of %d simultaneous appenders: %ld rows, none lost\n", ROUNDS,
                  APPENDERS, expected);
}

/* The benchmark itself: 8 jobs started at once append to one file (and one .dat). The
 * harness runs one command at a time (it reaps and kills every other descendant), so these
 * are started here, each in its own process group with its output in files. */
static void test_concurrent_benchmarks(void **state)
{
    struct th_ctx *c = *state;
    char h5[4200], dat[4200];
    snprintf(h5, sizeof h5, "%s/jobs.h5", c->dir);
    snprintf(dat, sizeof dat, "%s/jobs.dat", c->dir);
    pid_t pids[APPENDERS];
    char *cmds[APPENDERS];
    for (int j = 0; j < APPENDERS; j++) {
        struct th_argv a;
        th_mpirun(&a, 1);
        const char *args[] = {"--method",     "sequential", "--duration",    "0.3",
                              "--recv-delay", "0.01",       "--buffer-size", "64",
                              "--hdf5",       h5,           "--dat",         dat};
        for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
            th_argv_add(&a, args[i]);
        th_argv_add(&a, "--output-file");
        th_argv_addf(&a, "%s/data%d", c->dir, j);
        th_argv_add(&a, "--label");
        th_argv_addf(&a, "job %d", j);
        cmds[j] = th_argv_str(&a);
        char out[4200];
        snprintf(out, sizeof out, "%s/job%d.log", c->dir, j);
        fflush(stdout);
        fflush(stderr);
        pids[j] = fork();
        if (pids[j] == 0) {
            setpgid(0, 0);
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(fd, 1);
            dup2(fd, 2);
            execvp(a.v[0], a.v);
            _exit(127);
        }
        th_argv_free(&a);
    }
    int failed = -1, status[APPENDERS];
    double deadline = now_s() + 120.0;
    for (int j = 0; j < APPENDERS; j++) {
        int ws = 0;
        pid_t w;
        while ((w = waitpid(pids[j], &ws, WNOHANG)) == 0 && now_s() < deadline)
            usleep(20000);
        if (w == 0) {
            kill(-pids[j], SIGKILL);
            waitpid(pids[j], &ws, 0);
        }
        status[j] = WIFEXITED(ws) && w == pids[j] ? WEXITSTATUS(ws) : -1;
        if (status[j] != 0 && failed < 0)
            failed = j;
    }
    if (failed >= 0) {
        char log[4200];
        snprintf(log, sizeof log, "%s/job%d.log", c->dir, failed);
        char *text = th_read_file(log, NULL);
        print_error("---- ran: %s\n---- status %d, output:\n%s\n", cmds[failed], status[failed],
                    text ? text : "");
        free(text);
    }
    for (int j = 0; j < APPENDERS; j++)
        free(cmds[j]);
    TH_EXPECT(NULL, failed < 0, "job %d of %d simultaneous jobs failed", failed, APPENDERS);

    char *text = th_read_file(dat, NULL);
    struct th_dat d;
    th_dat_parse(text ? text : "", &d);
    free(text);
    struct results res;
    int rc = read_results(h5, &res);
    TH_EXPECT(NULL, rc == 0, "%s", res.why);
    TH_EXPECT(NULL, res.nrows == APPENDERS && d.nrows == APPENDERS,
              "%ld HDF5 rows and %d .dat rows after %d simultaneous jobs", res.nrows, d.nrows,
              APPENDERS);
    /* Same runs in both, each HDF5 row equal to its .dat row (the order may differ: the
     * two files are locked separately). */
    for (int i = 0; i < d.nrows; i++) {
        int found = 0;
        for (long k = 0; k < res.nrows; k++) {
            char line[4096];
            ipb_dat_row(&res.rows[k], line, sizeof line);
            found += strcmp(line, d.row_line[i]) == 0;
        }
        TH_EXPECT(NULL, found == 1, ".dat row %d is %d times in the HDF5 file:\n%s", i, found,
                  d.row_line[i]);
    }
    results_free(&res);
    th_dat_free(&d);
}

/* ---- 4. SIGKILL mid-append ------------------------------------------------------------------- */

#define KILLS 200

static void test_kill_helper_mid_append(void **state)
{
    struct th_ctx *c = *state;
    char h5[4200];
    snprintf(h5, sizeof h5, "%s/killed.h5", c->dir);

    /* A file of some size, so that an append (copy, write, fsync, rename) takes a while and
     * random kills land in every phase of it: 64 ranks x 64 pipelines per run. */
    int fd;
    double t0 = now_s();
    pid_t pid = spawn_helper(h5, 4, "base", 64, 64, &fd);
    char *out = slurp_fd(fd);
    int ws = 0;
    waitpid(pid, &ws, 0);
    double per_append = (now_s() - t0) / 4;
    TH_EXPECT(NULL, WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && count_lines(out, "committed ") == 4,
              "could not build the base file");
    free(out);

    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    long rows = 4;
    int mid = 0, total_committed = 0;
    for (int k = 0; k < KILLS; k++) {
        char tag[16];
        snprintf(tag, sizeof tag, "k%d", k);
        int temps_before = count_temporaries(c->dir, "killed.h5");
        pid = spawn_helper(h5, 1000, tag, 64, 64, &fd);
        TH_EXPECT(NULL, pid > 0, "cannot start the helper");
        /* From right after exec to a few appends in. */
        double delay = per_append * 4.0 * rand() / RAND_MAX;
        struct timespec ts = {(time_t)delay, (long)((delay - (time_t)delay) * 1e9)};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, &ws, 0);
        out = slurp_fd(fd);
        mid += count_temporaries(c->dir, "killed.h5") > temps_before;

        struct results res;
        int rc = read_results(h5, &res);
        TH_EXPECT(NULL, rc == 0, "after kill %d (%.1f ms in): %s", k, delay * 1e3, res.why);
        char why[256] = "";
        int committed = check_committed(&res, out, why, sizeof why);
        TH_EXPECT(NULL, committed >= 0, "after kill %d: %s", k, why);
        /* Every earlier run is there; at most one more than the helper reported (killed
         * between rename() and its report). */
        TH_EXPECT(NULL, res.nrows == rows + committed || res.nrows == rows + committed + 1,
                  "after kill %d: %ld rows, expected %ld + %d committed (+1 at most)", k, res.nrows,
                  rows, committed);
        for (long i = 0; i < rows; i++)
            TH_EXPECT(NULL, res.rows[i].run_id[0] != '\0', "row %ld lost its run id", i);
        rows = res.nrows;
        total_committed += committed;
        results_free(&res);
        free(out);

        if (k % 15 == 14 && h5dump_path() != NULL) {
            h5dump_runs(h5, &c->r);
            TH_EXPECT(&c->r, c->r.exited && c->r.status == 0, "h5dump fails after kill %d", k);
            th_result_free(&c->r);
        }
    }
    /* Kills that left a temporary copy behind struck between mkstemp() and rename(): the test
     * is only worth something if many did. */
    print_message("%d kills at random moments (append ~%.1f ms): %d struck mid-append (left a "
                  "temporary copy), %d runs committed, %ld rows, all readable\n",
                  KILLS, per_append * 1e3, mid, total_committed, rows);
    TH_EXPECT(NULL, mid >= KILLS / 8, "only %d of %d kills struck mid-append", mid, KILLS);

    /* And the next append works (the dead appenders' locks died with them). */
    pid = spawn_helper(h5, 1, "after", 2, 2, &fd);
    out = slurp_fd(fd);
    waitpid(pid, &ws, 0);
    TH_EXPECT(NULL, WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && count_lines(out, "committed ") == 1,
              "an append after the kills failed");
    free(out);
    struct results res;
    TH_EXPECT(NULL, read_results(h5, &res) == 0 && res.nrows == rows + 1, "%s (%ld rows)", res.why,
              res.nrows);
    results_free(&res);
}

/* The benchmark itself, killed (the whole mpirun tree) at random moments around its end. */
#define BENCH_KILLS 6

static void test_kill_benchmark(void **state)
{
    struct th_ctx *c = *state;
    char h5[4200];
    snprintf(h5, sizeof h5, "%s/bench-killed.h5", c->dir);
    run_bench(c, 2, "openmp", 2, h5, NULL, "before the kills");
    TH_EXPECT(&c->r, c->r.exited && c->r.status == 0, "the first run failed");
    double whole = c->r.seconds;
    long rows = 1;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (int k = 0; k < BENCH_KILLS; k++) {
        struct th_argv a;
        th_mpirun(&a, 2);
        const char *args[] = {"--method",     "openmp", "--concurrency", "2",  "--duration", "0.4",
                              "--recv-delay", "0.01",   "--buffer-size", "64", "--hdf5",     h5};
        for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
            th_argv_add(&a, args[i]);
        th_argv_add(&a, "--output-file");
        th_argv_addf(&a, "%s/kdata%d", c->dir, k);
        struct th_proc *p = th_spawn(&a, NULL);
        th_argv_free(&a);
        /* Somewhere in the second half of a run, where the report and the append are. */
        double delay = whole * (0.5 + 0.6 * rand() / RAND_MAX);
        int exited = th_pump(p, delay);
        if (!exited)
            th_abandon(p); /* SIGKILL to the whole tree */
        else {
            struct th_result r;
            th_finish(p, 30.0, &r);
            th_result_free(&r);
        }
        struct results res;
        int rc = read_results(h5, &res);
        TH_EXPECT(NULL, rc == 0, "after kill %d: %s", k, res.why);
        TH_EXPECT(NULL, res.nrows == rows || res.nrows == rows + 1,
                  "after kill %d: %ld rows, had %ld", k, res.nrows, rows);
        rows = res.nrows;
        results_free(&res);
    }
}

/* ---- 5. unit checks of the context helpers --------------------------------------------------- */

static void test_cpulist_and_quoting(void **state)
{
    (void)state;
    unsigned char mask[4] = {0};
    char out[128];
    ipb_cpulist_format(out, sizeof out, mask, 32);
    assert_string_equal(out, "");
    int cpus[] = {0, 1, 2, 3, 8, 10, 11, 31};
    for (size_t i = 0; i < sizeof cpus / sizeof cpus[0]; i++)
        mask[cpus[i] / 8] |= (unsigned char)(1u << (cpus[i] % 8));
    ipb_cpulist_format(out, sizeof out, mask, 32);
    assert_string_equal(out, "0-3,8,10-11,31");
    ipb_cpulist_format(out, 6, mask, 32); /* too short: whole ranges only */
    assert_string_equal(out, "0-3,8");

    ipb_shell_quote(out, sizeof out, "--method");
    assert_string_equal(out, "--method");
    ipb_shell_quote(out, sizeof out, "a b");
    assert_string_equal(out, "'a b'");
    ipb_shell_quote(out, sizeof out, "it's");
    assert_string_equal(out, "'it'\\''s'");
    ipb_shell_quote(out, sizeof out, "");
    assert_string_equal(out, "''");
}

#define T(f)                                                                                       \
    {                                                                                              \
#f, f, setup, th_ctx_teardown, NULL                                                        \
    }

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--append") == 0)
        return helper_main(argc, argv);
    th_wrapper_main(argc, argv);
    enum { NBAD = sizeof bad_paths / sizeof bad_paths[0] };
    static char names[NBAD][128];
    struct CMUnitTest tests[NBAD + 8];
    size_t n = 0;
    tests[n++] =
        (struct CMUnitTest){"cpulist_and_quoting", test_cpulist_and_quoting, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest)T(test_every_method_reads_back);
    for (size_t i = 0; i < NBAD; i++) {
        snprintf(names[i], sizeof names[i], "refused before the run: --hdf5 is %s",
                 bad_paths[i].name);
        tests[n++] = (struct CMUnitTest){names[i], test_bad_path, setup, th_ctx_teardown,
                                         (void *)&bad_paths[i]};
    }
    tests[n++] = (struct CMUnitTest)T(test_replaced_during_run);
    tests[n++] = (struct CMUnitTest)T(test_concurrent_appenders);
    tests[n++] = (struct CMUnitTest)T(test_concurrent_benchmarks);
    tests[n++] = (struct CMUnitTest)T(test_kill_helper_mid_append);
    tests[n++] = (struct CMUnitTest)T(test_kill_benchmark);
    return _cmocka_run_group_tests("HDF5 results file", tests, n, NULL, NULL);
}
