/* The fork method (the Python original's "multiprocess"): one forked child process per pipeline.
 *
 * Why the children are forked in prelaunch(), before MPI_Init, and not in run():
 *  - fork after MPI_Init is hazardous on RDMA interconnects: memory registered with verbs is
 *    shared copy-on-write with the child, and the parent's registrations can break (Open MPI
 *    warns about exactly this);
 *  - a child forked from an initialised MPI process inherits MPI's sockets and shared-memory
 *    segments, and anything it does with them (even exiting) can disturb the parent's MPI;
 *  - fork of a large MPI process costs milliseconds (~4 ms, copying page tables), per child.
 * Forked before MPI_Init, the children hold no MPI state at all. They never call MPI, and they
 * leave with _exit() so that no atexit handler or inherited stdio buffer runs twice.
 *
 * The parent talks to each child over two pipes with fixed-size messages (8 bytes, below
 * PIPE_BUF, so every write is atomic):
 *
 *     parent -> child (control)     child -> parent (status)
 *     SETUP{rank}                   READY | FAILED      init + open the file, untimed
 *     GO                            DONE | FAILED       timed loop, then close and free;
 *                                                       after FAILED the child exits, after
 *                                                       DONE it waits for the next SETUP
 *     QUIT, or EOF                  (none)              close, free, _exit
 *
 * SETUP/GO repeat once per run of a series (--warmup, --repetitions): the children live for
 * the whole series, so no repetition pays for, or is disturbed by, forking. The parent zeroes
 * the shared counters before each SETUP, while every child is idle.
 *
 * The parent, not the children, calls the start gate (and so MPI_Barrier): it waits for every
 * child's READY, passes the gate, then sends GO; each child reads its own t0 in
 * ipb_pipeline_run() right after GO arrives (docs/design.md, "Timing", step 2).
 *
 * What the children measure goes to a MAP_SHARED|MAP_ANONYMOUS mapping: one
 * struct ipb_pipeline_stats per pipeline, plus one `stop` flag that every child polls between
 * iterations, so a child that fails stops its siblings as a thread would stop the other
 * threads (the parent also raises it when a child dies). stats->created is written there by
 * ipb_pipeline_open() the moment the file exists, so the caller removes the file even if its
 * child is killed later.
 *
 * A child that dies (signal, or exit without DONE) fails the run with a message naming rank,
 * pipeline, pid, file and signal: a run with a missing child is never reported as a smaller
 * total. Children are always reaped; if the rank itself dies, PR_SET_PDEATHSIG kills them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "interrupt.h"
#include "method.h"

/* The stop flag is shared between processes: that is only sound for a lock-free atomic (a
 * lock-based one would keep its lock in each process's private memory). */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "fork method needs a lock-free atomic_int");

enum fork_msg_type {
    /* parent -> child */
    FORK_SETUP = 1, /* arg: rank */
    FORK_GO,
    FORK_QUIT,
    /* child -> parent */
    FORK_READY,
    FORK_FAILED, /* the error is in the child's stats */
    FORK_DONE,
};

struct fork_msg {
    uint32_t type;
    uint32_t arg;
};

_Static_assert(sizeof(struct fork_msg) <= PIPE_BUF, "pipe messages must be written atomically");

/* The memory shared by the parent and all of its children. */
struct fork_shared {
    /* The options as run() saw them, copied here before SETUP: the children do not rely on
     * their fork-time copy, so main may still adjust options between prelaunch() and run(). */
    struct ipb_options opts;
    /* On its own cache line: every child reads it every iteration. */
    alignas(IPB_CACHE_LINE) atomic_int stop;
    /* The first stop signal (interrupt.h) a child caught, or 0: Slurm signals every process of
     * a step, but a signal sent to one child alone must still mark the run interrupted. */
    atomic_int worker_signal;
    struct ipb_pipeline_stats stats[]; /* one per pipeline, cache-line aligned */
};

/* The parent's view of one child. */
struct fork_child {
    pid_t pid;
    int ctl_fd;    /* write end of the control pipe; -1 once closed */
    int status_fd; /* read end of the status pipe; -1 once at EOF */
    int reply;     /* last message read from the child (0: none yet) */
    bool bad_msg;  /* the child sent something the protocol does not allow */
    bool reaped;
    int wstatus;    /* from waitpid(), when reaped */
    int wait_errno; /* waitpid() failed (ECHILD: someone else reaped it); reaped is then set */
};

