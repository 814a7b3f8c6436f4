/* The io_uring engine of the aio method (liburing).
 *
 * recv is an IORING_OP_TIMEOUT (relative, count 0: a pure timer, -ETIME when it fires), write is
 * an IORING_OP_WRITE at an explicit offset, and for --sync every an IORING_OP_FSYNC linked after
 * it with IOSQE_IO_LINK, so the kernel starts the fsync the moment the write completes with no
 * round trip through this thread. A short or failed write breaks the link and the fsync
 * completes with -ECANCELED; the state machine resubmits the remainder (aio_engine.h).
 *
 * Darshan does not see any of this I/O: io_uring bypasses the libc calls it intercepts. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aio_engine.h"
#include "clock.h"
#include "interrupt.h"

/* user_data = pipeline << 2 | kind. Kind 3 marks the engine's own requests (timeout removal),
 * whose completions the caller never sees. */
#define UD_KIND_BITS 2
#define UD_INTERNAL  3u

struct ipb_aio_ctx {
    struct io_uring ring;
    unsigned n;
    unsigned cq_batch;
    /* SQEs handed to the ring minus CQEs reaped: every SQE yields exactly one CQE, so this is
     * what must still arrive before a buffer may be freed. */
    uint64_t outstanding;
    struct io_uring_cqe **cqes;
    /* Timeout values, one per pipeline: the kernel reads the timespec when the SQE is
     * submitted, which may be after submit_recv() returns, so it must outlive that call. */
    struct __kernel_timespec *ts;
    unsigned char *armed; /* armed[i]: pipeline i's timeout is in flight (for cleanup) */
};

static uint64_t ud_make(unsigned i, unsigned kind)
{
    return ((uint64_t)i << UD_KIND_BITS) | kind;
}

/* Submit until the kernel has taken what is queued or refuses for a reason other than a
 * signal. Returns 0 or -errno. */
static int submit_all(struct ipb_aio_ctx *c)
{
    for (;;) {
        int r = io_uring_submit(&c->ring);
        if (r >= 0)
            return 0;
        if (r != -EINTR)
            return r;
    }
}

/* A free SQE, submitting the queued ones to make room when the submission queue is full (it is
 * sized for every pipeline's requests, so this is rare). need > 1 reserves that many at once, so
 * a linked pair never straddles two submissions: a link is cut at a submission boundary. */
static struct io_uring_sqe *get_sqe(struct ipb_aio_ctx *c, unsigned need, int *err)
{
    if (io_uring_sq_space_left(&c->ring) < need) {
        int r = submit_all(c);
        if (r < 0) {
            *err = r;
            return NULL;
        }
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);
    if (sqe == NULL)
        *err = -EBUSY;
    return sqe;
}

static int uring_init(struct ipb_aio_ctx **out, unsigned n, char *err, size_t errlen)
{
    *out = NULL;
    struct ipb_aio_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "cannot allocate the ring state: %s", strerror(ENOMEM));
        return ENOMEM;
    }
    c->n = n;
    /* Per pipeline at most two requests at once (write + linked fsync, or timeout + its
     * removal), plus slack for the removals of a stopping run. The CQ ring is twice the SQ ring,
     * so completions never overflow. */
    unsigned entries = 2 * n + 16;
    int r = io_uring_queue_init(entries, &c->ring, 0);
    if (r < 0) {
        const char *hint = "";
        if (r == -EPERM)
            hint = " (io_uring is disabled here: sysctl kernel.io_uring_disabled, or a seccomp "
                   "filter of the container)";
        else if (r == -ENOSYS)
            hint = " (this kernel has no io_uring, or a seccomp filter hides it)";
        else if (r == -ENOMEM)
            hint = " (on kernels before 5.12 the ring counts against ulimit -l)";
        snprintf(err, errlen, "io_uring_queue_init(%u entries): %s%s", entries, strerror(-r), hint);
        free(c);
        return -r;
    }

    /* IORING_OP_WRITE and IORING_OP_FSYNC need Linux 5.6; an older kernel sets up a ring but
     * rejects them, so ask before relying on them. */
    struct io_uring_probe *probe = io_uring_get_probe_ring(&c->ring);
    static const struct {
        int op;
        const char *name;
    } need[] = {
        {IORING_OP_TIMEOUT, "IORING_OP_TIMEOUT"},
        {IORING_OP_TIMEOUT_REMOVE, "IORING_OP_TIMEOUT_REMOVE"},
        {IORING_OP_WRITE, "IORING_OP_WRITE"},
        {IORING_OP_FSYNC, "IORING_OP_FSYNC"},
    };
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++) {
        if (probe == NULL || !io_uring_opcode_supported(probe, need[k].op)) {
            snprintf(err, errlen, "io_uring: the kernel does not support %s: %s", need[k].name,
                     strerror(EOPNOTSUPP));
            if (probe != NULL)
                io_uring_free_probe(probe);
            io_uring_queue_exit(&c->ring);
            free(c);
            return EOPNOTSUPP;
        }
    }
    io_uring_free_probe(probe);

    /* Writes and fsyncs of regular files run in the ring's io-wq "bound" workers, of which there
     * are at most min(SQ entries, 4 * CPUs) by default: on a small node that would cap the
     * fsyncs in flight well below N, while the POSIX engine runs N at once. Allow N, like the
     * POSIX engine's N threads. Needs Linux 5.15; older kernels keep the default. */
    unsigned workers[2] = {n, 0}; /* bound, unbound (0: unchanged) */
    (void)io_uring_register_iowq_max_workers(&c->ring, workers);

    c->cq_batch = c->ring.cq.ring_entries;
    c->cqes = calloc(c->cq_batch, sizeof *c->cqes);
    c->ts = calloc(n, sizeof *c->ts);
    c->armed = calloc(n, 1);
    if (c->cqes == NULL || c->ts == NULL || c->armed == NULL) {
        snprintf(err, errlen, "cannot allocate the ring state: %s", strerror(ENOMEM));
        io_uring_queue_exit(&c->ring);
        free(c->cqes);
        free(c->ts);
        free(c->armed);
        free(c);
        return ENOMEM;
    }
    *out = c;
    return 0;
}

