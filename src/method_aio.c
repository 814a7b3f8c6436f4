/* The aio method (the Python original's asyncio): one thread drives all N pipelines of the rank
 * as state machines over kernel async I/O.
 *
 * Concurrency without parallel compute: while the kernel (io_uring) or glibc's AIO threads
 * (POSIX) run the writes, fsyncs and timers of every pipeline, this thread runs the compute
 * stages one at a time, inline between completions. What differs between io_uring and POSIX AIO
 * lives behind aio_engine.h; this file holds the state machine once.
 *
 * One pipeline's iteration:
 *
 *     RECV --timer fired--> compute (inline) --> WRITE --+--> (sync every) FSYNC --> done
 *                                                        '--> (sync end/none) ------> done
 *     done: another iteration while now - t0 < duration, else (sync end) FINAL_FSYNC
 *
 * The recv timer: closed arrivals, the next receive delay; open arrivals (arrivals.h), the time
 * until the next scheduled arrival when no buffer is waiting, and no timer at all when one is
 * (the iteration goes straight to compute). An open pipeline also ends when nothing arrives
 * before the deadline.
 *
 * A pipeline advances only when all of its operations in flight have completed (inflight == 0),
 * so a cancelled fsync of a broken link can never be mistaken for the fsync of its resubmission.
 *
 * Stage times, per pipeline, from this thread's clock reads (one read per batch of completions,
 * so a completion is timed when it is reaped, not when the kernel finished it). They tile the
 * pipeline's timed phase exactly, as in the blocking loop: each stage starts where the previous
 * one ended, and an iteration starts where the previous one ended (t0 for the first):
 *   recv_s    iteration start -> the compute stage starts. Besides the timer, this holds the time
 *             the pipeline waited for this one thread (busy computing for other pipelines of the
 *             same batch): a pipeline whose data has arrived but is not yet picked up is still
 *             receiving, from its point of view. With --recv-delay 0 it is only that wait;
 *   compute_s ipb_pipeline_compute() itself;
 *   write_s   first submission of the buffer's write -> completion of its last byte reaped
 *             (resubmissions after short writes included);
 *   fsync_s   write completion reaped -> fsync completion reaped. For a linked write+fsync the
 *             kernel starts the fsync without telling us, so this is the only split available:
 *             when both completions are reaped in the same batch (this thread was busy computing
 *             while the fsync ran), the whole pair lands in write_s and fsync_s gets ~0. Their
 *             sum is exact to the reaping granularity either way. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aio_engine.h"
#include "clock.h"
#include "interrupt.h"
#include "method.h"

/* The event loop wakes at least this often even when nothing completes (a long --recv-delay,
 * a slow fsync), so a stop signal or another rank's stop notice is seen within about this. */
#define AIO_MAX_WAIT_S 0.05

enum aio_phase {
    PH_DONE = 0,    /* nothing in flight, no iteration to run */
    PH_RECV,        /* the recv timer is armed */
    PH_WRITE,       /* the write (and maybe its linked fsync) is in flight */
    PH_FSYNC,       /* the buffer's own fsync is in flight (not linked, or resubmitted) */
    PH_FINAL_FSYNC, /* the one --sync end fsync is in flight */
};

/* State machine of one pipeline. Only this thread touches it, so unlike the stats it needs no
 * padding against false sharing; it is cache-line sized so one pipeline's step touches one line. */
struct aio_pipe {
    enum aio_phase phase;
    unsigned inflight; /* operations submitted whose completion has not been reaped */
    uint64_t written;  /* bytes of the current buffer on file */
    bool recv_ok;      /* the recv timer fired (not cancelled) */
    bool waiting;      /* open: the timer waits for the next arrival, not yet taken */
    bool holding;      /* open: a buffer taken whose iteration has not completed */
    uint64_t backlog;  /* the current buffer's backlog sample */
    double arrival;    /* the current buffer's arrival, seconds since t0 (arrivals.h) */
    bool fsync_ok;     /* the current fsync completed */
    double t_iter;     /* this iteration started (the previous one's end, or t0) */
    double t_write;    /* the buffer's first write submitted */
    double t_written;  /* the buffer's last byte reaped */
    double t_fsync;    /* the --sync end fsync's stage started (the last iteration's end) */
    double t_fsynced;  /* the current fsync's completion reaped */
} __attribute__((aligned(IPB_CACHE_LINE)));

