/* Hostile conditions, injected for real from outside the program:
 *
 *  - stop signals in the timed phase: SIGTERM to every process (what Slurm does at a job's time
 *    limit), SIGINT or SIGUSR1 to one rank, SIGTERM to one fork child, Ctrl-C to mpirun (Open
 *    MPI's sends its ranks SIGTERM, MPICH's Hydra passes the SIGINT on): the run stops within
 *    seconds, exits 3, removes its data files, and records the run as interrupted with what it
 *    measured, in the .dat and the HDF5 file;
 *  - a rank killed with SIGKILL: the job ends within seconds, mpirun names the rank and the
 *    signal, no process is left, and the janitor removes the dead rank's data files;
 *  - results paths that are symlinks or belong to another user: followed to an existing target
 *    (the link stays a link), owner kept when root appends, refused (exit 2) for anyone else
 *    appending to another user's HDF5 file.
 *
 * Every run is long (--duration 30) so that "within seconds" is seen, never waited out. */
#include "harness.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int setup(void **state)
{
    return th_ctx_setup_tagged(state, "faults");
}

static int column(const char *name)
{
    for (int i = 0; i < th_ncolumns(); i++)
        if (strcmp(th_column_name(i), name) == 0)
            return i;
    fail_msg("no column \"%s\" in result_fields.h", name);
    return -1;
}

/* The data files (data.*) in dir: their names, or "" when there are none. */
static void data_files(const char *dir, char *out, size_t len)
{
    int n;
    char *names = th_listdir(dir, &n);
    out[0] = '\0';
    for (char *s = strtok(names, " "); s != NULL; s = strtok(NULL, " "))
        if (strncmp(s, "data.", 5) == 0) {
            size_t k = strlen(out);
            snprintf(out + k, len - k, "%s%s", k ? " " : "", s);
        }
    free(names);
}

/* h5dump of /runs: how many times `text` occurs (-1 if h5dump failed). */
static int h5dump_count(const char *file, const char *text)
{
    struct th_argv a;
    th_argv_init(&a);
    th_argv_add(&a, "h5dump");
    th_argv_add(&a, "-d");
    th_argv_add(&a, "/runs");
    th_argv_add(&a, file);
    struct th_result r;
    memset(&r, 0, sizeof r);
    th_run(&a, NULL, 30.0, &r);
    th_argv_free(&a);
    int n = -1;
    if (r.exited && r.status == 0) {
        n = 0;
        for (const char *p = strstr(r.out, text); p != NULL; p = strstr(p + 1, text))
            n++;
    } else {
        th_result_print(&r);
    }
    th_result_free(&r);
    return n;
}

/* ---- stop signals in the timed phase --------------------------------------------------------- */

enum target {
    TO_EVERY_PROCESS,  /* every rank and fork child, as Slurm signals a step at its time limit */
    TO_RANK1,          /* one rank: the others must hear of it and stop too */
    TO_CHILD_OF_RANK1, /* one fork child only: the rank must notice and stop its run */
    TO_MPIRUN,         /* Ctrl-C at mpirun, which then signals its ranks (see recorded_signal) */
};

struct int_case {
    const char *method;
    const char *engine;
    const char *concurrency;
    int sig;
    enum target target;
    const char *recorded; /* the signal the row names */
    int twice; /* each target gets the signal twice, 50 ms apart, as when Slurm signals every
                  process of a job and mpirun passes its own on: the same request, not insistence */
};

static const struct int_case int_cases[] = {
    {"sequential", NULL, "1", SIGTERM, TO_EVERY_PROCESS, "SIGTERM", 0},
    {"openmp", NULL, "4", SIGTERM, TO_EVERY_PROCESS, "SIGTERM", 0},
    {"fork", NULL, "4", SIGTERM, TO_EVERY_PROCESS, "SIGTERM", 0},
    {"aio", "io_uring", "4", SIGTERM, TO_EVERY_PROCESS, "SIGTERM", 0},
    {"aio", "posix", "4", SIGTERM, TO_EVERY_PROCESS, "SIGTERM", 0},
    {"openmp", NULL, "4", SIGINT, TO_RANK1, "SIGINT", 0},
    {"sequential", NULL, "1", SIGUSR1, TO_RANK1, "SIGUSR1", 0},
    {"aio", "io_uring", "4", SIGINT, TO_RANK1, "SIGINT", 0},
    {"fork", NULL, "4", SIGTERM, TO_RANK1, "SIGTERM", 0},
    {"fork", NULL, "4", SIGTERM, TO_CHILD_OF_RANK1, "SIGTERM", 0},
    {"openmp", NULL, "4", SIGINT, TO_MPIRUN, "SIGTERM", 0},
    {"openmp", NULL, "4", SIGTERM, TO_EVERY_PROCESS, "SIGTERM", 1},
    {"fork", NULL, "4", SIGTERM, TO_EVERY_PROCESS, "SIGTERM", 1},
};
#define NINT (sizeof int_cases / sizeof int_cases[0])