static int uring_submit_recv(struct ipb_aio_ctx *c, unsigned i, double delay_s)
{
    int err = 0;
    struct io_uring_sqe *sqe = get_sqe(c, 1, &err);
    if (sqe == NULL)
        return err;
    long long sec = (long long)delay_s;
    long long nsec = (long long)((delay_s - (double)sec) * 1e9);
    if (nsec < 0)
        nsec = 0;
    if (nsec > 999999999)
        nsec = 999999999;
    c->ts[i].tv_sec = sec;
    c->ts[i].tv_nsec = nsec;
    io_uring_prep_timeout(sqe, &c->ts[i], 0, 0);
    io_uring_sqe_set_data64(sqe, ud_make(i, IPB_AIO_OP_RECV));
    c->outstanding++;
    c->armed[i] = 1;
    return 0;
}

static int uring_submit_write(struct ipb_aio_ctx *c, unsigned i, int fd, const void *buf,
                              size_t len, uint64_t offset, bool then_fsync)
{
    if (len > IPB_AIO_MAX_IO)
        return -EINVAL;
    int err = 0;
    struct io_uring_sqe *sqe = get_sqe(c, then_fsync ? 2 : 1, &err);
    if (sqe == NULL)
        return err;
    io_uring_prep_write(sqe, fd, buf, (unsigned)len, offset);
    io_uring_sqe_set_data64(sqe, ud_make(i, IPB_AIO_OP_WRITE));
    c->outstanding++;
    if (!then_fsync)
        return 0;
    sqe->flags |= IOSQE_IO_LINK;
    struct io_uring_sqe *fs = io_uring_get_sqe(&c->ring); /* reserved by get_sqe(c, 2) */
    io_uring_prep_fsync(fs, fd, 0);
    io_uring_sqe_set_data64(fs, ud_make(i, IPB_AIO_OP_FSYNC));
    c->outstanding++;
    return 0;
}

static int uring_submit_fsync(struct ipb_aio_ctx *c, unsigned i, int fd)
{
    int err = 0;
    struct io_uring_sqe *sqe = get_sqe(c, 1, &err);
    if (sqe == NULL)
        return err;
    io_uring_prep_fsync(sqe, fd, 0);
    io_uring_sqe_set_data64(sqe, ud_make(i, IPB_AIO_OP_FSYNC));
    c->outstanding++;
    return 0;
}

static void uring_cancel_recv(struct ipb_aio_ctx *c, unsigned i)
{
    int err = 0;
    struct io_uring_sqe *sqe = get_sqe(c, 1, &err);
    if (sqe == NULL)
        return; /* best effort: the timer still fires on its own */
    io_uring_prep_timeout_remove(sqe, ud_make(i, IPB_AIO_OP_RECV), 0);
    io_uring_sqe_set_data64(sqe, ud_make(i, UD_INTERNAL));
    c->outstanding++;
}