struct fork_state {
    struct fork_shared *shm;
    size_t shm_len;
    unsigned n;
    pid_t parent;
    struct fork_child child[];
};

/* ---- pipe I/O, shared by both sides ------------------------------------------------------ */

/* Read one whole message. Returns 1, 0 at EOF (including a message cut short by the writer's
 * death), or -1 with errno. */
static int read_msg(int fd, struct fork_msg *m)
{
    unsigned char *p = (unsigned char *)m;
    size_t got = 0;
    while (got < sizeof(*m)) {
        ssize_t r = read(fd, p + got, sizeof(*m) - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            return 0;
        got += (size_t)r;
    }
    return 1;
}

/* Write one message. Returns 0, or -1 with errno (EPIPE: the reader is gone).
 *
 * A write to a pipe whose reader has died raises SIGPIPE, whose default action would kill the
 * whole rank because one child died. SIGPIPE from write() is directed at the writing thread,
 * so blocking it in this thread for the call, and consuming it if this call raised it, is
 * enough: the process-wide disposition (which MPI or the user may own) is left alone. */
static int send_msg(int fd, uint32_t type, uint32_t arg)
{
    const struct fork_msg m = {.type = type, .arg = arg};
    sigset_t pipe_set, old_set, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);

    ssize_t w;
    do {
        w = write(fd, &m, sizeof(m));
    } while (w < 0 && errno == EINTR);
    int err = w < 0 ? errno : (w == (ssize_t)sizeof(m) ? 0 : EIO);

    if (err == EPIPE && !was_pending) {
        const struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old_set, NULL);
    errno = err;
    return err ? -1 : 0;
}

/* ---- the child ------------------------------------------------------------------------------ */

/* Runs in the child until it exits; never returns. Only the two pipe ends passed in are open
 * besides what the process held before prelaunch() (stdin/stdout/stderr, ...). */
static _Noreturn void child_main(struct fork_shared *shm, unsigned index, int ctl_fd, int status_fd,
                                 pid_t parent)
{
    /* Die with the rank: if mpirun kills it (or it crashes), nobody would ever send QUIT.
     * The getppid() check closes the race where the parent died before prctl() took effect. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(1);
    /* A parent gone before we report: let write() fail with EPIPE rather than kill us. */
    signal(SIGPIPE, SIG_IGN);

    struct ipb_pipeline p;
    struct ipb_pipeline_stats *st = &shm->stats[index];
    bool initialised = false; /* p holds resources to release */
    bool ready = false;       /* set-up succeeded: GO is allowed */
    struct fork_msg m;

    /* EOF on the control pipe (the parent closed it, or abandon()) means quit. */
    while (read_msg(ctl_fd, &m) == 1) {
        if (m.type == FORK_SETUP && !initialised) {
            initialised = true;
            ready = ipb_pipeline_setup(&p, &shm->opts, st, m.arg, index) == 0;
            if (send_msg(status_fd, ready ? FORK_READY : FORK_FAILED, 0) != 0)
                break;
        } else if (m.type == FORK_GO && ready) {
            int rc = ipb_pipeline_run(&p, &shm->stop, NULL, NULL);
            int sig = ipb_interrupt_signal();
            int none = 0;
            if (sig != 0) /* stopped by a stop signal: say so (first one wins) */
                atomic_compare_exchange_strong(&shm->worker_signal, &none, sig);
            if (ipb_pipeline_close(&p) != 0)
                rc = -1;
            ipb_pipeline_free(&p);
            initialised = ready = false;
            /* Close before DONE: the caller may unlink the file as soon as run() returns. */
            if (send_msg(status_fd, rc == 0 ? FORK_DONE : FORK_FAILED, 0) != 0 || rc != 0)
                _exit(rc == 0 ? 0 : 1);
            /* DONE: wait for the next run of the series, or QUIT. */
        } else {
            break; /* QUIT, or anything out of order */
        }
    }
    if (initialised) {
        ipb_pipeline_close(&p);
        ipb_pipeline_free(&p);
    }
    _exit(0);
}

/* ---- the parent ----------------------------------------------------------------------------- */

/* Each child costs the rank two descriptors for the whole run (two more while it is forked).
 * At high --concurrency that can exceed a default soft limit of 1024, so raise the soft limit
 * toward the hard one, only as far as needed; pipe2() reports EMFILE if it is still short. */