/* The signal the ranks get, so the one the row names: Open MPI's mpirun turns a Ctrl-C into
 * SIGTERM for its ranks, MPICH's Hydra passes the SIGINT on. */
static const char *recorded_signal(const struct int_case *ic)
{
    if (ic->target == TO_MPIRUN && strcmp(th_mpi_flavour(), "mpich") == 0)
        return "SIGINT";
    return ic->recorded;
}

static const char *sig_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : sig == SIGUSR1 ? "SIGUSR1" : "?";
}

static const char *target_name(enum target t)
{
    switch (t) {
    case TO_EVERY_PROCESS:
        return "every process";
    case TO_RANK1:
        return "rank 1";
    case TO_CHILD_OF_RANK1:
        return "a fork child of rank 1";
    default:
        return "mpirun";
    }
}

static void start_long_run(struct th_ctx *c, const char *method, const char *engine,
                           const char *concurrency, char *cmd_out, size_t cmd_len)
{
    char base[4200], dat[4200], h5[4200];
    snprintf(base, sizeof base, "%s/data", c->dir);
    snprintf(dat, sizeof dat, "%s/results.dat", c->dir);
    snprintf(h5, sizeof h5, "%s/results.h5", c->dir);
    struct th_argv a;
    th_mpirun(&a, 2);
    const char *args[] = {"--method",
                          method,
                          "--concurrency",
                          concurrency,
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
                          "--hdf5",
                          h5,
                          NULL};
    th_argv_addv(&a, args);
    th_argv_add_opt(&a, "--aio-engine", engine);
    char *cmd = th_argv_str(&a);
    snprintf(cmd_out, cmd_len, "%s", cmd);
    free(cmd);
    c->proc = th_spawn(&a, c->dir);
    th_argv_free(&a);
}

