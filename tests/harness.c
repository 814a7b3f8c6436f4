/* Test harness for the integration tests (see harness.h for the why). */
#include "harness.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h> /* fault injection: a seccomp filter in the rank wrapper */
#include <linux/seccomp.h>

#include <mpi.h> /* only to know which MPI the tests were built with, when not told */

#include "result_fields.h"

/* ---- argument vectors ---------------------------------------------------------------------- */

static void *th_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL) {
        fprintf(stderr, "harness: out of memory\n");
        abort();
    }
    return q;
}

static char *th_xstrdup(const char *s)
{
    char *d = strdup(s);
    if (d == NULL) {
        fprintf(stderr, "harness: out of memory\n");
        abort();
    }
    return d;
}

void th_argv_init(struct th_argv *a)
{
    a->np = 0;
    a->status_dir = NULL;
    a->n = 0;
    a->cap = 16;
    a->v = th_xrealloc(NULL, a->cap * sizeof *a->v);
    a->v[0] = NULL;
}

void th_argv_add(struct th_argv *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap *= 2;
        a->v = th_xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = th_xstrdup(s);
    a->v[a->n] = NULL;
}

void th_argv_addv(struct th_argv *a, const char *const *args)
{
    for (const char *const *s = args; *s != NULL; s++)
        th_argv_add(a, *s);
}

void th_argv_add_opt(struct th_argv *a, const char *opt, const char *value)
{
    if (value == NULL)
        return;
    th_argv_add(a, opt);
    th_argv_add(a, value);
}

void th_argv_addf(struct th_argv *a, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    th_argv_add(a, buf);
}

void th_argv_free(struct th_argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    free(a->status_dir);
    a->v = NULL;
    a->status_dir = NULL;
    a->n = a->cap = 0;
}

/* Shell quoting for the log only: what you can paste into a terminal to reproduce. */
static void th_quote(char **buf, size_t *len, size_t *cap, const char *s)
{
    int plain = *s != '\0';
    for (const char *c = s; *c; c++)
        if (!isalnum((unsigned char)*c) && strchr("-_./=:,+@%", *c) == NULL)
            plain = 0;
    size_t need = *len + 4 * strlen(s) + 8;
    if (need > *cap) {
        *cap = need * 2;
        *buf = th_xrealloc(*buf, *cap);
    }
    char *o = *buf + *len;
    if (plain) {
        o += sprintf(o, "%s", s);
    } else if (strpbrk(s, "\t\n") != NULL) {
        /* bash's $'...' so that a tab or newline stays visible */
        o += sprintf(o, "$'");
        for (const char *c = s; *c; c++) {
            if (*c == '\t')
                o += sprintf(o, "\\t");
            else if (*c == '\n')
                o += sprintf(o, "\\n");
            else if (*c == '\'' || *c == '\\')
                o += sprintf(o, "\\%c", *c);
            else
                *o++ = *c;
        }
        *o++ = '\'';
    } else {
        *o++ = '\'';
        for (const char *c = s; *c; c++) {
            if (*c == '\'')
                o += sprintf(o, "'\\''");
            else
                *o++ = *c;
        }
        *o++ = '\'';
    }
    *o = '\0';
    *len = (size_t)(o - *buf);
}

char *th_argv_str(const struct th_argv *a)
{
    size_t len = 0, cap = 256;
    char *buf = th_xrealloc(NULL, cap);
    buf[0] = '\0';
    for (size_t i = 0; i < a->n; i++) {
        if (i > 0) {
            if (len + 2 > cap) {
                cap *= 2;
                buf = th_xrealloc(buf, cap);
            }
            buf[len++] = ' ';
            buf[len] = '\0';
        }
        th_quote(&buf, &len, &cap, a->v[i]);
    }
    return buf;
}

/* ---- the program and its launcher ---------------------------------------------------------- */

const char *th_bin(void)
{
    static char path[PATH_MAX];
    if (path[0] != '\0')
        return path;
    const char *env = getenv("IPB_BIN");
    /* make check exports IPB_BIN; run alone from the build directory, the default works too */
    if (env == NULL || *env == '\0')
        env = "src/io-pipeline-bench";
    if (realpath(env, path) == NULL)
        snprintf(path, sizeof path, "%s", env);
    return path;
}

const char *th_mpiexec(void)
{
    const char *env = getenv("IPB_MPIEXEC");
    return (env != NULL && *env != '\0') ? env : "mpirun";
}

const char *th_mpi_flavour(void)
{
    const char *env = getenv("IPB_MPI_FLAVOUR");
    if (env != NULL && *env != '\0')
        return env;
#if defined(OMPI_MAJOR_VERSION)
    return "openmpi";
#elif defined(MPICH_VERSION)
    return "mpich";
#else
    return "other";
#endif
}

