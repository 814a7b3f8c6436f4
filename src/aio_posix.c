/* The POSIX AIO engine of the aio method: aio_write/aio_fsync, the portable engine.
 *
 * glibc implements POSIX AIO with a pool of user-space threads that run pwrite/fsync; aio_init()
 * sizes that pool to one thread per pipeline so that all N pipelines' requests run at once
 * (glibc's default of 20 threads would quietly cap the concurrency being measured). aio_init()
 * only takes effect before the process's first AIO request, which is always the case here.
 *
 * There is no AIO timer, so recv is a per-pipeline deadline: wait() sleeps in aio_suspend() on
 * every request in flight with a timeout up to the nearest deadline. This is fio's posixaio
 * loop. Its cost grows with the number of requests in flight (aio_suspend and the scan below are
 * linear, glibc's request lookup inside aio_suspend too), which is negligible at the tens to
 * hundreds of pipelines this method is meant for.
 *
 * Separate AIO requests are not ordered, so "fsync after the write" is emulated: the fsync is
 * submitted when wait() reaps the complete write (see aio_engine.h).
 *
 * Darshan's POSIX module wraps aio_write and aio_return (a write is timed from submission to
 * aio_return, which wait() calls as soon as it finds the write done) but not aio_fsync: it sees
 * this engine's writes, not its fsyncs. It sees nothing of the io_uring engine. */
#include "config.h"

#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aio_engine.h"
#include "clock.h"
#include "interrupt.h"

/* How long to wait before retrying a submission that glibc refused with EAGAIN while nothing of
 * ours is in flight to wake us earlier. */
#define RETRY_S 1e-3

enum rq_state {
    RQ_IDLE,
    RQ_DEFERRED, /* aio_write/aio_fsync said EAGAIN: submit again at the next wait() */
    RQ_BUSY,     /* in flight */
};

struct slot {
    struct aiocb wcb;
    struct aiocb fcb;
    enum rq_state wstate;
    enum rq_state fstate;
    bool then_fsync; /* submit the fsync when the write completes in full */
    bool recv_armed;
    int recv_res; /* what the recv reports: 0, or -ECANCELED after cancel_recv() */
    double deadline;
};

struct ipb_aio_ctx {
    unsigned n;
    struct slot *slots;
    const struct aiocb **list; /* aio_suspend()'s argument, rebuilt by every wait() */
};

static int posix_init(struct ipb_aio_ctx **out, unsigned n, char *err, size_t errlen)
{
    *out = NULL;
    struct ipb_aio_ctx *c = calloc(1, sizeof *c);
    if (c != NULL) {
        c->slots = calloc(n, sizeof *c->slots);
        c->list = calloc(2 * (size_t)n, sizeof *c->list);
    }
    if (c == NULL || c->slots == NULL || c->list == NULL) {
        snprintf(err, errlen, "cannot allocate the POSIX AIO state: %s", strerror(ENOMEM));
        if (c != NULL) {
            free(c->slots);
            free(c->list);
        }
        free(c);
        return ENOMEM;
    }
    c->n = n;

#ifdef __GLIBC__
    /* One pool thread per pipeline, every pipeline's write or fsync queued at once, and idle
     * threads kept for a minute so a long --recv-delay does not make each iteration pay for a
     * thread start. */
    struct aioinit ai;
    memset(&ai, 0, sizeof ai);
    ai.aio_threads = (int)n;
    ai.aio_num = (int)(2 * n);
    ai.aio_idle_time = 60;
    aio_init(&ai);
#endif
    *out = c;
    return 0;
}

static void prep_cb(struct aiocb *cb, int fd)
{
    memset(cb, 0, sizeof *cb);
    cb->aio_fildes = fd;
    cb->aio_sigevent.sigev_notify = SIGEV_NONE; /* completions are found by aio_suspend */
}

/* Submit a prepared request; EAGAIN (glibc could not queue it) leaves it deferred. */
static int start_write(struct slot *s)
{
    if (aio_write(&s->wcb) == 0) {
        s->wstate = RQ_BUSY;
        return 0;
    }
    if (errno == EAGAIN) {
        s->wstate = RQ_DEFERRED;
        return 0;
    }
    s->wstate = RQ_IDLE;
    return -errno;
}

