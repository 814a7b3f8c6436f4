#include "pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "interrupt.h"
#include "recv_model.h"

const char *ipb_stage_name(enum ipb_stage s)
{
    switch (s) {
    case IPB_STAGE_NONE:
        return "none";
    case IPB_STAGE_SETUP:
        return "set-up";
    case IPB_STAGE_OPEN:
        return "open";
    case IPB_STAGE_RECV:
        return "recv";
    case IPB_STAGE_COMPUTE:
        return "compute";
    case IPB_STAGE_WRITE:
        return "write";
    case IPB_STAGE_FSYNC:
        return "fsync";
    case IPB_STAGE_CLOSE:
        return "close";
    }
    return "?";
}

void ipb_stats_reset(struct ipb_pipeline_stats *st)
{
    const struct ipb_ts_ref ts = st->ts;
    memset(st, 0, sizeof(*st)); /* zero bytes are empty histograms too */
    st->ts = ts;
    if (ts.iv != NULL)
        memset(ts.iv, 0, (size_t)ts.nintervals * sizeof(*ts.iv));
}

void ipb_stats_attach_series(struct ipb_pipeline_stats *st, unsigned n, struct ipb_ts_interval *iv,
                             unsigned nintervals, double interval_s)
{
    for (unsigned i = 0; i < n; i++) {
        st[i].ts.iv = iv ? iv + (size_t)i * nintervals : NULL;
        st[i].ts.nintervals = iv ? nintervals : 0;
        st[i].ts.interval_s = iv ? interval_s : 0.0;
    }
}

