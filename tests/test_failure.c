/* Failures while running (docs/design.md, "Errors"): the run exits with status 1, names rank,
 * pipeline, file and the cause on stderr, writes no result row, removes the data files it
 * created, and no rank hangs and no process is left behind.
 *
 * Two failures are injected from outside the program, with no test hook inside it: a forked
 * pipeline child killed with SIGKILL mid-run, and a data directory on a 1 MiB tmpfs that fills
 * up (ENOSPC) on every method. */
#include "harness.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int setup(void **state)
{
    return th_ctx_setup_tagged(state, "fail");
}

/* Does s name "<word> <n>" (also "<word>=<n>", "<word>: n", "<word> #n")? */
static int names_number(const char *s, const char *word, unsigned n)
{
    size_t wl = strlen(word);
    for (const char *p = strstr(s, word); p != NULL; p = strstr(p + 1, word)) {
        const char *q = p + wl;
        while (*q == ' ' || *q == '=' || *q == ':' || *q == '#')
            q++;
        if (!isdigit((unsigned char)*q))
            continue;
        char *end;
        unsigned long v = strtoul(q, &end, 10);
        if (v == n)
            return 1;
    }
    return 0;
}

/* After a failed run: no result row anywhere, and only `allowed` left in the directory (the
 * --dat file may exist only if it holds no row). */
static void expect_no_result(struct th_ctx *c, const char *dat)
{
    struct th_result *r = &c->r;
    struct th_dat d;
    th_dat_parse(r->out, &d);
    int rows = d.nrows;
    th_dat_free(&d);
    TH_EXPECT(r, rows == 0 && strstr(r->out, "#<") == NULL,
              "a failed run printed a .dat header or row on stdout");
    char *text = th_read_file(dat, NULL);
    if (text != NULL) {
        th_dat_parse(text, &d);
        rows = d.nrows;
        th_dat_free(&d);
        free(text);
        TH_EXPECT(r, rows == 0, "a failed run appended a row to --dat %s", dat);
    }
}

/* The data directory holds no data file: its listing is one of the '|'-separated `allowed`. */
static void expect_no_data_files(struct th_ctx *c, const char *dir, const char *allowed)
{
    int n;
    char *names = th_listdir(dir, &n);
    int ok = 0;
    for (const char *s = allowed; !ok;) {
        const char *e = strchr(s, '|');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        ok = strlen(names) == len && strncmp(names, s, len) == 0;
        if (e == NULL)
            break;
        s = e + 1;
    }
    char copy[4200];
    snprintf(copy, sizeof copy, "%s", names);
    free(names);
    TH_EXPECT(&c->r, ok, "data files left in %s after a failed run: %s", dir, copy);
}

/* The data file a pipeline process has open (/proc/<pid>/fd), to learn which pipeline it is. */
static int open_data_file(pid_t pid, const char *base, char *out, size_t outlen)
{
    for (int fd = 0; fd < 256; fd++) {
        char link[64], target[PATH_MAX];
        snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, fd);
        ssize_t k = readlink(link, target, sizeof target - 1);
        if (k <= 0)
            continue;
        target[k] = '\0';
        if (strncmp(target, base, strlen(base)) == 0 && target[strlen(base)] == '.') {
            snprintf(out, outlen, "%s", target);
            return 0;
        }
    }
    return -1;
}

/* ---- a fork child killed mid-run ----------------------------------------------------------- */

struct kill_case {
    unsigned np;
    unsigned victim_rank; /* kill a child of this rank */
    int each_rank;        /* see every rank's exit (th_mpirun_each_rank), else plain mpirun */
};
/* One rank under plain mpirun (the status a user sees); two ranks with the child of rank 1
 * killed, watching each rank: rank 0 must learn of the failure and exit 1 too, not wait in a
 * barrier (plain mpirun would kill it and hide that). */
static const struct kill_case kill_cases[] = {{1, 0, 0}, {2, 1, 1}};