static void th_launcher_of(struct th_argv *a, const char *mpiexec, const char *flavour, unsigned np,
                           int each_rank)
{
    th_argv_init(a);
    a->np = np;
    th_argv_add(a, mpiexec);
    if (strcmp(flavour, "mpich") == 0) {
        /* Hydra (MPICH's mpiexec) runs more ranks than cores without being asked; its
         * binding option has one dash. Its counterpart of orte_abort_on_non_zero_status 0 is
         * -disable-auto-cleanup: without it, the first rank to exit non-zero gets the others
         * killed, which would hide a rank hanging in a barrier. */
        th_argv_add(a, "-bind-to");
        th_argv_add(a, "none");
        if (each_rank)
            th_argv_add(a, "-disable-auto-cleanup");
        th_argv_add(a, "-n");
    } else {
        /* 3 ranks on a 2-core machine: Open MPI refuses without --oversubscribe, and binding
         * would pile the oversubscribed ranks and their threads onto one core */
        th_argv_add(a, "--oversubscribe");
        th_argv_add(a, "--bind-to");
        th_argv_add(a, "none");
        if (each_rank) {
            th_argv_add(a, "--mca");
            th_argv_add(a, "orte_abort_on_non_zero_status");
            th_argv_add(a, "0");
        }
        th_argv_add(a, "-np");
    }
    th_argv_addf(a, "%u", np);
}

static void th_launcher(struct th_argv *a, unsigned np, int each_rank)
{
    th_launcher_of(a, th_mpiexec(), th_mpi_flavour(), np, each_rank);
}

void th_mpirun(struct th_argv *a, unsigned np)
{
    th_launcher(a, np, 0);
    th_argv_add(a, th_bin());
}

void th_mpirun_as(struct th_argv *a, const char *mpiexec, const char *flavour, unsigned np)
{
    th_launcher_of(a, mpiexec, flavour, np, 0);
    th_argv_add(a, th_bin());
}

#define TH_WRAPPER_FLAG "--th-rank-wrapper"

void th_mpirun_each_rank(struct th_argv *a, unsigned np)
{
    th_mpirun_each_rank_fault(a, np, NULL);
}

void th_mpirun_each_rank_opts(struct th_argv *a, unsigned np, unsigned flags)
{
    th_mpirun_each_rank_fault(a, np, (flags & TH_DENY_IO_URING) ? "io_uring_setup:EPERM" : NULL);
}

int th_can_deny_io_uring(void)
{
#ifdef __NR_io_uring_setup
    return 1;
#else
    return 0;
#endif
}

#define TH_FAULT_FLAG "--th-fault"

/* Install the seccomp filter of a fault spec "SYSCALL:ERRNO" (see harness.h) in this process;
 * it is inherited by everything it execs, forks and starts. No arch check: the filter only
 * runs in the wrapper's own child, built for this architecture. */