struct aio_loop {
    const struct ipb_options *opts;
    const struct ipb_aio_ops *eng;
    struct ipb_aio_ctx *ctx;
    struct ipb_pipeline *pl;
    struct aio_pipe *ps;
    unsigned n;
    unsigned nactive; /* pipelines not in PH_DONE */
    double t0;
    bool stop;        /* a pipeline failed: start nothing new, drain */
    int first_failed; /* the pipeline whose error the run reports, or -1 */
};

static bool start_iteration(struct aio_loop *L, unsigned i, double t_start);

/* Open arrivals: account for the pipeline's arrivals up to now (at most the deadline) once it
 * starts no more iterations; a buffer taken but not completed counts as left waiting. */
static void account_arrivals(struct aio_loop *L, unsigned i)
{
    struct ipb_pipeline *p = &L->pl[i];
    if (L->opts->arrivals != IPB_ARRIVALS_OPEN || p->arrivals.finished)
        return;
    ipb_pipeline_arrivals_end(p, L->ps[i].holding, ipb_now() - L->t0);
    L->ps[i].holding = false;
}

static void finish(struct aio_loop *L, unsigned i)
{
    account_arrivals(L, i);
    if (L->ps[i].phase != PH_DONE) {
        L->ps[i].phase = PH_DONE;
        L->nactive--;
    }
}

/* Stop the rank's run: no pipeline starts another iteration, and timers are cut short so the
 * drain does not wait out a long --recv-delay. Writes and fsyncs in flight run to completion
 * (they hold our buffers). */
static void stop_all(struct aio_loop *L)
{
    if (L->stop)
        return;
    L->stop = true;
    for (unsigned j = 0; j < L->n; j++)
        if (L->ps[j].phase == PH_RECV && L->ps[j].inflight > 0)
            L->eng->cancel_recv(L->ctx, j);
}

/* Record the failure and stop the rank's run. */
static void fail(struct aio_loop *L, unsigned i, enum ipb_stage stage, int errnum)
{
    ipb_pipeline_fail(&L->pl[i], stage, errnum);
    if (L->first_failed < 0)
        L->first_failed = (int)i;
    stop_all(L);
}

static void submit_write(struct aio_loop *L, unsigned i)
{
    struct aio_pipe *s = &L->ps[i];
    struct ipb_pipeline *p = &L->pl[i];
    size_t left = (size_t)(L->opts->buffer_bytes - s->written);
    size_t len = left < IPB_AIO_MAX_IO ? left : IPB_AIO_MAX_IO;
    /* The fsync rides on the piece that completes the buffer: fsyncing earlier pieces would be
     * extra fsyncs the blocking methods do not make. */
    bool link = L->opts->sync == IPB_SYNC_EVERY && len == left;

    s->fsync_ok = false;
    int r = L->eng->submit_write(L->ctx, i, p->fd, p->buf + s->written, len, p->offset + s->written,
                                 link);
    if (r < 0) {
        fail(L, i, IPB_STAGE_WRITE, -r);
        finish(L, i);
        return;
    }
    s->inflight = link ? 2 : 1;
}

static void submit_fsync(struct aio_loop *L, unsigned i, enum aio_phase phase)
{
    struct aio_pipe *s = &L->ps[i];
    s->phase = phase;
    s->fsync_ok = false;
    int r = L->eng->submit_fsync(L->ctx, i, L->pl[i].fd);
    if (r < 0) {
        fail(L, i, IPB_STAGE_FSYNC, -r);
        finish(L, i);
        return;
    }
    s->inflight = 1;
}