static void test_interrupt(void **state)
{
    struct th_ctx *c = *state;
    const struct int_case *ic = c->param;
    char cmd[8192];
    start_long_run(c, ic->method, ic->engine, ic->concurrency, cmd, sizeof cmd);

    /* 2 s in: set-up is long done, every pipeline is in its timed loop */
    int ended_early = th_pump(c->proc, 2.0);
    if (ended_early)
        print_error("---- ran: %s\n", cmd);
    TH_EXPECT(NULL, !ended_early, "the run ended before it could be interrupted");
    pid_t root = th_proc_pid(c->proc);
    struct th_pinfo ps[64];
    int n = th_find_ipb(root, ps, 64), sent = 0;
    for (int i = 0; i < n; i++) {
        const struct th_pinfo *p = &ps[i];
        int hit = ic->target == TO_EVERY_PROCESS ? p->role != TH_JANITOR
                  : ic->target == TO_RANK1       ? p->role == TH_RANK && p->rank == 1
                  : ic->target == TO_CHILD_OF_RANK1
                      ? p->role == TH_CHILD && p->rank == 1 && sent == 0
                      : 0;
        if (hit && kill(p->pid, ic->sig) == 0)
            sent++;
    }
    /* 50 ms later, so that each process has taken the first before the second arrives (two
     * pending copies of a signal would merge into one) */
    if (ic->twice) {
        usleep(50000);
        for (int i = 0; i < n; i++)
            if (ps[i].role != TH_JANITOR)
                kill(ps[i].pid, ic->sig);
    }
    if (ic->target == TO_MPIRUN && kill(root, ic->sig) == 0)
        sent++;
    TH_EXPECT(NULL, sent > 0, "no process to signal (%s) among %d io-pipeline-bench processes",
              target_name(ic->target), n);
    print_error("sent %s%s to %s (%d process%s)\n", sig_name(ic->sig), ic->twice ? " twice" : "",
                target_name(ic->target), sent, sent == 1 ? "" : "es");

    struct th_proc *p = c->proc;
    c->proc = NULL;
    th_finish(p, 40.0, &c->r);
    struct th_result *r = &c->r;
    TH_EXPECT(r, !r->timed_out, "the run did not end after the signal: something hangs");
    TH_EXPECT(r, r->seconds < 2.0 + 6.0,
              "the run took %.1f s after a stop signal 2 s into a 30 s run: it did not stop "
              "within seconds",
              r->seconds);
    /* mpirun reports its own status when it was the one interrupted */
    if (ic->target != TO_MPIRUN)
        TH_EXPECT(r, r->exited && r->status == 3, "an interrupted run must exit with status 3");
    TH_EXPECT(r, r->nleftovers == 0, "processes left running: %s", r->leftovers);
    char want[128];
    const char *recorded = recorded_signal(ic);
    snprintf(want, sizeof want, "interrupted by %s", recorded);
    TH_EXPECT(r, strstr(r->err, want) != NULL, "stderr does not say \"%s\"", want);

    char left[4200];
    data_files(c->dir, left, sizeof left);
    TH_EXPECT(r, left[0] == '\0', "data files left after the interrupted run: %s", left);

    /* The row: marked interrupted, with what was measured, and the numbers add up. */
    char path[4200];
    snprintf(path, sizeof path, "%s/results.dat", c->dir);
    char *text = th_read_file(path, NULL);
    TH_EXPECT(r, text != NULL, "no --dat file: the interrupted run was not recorded");
    struct th_dat d;
    th_dat_parse(text, &d);
    free(text);
    int rows = d.nrows;
    char why[256] = "";
    int header_ok = rows > 0 && th_dat_check_header(d.header, why, sizeof why) == 0;
    char interrupted[64] = "", deadline[64] = "";
    double mib = 0, secs = 0, tput = 0;
    uint64_t bytes = 0;
    if (rows == 1 && d.ncols[0] == th_ncolumns()) {
        snprintf(interrupted, sizeof interrupted, "%s", d.row[0][column("interrupted")]);
        snprintf(deadline, sizeof deadline, "%s", d.row[0][column("deadline throughput (MiB/s)")]);
        th_u64(d.row[0][column("bytes")], &bytes);
        th_f64(d.row[0][column("MiB xferred")], &mib);
        th_f64(d.row[0][column("elapsed (s)")], &secs);
        th_f64(d.row[0][column("aggregate overall throughput (MiB/s)")], &tput);
    }
    th_dat_free(&d);
    TH_EXPECT(r, rows == 1, "--dat holds %d rows, expected the interrupted run's one", rows);
    TH_EXPECT(r, header_ok, "--dat header: %s", why);
    TH_EXPECT(r, strcmp(interrupted, recorded) == 0,
              "the row's <interrupted> is \"%s\", expected \"%s\"", interrupted, recorded);
    TH_EXPECT(r, strcmp(deadline, "nan") == 0,
              "an interrupted run never reached its deadline: deadline throughput must be nan, "
              "not %s",
              deadline);
    TH_EXPECT(r, bytes > 0 && bytes % (64 * 1024) == 0,
              "bytes %llu: the run measured 2 s of 64 KiB buffers before the signal",
              (unsigned long long)bytes);
    TH_EXPECT(r, secs > 1.0 && secs < 10.0, "elapsed %.3f s: expected about 2 s", secs);
    TH_EXPECT(r, fabs(tput - mib / secs) <= 0.0015 + 1e-6 * tput,
              "throughput %.3f != MiB %.3f / seconds %.9f", tput, mib, secs);

    snprintf(path, sizeof path, "%s/results.h5", c->dir);
    snprintf(want, sizeof want, "\"%s\"", recorded);
    int in_h5 = h5dump_count(path, want);
    TH_EXPECT(r, in_h5 == 1, "the HDF5 /runs table names %s %d times, expected once", recorded,
              in_h5);
}

/* A user who insists: a second SIGTERM a second or more after the first kills the rank at
 * once (default action), even while it is stopping. Rank 1 is frozen (SIGSTOP) so that rank 0,
 * told to stop, waits for it in the stop protocol and is still there for the second signal. */