static int start_fsync(struct slot *s)
{
    /* O_SYNC: the equivalent of fsync(), as the blocking methods call (not fdatasync). */
    if (aio_fsync(O_SYNC, &s->fcb) == 0) {
        s->fstate = RQ_BUSY;
        return 0;
    }
    if (errno == EAGAIN) {
        s->fstate = RQ_DEFERRED;
        return 0;
    }
    s->fstate = RQ_IDLE;
    return -errno;
}

static int posix_submit_recv(struct ipb_aio_ctx *c, unsigned i, double delay_s)
{
    struct slot *s = &c->slots[i];
    s->deadline = ipb_now() + delay_s;
    s->recv_res = 0;
    s->recv_armed = true;
    return 0;
}

static void posix_cancel_recv(struct ipb_aio_ctx *c, unsigned i)
{
    struct slot *s = &c->slots[i];
    if (s->recv_armed) {
        s->recv_res = -ECANCELED;
        s->deadline = -INFINITY; /* due now: reported by the next wait() */
    }
}

static int posix_submit_write(struct ipb_aio_ctx *c, unsigned i, int fd, const void *buf,
                              size_t len, uint64_t offset, bool then_fsync)
{
    struct slot *s = &c->slots[i];
    prep_cb(&s->wcb, fd);
    s->wcb.aio_buf = (volatile void *)buf;
    s->wcb.aio_nbytes = len;
    s->wcb.aio_offset = (off_t)offset;
    s->then_fsync = then_fsync;
    if (then_fsync)
        prep_cb(&s->fcb, fd);
    return start_write(s);
}

static int posix_submit_fsync(struct ipb_aio_ctx *c, unsigned i, int fd)
{
    struct slot *s = &c->slots[i];
    prep_cb(&s->fcb, fd);
    return start_fsync(s);
}

/* The result of a finished request: bytes (write), 0 (fsync) or -errno. */
static int64_t reap(struct aiocb *cb, int error)
{
    ssize_t r = aio_return(cb); /* also releases glibc's record of the request */
    return error != 0 ? -(int64_t)error : (int64_t)r;
}

static void put(struct ipb_aio_event *ev, unsigned *nev, unsigned i, enum ipb_aio_op op,
                int64_t res)
{
    ev[*nev].pipeline = i;
    ev[*nev].op = op;
    ev[*nev].res = res;
    (*nev)++;
}