static int th_install_fault(const char *spec)
{
    char what[64];
    const char *colon = strchr(spec, ':');
    if (colon == NULL || (size_t)(colon - spec) >= sizeof what) {
        errno = EINVAL;
        return -1;
    }
    memcpy(what, spec, (size_t)(colon - spec));
    what[colon - spec] = '\0';
    char err[32];
    snprintf(err, sizeof err, "%.*s", (int)strcspn(colon + 1, "@"), colon + 1);
    int e = strcmp(err, "EPERM") == 0    ? EPERM
            : strcmp(err, "EIO") == 0    ? EIO
            : strcmp(err, "ENOSPC") == 0 ? ENOSPC
            : strcmp(err, "EDQUOT") == 0 ? EDQUOT
                                         : 0;
    if (e == 0) {
        errno = EINVAL;
        return -1;
    }
    const unsigned deny = SECCOMP_RET_ERRNO | ((unsigned)e & SECCOMP_RET_DATA);
    const unsigned nr_off = offsetof(struct seccomp_data, nr);
    /* the low 32 bits of an argument (little-endian) */
    const unsigned arg1 = offsetof(struct seccomp_data, args[1]);
    const unsigned arg2 = offsetof(struct seccomp_data, args[2]);
    struct sock_filter f[16];
    unsigned short n = 0;
    if (strcmp(what, "io_uring_setup") == 0) {
#ifdef __NR_io_uring_setup
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, nr_off);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
#else
        errno = ENOSYS;
        return -1;
#endif
    } else if (strcmp(what, "fsync") == 0) {
        /* fsync and fdatasync: the data's way to stable storage, never used by MPI start-up */
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, nr_off);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fsync, 1, 0);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fdatasync, 0, 1);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    } else if (strcmp(what, "create") == 0) {
        /* open/openat write-only with O_EXCL: how the data files are created
         * (O_WRONLY|O_CREAT|O_EXCL). Not O_EXCL alone: MPICH's UCX creates its shared-memory
         * segments with shm_open(O_RDWR|O_CREAT|O_EXCL) in MPI_Init, which must not fail. */
        const unsigned mask = O_ACCMODE | O_EXCL, want = O_WRONLY | O_EXCL;
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, nr_off);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 2);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg2);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 2, 0, 0); /* to the AND */
#ifdef __NR_open
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 0, 4);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg1);
#else
        (void)arg1;
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 4, 0, 0); /* to allow */
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
#endif
        f[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mask);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, want, 0, 1);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    } else {
        errno = EINVAL;
        return -1;
    }
    struct sock_fprog prog = {n, f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

void th_mpirun_each_rank_fault(struct th_argv *a, unsigned np, const char *fault)
{
    th_launcher(a, np, 1);
    char self[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k <= 0) {
        perror("harness: /proc/self/exe");
        abort();
    }
    self[k] = '\0';
    a->status_dir = th_mkdtemp("ranks");
    if (a->status_dir == NULL)
        abort();
    th_argv_add(a, self);
    th_argv_add(a, TH_WRAPPER_FLAG);
    th_argv_add(a, a->status_dir);
    if (fault != NULL) {
        th_argv_add(a, TH_FAULT_FLAG);
        th_argv_add(a, fault);
    }
    th_argv_add(a, th_bin());
}

static volatile pid_t th_wrapped_child;

static void th_forward_signal(int sig)
{
    if (th_wrapped_child > 0)
        kill(th_wrapped_child, sig);
}

static double th_now(void);

/* A rank wrapper's argv: self --th-rank-wrapper STATUS_DIR [--th-fault SPEC] PROGRAM ARGS...
 * It runs PROGRAM ARGS as a child (which keeps the launcher's environment, stdout and stderr),
 * forwards termination signals to it, and writes "<exited> <status> <signal> <seconds>" to
 * STATUS_DIR/rank.<rank>. */
void th_init(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[1], TH_WRAPPER_FLAG) != 0) {
        const char *filter = getenv("IPB_TEST_FILTER");
        if (filter != NULL && *filter != '\0')
            cmocka_set_test_filter(filter);
        return;
    }
    const char *rank = getenv("OMPI_COMM_WORLD_RANK");
    if (rank == NULL)
        rank = getenv("PMI_RANK");
    if (rank == NULL)
        rank = getenv("PMIX_RANK");
    if (rank == NULL)
        rank = "unknown";
    int first = 3;
    const char *fault = NULL;
    if (first + 1 < argc && strcmp(argv[first], TH_FAULT_FLAG) == 0) {
        fault = argv[first + 1];
        first += 2;
        /* "SYSCALL:ERRNO@RANK": only in that rank */
        const char *at = strchr(fault, '@');
        if (at != NULL && strcmp(at + 1, rank) != 0)
            fault = NULL;
    }
    if (first >= argc) {
        dprintf(2, "rank wrapper: no program\n");
        _exit(127);
    }
    double t0 = th_now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("rank wrapper: fork");
        _exit(127);
    }
    if (pid == 0) {
        if (fault != NULL && th_install_fault(fault) != 0) {
            dprintf(2, "rank wrapper: cannot inject %s: %s\n", fault, strerror(errno));
            _exit(127);
        }
        execv(argv[first], argv + first);
        dprintf(2, "rank wrapper: exec %s: %s\n", argv[first], strerror(errno));
        _exit(127);
    }
    th_wrapped_child = pid;
    signal(SIGTERM, th_forward_signal);
    signal(SIGINT, th_forward_signal);
    signal(SIGHUP, th_forward_signal);
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    double secs = th_now() - t0;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/rank.%s", argv[2], rank);
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fprintf(f, "%d %d %d %.3f\n", WIFEXITED(ws), WIFEXITED(ws) ? WEXITSTATUS(ws) : -1,
                WIFSIGNALED(ws) ? WTERMSIG(ws) : 0, secs);
        fclose(f);
    }
    if (WIFSIGNALED(ws)) {
        signal(WTERMSIG(ws), SIG_DFL);
        raise(WTERMSIG(ws));
    }
    _exit(WIFEXITED(ws) ? WEXITSTATUS(ws) : 127);
}

void th_wrapper_main(int argc, char **argv)
{
    th_init(argc, argv);
}

int th_every_rank_exited(const struct th_result *r, int status)
{
    if (r->np == 0)
        return 0;
    for (unsigned i = 0; i < r->np && i < 16; i++)
        if (!r->rank[i].reported || !r->rank[i].exited || r->rank[i].status != status)
            return 0;
    return 1;
}

/* ---- the process table ---------------------------------------------------------------------- */

struct th_ps {
    pid_t pid;
    pid_t ppid;
    char state;
};

/* Every process: pid, parent, state. Returns the count; *out is malloc'd. */
static int th_ps_list(struct th_ps **out)
{
    int n = 0, cap = 256;
    struct th_ps *ps = th_xrealloc(NULL, (size_t)cap * sizeof *ps);
    DIR *d = opendir("/proc");
    if (d == NULL) {
        *out = ps;
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t k = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (k <= 0)
            continue;
        buf[k] = '\0';
        /* "pid (comm) S ppid ...": comm may hold spaces and parentheses, so parse from the
         * last ')' */
        char *rp = strrchr(buf, ')');
        char state;
        int ppid;
        if (rp == NULL || sscanf(rp + 1, " %c %d", &state, &ppid) != 2)
            continue;
        if (n == cap) {
            cap *= 2;
            ps = th_xrealloc(ps, (size_t)cap * sizeof *ps);
        }
        ps[n].pid = (pid_t)atoi(e->d_name);
        ps[n].ppid = (pid_t)ppid;
        ps[n].state = state;
        n++;
    }
    closedir(d);
    *out = ps;
    return n;
}