static void test_second_signal_kills(void **state)
{
    struct th_ctx *c = *state;
    char cmd[8192];
    start_long_run(c, "openmp", NULL, "4", cmd, sizeof cmd);
    int ended_early = th_pump(c->proc, 2.0);
    if (ended_early)
        print_error("---- ran: %s\n", cmd);
    TH_EXPECT(NULL, !ended_early, "the run ended before it could be interrupted");
    pid_t root = th_proc_pid(c->proc);
    pid_t rank0 = th_find_ipb_role(root, TH_RANK, 0), rank1 = th_find_ipb_role(root, TH_RANK, 1);
    TH_EXPECT(NULL, rank0 > 0 && rank1 > 0, "ranks not found (%d, %d)", (int)rank0, (int)rank1);
    TH_EXPECT(NULL, kill(rank1, SIGSTOP) == 0 && kill(rank0, SIGTERM) == 0, "kill: %s",
              strerror(errno));
    th_pump(c->proc, 1.5);
    int still_there = kill(rank0, 0) == 0;
    kill(rank0, SIGTERM);
    kill(rank1, SIGCONT);
    TH_EXPECT(NULL, still_there, "rank 0 ended while rank 1 was frozen: nothing to insist on");

    struct th_proc *p = c->proc;
    c->proc = NULL;
    th_finish(p, 40.0, &c->r);
    struct th_result *r = &c->r;
    TH_EXPECT(r, !r->timed_out, "the job did not end after the second SIGTERM");
    TH_EXPECT(r, r->seconds < 2.0 + 1.5 + 6.0, "the job took %.1f s", r->seconds);
    TH_EXPECT(r, !(r->exited && (r->status == 0 || r->status == 3)),
              "rank 0 was killed by the second SIGTERM: the job must not end as a success or "
              "as a recorded interruption");
    if (strcmp(th_mpi_flavour(), "openmpi") == 0)
        TH_EXPECT(r, strstr(r->err, "rank 0") != NULL && strstr(r->err, "signal 15") != NULL,
                  "stderr does not name rank 0 and signal 15");
    TH_EXPECT(r, r->nleftovers == 0, "processes left running: %s", r->leftovers);
    char left[4200];
    data_files(c->dir, left, sizeof left);
    TH_EXPECT(r, left[0] == '\0', "data files left: %s", left);
}

/* ---- a rank killed with SIGKILL ------------------------------------------------------------ */

static const char *const kill_methods[] = {"openmp", "fork", "aio"};

static void test_rank_killed(void **state)
{
    struct th_ctx *c = *state;
    const char *const *method = c->param;
    char cmd[8192];
    start_long_run(c, *method, NULL, "4", cmd, sizeof cmd);
    int ended_early = th_pump(c->proc, 2.0);
    if (ended_early)
        print_error("---- ran: %s\n", cmd);
    TH_EXPECT(NULL, !ended_early, "the run ended before a rank could be killed");
    pid_t victim = th_find_ipb_role(th_proc_pid(c->proc), TH_RANK, 1);
    TH_EXPECT(NULL, victim > 0, "rank 1 not found");
    char before[4200];
    data_files(c->dir, before, sizeof before);
    TH_EXPECT(NULL, strstr(before, "data.1.0") != NULL, "rank 1's files are not there: %s", before);
    TH_EXPECT(NULL, kill(victim, SIGKILL) == 0, "kill -9 %d: %s", (int)victim, strerror(errno));

    struct th_proc *p = c->proc;
    c->proc = NULL;
    th_finish(p, 40.0, &c->r);
    struct th_result *r = &c->r;
    TH_EXPECT(r, !r->timed_out, "the job did not end after rank 1 was killed: a rank hangs");
    TH_EXPECT(r, r->seconds < 2.0 + 6.0, "the job took %.1f s to end after rank 1 was killed",
              r->seconds);
    TH_EXPECT(r, !(r->exited && r->status == 0), "a job that lost a rank must not exit 0");
    TH_EXPECT(r, r->nleftovers == 0, "processes left running: %s", r->leftovers);
    /* Which rank and how: the launcher says it (the program cannot, from a dead rank). */
    if (strcmp(th_mpi_flavour(), "openmpi") == 0)
        TH_EXPECT(r, strstr(r->err, "rank 1") != NULL && strstr(r->err, "signal 9") != NULL,
                  "stderr does not name rank 1 and signal 9");
    char left[4200];
    data_files(c->dir, left, sizeof left);
    TH_EXPECT(r, left[0] == '\0', "data files left after rank 1 was killed: %s", left);
    TH_EXPECT(r, strstr(r->err, "janitor removed") != NULL,
              "no line from rank 1's janitor about the files it removed");
    char path[4200];
    snprintf(path, sizeof path, "%s/results.dat", c->dir);
    char *text = th_read_file(path, NULL);
    struct th_dat d;
    th_dat_parse(text ? text : "", &d);
    int rows = d.nrows;
    th_dat_free(&d);
    free(text);
    TH_EXPECT(r, rows == 0, "a run that lost a rank wrote %d rows", rows);
}

