/* Test harness for the integration tests: run the real program under the real launcher.
 *
 * Everything here exists so that a failing test explains itself in a CI log: every run keeps
 * the exact command line, its exit status, its stdout and stderr, and TH_EXPECT prints all of
 * it next to the failed condition.
 *
 * "No rank hangs" is a requirement, so every run has a hard timeout. mpirun puts each rank in
 * its own process group, and a rank's forked children may outlive it, so the harness does not
 * trust process groups alone: the test process makes itself a child subreaper, which makes
 * every orphaned descendant its child, and on timeout kills its whole process tree. After
 * every run it also reports descendants left running ("no io-pipeline-bench process left"). */
#ifndef IPB_TEST_HARNESS_H
#define IPB_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <cmocka.h>

/* ---- argument vectors (no shell anywhere) -------------------------------------------------- */

struct th_argv {
    char **v; /* NULL-terminated */
    size_t n;
    size_t cap;
    unsigned np;      /* ranks, when built by th_mpirun* */
    char *status_dir; /* th_mpirun_each_rank: where the rank wrappers write their status */
};

void th_argv_init(struct th_argv *a);
void th_argv_add(struct th_argv *a, const char *s);
void th_argv_addv(struct th_argv *a, const char *const *args); /* NULL-terminated */
/* "opt value", or nothing when value is NULL: an option a test case may leave at its default. */
void th_argv_add_opt(struct th_argv *a, const char *opt, const char *value);
void th_argv_addf(struct th_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void th_argv_free(struct th_argv *a);
/* The command as one shell-quoted line, for logs (malloc'd). */
char *th_argv_str(const struct th_argv *a);

/* ---- the program and its launcher ---------------------------------------------------------- */

const char *th_bin(void);         /* $IPB_BIN (absolute) */
const char *th_mpiexec(void);     /* $IPB_MPIEXEC */
const char *th_mpi_flavour(void); /* "openmpi" or "mpich" */

/* Start a fresh command line: launcher, its flags, the rank count, then the program. */
void th_mpirun(struct th_argv *a, unsigned np);

/* The same, but every rank runs under a wrapper (this test program itself, see
 * th_init) that records the rank's own exit status and time, and the launcher is told
 * not to kill the other ranks when one exits non-zero. That is how "every rank exits 2" and
 * "no rank hangs in a barrier" are observed: by default mpirun kills the remaining ranks as
 * soon as one exits non-zero, which hides a rank that would have hung, and it reports only the
 * first non-zero status. (With Open MPI, mpirun's own exit status is then 0: use
 * th_result.rank[] instead, and th_mpirun for a test of the status a user sees.) */
void th_mpirun_each_rank(struct th_argv *a, unsigned np);

/* The same, with a fault injected by a seccomp filter that the wrapper installs before it
 * execs the program (inherited by its threads and children): "SYSCALL:ERRNO" in every rank, or
 * "SYSCALL:ERRNO@RANK" in one. SYSCALL is io_uring_setup, fsync (fsync and fdatasync) or create
 * (open/openat write-only with O_EXCL: the data files, not MPI's read-write shared-memory
 * segments); ERRNO is EPERM, EIO, ENOSPC or EDQUOT. Nothing in the program is changed or told.
 * I/O submitted through io_uring bypasses the filter. */
void th_mpirun_each_rank_fault(struct th_argv *a, unsigned np, const char *fault);

#define TH_DENY_IO_URING 1u /* io_uring_setup fails with EPERM in every rank */
void th_mpirun_each_rank_opts(struct th_argv *a, unsigned np, unsigned flags);
int th_can_deny_io_uring(void); /* 0 if this build cannot (no __NR_io_uring_setup) */

/* th_mpirun with another launcher, given with its MPI flavour ("openmpi" or "mpich"), which
 * decides its flags: how a program is started by the launcher of a different MPI library. */
void th_mpirun_as(struct th_argv *a, const char *mpiexec, const char *flavour, unsigned np);

/* Call first in main(). In a rank wrapper it runs the program and exits. Otherwise it applies
 * $IPB_TEST_FILTER (a cmocka test-name pattern, '*' and '?' wildcards) and returns. */
void th_init(int argc, char **argv);
/* The same, under its first name (test_hdf5.c calls it so). */
void th_wrapper_main(int argc, char **argv);

/* ---- running a command --------------------------------------------------------------------- */

struct th_result {
    char *cmd;      /* printable command line */
    int exited;     /* 1 if it exited normally */
    int status;     /* exit status when exited, else -1 */
    int signal;     /* terminating signal, else 0 */
    int timed_out;  /* 1 if the hard timeout killed it */
    double seconds; /* wall time from spawn to exit */
    /* time() at spawn and once finished: the bounds of a timestamp the program prints */
    time_t wall_start, wall_end;
    char *out;      /* stdout, NUL-terminated */
    size_t out_len;
    char *err; /* stderr, NUL-terminated */
    size_t err_len;
    unsigned np; /* ranks with a wrapper status expected (th_mpirun_each_rank), else 0 */
    struct th_rank_status {
        int reported;   /* the wrapper wrote its status */
        int exited;     /* the rank exited normally ... */
        int status;     /* ... with this status */
        int signal;     /* or was killed by this signal */
        double seconds; /* from the rank's start to its exit */
    } rank[16];
    char leftovers[2048]; /* descendants still alive after it exited (then killed) */
    int nleftovers;
    int reported; /* the context was already printed once */
};

struct th_proc;

/* Spawn argv in cwd (NULL: the current directory) with stdout and stderr captured. */
struct th_proc *th_spawn(const struct th_argv *a, const char *cwd);
pid_t th_proc_pid(const struct th_proc *p);
/* Keep reading its output for the given seconds (or until it exits). Returns 1 if it exited. */
int th_pump(struct th_proc *p, double seconds);
/* Wait for it with a hard timeout, then fill r (which th_result_free releases). On timeout the
 * whole process tree is killed and r->timed_out is set. */
void th_finish(struct th_proc *p, double timeout_s, struct th_result *r);
/* Kill the process tree and free p without a result (for teardown after a failed test). */
void th_abandon(struct th_proc *p);

/* 1 if every rank's wrapper reported a normal exit with `status` (r->np ranks). */
int th_every_rank_exited(const struct th_result *r, int status);

/* Spawn + finish. */
void th_run(const struct th_argv *a, const char *cwd, double timeout_s, struct th_result *r);
void th_result_free(struct th_result *r);

/* Print the command, status, timing, stdout and stderr through cmocka's print_error. */
void th_result_print(struct th_result *r);

/* The launcher's own chatter (Open MPI's dashed boxes, MPICH's '=' boxes, "[host:pid]" lines)
 * removed from stderr: what is left are the program's lines. Returns the number of non-empty
 * program lines; copies up to max of them (malloc'd) into lines when lines != NULL. */
int th_program_lines(const char *err, char **lines, int max);
void th_lines_free(char **lines, int n);
/* Lines "io-pipeline-bench: [TAG] ..." on stderr (TAG summary or progress): informational, and
 * not counted by th_program_lines. */
int th_info_lines(const char *err, const char *tag);

/* ---- descendants --------------------------------------------------------------------------- */

enum th_role {
    TH_RANK,    /* an MPI rank (its parent is the launcher) */
    TH_CHILD,   /* a fork method's pipeline child (its parent is a rank) */
    TH_JANITOR, /* a rank's janitor (src/janitor.h), named "ipb-janitor" */
};

struct th_pinfo {
    pid_t pid;
    pid_t ppid;
    enum th_role role;
    int rank; /* from the launcher's environment (OMPI_COMM_WORLD_RANK, PMI_RANK), else -1 */
};

/* Processes in the subtree of root (root excluded) whose executable is $IPB_BIN. */
int th_find_ipb(pid_t root, struct th_pinfo *out, int max);
/* The first of them with this role and rank (rank -1: any), or -1. */
pid_t th_find_ipb_role(pid_t root, enum th_role role, int rank);
/* Value of an environment variable of a running process (returns 0 if found). */
int th_proc_env(pid_t pid, const char *name, char *out, size_t outlen);

/* ---- the .dat output ----------------------------------------------------------------------- */

#define TH_MAX_COLS 128
#define TH_MAX_ROWS 16

struct th_dat {
    int nheaders; /* '#' lines */
    int nrows;    /* other non-empty lines */
    char *header; /* the first '#' line, without newline */
    char *row_line[TH_MAX_ROWS];
    char *row[TH_MAX_ROWS][TH_MAX_COLS];
    int ncols[TH_MAX_ROWS];
    int nother; /* lines after TH_MAX_ROWS rows */
};

/* Number of columns and their names, from result_fields.h. */
int th_ncolumns(void);
const char *th_column_name(int col);

void th_dat_parse(const char *text, struct th_dat *d);
void th_dat_free(struct th_dat *d);
/* 0 if header is "#<name0>\t<name1>..." with exactly the names of result_fields.h in order;
 * else -1 with the first difference in why. */
int th_dat_check_header(const char *header, char *why, size_t whylen);

/* Strict conversions of a field; return 0 on success. */
int th_f64(const char *s, double *out);
int th_u64(const char *s, uint64_t *out);

/* ---- files and directories ----------------------------------------------------------------- */

/* mkdtemp under /tmp; returns a malloc'd path. */
char *th_mkdtemp(const char *tag);
/* rm -rf that does not follow symlinks and does not cross mounts. */
void th_rmtree(const char *dir);
/* The end of a test's scratch directory: detach the file system the test mounted in it (mnt,
 * or NULL / "" for none), remove the tree and free the malloc'd path. */
void th_scratch_release(char *dir, const char *mnt);
/* Names in dir (excluding . and ..), sorted, joined by ' ' (malloc'd); count in *n. */
char *th_listdir(const char *dir, int *n);
/* Whole file content (malloc'd, NUL-terminated) or NULL. */
char *th_read_file(const char *path, size_t *len);
int th_write_file(const char *path, const char *content);
int th_exists(const char *path); /* lstat succeeds */

/* ---- a test's scratch state (cmocka fixtures) ----------------------------------------------- */

/* What the integration tests need: their case (the cmocka initial state), a fresh directory, a
 * file system mounted in it (or ""), a run still going when a check failed, a result and its
 * stdout parsed as .dat. */
struct th_ctx {
    const void *param;
    char *dir;
    char mnt[4200];
    struct th_proc *proc;
    struct th_result r;
    struct th_dat d;
};

/* cmocka setup: a th_ctx with param = the test's initial state and a new directory under /tmp
 * named after tag. */
int th_ctx_setup_tagged(void **state, const char *tag);
/* cmocka teardown: kill a run still going, free the result and the parsed .dat, unmount, remove
 * the directory. */
int th_ctx_teardown(void **state);

/* Run the program under th_mpirun with np ranks, in c->dir, with args (NULL-terminated; "%s" in
 * an argument stands for c->dir), and parse its stdout into c->d. The previous run's result
 * and rows are freed first, so a test may run several times. */
void th_ctx_run(struct th_ctx *c, unsigned np, double timeout_s, const char *const *args);
/* The run of th_ctx_run() succeeded: exit 0, no rank hung, no process left, no error line, and
 * (rows >= 0) that many .dat rows on stdout, each with every column. */
void th_ctx_expect_success(struct th_ctx *c, int rows);

/* ---- assertions that explain themselves ---------------------------------------------------- */

void th_report(struct th_result *r, const char *file, int line, const char *cond, const char *fmt,
               ...) __attribute__((format(printf, 5, 6)));

/* If cond is false: print the run (command, status, stdout, stderr) once, the condition and the
 * message, then fail the cmocka test. r may be NULL. */
#define TH_EXPECT(r, cond, ...)                                                                    \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            th_report((r), __FILE__, __LINE__, #cond, __VA_ARGS__);                                \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#endif