static int posix_wait(struct ipb_aio_ctx *c, struct ipb_aio_event *ev, unsigned max,
                      double max_wait_s)
{
    const double wait_end = ipb_now() + max_wait_s;
    for (;;) {
        unsigned nev = 0, nlist = 0;
        bool deferred = false, pending = false;
        double next = INFINITY;
        double now = ipb_now();

        /* Each slot yields at most two events per pass (a write and its emulated fsync). */
        for (unsigned i = 0; i < c->n && nev + 2 <= max; i++) {
            struct slot *s = &c->slots[i];

            if (s->wstate == RQ_DEFERRED) {
                int r = start_write(s);
                if (r < 0) {
                    put(ev, &nev, i, IPB_AIO_OP_WRITE, r);
                    if (s->then_fsync)
                        put(ev, &nev, i, IPB_AIO_OP_FSYNC, -ECANCELED);
                    s->then_fsync = false;
                }
            }
            if (s->fstate == RQ_DEFERRED) {
                int r = start_fsync(s);
                if (r < 0)
                    put(ev, &nev, i, IPB_AIO_OP_FSYNC, r);
            }

            if (s->wstate == RQ_BUSY) {
                int e = aio_error(&s->wcb);
                if (e == EINPROGRESS) {
                    c->list[nlist++] = &s->wcb;
                } else {
                    s->wstate = RQ_IDLE;
                    int64_t res = reap(&s->wcb, e);
                    put(ev, &nev, i, IPB_AIO_OP_WRITE, res);
                    if (s->then_fsync) {
                        s->then_fsync = false;
                        if (res == (int64_t)s->wcb.aio_nbytes) {
                            int r = start_fsync(s);
                            if (r < 0)
                                put(ev, &nev, i, IPB_AIO_OP_FSYNC, r);
                            else if (s->fstate == RQ_BUSY)
                                c->list[nlist++] = &s->fcb;
                        } else {
                            put(ev, &nev, i, IPB_AIO_OP_FSYNC, -ECANCELED);
                        }
                    }
                }
            } else if (s->fstate == RQ_BUSY) {
                int e = aio_error(&s->fcb);
                if (e == EINPROGRESS) {
                    c->list[nlist++] = &s->fcb;
                } else {
                    s->fstate = RQ_IDLE;
                    put(ev, &nev, i, IPB_AIO_OP_FSYNC, reap(&s->fcb, e));
                }
            }

            if (s->recv_armed) {
                if (s->deadline <= now) {
                    s->recv_armed = false;
                    put(ev, &nev, i, IPB_AIO_OP_RECV, s->recv_res);
                } else if (s->deadline < next) {
                    next = s->deadline;
                }
            }
            if (s->wstate == RQ_DEFERRED || s->fstate == RQ_DEFERRED)
                deferred = true;
            if (s->wstate != RQ_IDLE || s->fstate != RQ_IDLE || s->recv_armed)
                pending = true;
        }
        if (nev > 0)
            return (int)nev;
        if (!pending)
            return -EDEADLK;
        if (ipb_interrupt_signal() || now >= wait_end)
            return 0;

        double timeout = next - now;
        if (wait_end < next)
            timeout = wait_end - now;
        if (deferred && !(timeout < RETRY_S))
            timeout = RETRY_S;
        if (nlist == 0) {
            /* Only timers (and deferred submissions): sleep to the nearest. */
            ipb_sleep_until(now + timeout);
            continue;
        }
        struct timespec ts, *tsp = NULL;
        if (isfinite(timeout)) {
            if (timeout < 0)
                timeout = 0;
            ts.tv_sec = (time_t)timeout;
            ts.tv_nsec = (long)((timeout - (double)ts.tv_sec) * 1e9) + 1; /* never early */
            if (ts.tv_nsec > 999999999)
                ts.tv_nsec = 999999999;
            tsp = &ts;
        }
        /* 0: something completed; EAGAIN: the timeout (a deadline is due); EINTR: a signal.
         * All three mean "look again". */
        if (aio_suspend(c->list, (int)nlist, tsp) != 0 && errno != EAGAIN && errno != EINTR)
            return -errno;
    }
}

/* Wait for one request of ours to leave the kernel/glibc. Returns 0 or -1. */
static int drain_one(struct aiocb *cb)
{
    for (;;) {
        int e = aio_error(cb);
        if (e != EINPROGRESS) {
            (void)aio_return(cb);
            return 0;
        }
        const struct aiocb *one[1] = {cb};
        if (aio_suspend(one, 1, NULL) != 0 && errno != EAGAIN && errno != EINTR)
            return -1;
    }
}

static int posix_cleanup(struct ipb_aio_ctx *c)
{
    if (c == NULL)
        return 0;
    /* The state machine drains first; this only guards the buffers against a request still
     * running in a glibc thread. */
    int quiet = 0;
    for (unsigned i = 0; i < c->n; i++) {
        struct slot *s = &c->slots[i];
        if (s->wstate == RQ_BUSY && drain_one(&s->wcb) < 0)
            quiet = -1;
        if (s->fstate == RQ_BUSY && drain_one(&s->fcb) < 0)
            quiet = -1;
    }
    free(c->slots);
    free(c->list);
    free(c);
    return quiet;
}

const struct ipb_aio_ops ipb_aio_engine_posix = {
    .name = "posix",
    .init = posix_init,
    .submit_recv = posix_submit_recv,
    .submit_write = posix_submit_write,
    .submit_fsync = posix_submit_fsync,
    .cancel_recv = posix_cancel_recv,
    .flush = NULL, /* aio_write() hands the request over at once */
    .wait = posix_wait,
    .cleanup = posix_cleanup,
};