/* ---- results paths that are links or belong to someone else ---------------------------------- */

static void short_run(struct th_ctx *c, const char *dat, const char *h5, const char *as_user)
{
    char base[4200];
    snprintf(base, sizeof base, "%s/data", c->dir);
    struct th_argv a;
    if (as_user != NULL) {
        th_argv_init(&a);
        /* a plain user (nobody), for the "not your file" rule; mpirun needs no root flags */
        th_argv_add(&a, "setpriv");
        th_argv_addf(&a, "--reuid=%s", as_user);
        th_argv_addf(&a, "--regid=%s", as_user);
        th_argv_add(&a, "--clear-groups");
        th_argv_add(&a, th_mpiexec());
        th_argv_add(&a, "-n");
        th_argv_add(&a, "1");
        /* a copy in the test directory: the build tree may be in a directory the plain user
         * cannot enter (a 0700 mktemp, /root) */
        char copy[4300];
        snprintf(copy, sizeof copy, "%s/io-pipeline-bench", c->dir);
        if (!th_exists(copy)) {
            size_t len = 0;
            char *bin = th_read_file(th_bin(), &len);
            FILE *f = bin ? fopen(copy, "wb") : NULL;
            int ok = f != NULL && fwrite(bin, 1, len, f) == len;
            ok = (f != NULL && fclose(f) == 0) && ok && chmod(copy, 0755) == 0;
            free(bin);
            TH_EXPECT(NULL, ok, "cannot copy %s to %s", th_bin(), copy);
        }
        th_argv_add(&a, copy);
    } else {
        th_mpirun(&a, 1);
    }
    const char *args[] = {"--duration", "0.3",           "--recv-delay", "0.01", "--buffer-size",
                          "16",         "--output-file", base,           NULL};
    th_argv_addv(&a, args);
    th_argv_add_opt(&a, "--dat", dat);
    th_argv_add_opt(&a, "--hdf5", h5);
    th_result_free(&c->r);
    memset(&c->r, 0, sizeof c->r);
    th_run(&a, c->dir, 60.0, &c->r);
    th_argv_free(&a);
}

static int dat_rows(const char *path)
{
    char *text = th_read_file(path, NULL);
    if (text == NULL)
        return -1;
    struct th_dat d;
    th_dat_parse(text, &d);
    int n = d.nrows;
    th_dat_free(&d);
    free(text);
    return n;
}