int ipb_data_path(char *out, size_t outlen, const char *base, unsigned rank, unsigned index)
{
    int n = snprintf(out, outlen, "%s.%u.%u", base, rank, index);
    return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

int ipb_pipeline_fail(struct ipb_pipeline *p, enum ipb_stage stage, int errnum)
{
    if (!p->stats->failed) {
        p->stats->failed = 1;
        p->stats->error_stage = (int)stage;
        p->stats->error_errno = errnum;
    }
    return -1;
}

int ipb_pipeline_init(struct ipb_pipeline *p, const struct ipb_options *opts,
                      struct ipb_pipeline_stats *stats, unsigned rank, unsigned index)
{
    memset(p, 0, sizeof(*p));
    p->opts = opts;
    p->stats = stats;
    p->rank = rank;
    p->index = index;
    p->fd = -1;
    if (ipb_data_path(p->path, sizeof(p->path), opts->output_base, rank, index) != 0)
        return ipb_pipeline_fail(p, IPB_STAGE_SETUP, ENAMETOOLONG);
    ipb_prng_seed(&p->prng, opts->seed, rank, index);
    ipb_recv_seed(&p->recv_prng, opts->seed, rank, index);
    if (opts->arrivals == IPB_ARRIVALS_OPEN &&
        ipb_arrivals_init(&p->arrivals, opts, &p->recv_prng) != 0)
        return ipb_pipeline_fail(p, IPB_STAGE_SETUP, ENOMEM);

    /* Page-aligned so O_DIRECT could be added later and so no two pipelines share a page.
     * Filling it here touches every page: first touch is slow on some machines (0.3 GiB/s
     * seen), and must not be paid inside the timed phase. */
    size_t align = 4096;
    size_t len = (size_t)opts->buffer_bytes;
    size_t alloc = (len + align - 1) / align * align;
    p->buf = aligned_alloc(align, alloc);
    if (p->buf == NULL)
        return ipb_pipeline_fail(p, IPB_STAGE_SETUP, ENOMEM);
    /* In 64 MiB pieces (multiples of 8: the same bytes as one call), so that a stop signal
     * during a long set-up (GiB buffers fill at 0.3 GiB/s on first touch) is not waited out:
     * the rest is left unfilled, and the start gate, seeing the signal, starts no timed phase,
     * so nothing unfilled is ever written. */
    const size_t piece = (size_t)64 << 20;
    for (size_t done = 0; done < alloc && !ipb_interrupt_signal(); done += piece)
        ipb_prng_fill(&p->prng, p->buf + done, alloc - done < piece ? alloc - done : piece);
    return 0;
}

int ipb_pipeline_open(struct ipb_pipeline *p)
{
    /* O_EXCL: never truncate or append to a file we did not create. O_NOFOLLOW: never write
     * through a symlink planted at the path. No O_APPEND: every method writes at an explicit
     * offset (io_uring and POSIX AIO need one), which is the same as appending because each
     * file has exactly one writer. */
    int fd;
    do {
        fd = open(p->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return ipb_pipeline_fail(p, IPB_STAGE_OPEN, errno);
    p->fd = fd;
    p->offset = 0;
    p->stats->created = 1;
    return 0;
}

int ipb_pipeline_setup(struct ipb_pipeline *p, const struct ipb_options *opts,
                       struct ipb_pipeline_stats *stats, unsigned rank, unsigned index)
{
    if (ipb_pipeline_init(p, opts, stats, rank, index) != 0)
        return -1;
    return ipb_pipeline_open(p);
}

double ipb_pipeline_next_delay(struct ipb_pipeline *p)
{
    /* The first receive of a run sets the pipeline's phase. Stats are reset for every
     * repetition, so each repetition draws a new phase. */
    return ipb_arrival_delay(p->opts, &p->recv_prng, p->stats->iterations == 0);
}

double ipb_pipeline_recv(struct ipb_pipeline *p)
{
    double d = ipb_pipeline_next_delay(p);
    double until = ipb_now() + d;
    if (d > 0.0)
        ipb_sleep_until(until);
    return d > 0.0 ? until : ipb_now();
}

void ipb_pipeline_compute(struct ipb_pipeline *p)
{
    if (p->opts->compute_sparsity > 0)
        ipb_prng_fill_sparse(&p->prng, p->buf, (size_t)p->opts->buffer_bytes,
                             p->opts->compute_sparsity);
}

int ipb_pipeline_write(struct ipb_pipeline *p)
{
    const unsigned char *b = p->buf;
    size_t left = (size_t)p->opts->buffer_bytes;
    while (left > 0) {
        ssize_t n = pwrite(p->fd, b, left, (off_t)p->offset);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return ipb_pipeline_fail(p, IPB_STAGE_WRITE, errno);
        }
        if (n == 0) /* cannot happen for a regular file; refuse to spin if it does */
            return ipb_pipeline_fail(p, IPB_STAGE_WRITE, EIO);
        b += n;
        left -= (size_t)n;
        p->offset += (uint64_t)n;
    }
    return 0;
}

int ipb_pipeline_fsync(struct ipb_pipeline *p)
{
    int rc;
    do {
        rc = fsync(p->fd);
    } while (rc != 0 && errno == EINTR);
    return rc == 0 ? 0 : ipb_pipeline_fail(p, IPB_STAGE_FSYNC, errno);
}

enum ipb_arrival_step ipb_pipeline_arrival_ready(struct ipb_pipeline *p, double now_since_t0,
                                                 struct ipb_arrival_take *tk)
{
    enum ipb_arrival_step step = ipb_arrivals_ready(&p->arrivals, now_since_t0, tk);
    ipb_stats_dropped(p->stats, now_since_t0, tk->dropped);
    return step;
}

void ipb_pipeline_arrivals_end(struct ipb_pipeline *p, bool holding, double t_since_t0)
{
    if (holding)
        ipb_arrivals_abandon(&p->arrivals);
    ipb_stats_dropped(p->stats, t_since_t0, ipb_arrivals_finish(&p->arrivals, t_since_t0));
    p->stats->left_waiting = p->arrivals.left_waiting;
}

/* Stop before the next stage? A sibling failed or the rank was told to stop (*stop), or a stop
 * signal arrived (interrupt.h). Two relaxed loads: nothing the hot loop would notice. */
static bool stopping(atomic_int *stop)
{
    return atomic_load_explicit(stop, memory_order_relaxed) || ipb_interrupt_signal() != 0;
}

/* The recv stage of one iteration, from the pipeline's previous end t: the buffer's arrival
 * (seconds since t0) and backlog sample. Closed: sleep the next receive delay. Open: take the
 * oldest waiting buffer at once, or sleep until the next arrival (arrivals.h). false: no
 * iteration starts (open: nothing arrives before the deadline; or a stop came during the wait,
 * in which case nothing was taken). */
static bool receive(struct ipb_pipeline *p, atomic_int *stop, double t0, double t, double *arrival,
                    uint64_t *backlog)
{
    if (p->opts->arrivals == IPB_ARRIVALS_CLOSED) {
        *arrival = ipb_pipeline_recv(p) - t0;
        *backlog = 0;
        return !stopping(stop);
    }
    struct ipb_arrival_take tk;
    enum ipb_arrival_step step = ipb_pipeline_arrival_ready(p, t - t0, &tk);
    if (step == IPB_ARRIVAL_END)
        return false;
    if (step == IPB_ARRIVAL_WAIT) {
        ipb_sleep_until(t0 + tk.arrival);
        if (stopping(stop))
            return false;
        ipb_arrivals_take_next(&p->arrivals);
    }
    *arrival = tk.arrival;
    *backlog = tk.backlog;
    return true;
}

int ipb_pipeline_run(struct ipb_pipeline *p, atomic_int *stop, ipb_poll_fn poll, void *poll_arg)
{
    const struct ipb_options *o = p->opts;
    struct ipb_pipeline_stats *st = p->stats;
    const bool open = o->arrivals == IPB_ARRIVALS_OPEN;
    ipb_precise_timers();
    const double t0 = ipb_now();
    double t = t0, last_poll = t0;
    int rc = 0;
    bool holding = false; /* a buffer taken whose iteration has not completed */
    if (open)
        ipb_arrivals_start(&p->arrivals);

    /* An iteration cut short by a stop (between its stages) is not counted: its bytes may not
     * be durable, and stats describe completed iterations only, so the stages still tile the
     * elapsed time of the last completed one. Its buffer counts as left waiting (open). */
    while (t - t0 < o->duration_s && !stopping(stop)) {
        double arrival;
        uint64_t backlog;
        if (!receive(p, stop, t0, t, &arrival, &backlog))
            break;
        holding = true;
        double t_recv = ipb_now();
        /* With compute off no clock is read, so compute_s stays exactly 0. */
        double t_compute = t_recv;
        if (o->compute_sparsity > 0) {
            ipb_pipeline_compute(p);
            t_compute = ipb_now();
            if (stopping(stop))
                break;
        }
        if (ipb_pipeline_write(p) != 0) {
            rc = -1;
            break;
        }
        double t_write = ipb_now();
        if (o->sync == IPB_SYNC_EVERY && (stopping(stop) || ipb_pipeline_fsync(p) != 0)) {
            rc = st->failed ? -1 : 0;
            break;
        }
        double t_end = ipb_now();
        st->recv_s += t_recv - t;
        st->compute_s += t_compute - t_recv;
        st->write_s += t_write - t_compute;
        st->fsync_s += t_end - t_write;
        ipb_hist_record(&st->lat[IPB_LAT_WRITE], t_write - t_compute);
        if (o->sync == IPB_SYNC_EVERY) {
            ipb_hist_record(&st->lat[IPB_LAT_FSYNC], t_end - t_write);
            st->fsyncs++;
        }
        ipb_hist_record(&st->lat[IPB_LAT_ITERATION], t_end - t);
        ipb_stats_iteration_done(st, o->buffer_bytes, t_end - t0, o->duration_s,
                                 t_end - (t0 + arrival), backlog);
        holding = false;
        t = t_end;
        /* The thread that owns MPI asks whether the rank must stop (another rank stopped):
         * at most every IPB_POLL_INTERVAL_S, so a tiny-buffer loop is not slowed by it. */
        if (poll != NULL && t - last_poll >= IPB_POLL_INTERVAL_S) {
            last_poll = t;
            if (poll(poll_arg))
                atomic_store(stop, 1);
        }
    }
    /* The arrivals up to now (at most the deadline) accounted: microseconds, which a --sync end
     * fsync's stage (it starts at t) takes in, so the stages still tile. */
    if (open)
        ipb_pipeline_arrivals_end(p, holding, ipb_now() - t0);
    /* --sync end: one fsync makes the whole file durable; it belongs to the timed phase, or the
     * figure would measure the page cache. Not after a stop signal: the run is being cut and
     * its files removed. */
    if (rc == 0 && o->sync == IPB_SYNC_END && st->iterations > 0 && !ipb_interrupt_signal()) {
        /* From the end of the last iteration, not a fresh clock read: the stages then tile
         * the timed phase exactly, as they do for --sync every and none. */
        double t_sync = t;
        if (ipb_pipeline_fsync(p) != 0) {
            rc = -1;
        } else {
            double t_end = ipb_now();
            st->fsync_s += t_end - t_sync;
            st->elapsed_s = t_end - t0;
            ipb_hist_record(&st->lat[IPB_LAT_FSYNC], t_end - t_sync);
            st->fsyncs++;
        }
    }
    if (rc != 0)
        atomic_store(stop, 1);
    return rc;
}

int ipb_pipeline_close(struct ipb_pipeline *p)
{
    int rc = 0;
    if (p->fd >= 0) {
        /* close() can report a deferred write error (NFS); not retried after EINTR, since
         * the descriptor is gone on Linux either way. */
        if (close(p->fd) != 0 && errno != EINTR)
            rc = ipb_pipeline_fail(p, IPB_STAGE_CLOSE, errno);
        p->fd = -1;
    }
    return rc;
}

void ipb_pipeline_free(struct ipb_pipeline *p)
{
    free(p->buf);
    p->buf = NULL;
    ipb_arrivals_free(&p->arrivals);
}

void ipb_pipeline_describe_error(char *out, size_t outlen, const struct ipb_pipeline_stats *st,
                                 unsigned rank, unsigned index, const char *path)
{
    snprintf(out, outlen, "rank %u pipeline %u file %s: %s: %s", rank, index, path,
             ipb_stage_name((enum ipb_stage)st->error_stage), strerror(st->error_errno));
}