/* The recv is over: compute inline, then write. */
static void compute_and_write(struct aio_loop *L, unsigned i)
{
    struct aio_pipe *s = &L->ps[i];
    /* Hand the kernel what is queued (other pipelines' writes and timers) before spending CPU
     * here, so their I/O overlaps this compute instead of waiting for the next wait(). */
    if (L->opts->compute_sparsity != 0 && L->eng->flush != NULL)
        L->eng->flush(L->ctx);
    double t = ipb_now();
    ipb_pipeline_compute(&L->pl[i]);
    double t2 = ipb_now();
    L->pl[i].stats->recv_s += t - s->t_iter;
    L->pl[i].stats->compute_s += t2 - t;

    s->phase = PH_WRITE;
    s->written = 0;
    s->t_write = t2;
    submit_write(L, i);
}

/* A buffer is on file (and fsynced for sync every) at time t_end. */
static void iteration_done(struct aio_loop *L, unsigned i, double t_end)
{
    struct ipb_pipeline *p = &L->pl[i];
    struct aio_pipe *s = &L->ps[i];
    p->offset += L->opts->buffer_bytes;
    ipb_hist_record(&p->stats->lat[IPB_LAT_ITERATION], t_end - s->t_iter);
    ipb_stats_iteration_done(p->stats, L->opts->buffer_bytes, t_end - L->t0, L->opts->duration_s,
                             t_end - (L->t0 + s->arrival), s->backlog);
    s->holding = false;

    if (ipb_interrupt_signal())
        stop_all(L); /* a stop signal: no new iteration, no --sync end fsync */
    if (!L->stop && ipb_now() - L->t0 < L->opts->duration_s && start_iteration(L, i, t_end))
        return;
    account_arrivals(L, i);
    if (!L->stop && L->opts->sync == IPB_SYNC_END) {
        L->ps[i].t_fsync = t_end;
        submit_fsync(L, i, PH_FINAL_FSYNC);
    } else
        finish(L, i);
}

/* Start an iteration at t_start (the previous one's end, or t0). false: none starts (open
 * arrivals: nothing arrives before the deadline), and nothing changed. */
static bool start_iteration(struct aio_loop *L, unsigned i, double t_start)
{
    struct aio_pipe *s = &L->ps[i];
    struct ipb_pipeline *p = &L->pl[i];
    double delay;
    if (L->opts->arrivals == IPB_ARRIVALS_OPEN) {
        struct ipb_arrival_take tk;
        enum ipb_arrival_step step = ipb_pipeline_arrival_ready(p, t_start - L->t0, &tk);
        if (step == IPB_ARRIVAL_END)
            return false;
        s->arrival = tk.arrival;
        s->backlog = tk.backlog;
        s->waiting = step == IPB_ARRIVAL_WAIT;
        /* A waiting buffer: no timer, straight to compute. Otherwise until the arrival. */
        delay = s->waiting ? L->t0 + tk.arrival - ipb_now() : 0.0;
        if (s->waiting && delay <= 0) {
            ipb_arrivals_take_next(&p->arrivals);
            s->waiting = false;
        }
        s->holding = !s->waiting;
    } else {
        delay = ipb_pipeline_next_delay(p);
        /* closed: the buffer arrives when its receive ends, when the timer is due */
        s->arrival = ipb_now() - L->t0 + (delay > 0 ? delay : 0.0);
        s->backlog = 0;
    }
    s->phase = PH_RECV;
    s->recv_ok = false;
    s->t_iter = t_start;
    if (delay <= 0) {
        /* Nothing to wait for: a zero timer would only add a trip through the kernel per
         * iteration (asyncio.sleep(0) is a bare yield too). */
        compute_and_write(L, i);
        return true;
    }
    int r = L->eng->submit_recv(L->ctx, i, delay);
    if (r < 0) {
        fail(L, i, IPB_STAGE_RECV, -r);
        finish(L, i);
        return true;
    }
    s->inflight = 1;
    return true;
}