static void ensure_fd_limit(unsigned n)
{
    struct rlimit rl;
    const rlim_t need = (rlim_t)n * 2 + 256; /* 256: stdio, MPI's sockets, HDF5, ... */
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return;
    rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need) ? need : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd); /* a pipe end: nothing to lose on error */
        *fd = -1;
    }
}

static void reap(struct fork_child *c)
{
    if (c->reaped || c->pid <= 0)
        return;
    pid_t r;
    do {
        r = waitpid(c->pid, &c->wstatus, 0);
    } while (r < 0 && errno == EINTR);
    c->wait_errno = r < 0 ? errno : 0;
    c->reaped = true;
}

/* Read every status pipe until EOF and reap each child as its pipe closes (a child's status
 * pipe closes when it exits: nobody else holds its write end). While the timed loops run, a
 * child whose pipe closes without a final DONE or FAILED has died: raise the shared stop flag
 * at once so its siblings stop at their next iteration instead of running the full duration
 * for a run that has already failed. */
static bool waiting_for(const struct fork_child *c, bool running)
{
    /* While running, a child that said DONE is idle (it waits for the next SETUP): its pipe
     * stays open and silent. Otherwise we wait for every pipe's EOF. */
    return c->status_fd >= 0 && !(running && c->reply == FORK_DONE);
}

/* While running, the parent wakes at least this often (ms) to ask whether the rank must stop:
 * a stop signal it caught itself, or another rank's stop notice (run->should_stop). */
#define FORK_POLL_MS 10

static void collect(struct fork_state *s, struct ipb_run *run)
{
    const bool running = run != NULL;
    struct pollfd *pfd = calloc(s->n, sizeof(*pfd));
    for (;;) {
        unsigned open_fds = 0;
        for (unsigned i = 0; i < s->n; i++) {
            bool wait = waiting_for(&s->child[i], running);
            if (wait)
                open_fds++;
            if (pfd != NULL) {
                pfd[i].fd = wait ? s->child[i].status_fd : -1; /* negative: poll() skips it */
                pfd[i].events = POLLIN;
                pfd[i].revents = 0;
            }
        }
        if (open_fds == 0)
            break;
        if (pfd != NULL) {
            if (poll(pfd, s->n, running ? FORK_POLL_MS : -1) < 0 && errno != EINTR)
                break; /* cannot happen with valid arguments; reap below rather than spin */
        }
        /* A stop signal caught here or by any child, or another rank's notice: every child
         * stops at its next stage. */
        if (running && !atomic_load(&s->shm->stop) &&
            (ipb_interrupt_signal() || atomic_load(&s->shm->worker_signal) || ipb_run_poll(run)))
            atomic_store(&s->shm->stop, 1);
        for (unsigned i = 0; i < s->n; i++) {
            struct fork_child *c = &s->child[i];
            /* Without memory for the pollfd array, fall back to blocking reads in order:
             * slower to notice a death, never wrong. */
            if (!waiting_for(c, running) || (pfd != NULL && pfd[i].revents == 0))
                continue;
            struct fork_msg m;
            if (read_msg(c->status_fd, &m) == 1) {
                if (m.type == FORK_READY || m.type == FORK_FAILED || m.type == FORK_DONE)
                    c->reply = (int)m.type;
                else
                    c->bad_msg = true;
                if (m.type == FORK_FAILED && running)
                    atomic_store(&s->shm->stop, 1);
                continue;
            }
            if (running && c->reply != FORK_DONE && c->reply != FORK_FAILED)
                atomic_store(&s->shm->stop, 1);
            close_fd(&c->status_fd);
            close_fd(&c->ctl_fd);
            reap(c);
        }
    }
    free(pfd);
    if (running)
        return; /* the DONE children live on */
    for (unsigned i = 0; i < s->n; i++) {
        close_fd(&s->child[i].status_fd);
        close_fd(&s->child[i].ctl_fd);
        reap(&s->child[i]);
    }
}

/* Tell every child still listening to quit (closing the control pipe alone would do: EOF means
 * quit), then wait for all of them. */
static void quit_all(struct fork_state *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        struct fork_child *c = &s->child[i];
        if (c->ctl_fd >= 0)
            send_msg(c->ctl_fd, FORK_QUIT, 0); /* EPIPE: already gone, collect() sees it */
        close_fd(&c->ctl_fd);
    }
    collect(s, NULL);
}