/* Is pid in the subtree of root (root excluded)? */
static int th_ps_descends(const struct th_ps *ps, int n, pid_t pid, pid_t root)
{
    for (int depth = 0; depth < 64; depth++) {
        pid_t parent = -1;
        for (int i = 0; i < n; i++)
            if (ps[i].pid == pid) {
                parent = ps[i].ppid;
                break;
            }
        if (parent <= 0)
            return 0;
        if (parent == root)
            return 1;
        pid = parent;
    }
    return 0;
}

static void th_reap_all(void);

static void th_cmdline(pid_t pid, char *out, size_t outlen)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t k = read(fd, out, outlen - 1);
    close(fd);
    if (k <= 0) {
        out[0] = '\0';
        return;
    }
    out[k] = '\0';
    for (ssize_t i = 0; i < k - 1; i++)
        if (out[i] == '\0')
            out[i] = ' ';
}

/* Live (non-zombie) descendants of this test process. */
static int th_live_descendants(pid_t *out, int max)
{
    struct th_ps *ps;
    int n = th_ps_list(&ps), m = 0;
    pid_t self = getpid();
    for (int i = 0; i < n && m < max; i++)
        if (ps[i].state != 'Z' && ps[i].pid != self && th_ps_descends(ps, n, ps[i].pid, self))
            out[m++] = ps[i].pid;
    free(ps);
    return m;
}

/* SIGKILL everything below this test process until nothing is left (children may fork while
 * we kill; orphans come to us because we are a subreaper). */
static void th_kill_tree(void)
{
    for (int round = 0; round < 100; round++) {
        pid_t pids[512];
        int n = th_live_descendants(pids, 512);
        if (n == 0)
            break;
        for (int i = 0; i < n; i++)
            kill(pids[i], SIGKILL);
        th_reap_all();
        usleep(20000);
    }
    th_reap_all();
}

int th_find_ipb(pid_t root, struct th_pinfo *out, int max)
{
    struct th_ps *ps;
    int n = th_ps_list(&ps), m = 0;
    const char *bin = th_bin();
    for (int i = 0; i < n && m < max; i++) {
        if (ps[i].state == 'Z' || !th_ps_descends(ps, n, ps[i].pid, root))
            continue;
        char path[64], exe[PATH_MAX];
        snprintf(path, sizeof path, "/proc/%d/exe", (int)ps[i].pid);
        ssize_t k = readlink(path, exe, sizeof exe - 1);
        if (k <= 0)
            continue;
        exe[k] = '\0';
        if (strcmp(exe, bin) == 0) {
            out[m].pid = ps[i].pid;
            out[m].ppid = ps[i].ppid;
            m++;
        }
    }
    free(ps);
    for (int i = 0; i < m; i++) {
        char comm[64] = "", path[64], rank[32] = "";
        snprintf(path, sizeof path, "/proc/%d/comm", (int)out[i].pid);
        char *text = th_read_file(path, NULL);
        if (text != NULL) {
            snprintf(comm, sizeof comm, "%s", text);
            comm[strcspn(comm, "\n")] = '\0';
            free(text);
        }
        int parent_is_ipb = 0;
        for (int j = 0; j < m; j++)
            parent_is_ipb |= out[j].pid == out[i].ppid;
        out[i].role = strcmp(comm, "ipb-janitor") == 0 ? TH_JANITOR
                      : parent_is_ipb                  ? TH_CHILD
                                                       : TH_RANK;
        if (th_proc_env(out[i].pid, "OMPI_COMM_WORLD_RANK", rank, sizeof rank) != 0)
            th_proc_env(out[i].pid, "PMI_RANK", rank, sizeof rank);
        out[i].rank = rank[0] != '\0' ? atoi(rank) : -1;
    }
    return m;
}

pid_t th_find_ipb_role(pid_t root, enum th_role role, int rank)
{
    struct th_pinfo ps[256];
    int n = th_find_ipb(root, ps, 256);
    for (int i = 0; i < n; i++)
        if (ps[i].role == role && (rank < 0 || ps[i].rank == rank))
            return ps[i].pid;
    return -1;
}

int th_proc_env(pid_t pid, const char *name, char *out, size_t outlen)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    size_t len;
    char *env = th_read_file(path, &len);
    if (env == NULL)
        return -1;
    size_t nl = strlen(name);
    int rc = -1;
    for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
        if (strncmp(env + i, name, nl) == 0 && env[i + nl] == '=') {
            snprintf(out, outlen, "%s", env + i + nl + 1);
            rc = 0;
            break;
        }
    }
    free(env);
    return rc;
}

/* ---- running a command --------------------------------------------------------------------- */

struct th_buf {
    char *p;
    size_t len, cap;
};

struct th_proc {
    pid_t pid;
    int fd[2]; /* stdout, stderr read ends; -1 once at EOF */
    struct th_buf buf[2];
    int exited;
    int wstatus;
    double t_start, t_end;
    time_t wall_start;
    char *cmd;
    unsigned np;
    char *status_dir;
};

/* The process th_finish is waiting for: reaping everything (waitpid(-1)) must not lose its
 * status. */
static struct th_proc *th_watch;

static void th_reap_all(void)
{
    pid_t w;
    int ws;
    while ((w = waitpid(-1, &ws, WNOHANG)) > 0) {
        if (th_watch != NULL && w == th_watch->pid && !th_watch->exited) {
            th_watch->exited = 1;
            th_watch->wstatus = ws;
            th_watch->t_end = th_now();
        }
    }
}