static void test_fork_child_killed(void **state)
{
    struct th_ctx *c = *state;
    const struct kill_case *kc = c->param;
    /* Long, so that "the job ends within seconds" is seen: the other ranks must stop when told
     * (stop_notice.h), not at the end of --duration. */
    const double duration = 30.0;
    char base[4200], dat[4200];
    snprintf(base, sizeof base, "%s/data", c->dir);
    snprintf(dat, sizeof dat, "%s/results.dat", c->dir);

    struct th_argv a;
    if (kc->each_rank)
        th_mpirun_each_rank(&a, kc->np);
    else
        th_mpirun(&a, kc->np);
    const char *args[] = {"--method",
                          "fork",
                          "--concurrency",
                          "4",
                          "--duration",
                          "30",
                          "--recv-delay",
                          "0.05",
                          "--buffer-size",
                          "64",
                          "--output-file",
                          base,
                          "--dat",
                          dat,
                          NULL};
    th_argv_addv(&a, args);
    char *cmd = th_argv_str(&a);
    c->proc = th_spawn(&a, c->dir);
    th_argv_free(&a);

    /* 1.5 s in: set-up is done and the pipelines are in their timed loops */
    int ended_early = th_pump(c->proc, 1.5);
    struct th_pinfo ps[64];
    int n = th_find_ipb(th_proc_pid(c->proc), ps, 64);
    pid_t victim =
        th_find_ipb_role(th_proc_pid(c->proc), TH_CHILD, kc->np == 1 ? -1 : (int)kc->victim_rank);
    if (ended_early || victim < 0)
        print_error("---- ran: %s\n", cmd);
    free(cmd);
    TH_EXPECT(NULL, !ended_early, "the run ended before the child could be killed");
    TH_EXPECT(NULL, victim > 0,
              "no forked pipeline child of rank %u found 1.5 s into the run (%d io-pipeline-bench "
              "processes)",
              kc->victim_rank, n);
    char victim_file[PATH_MAX] = "";
    open_data_file(victim, base, victim_file, sizeof victim_file);
    TH_EXPECT(NULL, kill(victim, SIGKILL) == 0, "kill -9 %d: %s", (int)victim, strerror(errno));

    struct th_proc *p = c->proc;
    c->proc = NULL;
    th_finish(p, 40.0, &c->r);
    struct th_result *r = &c->r;
    print_error("killed pid %d (file %s) of rank %u\n", (int)victim,
                victim_file[0] ? victim_file : "?", kc->victim_rank);

    TH_EXPECT(r, !r->timed_out, "the run did not end after a child was killed: a rank hangs");
    if (!kc->each_rank || strcmp(th_mpi_flavour(), "openmpi") != 0)
        TH_EXPECT(r, r->exited && r->status == 1,
                  "a killed pipeline child must fail the run with status 1");
    if (kc->each_rank)
        TH_EXPECT(r, th_every_rank_exited(r, 1), "every rank must exit with status 1");
    TH_EXPECT(r, r->seconds < 1.5 + 6.0,
              "the run took %.1f s (child killed 1.5 s in, --duration %g s): the ranks did not "
              "stop within seconds",
              r->seconds, duration);
    TH_EXPECT(r, r->nleftovers == 0, "processes left running: %s", r->leftovers);

    char *lines[16];
    int nl = th_program_lines(r->err, lines, 16);
    int found = 0;
    for (int i = 0; i < nl && i < 16 && !found; i++) {
        const char *l = lines[i];
        int sig = strstr(l, "signal 9") != NULL || strstr(l, "Killed") != NULL ||
                  strstr(l, "SIGKILL") != NULL;
        int pipe = strstr(l, "pipeline") != NULL;
        int file = victim_file[0] == '\0' || strstr(l, victim_file) != NULL;
        int rank = names_number(l, "rank", kc->victim_rank);
        found = sig && pipe && file && rank;
    }
    th_lines_free(lines, nl < 16 ? nl : 16);
    TH_EXPECT(
        r, found,
        "no stderr line names rank %u, the pipeline, its file %s and the signal (\"signal 9\" "
        "or \"Killed\")",
        kc->victim_rank, victim_file[0] ? victim_file : "(unknown)");
    expect_no_result(c, dat);
    expect_no_data_files(c, c->dir, "|results.dat");
}

/* ---- the data directory fills up ----------------------------------------------------------- */

struct enospc_case {
    const char *method;
    const char *engine;
    const char *concurrency;
};
static const struct enospc_case enospc_cases[] = {
    {"openmp", NULL, "4"},    {"sequential", NULL, "1"}, {"fork", NULL, "4"},
    {"aio", "io_uring", "4"}, {"aio", "posix", "4"},
};