static void destroy(struct fork_state *s)
{
    if (s == NULL)
        return;
    if (s->shm != MAP_FAILED && s->shm != NULL)
        munmap(s->shm, s->shm_len);
    free(s);
}

/* Did child i do all it was asked, up to `expect` (READY after set-up, DONE after the run)? */
static bool child_ok(const struct fork_child *c, int expect)
{
    if (c->bad_msg || c->reply != expect)
        return false;
    if (expect != FORK_DONE || !c->reaped)
        return true; /* alive: waiting for the next run, or judged again at the end */
    /* Reaped after DONE: it must have exited cleanly. If another part of the process reaped it
     * first (ECHILD: a SIGCHLD handler with waitpid(-1), or SIGCHLD ignored), DONE is all the
     * evidence left, and it is enough. */
    if (c->wait_errno != 0)
        return c->wait_errno == ECHILD;
    return WIFEXITED(c->wstatus) && WEXITSTATUS(c->wstatus) == 0;
}

/* One line for a child that failed: the pipeline's own error when the child reported one,
 * else how the child died. */
static void describe_child(char *out, size_t outlen, const struct fork_state *s,
                           const struct ipb_run *run, unsigned i)
{
    const struct fork_child *c = &s->child[i];
    const struct ipb_pipeline_stats *st = &s->shm->stats[i];
    char path[IPB_PATH_MAX + 32];
    if (ipb_data_path(path, sizeof(path), s->shm->opts.output_base, run->rank, i) != 0)
        snprintf(path, sizeof(path), "%s.%u.%u", "(path too long)", run->rank, i);

    /* FAILED means the error is in st, unless a signal killed the child after it said so
     * (then the signal is the news). Not reaped yet is normal after set-up. */
    bool killed = c->reaped && c->wait_errno == 0 && WIFSIGNALED(c->wstatus);
    if (c->reply == FORK_FAILED && st->failed && !killed && !c->bad_msg) {
        ipb_pipeline_describe_error(out, outlen, st, run->rank, i, path);
        return;
    }

    char how[160];
    if (c->bad_msg)
        snprintf(how, sizeof(how), "child broke the parent-child protocol");
    else if (!c->reaped)
        snprintf(how, sizeof(how), "child did not report");
    else if (c->wait_errno != 0)
        snprintf(how, sizeof(how), "child vanished without reporting (waitpid: %s)",
                 strerror(c->wait_errno));
    else if (WIFSIGNALED(c->wstatus))
        snprintf(how, sizeof(how), "child killed by signal %d (%s)%s", WTERMSIG(c->wstatus),
                 strsignal(WTERMSIG(c->wstatus)), WCOREDUMP(c->wstatus) ? ", core dumped" : "");
    else if (WIFEXITED(c->wstatus) && (c->reply == FORK_DONE || c->reply == FORK_FAILED))
        snprintf(how, sizeof(how), "child exited with status %d after reporting %s",
                 WEXITSTATUS(c->wstatus), c->reply == FORK_DONE ? "success" : "failure");
    else if (WIFEXITED(c->wstatus))
        snprintf(how, sizeof(how), "child exited with status %d without reporting",
                 WEXITSTATUS(c->wstatus));
    else
        snprintf(how, sizeof(how), "child ended with wait status %#x", c->wstatus);
    snprintf(out, outlen, "rank %u pipeline %u (pid %ld, file %s): %s", run->rank, i, (long)c->pid,
             path, how);
}

/* errmsg for the first failed child, and how many more there were; returns how many failed. */
static unsigned describe_failures(char *out, size_t outlen, const struct fork_state *s,
                                  const struct ipb_run *run, int expect)
{
    unsigned nfailed = 0;
    for (unsigned i = 0; i < s->n; i++) {
        if (child_ok(&s->child[i], expect))
            continue;
        if (nfailed++ == 0)
            describe_child(out, outlen, s, run, i);
    }
    if (nfailed > 1) {
        size_t len = strlen(out);
        if (len < outlen)
            snprintf(out + len, outlen - len, " (and %u more pipeline%s)", nfailed - 1,
                     nfailed > 2 ? "s" : "");
    }
    return nfailed;
}

/* Hand the children's counters to the caller. Called after every child is reaped, so the
 * mapping no longer changes. A child that died is marked failed: its counters stop at its
 * death, and created is exact (the caller removes the file from it). */