static double th_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void th_env_once(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    /* Orphaned descendants (a rank's forked children whose parent died) are reparented to us
     * instead of init, so we can see, reap and kill them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    /* make check exports these; a test run by hand as root needs them too */
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    signal(SIGPIPE, SIG_IGN);
}

struct th_proc *th_spawn(const struct th_argv *a, const char *cwd)
{
    th_env_once();
    struct th_proc *p = calloc(1, sizeof *p);
    if (p == NULL)
        abort();
    p->cmd = th_argv_str(a);
    p->np = a->np;
    p->status_dir = a->status_dir != NULL ? th_xstrdup(a->status_dir) : NULL;
    if (cwd != NULL) {
        /* say where it ran: relative paths in the command depend on it */
        size_t need = strlen(p->cmd) + strlen(cwd) + 32;
        char *c = th_xrealloc(NULL, need);
        snprintf(c, need, "(cd %s && %s)", cwd, p->cmd);
        free(p->cmd);
        p->cmd = c;
    }
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
        perror("harness: pipe2");
        abort();
    }
    fflush(stdout);
    fflush(stderr);
    p->wall_start = time(NULL);
    p->t_start = th_now();
    p->pid = fork();
    if (p->pid < 0) {
        perror("harness: fork");
        abort();
    }
    if (p->pid == 0) {
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        if (cwd != NULL && chdir(cwd) != 0) {
            dprintf(2, "harness: chdir %s: %s\n", cwd, strerror(errno));
            _exit(126);
        }
        execvp(a->v[0], a->v);
        dprintf(2, "harness: exec %s: %s\n", a->v[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    p->fd[0] = po[0];
    p->fd[1] = pe[0];
    for (int i = 0; i < 2; i++)
        fcntl(p->fd[i], F_SETFL, fcntl(p->fd[i], F_GETFL) | O_NONBLOCK);
    return p;
}

pid_t th_proc_pid(const struct th_proc *p)
{
    return p->pid;
}

static void th_drain(struct th_proc *p, int i)
{
    for (;;) {
        struct th_buf *b = &p->buf[i];
        if (b->cap - b->len < 4096 + 1) {
            b->cap = b->cap ? 2 * b->cap : 16384;
            b->p = th_xrealloc(b->p, b->cap);
        }
        ssize_t k = read(p->fd[i], b->p + b->len, b->cap - b->len - 1);
        if (k > 0) {
            b->len += (size_t)k;
            continue;
        }
        if (k == 0) {
            close(p->fd[i]);
            p->fd[i] = -1;
        } else if (errno != EAGAIN && errno != EINTR) {
            close(p->fd[i]);
            p->fd[i] = -1;
        }
        return;
    }
}

/* Read output until deadline, or until the process exited (stop_at_exit) or both pipes hit
 * EOF. */
static void th_pump_until(struct th_proc *p, double deadline, int stop_at_exit)
{
    for (;;) {
        if (!p->exited) {
            int ws;
            pid_t w = waitpid(p->pid, &ws, WNOHANG);
            if (w == p->pid) {
                p->exited = 1;
                p->wstatus = ws;
                p->t_end = th_now();
            }
        }
        if (p->exited && stop_at_exit)
            return;
        if (p->fd[0] < 0 && p->fd[1] < 0) {
            if (p->exited)
                return;
            usleep(10000);
        }
        double left = deadline - th_now();
        if (left <= 0)
            return;
        struct pollfd pf[2];
        int n = 0;
        for (int i = 0; i < 2; i++)
            if (p->fd[i] >= 0) {
                pf[n].fd = p->fd[i];
                pf[n].events = POLLIN;
                n++;
            }
        if (n > 0) {
            int ms = (int)(left * 1000) + 1;
            if (ms > 50)
                ms = 50; /* look at waitpid often: the pipes may outlive the process */
            poll(pf, (nfds_t)n, ms);
            for (int i = 0; i < 2; i++)
                if (p->fd[i] >= 0)
                    th_drain(p, i);
        }
    }
}

int th_pump(struct th_proc *p, double seconds)
{
    th_pump_until(p, th_now() + seconds, 1);
    return p->exited;
}

static void th_proc_free(struct th_proc *p)
{
    for (int i = 0; i < 2; i++) {
        if (p->fd[i] >= 0)
            close(p->fd[i]);
        free(p->buf[i].p);
    }
    if (p->status_dir != NULL) {
        th_rmtree(p->status_dir);
        free(p->status_dir);
    }
    free(p->cmd);
    free(p);
}

void th_abandon(struct th_proc *p)
{
    if (p == NULL)
        return;
    th_watch = p;
    th_kill_tree();
    if (!p->exited)
        waitpid(p->pid, NULL, 0);
    th_watch = NULL;
    th_proc_free(p);
}

static char *th_take(struct th_buf *b, size_t *len)
{
    if (b->p == NULL)
        b->p = th_xstrdup("");
    else
        b->p[b->len] = '\0';
    *len = b->len;
    char *s = b->p;
    b->p = NULL;
    return s;
}

void th_finish(struct th_proc *p, double timeout_s, struct th_result *r)
{
    memset(r, 0, sizeof *r);
    th_watch = p;
    double deadline = p->t_start + timeout_s;
    th_pump_until(p, deadline, 1);
    if (!p->exited) {
        r->timed_out = 1;
        th_kill_tree();
        if (!p->exited && waitpid(p->pid, &p->wstatus, 0) == p->pid) {
            p->exited = 1;
            p->t_end = th_now();
        }
    }
    /* Output still buffered in the pipes; a descendant that outlived the launcher may hold
     * them open, so give up on EOF after a grace period and report it below. */
    th_pump_until(p, th_now() + 2.0, 0);

    /* Anything still running below us now was left behind by the run. Give a process that is
     * just exiting a moment. */
    pid_t pids[64];
    int n = 0;
    for (int i = 0; i < 20; i++) {
        th_reap_all();
        n = th_live_descendants(pids, 64);
        if (n == 0)
            break;
        usleep(50000);
    }
    for (int i = 0; i < n; i++) {
        char cl[256];
        th_cmdline(pids[i], cl, sizeof cl);
        size_t used = strlen(r->leftovers);
        snprintf(r->leftovers + used, sizeof r->leftovers - used, "%s[pid %d] %s", i ? "; " : "",
                 (int)pids[i], cl);
    }
    r->nleftovers = n;
    if (n > 0)
        th_kill_tree();
    th_pump_until(p, th_now() + 0.2, 0);

    r->cmd = p->cmd;
    p->cmd = NULL;
    r->seconds = p->t_end - p->t_start;
    r->wall_start = p->wall_start;
    if (WIFEXITED(p->wstatus)) {
        r->exited = 1;
        r->status = WEXITSTATUS(p->wstatus);
    } else {
        r->status = -1;
        r->signal = WIFSIGNALED(p->wstatus) ? WTERMSIG(p->wstatus) : 0;
    }
    if (p->status_dir != NULL) {
        r->np = p->np;
        for (unsigned i = 0; i < p->np && i < 16; i++) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/rank.%u", p->status_dir, i);
            char *t = th_read_file(path, NULL);
            struct th_rank_status *rs = &r->rank[i];
            if (t != NULL &&
                sscanf(t, "%d %d %d %lf", &rs->exited, &rs->status, &rs->signal, &rs->seconds) == 4)
                rs->reported = 1;
            free(t);
        }
    }
    r->out = th_take(&p->buf[0], &r->out_len);
    r->err = th_take(&p->buf[1], &r->err_len);
    th_watch = NULL;
    th_proc_free(p);
    r->wall_end = time(NULL);
}

void th_run(const struct th_argv *a, const char *cwd, double timeout_s, struct th_result *r)
{
    th_finish(th_spawn(a, cwd), timeout_s, r);
}

void th_result_free(struct th_result *r)
{
    free(r->cmd);
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

static void th_print_text(const char *what, const char *s, size_t len)
{
    const size_t cap = 12000;
    print_error("---- %s (%zu bytes)%s:\n", what, len, len > cap ? ", first 12000" : "");
    if (len > cap)
        print_error("%.12000s\n", s);
    else if (len > 0)
        print_error("%s%s", s, s[len - 1] == '\n' ? "" : "\n[no newline at end]\n");
}

void th_result_print(struct th_result *r)
{
    if (r == NULL || r->cmd == NULL)
        return;
    print_error("---- ran: %s\n", r->cmd);
    if (r->timed_out)
        print_error("---- TIMED OUT after %.1f s: the whole process tree was killed\n", r->seconds);
    else if (r->exited)
        print_error("---- exit status %d after %.2f s\n", r->status, r->seconds);
    else
        print_error("---- killed by signal %d after %.2f s\n", r->signal, r->seconds);
    for (unsigned i = 0; i < r->np && i < 16; i++) {
        const struct th_rank_status *rs = &r->rank[i];
        if (!rs->reported)
            print_error("---- rank %u: no exit recorded (killed with its wrapper, or hung)\n", i);
        else if (rs->exited)
            print_error("---- rank %u: exit status %d after %.2f s\n", i, rs->status, rs->seconds);
        else
            print_error("---- rank %u: killed by signal %d after %.2f s\n", i, rs->signal,
                        rs->seconds);
    }
    if (r->nleftovers > 0)
        print_error("---- %d process(es) left running after it ended (killed): %s\n", r->nleftovers,
                    r->leftovers);
    th_print_text("stdout", r->out, r->out_len);
    th_print_text("stderr", r->err, r->err_len);
    print_error("----\n");
}

void th_report(struct th_result *r, const char *file, int line, const char *cond, const char *fmt,
               ...)
{
    if (r != NULL && !r->reported) {
        th_result_print(r);
        r->reported = 1;
    }
    print_error("%s:%d: check failed: %s\n    ", file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vprint_error(fmt, ap);
    va_end(ap);
    print_error("\n");
}

/* ---- the program's stderr lines ------------------------------------------------------------ */

static int th_is_box_rule(const char *s, size_t len)
{
    if (len < 10 || (s[0] != '-' && s[0] != '='))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != s[0])
            return 0;
    return 1;
}

/* "[host:12345] ..." : Open MPI's and MPICH's own per-process notes */
static int th_is_launcher_note(const char *s, size_t len)
{
    if (len < 4 || s[0] != '[')
        return 0;
    const char *close = memchr(s, ']', len);
    if (close == NULL || close == s + 1 || !isdigit((unsigned char)close[-1]))
        return 0;
    const char *colon = memchr(s, ':', (size_t)(close - s));
    return colon != NULL;
}

/* The program's own informational lines on stderr (the straggler and series summary
 * after a row, --progress lines): not errors, so not "program lines". th_info_lines counts
 * them. */
static int th_is_info_line(const char *s, size_t len)
{
    static const char *const tags[] = {"io-pipeline-bench: [summary] ",
                                       "io-pipeline-bench: [progress] "};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (len >= strlen(tags[i]) && strncmp(s, tags[i], strlen(tags[i])) == 0)
            return 1;
    return 0;
}

int th_info_lines(const char *err, const char *tag)
{
    int n = 0;
    char prefix[128];
    snprintf(prefix, sizeof prefix, "io-pipeline-bench: [%s] ", tag);
    for (const char *s = err; s && *s;) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len >= strlen(prefix) && strncmp(s, prefix, strlen(prefix)) == 0)
            n++;
        s += len + (e ? 1 : 0);
    }
    return n;
}