static void uring_flush(struct ipb_aio_ctx *c)
{
    /* A refusal here is not lost: the SQEs stay queued and wait() submits them again and
     * reports the error if it persists. */
    (void)submit_all(c);
}

static int uring_wait(struct ipb_aio_ctx *c, struct ipb_aio_event *ev, unsigned max,
                      double max_wait_s)
{
    const double wait_end = ipb_now() + max_wait_s;
    for (;;) {
        if (c->outstanding == 0)
            return -EDEADLK;
        double left = wait_end - ipb_now();
        if (left < 0)
            left = 0;
        struct __kernel_timespec ts = {.tv_sec = (long long)left,
                                       .tv_nsec = (long long)((left - (double)(long long)left) * 1e9)};
        /* One system call submits what is queued and sleeps until a completion arrives or the
         * timeout (-ETIME). If it submitted anything, the kernel reports the count even when a
         * signal cut the wait short, so 0 completions after a non-negative return is normal:
         * peek and loop. */
        struct io_uring_cqe *first = NULL;
        int r = io_uring_submit_and_wait_timeout(&c->ring, &first, 1, &ts, NULL);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY && r != -ETIME)
            return r;
        unsigned want = max < c->cq_batch ? max : c->cq_batch;
        unsigned got = io_uring_peek_batch_cqe(&c->ring, c->cqes, want);
        unsigned nev = 0;
        for (unsigned k = 0; k < got; k++) {
            uint64_t ud = io_uring_cqe_get_data64(c->cqes[k]);
            unsigned kind = (unsigned)(ud & ((1u << UD_KIND_BITS) - 1));
            if (kind == UD_INTERNAL)
                continue;
            unsigned i = (unsigned)(ud >> UD_KIND_BITS);
            int64_t res = c->cqes[k]->res;
            /* A timeout that fires reports -ETIME: that is the normal end of a recv. */
            if (kind == IPB_AIO_OP_RECV) {
                c->armed[i] = 0;
                if (res == -ETIME)
                    res = 0;
            }
            ev[nev].pipeline = i;
            ev[nev].op = (enum ipb_aio_op)kind;
            ev[nev].res = res;
            nev++;
        }
        io_uring_cq_advance(&c->ring, got);
        c->outstanding -= got;
        if (nev > 0)
            return (int)nev;
        if (ipb_interrupt_signal() || ipb_now() >= wait_end)
            return 0;
        if (r < 0 && got == 0 && r != -EINTR && r != -ETIME) {
            /* -EAGAIN/-EBUSY with nothing to reap: the kernel is short of resources. Do not
             * spin: wait for a completion without submitting. */
            struct io_uring_cqe *cqe;
            int w = io_uring_wait_cqe(&c->ring, &cqe);
            if (w < 0 && w != -EINTR)
                return w;
        }
    }
}

static int uring_cleanup(struct ipb_aio_ctx *c)
{
    if (c == NULL)
        return 0;
    int quiet = 0;
    /* The state machine drains before it cleans up; this is the safety net that keeps a buffer
     * from being freed under a request the kernel still holds (closing the ring does not wait
     * for requests already running in io-wq). Timers are cut short rather than waited for. */
    for (unsigned i = 0; i < c->n; i++)
        if (c->armed[i])
            uring_cancel_recv(c, i);
    if (submit_all(c) < 0)
        c->outstanding -= io_uring_sq_ready(&c->ring); /* never submitted: no CQE will come */
    while (c->outstanding > 0) {
        struct io_uring_cqe *cqe;
        int r = io_uring_wait_cqe(&c->ring, &cqe);
        if (r == -EINTR)
            continue;
        if (r < 0) {
            quiet = -1;
            break;
        }
        io_uring_cqe_seen(&c->ring, cqe);
        c->outstanding--;
    }
    io_uring_queue_exit(&c->ring);
    free(c->cqes);
    free(c->ts);
    free(c->armed);
    free(c);
    return quiet;
}

const struct ipb_aio_ops ipb_aio_engine_uring = {
    .name = "io_uring",
    .init = uring_init,
    .submit_recv = uring_submit_recv,
    .submit_write = uring_submit_write,
    .submit_fsync = uring_submit_fsync,
    .cancel_recv = uring_cancel_recv,
    .flush = uring_flush,
    .wait = uring_wait,
    .cleanup = uring_cleanup,
};