static void fsync_done(struct ipb_pipeline_stats *st, double seconds)
{
    st->fsync_s += seconds;
    ipb_hist_record(&st->lat[IPB_LAT_FSYNC], seconds);
    st->fsyncs++;
}

/* Every operation of pipeline i has completed: decide what it does next. */
static void step(struct aio_loop *L, unsigned i)
{
    struct aio_pipe *s = &L->ps[i];
    struct ipb_pipeline_stats *st = L->pl[i].stats;

    if (L->stop && s->phase != PH_FINAL_FSYNC) {
        finish(L, i);
        return;
    }
    switch (s->phase) {
    case PH_RECV:
        if (!s->recv_ok) { /* cancelled: only a stopping run cancels */
            finish(L, i);
            return;
        }
        if (s->waiting) { /* open: the awaited buffer has arrived */
            ipb_arrivals_take_next(&L->pl[i].arrivals);
            s->waiting = false;
            s->holding = true;
        }
        compute_and_write(L, i);
        return;
    case PH_WRITE:
        if (s->written < L->opts->buffer_bytes) {
            /* Short write, EINTR or EAGAIN (its linked fsync, if any, came back -ECANCELED):
             * write the rest, with the fsync linked again. */
            submit_write(L, i);
            return;
        }
        if (L->opts->sync != IPB_SYNC_EVERY) {
            iteration_done(L, i, s->t_written);
        } else if (s->fsync_ok) {
            fsync_done(st, s->t_fsynced - s->t_written);
            iteration_done(L, i, s->t_fsynced);
        } else {
            /* Not linked (a buffer split in pieces) or interrupted: fsync on its own. */
            submit_fsync(L, i, PH_FSYNC);
        }
        return;
    case PH_FSYNC:
        if (s->fsync_ok) {
            fsync_done(st, s->t_fsynced - s->t_written);
            iteration_done(L, i, s->t_fsynced);
        } else {
            submit_fsync(L, i, PH_FSYNC); /* EINTR or EAGAIN */
        }
        return;
    case PH_FINAL_FSYNC:
        if (s->fsync_ok) {
            fsync_done(st, s->t_fsynced - s->t_fsync);
            st->elapsed_s = s->t_fsynced - L->t0;
            finish(L, i);
        } else if (!L->stop) {
            submit_fsync(L, i, PH_FINAL_FSYNC); /* EINTR or EAGAIN */
        } else {
            finish(L, i);
        }
        return;
    case PH_DONE:
        return;
    }
}

static bool retryable(int64_t res)
{
    return res == -EINTR || res == -EAGAIN;
}

static void on_event(struct aio_loop *L, const struct ipb_aio_event *ev, double now)
{
    if (ev->pipeline >= L->n)
        return;
    unsigned i = ev->pipeline;
    struct aio_pipe *s = &L->ps[i];
    if (s->inflight == 0)
        return; /* cannot happen: every event answers one submission */
    s->inflight--;

    switch (ev->op) {
    case IPB_AIO_OP_RECV:
        if (ev->res == 0)
            s->recv_ok = true;
        else if (ev->res != -ECANCELED)
            fail(L, i, IPB_STAGE_RECV, (int)-ev->res);
        break;
    case IPB_AIO_OP_WRITE:
        if (ev->res > 0) {
            s->written += (uint64_t)ev->res;
            if (s->written >= L->opts->buffer_bytes) {
                s->t_written = now;
                L->pl[i].stats->write_s += now - s->t_write;
                ipb_hist_record(&L->pl[i].stats->lat[IPB_LAT_WRITE], now - s->t_write);
            }
        } else if (ev->res == 0) {
            /* A regular file never takes zero bytes of a non-empty write; retrying would spin
             * forever, so call it an I/O error. */
            fail(L, i, IPB_STAGE_WRITE, EIO);
        } else if (!retryable(ev->res)) {
            fail(L, i, IPB_STAGE_WRITE, (int)-ev->res);
        }
        break;
    case IPB_AIO_OP_FSYNC:
        if (ev->res == 0) {
            s->fsync_ok = true;
            s->t_fsynced = now;
        } else if (ev->res == -ECANCELED && s->phase == PH_WRITE &&
                   s->written < L->opts->buffer_bytes) {
            /* The link broke on a short or failed write: handled with the write. */
        } else if (!retryable(ev->res)) {
            fail(L, i, IPB_STAGE_FSYNC, (int)-ev->res);
        }
        break;
    }
    if (s->inflight == 0)
        step(L, i);
}