int th_program_lines(const char *err, char **lines, int max)
{
    int n = 0, in_box = 0;
    const char *s = err;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (th_is_box_rule(s, len)) {
            in_box = !in_box;
        } else if (!in_box && !th_is_launcher_note(s, len) && !th_is_info_line(s, len)) {
            size_t k;
            for (k = 0; k < len && isspace((unsigned char)s[k]); k++)
                ;
            if (k < len) {
                if (lines != NULL && n < max) {
                    lines[n] = th_xrealloc(NULL, len + 1);
                    memcpy(lines[n], s, len);
                    lines[n][len] = '\0';
                }
                n++;
            }
        }
        s += len + (e ? 1 : 0);
    }
    return n;
}

void th_lines_free(char **lines, int n)
{
    for (int i = 0; i < n; i++)
        free(lines[i]);
}

/* ---- the .dat output ----------------------------------------------------------------------- */

#define TH_COLUMN_NAME(type, len, name, hdr, fmt, doc) hdr,
static const char *const th_columns[] = {IPB_RESULT_FIELDS(TH_COLUMN_NAME)};

int th_ncolumns(void)
{
    return (int)(sizeof th_columns / sizeof th_columns[0]);
}

const char *th_column_name(int col)
{
    return (col >= 0 && col < th_ncolumns()) ? th_columns[col] : "?";
}