static void test_enospc(void **state)
{
    struct th_ctx *c = *state;
    const struct enospc_case *ec = c->param;
    char mnt[4200], base[4300], dat[4200];
    snprintf(mnt, sizeof mnt, "%s/full", c->dir);
    snprintf(base, sizeof base, "%s/data", mnt);
    snprintf(dat, sizeof dat, "%s/results.dat", c->dir);
    TH_EXPECT(NULL, mkdir(mnt, 0755) == 0, "mkdir %s: %s", mnt, strerror(errno));
    if (mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0) {
        print_error("cannot mount a 1 MiB tmpfs on %s (%s; not root?): skipped\n", mnt,
                    strerror(errno));
        skip();
    }
    snprintf(c->mnt, sizeof c->mnt, "%s", mnt);

    /* Results files of an earlier run (data on the real disk): they must come out of the
     * failed run byte for byte as they went in. */
    char h5[4200], earlier[4300];
    snprintf(h5, sizeof h5, "%s/results.h5", c->dir);
    snprintf(earlier, sizeof earlier, "%s/earlier", c->dir);
    struct th_argv a;
    th_mpirun(&a, 1);
    const char *pre[] = {"--duration",
                         "0.2",
                         "--recv-delay",
                         "0.01",
                         "--buffer-size",
                         "16",
                         "--output-file",
                         earlier,
                         "--dat",
                         dat,
                         "--hdf5",
                         h5,
                         NULL};
    th_argv_addv(&a, pre);
    th_run(&a, c->dir, 40.0, &c->r);
    th_argv_free(&a);
    TH_EXPECT(&c->r, c->r.exited && c->r.status == 0, "the earlier run failed");
    th_result_free(&c->r);
    memset(&c->r, 0, sizeof c->r);
    size_t dat_len = 0, h5_len = 0;
    char *dat_before = th_read_file(dat, &dat_len), *h5_before = th_read_file(h5, &h5_len);
    TH_EXPECT(NULL, dat_before != NULL && h5_before != NULL, "the earlier run left no results");

    /* 384 KiB buffers into 1 MiB: the third buffer fits only partly (a short write, which the
     * program must continue) and the next write gets ENOSPC */
    th_mpirun(&a, 1);
    const char *args[] = {"--method",
                          ec->method,
                          "--concurrency",
                          ec->concurrency,
                          "--duration",
                          "1",
                          "--recv-delay",
                          "0.01",
                          "--buffer-size",
                          "384K",
                          "--output-file",
                          base,
                          "--dat",
                          dat,
                          "--hdf5",
                          h5,
                          NULL};
    th_argv_addv(&a, args);
    th_argv_add_opt(&a, "--aio-engine", ec->engine);
    th_run(&a, c->dir, 40.0, &c->r);
    th_argv_free(&a);
    struct th_result *r = &c->r;

    TH_EXPECT(r, !r->timed_out, "the run did not end after ENOSPC: a rank hangs");
    TH_EXPECT(r, r->exited && r->status == 1, "ENOSPC must fail the run with status 1");
    TH_EXPECT(r, r->seconds < 1.0 + 6.0, "the run took %.1f s", r->seconds);
    TH_EXPECT(r, r->nleftovers == 0, "processes left running: %s", r->leftovers);

    char *lines[16];
    int nl = th_program_lines(r->err, lines, 16);
    int found = 0;
    for (int i = 0; i < nl && i < 16 && !found; i++) {
        const char *l = lines[i];
        found = strstr(l, "No space left on device") != NULL && strstr(l, "pipeline") != NULL &&
                strstr(l, base) != NULL && names_number(l, "rank", 0);
    }
    th_lines_free(lines, nl < 16 ? nl : 16);
    TH_EXPECT(r, found,
              "no stderr line names rank 0, the pipeline, its file %s.0.<p> and \"No space left "
              "on device\"",
              base);
    size_t dat_len2 = 0, h5_len2 = 0;
    char *dat_after = th_read_file(dat, &dat_len2), *h5_after = th_read_file(h5, &h5_len2);
    int dat_same = dat_after && dat_len2 == dat_len && memcmp(dat_after, dat_before, dat_len) == 0;
    int h5_same = h5_after && h5_len2 == h5_len && memcmp(h5_after, h5_before, h5_len) == 0;
    free(dat_before);
    free(h5_before);
    free(dat_after);
    free(h5_after);
    TH_EXPECT(r, dat_same, "the --dat file changed in a failed run (%zu -> %zu bytes)", dat_len,
              dat_len2);
    TH_EXPECT(r, h5_same, "the HDF5 results file changed in a failed run (%zu -> %zu bytes)",
              h5_len, h5_len2);
    expect_no_data_files(c, mnt, "");
    expect_no_data_files(c, c->dir,
                         "full results.dat results.h5|full results.dat results.h5 results.h5.lock");
}