/* Choose and set up the engine for --aio-engine. auto takes io_uring when the kernel allows it
 * (the results record which engine ran); an explicit io_uring that cannot run is an error,
 * never a silent fallback. */
static int engine_init(struct ipb_run *run, struct aio_loop *L, char *msg, size_t msglen)
{
    char why[IPB_ERRMSG_LEN / 2];
    int err;

    switch (run->opts->aio_engine) {
    case IPB_AIO_IO_URING:
#ifdef HAVE_LIBURING
        L->eng = &ipb_aio_engine_uring;
        err = L->eng->init(&L->ctx, L->n, why, sizeof why);
        if (err != 0) {
            snprintf(msg, msglen, "rank %u: --aio-engine io_uring: %s", run->rank, why);
            return -1;
        }
        return 0;
#else
        snprintf(msg, msglen,
                 "rank %u: --aio-engine io_uring: this build has no io_uring support (configured "
                 "without liburing): %s",
                 run->rank, strerror(ENOSYS));
        return -1;
#endif
    case IPB_AIO_AUTO:
#ifdef HAVE_LIBURING
        L->eng = &ipb_aio_engine_uring;
        if (L->eng->init(&L->ctx, L->n, why, sizeof why) == 0)
            return 0;
#endif
        /* fall through */
    case IPB_AIO_POSIX:
        L->eng = &ipb_aio_engine_posix;
        err = L->eng->init(&L->ctx, L->n, why, sizeof why);
        if (err != 0) {
            snprintf(msg, msglen, "rank %u: aio engine posix: %s", run->rank, why);
            return -1;
        }
        return 0;
    }
    snprintf(msg, msglen, "rank %u: unknown --aio-engine", run->rank);
    return -1;
}