static int th_split_tabs(char *line, char **fields, int max)
{
    int n = 0;
    char *s = line;
    for (;;) {
        char *t = strchr(s, '\t');
        if (n < max)
            fields[n] = s;
        n++;
        if (t == NULL)
            break;
        *t = '\0';
        s = t + 1;
    }
    return n;
}

void th_dat_parse(const char *text, struct th_dat *d)
{
    memset(d, 0, sizeof *d);
    const char *s = text;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len > 0 && s[0] == '#') {
            if (d->nheaders++ == 0) {
                d->header = th_xrealloc(NULL, len + 1);
                memcpy(d->header, s, len);
                d->header[len] = '\0';
            }
        } else if (len > 0) {
            if (d->nrows < TH_MAX_ROWS) {
                int r = d->nrows;
                d->row_line[r] = th_xrealloc(NULL, len + 1);
                memcpy(d->row_line[r], s, len);
                d->row_line[r][len] = '\0';
                /* the fields point into a second copy, split in place */
                char *copy = th_xstrdup(d->row_line[r]);
                char *f[TH_MAX_COLS];
                int nf = th_split_tabs(copy, f, TH_MAX_COLS);
                d->ncols[r] = nf;
                for (int c = 0; c < nf && c < TH_MAX_COLS; c++)
                    d->row[r][c] = th_xstrdup(f[c]);
                free(copy);
                d->nrows++;
            } else {
                d->nother++;
            }
        }
        s += len + (e ? 1 : 0);
    }
}

void th_dat_free(struct th_dat *d)
{
    free(d->header);
    for (int r = 0; r < d->nrows && r < TH_MAX_ROWS; r++) {
        free(d->row_line[r]);
        for (int c = 0; c < d->ncols[r] && c < TH_MAX_COLS; c++)
            free(d->row[r][c]);
    }
    memset(d, 0, sizeof *d);
}

int th_dat_check_header(const char *header, char *why, size_t whylen)
{
    if (header == NULL) {
        snprintf(why, whylen, "no '#' header line");
        return -1;
    }
    if (header[0] != '#') {
        snprintf(why, whylen, "header does not start with '#'");
        return -1;
    }
    char *copy = th_xstrdup(header + 1);
    char *f[TH_MAX_COLS];
    int nf = th_split_tabs(copy, f, TH_MAX_COLS);
    int rc = 0;
    if (nf != th_ncolumns()) {
        snprintf(why, whylen, "header has %d columns, result_fields.h lists %d", nf, th_ncolumns());
        rc = -1;
    }
    for (int c = 0; rc == 0 && c < nf; c++) {
        char want[300];
        snprintf(want, sizeof want, "<%s>", th_columns[c]);
        if (strcmp(f[c], want) != 0) {
            snprintf(why, whylen, "header column %d is \"%s\", expected \"%s\"", c, f[c], want);
            rc = -1;
        }
    }
    free(copy);
    return rc;
}