static void copy_stats(struct ipb_run *run, const struct fork_state *s, int expect)
{
    for (unsigned i = 0; i < s->n; i++) {
        run->stats[i] = s->shm->stats[i];
        if (!child_ok(&s->child[i], expect))
            run->stats[i].failed = 1;
    }
}

static void teardown(struct ipb_run *run, struct fork_state *s)
{
    quit_all(s);
    destroy(s);
    run->method_state = NULL;
}

static int fork_prelaunch(struct ipb_run *run)
{
    const unsigned n = run->opts->concurrency;
    run->method_state = NULL;
    if (n == 0) {
        snprintf(run->errmsg, sizeof(run->errmsg), "fork: --concurrency must be at least 1");
        return IPB_ERUN;
    }

    struct fork_state *s = calloc(1, sizeof(*s) + (size_t)n * sizeof(s->child[0]));
    if (s == NULL) {
        snprintf(run->errmsg, sizeof(run->errmsg), "fork: state for %u children: %s", n,
                 strerror(errno));
        return IPB_ERUN;
    }
    s->n = 0; /* children started so far: what teardown must wait for */
    s->parent = getpid();
    s->shm_len = sizeof(struct fork_shared) + (size_t)n * sizeof(struct ipb_pipeline_stats);
    /* The --interval series (timeseries.h) goes after the stats, cache-line aligned: the
     * children write their intervals where the parent collects them, and the stats of both
     * sides point at it (the mapping has the same address in every child). */
    const size_t ts_off = (s->shm_len + IPB_CACHE_LINE - 1) / IPB_CACHE_LINE * IPB_CACHE_LINE;
    const uint64_t nts = ipb_ts_nintervals(run->opts->duration_s, run->opts->interval_s);
    if (nts > 0)
        s->shm_len = ts_off + ipb_ts_bytes(n, nts);
    s->shm = mmap(NULL, s->shm_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s->shm == MAP_FAILED) {
        snprintf(run->errmsg, sizeof(run->errmsg), "fork: shared counters (%zu bytes): %s",
                 s->shm_len, strerror(errno));
        destroy(s);
        return IPB_ERUN;
    }
    atomic_init(&s->shm->worker_signal, 0);
    atomic_init(&s->shm->stop, 0); /* the rest of the mapping is zero, as stats must start */
    if (nts > 0) {
        struct ipb_ts_interval *iv = (struct ipb_ts_interval *)((char *)s->shm + ts_off);
        ipb_stats_attach_series(s->shm->stats, n, iv, (unsigned)nts, run->opts->interval_s);
        ipb_stats_attach_series(run->stats, n, iv, (unsigned)nts, run->opts->interval_s);
    }
    ensure_fd_limit(n);

    for (unsigned i = 0; i < n; i++) {
        struct fork_child *c = &s->child[i];
        int ctl[2], status[2];
        c->ctl_fd = c->status_fd = -1;
        /* O_CLOEXEC on every end: nothing here is meant for a program MPI might exec. */
        if (pipe2(ctl, O_CLOEXEC) != 0) {
            snprintf(run->errmsg, sizeof(run->errmsg),
                     "fork: pipe for pipeline %u of %u: %s (each child holds 2 descriptors "
                     "in the rank; see ulimit -n)",
                     i, n, strerror(errno));
            goto fail;
        }
        if (pipe2(status, O_CLOEXEC) != 0) {
            int err = errno;
            close(ctl[0]);
            close(ctl[1]);
            snprintf(run->errmsg, sizeof(run->errmsg),
                     "fork: pipe for pipeline %u of %u: %s (each child holds 2 descriptors "
                     "in the rank; see ulimit -n)",
                     i, n, strerror(err));
            goto fail;
        }
        pid_t pid = fork();
        if (pid == 0) {
            /* Keep only this child's ends: a sibling holding another child's control write end
             * would hide the EOF that tells that child to quit, and one holding a status write
             * end would hide that child's death from the parent. */
            for (unsigned j = 0; j < i; j++) {
                close(s->child[j].ctl_fd);
                close(s->child[j].status_fd);
            }
            close(ctl[1]);
            close(status[0]);
            child_main(s->shm, i, ctl[0], status[1], s->parent);
        }
        int err = errno;
        close(ctl[0]);
        close(status[1]);
        if (pid < 0) {
            close(ctl[1]);
            close(status[0]);
            snprintf(run->errmsg, sizeof(run->errmsg),
                     "fork: fork for pipeline %u of %u: %s (see ulimit -u)", i, n, strerror(err));
            goto fail;
        }
        c->pid = pid;
        c->ctl_fd = ctl[1];
        c->status_fd = status[0];
        s->n = i + 1;
    }
    run->method_state = s;
    return IPB_OK;

fail:
    quit_all(s); /* the children started so far see EOF and exit */
    destroy(s);
    return IPB_ERUN;
}