static void test_results_symlinks(void **state)
{
    struct th_ctx *c = *state;
    char real_dir[4200], real_dat[4300], real_h5[4300], dat[4200], h5[4200], link[4200];
    snprintf(real_dir, sizeof real_dir, "%s/elsewhere", c->dir);
    TH_EXPECT(NULL, mkdir(real_dir, 0755) == 0, "mkdir %s", real_dir);
    snprintf(real_dat, sizeof real_dat, "%s/study.dat", real_dir);
    snprintf(real_h5, sizeof real_h5, "%s/study.h5", real_dir);
    snprintf(dat, sizeof dat, "%s/results.dat", c->dir);
    snprintf(h5, sizeof h5, "%s/results.h5", c->dir);

    /* the first run creates the real files; then links point at them */
    short_run(c, real_dat, real_h5, NULL);
    TH_EXPECT(&c->r, c->r.exited && c->r.status == 0, "the first run failed");
    TH_EXPECT(NULL, symlink(real_dat, dat) == 0 && symlink(real_h5, h5) == 0, "symlink");
    for (int i = 0; i < 2; i++) {
        short_run(c, dat, h5, NULL);
        TH_EXPECT(&c->r, c->r.exited && c->r.status == 0, "a run through the links failed");
    }
    ssize_t k = readlink(h5, link, sizeof link - 1);
    TH_EXPECT(&c->r, k > 0, "--hdf5 %s is no longer a symlink: the append replaced the link", h5);
    link[k] = '\0';
    TH_EXPECT(&c->r, strcmp(link, real_h5) == 0, "the link now points to %s", link);
    TH_EXPECT(&c->r, readlink(dat, link, sizeof link - 1) > 0, "--dat is no longer a symlink");
    TH_EXPECT(&c->r, dat_rows(real_dat) == 3, "the link's target holds %d rows, expected 3",
              dat_rows(real_dat));
    int runs = h5dump_count(real_h5, "\"sequential\"");
    TH_EXPECT(&c->r, runs == 3,
              "the HDF5 target holds %d runs, expected 3 (appended through the "
              "link)",
              runs);
}

static void test_results_owned_by_another_user(void **state)
{
    struct th_ctx *c = *state;
    const uid_t nobody = 65534;
    char dat[4200], h5[4200];
    snprintf(dat, sizeof dat, "%s/results.dat", c->dir);
    snprintf(h5, sizeof h5, "%s/results.h5", c->dir);
    short_run(c, dat, h5, NULL);
    TH_EXPECT(&c->r, c->r.exited && c->r.status == 0, "the first run failed");
    if (geteuid() != 0) {
        print_error("not root: cannot give the files to another user: skipped\n");
        skip();
    }

    /* Root appends to a colleague's files: they stay the colleague's. */
    TH_EXPECT(NULL, chown(dat, nobody, nobody) == 0 && chown(h5, nobody, nobody) == 0, "chown");
    short_run(c, dat, h5, NULL);
    TH_EXPECT(&c->r, c->r.exited && c->r.status == 0, "root's append to nobody's files failed");
    struct stat st;
    TH_EXPECT(&c->r, stat(h5, &st) == 0 && st.st_uid == nobody && st.st_gid == nobody,
              "the HDF5 file changed owner to %u:%u after root appended", (unsigned)st.st_uid,
              (unsigned)st.st_gid);
    TH_EXPECT(&c->r, stat(dat, &st) == 0 && st.st_uid == nobody,
              "the .dat file changed owner after root appended");
    TH_EXPECT(&c->r, dat_rows(dat) == 2, "the .dat holds %d rows, expected 2", dat_rows(dat));

    /* A plain user appending to root's HDF5 file is refused (exit 2), the file untouched. */
    TH_EXPECT(NULL, chown(h5, 0, 0) == 0 && chmod(h5, 0666) == 0 && chmod(c->dir, 0777) == 0,
              "chown/chmod");
    struct stat before;
    TH_EXPECT(NULL, stat(h5, &before) == 0, "stat");
    short_run(c, NULL, h5, "65534");
    struct th_result *r = &c->r;
    TH_EXPECT(r, !r->timed_out, "the run as nobody hung");
    TH_EXPECT(r, r->exited && r->status == 2,
              "appending to another user's HDF5 file must be refused with status 2");
    TH_EXPECT(r, strstr(r->err, "owned by uid 0") != NULL, "stderr does not say whose file it is");
    struct stat after;
    TH_EXPECT(r,
              stat(h5, &after) == 0 && after.st_ino == before.st_ino && after.st_uid == 0 &&
                  after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
                  after.st_mtim.tv_nsec == before.st_mtim.tv_nsec,
              "root's HDF5 file was replaced or modified");
    char left[4200];
    data_files(c->dir, left, sizeof left);
    TH_EXPECT(r, left[0] == '\0', "data files created by a refused run: %s", left);
}

/* A damaged results file on which libhdf5 1.10.8 itself crashes (SIGSEGV decoding an attribute
 * message; found by fuzz/run.sh, fuzz/libhdf5/README.md): the check runs in a child process
 * (src/h5_check.c), so the run is refused as bad input instead of rank 0 dying. */
