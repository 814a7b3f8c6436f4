#include "progress.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "record.h"

struct ipb_progress {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC, like every other clock here */
    bool done;         /* this rank's timed phase is over (under mu) */
    bool released;     /* every rank has its helper: collectives may start (under mu) */
    MPI_Comm comm;     /* MPI_COMM_NULL: rank 0 alone, no MPI */
    int rank, nranks;
    const struct ipb_pipeline_stats *stats;
    unsigned n;
    double interval, t0;
    FILE *out;
    unsigned lines;
};

void ipb_progress_format(char *out, size_t outlen, double t, unsigned long long bytes,
                         unsigned long long prev_bytes, double dt, unsigned running,
                         unsigned nranks, bool local)
{
    const double mib = (double)bytes / IPB_MIB;
    const double rate = ipb_mib_per_s(bytes, t);
    const double last = ipb_mib_per_s(bytes - prev_bytes, dt);
    if (local)
        snprintf(out, outlen,
                 "[progress] %.1f s: rank 0 only: %.1f MiB written, %.3f MiB/s so far, %.3f "
                 "MiB/s in the last %.1f s",
                 t, mib, rate, last, dt);
    else
        snprintf(out, outlen,
                 "[progress] %.1f s: %.1f MiB written, %.3f MiB/s so far, %.3f MiB/s in the last "
                 "%.1f s (%u of %u ranks running)",
                 t, mib, rate, last, dt, running, nranks);
}

static unsigned long long local_bytes(const struct ipb_progress *p)
{
    unsigned long long sum = 0;
    for (unsigned i = 0; i < p->n; i++)
        sum += ipb_stats_load_bytes(&p->stats[i]);
    return sum;
}

static struct timespec abstime(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Wait for the request, sleeping between tests: from 0.5 ms up to 20 ms (or a tenth of the
 * interval), so a rank that waits long for the others costs a few wake-ups a second. */
static void wait_request(MPI_Request *req, double interval)
{
    double pause = 0.0005, cap = interval / 10.0 < 0.02 ? interval / 10.0 : 0.02;
    for (;;) {
        int flag = 0;
        MPI_Test(req, &flag, MPI_STATUS_IGNORE);
        if (flag)
            return;
        ipb_sleep_until(ipb_now() + pause);
        if (pause < cap)
            pause *= 2.0;
    }
}

static void *progress_main(void *arg)
{
    struct ipb_progress *p = arg;
    unsigned long long prev = 0;
    double prev_t = 0.0;
    unsigned long tick = 1;
    pthread_mutex_lock(&p->mu);
    while (!p->released)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    for (;;) {
        /* Sleep until the next tick, or until this rank is done. */
        pthread_mutex_lock(&p->mu);
        double next = p->t0 + (double)tick * p->interval;
        while (!p->done && ipb_now() < next) {
            struct timespec ts = abstime(next);
            pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        }
        bool done = p->done;
        pthread_mutex_unlock(&p->mu);

        unsigned long long v[2] = {local_bytes(p), done ? 0u : 1u}, sum[2] = {v[0], v[1]};
        if (p->comm != MPI_COMM_NULL) {
            MPI_Request req;
            MPI_Iallreduce(v, sum, 2, MPI_UNSIGNED_LONG_LONG, MPI_SUM, p->comm, &req);
            wait_request(&req, p->interval);
        }
        if (sum[1] == 0)
            break; /* every rank is over: the row follows, no line */
        double now = ipb_now() - p->t0;
        if (p->rank == 0 && now - prev_t >= p->interval * 0.5) {
            char line[256];
            ipb_progress_format(line, sizeof(line), now, sum[0], prev, now - prev_t,
                                (unsigned)sum[1], (unsigned)p->nranks, p->comm == MPI_COMM_NULL);
            fprintf(p->out, "io-pipeline-bench: %s\n", line);
            fflush(p->out);
            p->lines++;
            prev = sum[0];
            prev_t = now;
        }
        /* Skip ticks already past (a slow collective): never a burst of lines. */
        double elapsed = ipb_now() - p->t0;
        unsigned long due = (unsigned long)(elapsed / p->interval) + 1;
        tick = due > tick ? due : tick + 1;
    }
    return NULL;
}

struct ipb_progress *ipb_progress_start(MPI_Comm comm, int rank, int nranks,
                                        const struct ipb_pipeline_stats *stats, unsigned n,
                                        double interval_s, double t0, FILE *out)
{
    struct ipb_progress *p = calloc(1, sizeof(*p));
    int ok = p != NULL;
    if (ok) {
        p->comm = comm;
        p->rank = rank;
        p->nranks = nranks;
        p->stats = stats;
        p->n = n;
        p->interval = interval_s;
        p->t0 = t0;
        p->out = out;
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->cv, &ca);
        pthread_condattr_destroy(&ca);
        ok = pthread_create(&p->thread, NULL, progress_main, p) == 0;
    }
    int all = ok;
    if (comm != MPI_COMM_NULL) {
        /* All ranks run a helper or none does: their collectives must match. The helpers wait
         * for this verdict before their first collective (the only other user of comm). */
        MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm);
    }
    if (ok) {
        pthread_mutex_lock(&p->mu);
        if (!all) { /* ours runs, another rank's does not: end ours without collectives */
            p->comm = MPI_COMM_NULL;
            p->rank = -1; /* prints nothing */
            p->done = true;
        }
        p->released = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    if (!ok) {
        if (p != NULL) {
            pthread_cond_destroy(&p->cv);
            pthread_mutex_destroy(&p->mu);
        }
        free(p);
        return NULL;
    }
    return p;
}

unsigned ipb_progress_stop(struct ipb_progress *p)
{
    if (p == NULL)
        return 0;
    pthread_mutex_lock(&p->mu);
    p->done = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    unsigned lines = p->lines;
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return lines;
}