/* ---- io_uring refused by the kernel --------------------------------------------------------- */

/* io_uring_setup fails with EPERM in every rank (a seccomp filter in the rank wrapper), as in a
 * Docker container with the default profile or with kernel.io_uring_disabled=2. Asked for
 * explicitly, io_uring must fail the run cleanly (status 1 on every rank, the cause named);
 * with the auto engine, the run must fall back to POSIX AIO and say so in the row. */
static void test_io_uring_refused(void **state)
{
    struct th_ctx *c = *state;
    const char *engine = c->param; /* "io_uring" or NULL (auto) */
    if (!th_can_deny_io_uring()) {
        print_error("this build cannot deny io_uring_setup: skipped\n");
        skip();
    }
    char base[4200], dat[4200];
    snprintf(base, sizeof base, "%s/data", c->dir);
    snprintf(dat, sizeof dat, "%s/results.dat", c->dir);
    struct th_argv a;
    th_mpirun_each_rank_fault(&a, 2, "io_uring_setup:EPERM");
    const char *args[] = {"--method",
                          "aio",
                          "--concurrency",
                          "4",
                          "--duration",
                          "0.5",
                          "--recv-delay",
                          "0.01",
                          "--buffer-size",
                          "64",
                          "--output-file",
                          base,
                          "--dat",
                          dat,
                          NULL};
    th_argv_addv(&a, args);
    th_argv_add_opt(&a, "--aio-engine", engine);
    th_run(&a, c->dir, 40.0, &c->r);
    th_argv_free(&a);
    struct th_result *r = &c->r;

    TH_EXPECT(r, !r->timed_out, "the run did not end: a rank hangs");
    TH_EXPECT(r, r->nleftovers == 0, "processes left running: %s", r->leftovers);
    if (engine == NULL) {
        TH_EXPECT(r, th_every_rank_exited(r, 0), "with the auto engine the run must succeed");
        struct th_dat d;
        th_dat_parse(r->out, &d);
        int rows = d.nrows;
        char engine_col[32] = "";
        if (rows == 1 && d.ncols[0] > 15)
            snprintf(engine_col, sizeof engine_col, "%s", d.row[0][15]);
        th_dat_free(&d);
        TH_EXPECT(r, rows == 1, "expected one .dat row on stdout, got %d", rows);
        TH_EXPECT(r, strcmp(engine_col, "posix") == 0,
                  "the aio engine column is \"%s\": auto must fall back to posix", engine_col);
        expect_no_data_files(c, c->dir, "results.dat");
        return;
    }
    TH_EXPECT(r, th_every_rank_exited(r, 1),
              "io_uring refused must fail the run with status 1 on every rank");
    TH_EXPECT(r, r->seconds < 10.0, "the run took %.1f s", r->seconds);
    char *lines[16];
    int nl = th_program_lines(r->err, lines, 16);
    int found = 0;
    for (int i = 0; i < nl && i < 16 && !found; i++)
        found = strstr(lines[i], "io_uring") != NULL &&
                strstr(lines[i], "Operation not permitted") != NULL;
    th_lines_free(lines, nl < 16 ? nl : 16);
    TH_EXPECT(r, found, "no stderr line names io_uring and \"Operation not permitted\"");
    expect_no_result(c, dat);
    expect_no_data_files(c, c->dir, "|results.dat");
}

/* ---- an I/O error in one rank only ---------------------------------------------------------- */

/* A seccomp filter in rank 1 only makes a system call fail: fsync with EIO (a storage error mid
 * run: the first iteration's fsync) or the O_EXCL create of the data files with ENOSPC (a
 * failure in set-up). Rank 0 sees nothing wrong itself: it must learn of the failure from rank
 * 1 (agree collectively), exit 1 like rank 1, not wait in a barrier, and remove its own files;
 * rank 1's error line must name rank 1, the pipeline, its file and strerror. */
struct fault_case {
    const char *fault;
    const char *method, *engine, *concurrency;
    const char *strerror;
};
static const struct fault_case fault_cases[] = {
    {"fsync:EIO@1", "sequential", NULL, "1", "Input/output error"},
    {"fsync:EIO@1", "openmp", NULL, "4", "Input/output error"},
    {"fsync:EIO@1", "fork", NULL, "4", "Input/output error"},
    {"fsync:EIO@1", "aio", "posix", "4", "Input/output error"},
    {"create:ENOSPC@1", "openmp", NULL, "4", "No space left on device"},
    {"create:ENOSPC@1", "fork", NULL, "4", "No space left on device"},
    {"create:ENOSPC@1", "aio", "io_uring", "4", "No space left on device"},
};