static void test_hdf5_that_crashes_libhdf5(void **state)
{
    struct th_ctx *c = *state;
    const char *src = getenv("srcdir");
    char input[4200], h5[4200], dat[4200];
    snprintf(input, sizeof input, "%s/fuzz/libhdf5/segv-attribute-message.h5",
             src && *src ? src : ".");
    snprintf(h5, sizeof h5, "%s/results.h5", c->dir);
    snprintf(dat, sizeof dat, "%s/results.dat", c->dir);
    size_t len = 0;
    char *bytes = th_read_file(input, &len);
    TH_EXPECT(NULL, bytes != NULL && len > 0, "cannot read %s", input);
    FILE *f = fopen(h5, "wb");
    TH_EXPECT(NULL, f != NULL && fwrite(bytes, 1, len, f) == len && fclose(f) == 0, "copy");
    char base[4300];
    snprintf(base, sizeof base, "%s/data", c->dir);
    struct th_argv a;
    th_mpirun(&a, 2);
    const char *args[] = {"--duration", "1", "--recv-delay", "0.01", "--buffer-size", "16",
                          "--output-file", base, "--dat", dat, "--hdf5", h5, NULL};
    th_argv_addv(&a, args);
    th_run(&a, c->dir, 60.0, &c->r);
    th_argv_free(&a);
    struct th_result *r = &c->r;
    TH_EXPECT(r, !r->timed_out, "the run hung on a damaged HDF5 file");
    TH_EXPECT(r, r->exited && r->status == 2,
              "a results file that crashes libhdf5 must be refused as bad input (exit 2)");
    TH_EXPECT(r, strstr(r->err, "the HDF5 library crashed") != NULL && strstr(r->err, h5),
              "stderr does not say that libhdf5 crashed on %s", h5);
    TH_EXPECT(r, r->nleftovers == 0, "processes left running: %s", r->leftovers);
    size_t len2 = 0;
    char *after = th_read_file(h5, &len2);
    int same = after && len2 == len && memcmp(after, bytes, len) == 0;
    free(after);
    free(bytes);
    TH_EXPECT(r, same, "the damaged results file was modified");
    TH_EXPECT(r, !th_exists(dat), "a refused run created --dat");
    char left[4200];
    data_files(c->dir, left, sizeof left);
    TH_EXPECT(r, left[0] == '\0', "data files created by a refused run: %s", left);
}

int main(int argc, char **argv)
{
    th_init(argc, argv);
    static struct CMUnitTest tests[NINT + 3 + 4];
    static char names[sizeof tests / sizeof tests[0]][160]; /* indexed like tests */
    size_t n = 0;
    for (size_t i = 0; i < NINT; i++) {
        const struct int_case *ic = &int_cases[i];
        snprintf(names[n], sizeof names[n], "%s%s to %s: %s%s%s", sig_name(ic->sig),
                 ic->twice ? " twice" : "", target_name(ic->target), ic->method,
                 ic->engine ? " " : "", ic->engine ? ic->engine : "");
        tests[n] =
            (struct CMUnitTest){names[n], test_interrupt, setup, th_ctx_teardown, (void *)ic};
        n++;
    }
    tests[n++] = (struct CMUnitTest){"a second SIGTERM a second later kills",
                                     test_second_signal_kills, setup, th_ctx_teardown, NULL};
    for (size_t i = 0; i < 3; i++) {
        snprintf(names[n], sizeof names[n], "rank 1 killed with SIGKILL: %s", kill_methods[i]);
        tests[n] = (struct CMUnitTest){names[n], test_rank_killed, setup, th_ctx_teardown,
                                       (void *)&kill_methods[i]};
        n++;
    }
    tests[n++] = (struct CMUnitTest){"results files behind symlinks", test_results_symlinks, setup,
                                     th_ctx_teardown, NULL};
    tests[n++] =
        (struct CMUnitTest){"results files of another user", test_results_owned_by_another_user,
                            setup, th_ctx_teardown, NULL};
    tests[n++] = (struct CMUnitTest){"an HDF5 results file that crashes libhdf5",
                                     test_hdf5_that_crashes_libhdf5, setup, th_ctx_teardown, NULL};
    return _cmocka_run_group_tests("faults: signals, killed ranks, results paths", tests, n, NULL,
                                   NULL);
}