int th_f64(const char *s, double *out)
{
    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

int th_u64(const char *s, uint64_t *out)
{
    if (s == NULL || !isdigit((unsigned char)*s))
        return -1;
    for (const char *c = s; *c; c++)
        if (!isdigit((unsigned char)*c))
            return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE || *end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* ---- files and directories ----------------------------------------------------------------- */

char *th_mkdtemp(const char *tag)
{
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "/tmp/ipb-test-%s-XXXXXX", tag);
    if (mkdtemp(tmpl) == NULL) {
        perror("harness: mkdtemp");
        return NULL;
    }
    return th_xstrdup(tmpl);
}

static int th_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0 && errno != ENOENT)
        fprintf(stderr, "harness: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

void th_rmtree(const char *dir)
{
    if (dir == NULL || strncmp(dir, "/tmp/ipb-test-", 14) != 0)
        return; /* only ever our own directories */
    nftw(dir, th_rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

void th_scratch_release(char *dir, const char *mnt)
{
    if (mnt != NULL && mnt[0] != '\0' && umount2(mnt, MNT_DETACH) != 0)
        fprintf(stderr, "umount %s: %s\n", mnt, strerror(errno));
    th_rmtree(dir);
    free(dir);
}

static int th_not_dots(const struct dirent *e)
{
    return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
}

char *th_listdir(const char *dir, int *n)
{
    struct dirent **names;
    int k = scandir(dir, &names, th_not_dots, alphasort);
    size_t len = 0, cap = 64;
    char *s = th_xrealloc(NULL, cap);
    s[0] = '\0';
    if (k < 0) {
        *n = -1;
        snprintf(s, cap, "(cannot list: %s)", strerror(errno));
        return s;
    }
    for (int i = 0; i < k; i++) {
        size_t l = strlen(names[i]->d_name);
        if (len + l + 2 > cap) {
            cap = 2 * (len + l + 2);
            s = th_xrealloc(s, cap);
        }
        len += (size_t)sprintf(s + len, "%s%s", i ? " " : "", names[i]->d_name);
        free(names[i]);
    }
    free(names);
    *n = k;
    return s;
}

char *th_read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = th_xrealloc(NULL, cap);
    for (;;) {
        if (cap - n < 2) {
            cap *= 2;
            b = th_xrealloc(b, cap);
        }
        ssize_t k = read(fd, b + n, cap - n - 1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    b[n] = '\0';
    if (len != NULL)
        *len = n;
    return b;
}

int th_write_file(const char *path, const char *content)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t len = strlen(content);
    ssize_t k = write(fd, content, len);
    close(fd);
    return k == (ssize_t)len ? 0 : -1;
}

int th_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* ---- a test's scratch state ------------------------------------------------------------------- */

int th_ctx_setup_tagged(void **state, const char *tag)
{
    struct th_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    c->param = *state;
    c->dir = th_mkdtemp(tag);
    if (c->dir == NULL) {
        free(c);
        return -1;
    }
    *state = c;
    return 0;
}

int th_ctx_teardown(void **state)
{
    struct th_ctx *c = *state;
    th_abandon(c->proc);
    th_result_free(&c->r);
    th_dat_free(&c->d);
    th_scratch_release(c->dir, c->mnt);
    free(c);
    return 0;
}

void th_ctx_run(struct th_ctx *c, unsigned np, double timeout_s, const char *const *args)
{
    th_result_free(&c->r);
    th_dat_free(&c->d);
    struct th_argv a;
    th_mpirun(&a, np);
    for (const char *const *s = args; *s != NULL; s++) {
        if (strstr(*s, "%s") != NULL)
            th_argv_addf(&a, *s, c->dir);
        else
            th_argv_add(&a, *s);
    }
    th_run(&a, c->dir, timeout_s, &c->r);
    th_argv_free(&a);
    th_dat_parse(c->r.out, &c->d);
}

void th_ctx_expect_success(struct th_ctx *c, int rows)
{
    struct th_result *r = &c->r;
    TH_EXPECT(r, !r->timed_out, "the run did not finish within its timeout (a rank hangs?)");
    TH_EXPECT(r, r->exited && r->status == 0, "expected exit status 0");
    TH_EXPECT(r, r->nleftovers == 0, "processes left running after the run: %s", r->leftovers);
    TH_EXPECT(r, th_program_lines(r->err, NULL, 0) == 0, "a successful run printed an error");
    if (rows < 0)
        return;
    TH_EXPECT(r, c->d.nrows == rows, "%d rows, expected %d", c->d.nrows, rows);
    for (int i = 0; i < c->d.nrows && i < TH_MAX_ROWS; i++)
        TH_EXPECT(r, c->d.ncols[i] == th_ncolumns(), "row %d has %d columns, expected %d", i,
                  c->d.ncols[i], th_ncolumns());
}