static int aio_run(struct ipb_run *run)
{
    const struct ipb_options *o = run->opts;
    struct aio_loop L = {.opts = o, .n = run->npipelines, .first_failed = -1};
    struct ipb_aio_event *events = NULL;
    unsigned nev_max = 2 * L.n + 2;
    unsigned ninit = 0;
    char msg[IPB_ERRMSG_LEN] = "";
    int local = IPB_OK, status = IPB_OK;

    /* --- untimed set-up --- */
    L.pl = aligned_alloc(IPB_CACHE_LINE, L.n * sizeof *L.pl);
    L.ps = aligned_alloc(IPB_CACHE_LINE, L.n * sizeof *L.ps);
    events = calloc(nev_max, sizeof *events);
    if (L.pl == NULL || L.ps == NULL || events == NULL) {
        snprintf(msg, sizeof msg, "rank %u: aio: cannot allocate %u pipelines: %s", run->rank, L.n,
                 strerror(ENOMEM));
        local = IPB_ERUN;
    } else {
        memset(L.pl, 0, L.n * sizeof *L.pl);
        memset(L.ps, 0, L.n * sizeof *L.ps);
    }
    for (unsigned i = 0; local == IPB_OK && i < L.n; i++) {
        struct ipb_pipeline *p = &L.pl[i];
        ninit++; /* close/free are safe on a partly set-up pipeline */
        if (ipb_pipeline_init(p, o, &run->stats[i], run->rank, i) < 0 || ipb_pipeline_open(p) < 0) {
            ipb_pipeline_describe_error(msg, sizeof msg, p->stats, run->rank, i, p->path);
            local = IPB_ERUN;
        }
    }
    if (local == IPB_OK) {
        if (engine_init(run, &L, msg, sizeof msg) < 0) {
            L.ctx = NULL;
            local = IPB_ERUN;
        } else {
            run->aio_engine_used = L.eng->name;
        }
    }

    /* --- start gate: every rank ready, or nobody runs --- */
    status = run->gate(run, local, msg);
    if (status != IPB_OK) {
        if (local != IPB_OK)
            snprintf(run->errmsg, sizeof run->errmsg, "%s", msg);
        goto teardown;
    }

    /* --- timed loop --- */
    /* One t0 for every pipeline of the rank: they all start together, right after the gate. */
    ipb_precise_timers();
    L.t0 = ipb_now();
    for (unsigned i = 0; i < L.n && !L.stop; i++) {
        L.ps[i].phase = PH_RECV;
        L.nactive++;
        if (o->arrivals == IPB_ARRIVALS_OPEN)
            ipb_arrivals_start(&L.pl[i].arrivals);
        if (!start_iteration(&L, i, L.t0))
            finish(&L, i);
    }

    double last_poll = L.t0;
    while (L.nactive > 0) {
        int k = L.eng->wait(L.ctx, events, nev_max, AIO_MAX_WAIT_S);
        if (k < 0) {
            /* The engine itself failed: no pipeline can be advanced. Clean-up drains what
             * it can; the buffers are kept if it cannot. */
            snprintf(run->errmsg, sizeof run->errmsg, "rank %u: aio engine %s: wait: %s", run->rank,
                     L.eng->name, strerror(-k));
            status = IPB_ERUN;
            break;
        }
        double now = ipb_now();
        for (int j = 0; j < k; j++)
            on_event(&L, &events[j], now);
        /* This thread owns MPI: it asks whether another rank stopped, between completions. */
        if (!L.stop && ipb_interrupt_signal())
            stop_all(&L);
        if (!L.stop && run->should_stop != NULL && now - last_poll >= IPB_POLL_INTERVAL_S) {
            last_poll = now;
            if (run->should_stop(run))
                stop_all(&L);
        }
    }
    if (status == IPB_OK && L.first_failed >= 0) {
        unsigned i = (unsigned)L.first_failed;
        ipb_pipeline_describe_error(run->errmsg, sizeof run->errmsg, L.pl[i].stats, run->rank, i,
                                    L.pl[i].path);
        status = IPB_ERUN;
    }

    /* --- untimed teardown --- */
teardown:;
    bool quiescent = true;
    if (L.ctx != NULL && L.eng->cleanup(L.ctx) < 0)
        quiescent = false;
    for (unsigned i = 0; i < ninit; i++) {
        if (ipb_pipeline_close(&L.pl[i]) < 0 && status == IPB_OK) {
            ipb_pipeline_describe_error(run->errmsg, sizeof run->errmsg, L.pl[i].stats, run->rank,
                                        i, L.pl[i].path);
            status = IPB_ERUN;
        }
        /* A buffer that a request may still reference is leaked on purpose: the process is
         * about to report the failure and exit. */
        if (quiescent)
            ipb_pipeline_free(&L.pl[i]);
    }
    if (quiescent)
        free(L.pl);
    free(L.ps);
    free(events);
    return status;
}

const struct ipb_method ipb_method_aio = {
    .name = "aio",
    .alias = "asyncio",
    .summary = "one thread drives all pipelines over async I/O (io_uring or POSIX AIO)",
    .detail =
        "A single thread drives every pipeline as a state machine over kernel asynchronous I/O "
        "(--aio-engine): the writes and fsyncs of different pipelines overlap, while compute "
        "runs inline between completions, as under Python's asyncio.",
    .flags = IPB_METHOD_USES_AIO_ENGINE,
    .prelaunch = NULL,
    .run = aio_run,
    .abandon = NULL,
};