static void test_fault_in_rank1(void **state)
{
    struct th_ctx *c = *state;
    const struct fault_case *fc = c->param;
    char base[4200], dat[4200];
    snprintf(base, sizeof base, "%s/data", c->dir);
    snprintf(dat, sizeof dat, "%s/results.dat", c->dir);
    struct th_argv a;
    th_mpirun_each_rank_fault(&a, 2, fc->fault);
    const char *args[] = {"--method",
                          fc->method,
                          "--concurrency",
                          fc->concurrency,
                          "--duration",
                          "1",
                          "--recv-delay",
                          "0.01",
                          "--buffer-size",
                          "64",
                          "--output-file",
                          base,
                          "--dat",
                          dat,
                          NULL};
    th_argv_addv(&a, args);
    th_argv_add_opt(&a, "--aio-engine", fc->engine);
    th_run(&a, c->dir, 40.0, &c->r);
    th_argv_free(&a);
    struct th_result *r = &c->r;

    TH_EXPECT(r, !r->timed_out, "the run did not end: a rank hangs");
    TH_EXPECT(r, th_every_rank_exited(r, 1), "every rank must exit with status 1");
    TH_EXPECT(r, r->seconds < 1.0 + 6.0, "the run took %.1f s", r->seconds);
    TH_EXPECT(r, r->nleftovers == 0, "processes left running: %s", r->leftovers);
    char *lines[16];
    int nl = th_program_lines(r->err, lines, 16);
    int found = 0;
    char file[4300];
    snprintf(file, sizeof file, "%s.1.", base);
    for (int i = 0; i < nl && i < 16 && !found; i++)
        found = strstr(lines[i], fc->strerror) != NULL && strstr(lines[i], "pipeline") != NULL &&
                strstr(lines[i], file) != NULL && names_number(lines[i], "rank", 1);
    th_lines_free(lines, nl < 16 ? nl : 16);
    TH_EXPECT(r, found, "no stderr line names rank 1, the pipeline, its file %s<p> and \"%s\"",
              file, fc->strerror);
    expect_no_result(c, dat);
    expect_no_data_files(c, c->dir, "|results.dat");
}

int main(int argc, char **argv)
{
    th_init(argc, argv);
    static char names[32][96];
    struct CMUnitTest tests[32];
    size_t n = 0;
    for (size_t i = 0; i < sizeof kill_cases / sizeof kill_cases[0]; i++) {
        snprintf(names[n], sizeof names[n], "fork child of rank %u killed (-np %u)",
                 kill_cases[i].victim_rank, kill_cases[i].np);
        tests[n] = (struct CMUnitTest){names[n], test_fork_child_killed, setup, th_ctx_teardown,
                                       (void *)&kill_cases[i]};
        n++;
    }
    for (size_t i = 0; i < sizeof enospc_cases / sizeof enospc_cases[0]; i++) {
        const struct enospc_case *ec = &enospc_cases[i];
        snprintf(names[n], sizeof names[n], "ENOSPC on a full tmpfs: --method %s%s%s", ec->method,
                 ec->engine ? " --aio-engine " : "", ec->engine ? ec->engine : "");
        tests[n] = (struct CMUnitTest){names[n], test_enospc, setup, th_ctx_teardown, (void *)ec};
        n++;
    }
    for (size_t i = 0; i < sizeof fault_cases / sizeof fault_cases[0]; i++) {
        const struct fault_case *fc = &fault_cases[i];
        snprintf(names[n], sizeof names[n], "%s in rank 1 of 2: --method %s%s%s", fc->fault,
                 fc->method, fc->engine ? " --aio-engine " : "", fc->engine ? fc->engine : "");
        tests[n] =
            (struct CMUnitTest){names[n], test_fault_in_rank1, setup, th_ctx_teardown, (void *)fc};
        n++;
    }
    tests[n++] =
        (struct CMUnitTest){"io_uring refused: --aio-engine io_uring fails cleanly",
                            test_io_uring_refused, setup, th_ctx_teardown, (void *)"io_uring"};
    tests[n++] = (struct CMUnitTest){"io_uring refused: the auto engine falls back to posix",
                                     test_io_uring_refused, setup, th_ctx_teardown, NULL};
    return _cmocka_run_group_tests("run failures (mpirun)", tests, n, NULL, NULL);
}