static int fork_run(struct ipb_run *run)
{
    struct fork_state *s = run->method_state;
    char msg[IPB_ERRMSG_LEN] = "";

    /* Every path through here passes the gate exactly once: the other ranks are waiting in
     * it, and a rank that skipped it would leave them hanging. */
    if (s == NULL || s->n != run->npipelines) {
        snprintf(msg, sizeof(msg), "rank %u: fork: %s", run->rank,
                 s == NULL ? "no children (prelaunch was not called or failed)"
                           : "the number of children does not match --concurrency");
        snprintf(run->errmsg, sizeof(run->errmsg), "%s", msg);
        int gated = run->gate(run, IPB_ERUN, msg);
        if (s != NULL)
            teardown(run, s);
        return gated != IPB_OK ? gated : IPB_ERUN;
    }

    /* Set-up, untimed, all children in parallel: SETUP to everyone, then wait for every reply.
     * A child that died since prelaunch() is found by read_msg()'s EOF. */
    s->shm->opts = *run->opts;
    atomic_store(&s->shm->stop, 0);
    atomic_store(&s->shm->worker_signal, 0);
    for (unsigned i = 0; i < s->n; i++) {
        ipb_stats_reset(&s->shm->stats[i]);
        s->child[i].reply = 0;
    }
    run->live = s->shm->stats;
    for (unsigned i = 0; i < s->n; i++)
        send_msg(s->child[i].ctl_fd, FORK_SETUP, run->rank);
    for (unsigned i = 0; i < s->n; i++) {
        struct fork_child *c = &s->child[i];
        struct fork_msg m;
        if (read_msg(c->status_fd, &m) == 1) {
            if (m.type == FORK_READY || m.type == FORK_FAILED)
                c->reply = (int)m.type;
            else
                c->bad_msg = true;
        } else {
            close_fd(&c->status_fd); /* dead: reap it so describe_child() can say how */
            close_fd(&c->ctl_fd);
            reap(c);
        }
    }

    int local = describe_failures(msg, sizeof(msg), s, run, FORK_READY) ? IPB_ERUN : IPB_OK;
    int gated = run->gate(run, local, msg);
    if (local != IPB_OK || gated != IPB_OK) {
        quit_all(s);
        copy_stats(run, s, FORK_READY);
        if (local != IPB_OK)
            snprintf(run->errmsg, sizeof(run->errmsg), "%s", msg);
        destroy(s);
        run->method_state = NULL;
        return gated != IPB_OK ? gated : IPB_ERUN;
    }

    /* The timed phase: each child reads its t0 when GO arrives. A GO that cannot be delivered
     * (EPIPE) belongs to a child that has died: collect() reports it. */
    for (unsigned i = 0; i < s->n; i++)
        send_msg(s->child[i].ctl_fd, FORK_GO, 0);
    collect(s, run);
    run->worker_signal = atomic_load(&s->shm->worker_signal);

    copy_stats(run, s, FORK_DONE);
    int rc =
        describe_failures(run->errmsg, sizeof(run->errmsg), s, run, FORK_DONE) ? IPB_ERUN : IPB_OK;
    /* The children still alive wait for the next run; abandon() ends them after the last one,
     * or now after a failure. Not here: the --progress thread may still be reading the shared
     * counters until run() has returned, so the mapping must outlive run(). */
    return rc;
}

static void fork_abandon(struct ipb_run *run)
{
    struct fork_state *s = run->method_state;
    if (s != NULL)
        teardown(run, s);
}

const struct ipb_method ipb_method_fork = {
    .name = "fork",
    .alias = "multiprocess",
    .summary = "one forked child process per pipeline",
    .detail =
        "Each rank forks its N children right after reading the options and before MPI_Init, so "
        "the children hold no MPI state; they report their counters through a shared "
        "mapping and die with their rank. A child that dies fails the run.",
    .flags = 0,
    .prelaunch = fork_prelaunch,
    .run = fork_run,
    .abandon = fork_abandon,
};
