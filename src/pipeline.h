/* One pipeline: a buffer, a file, a PRNG and the three stages (recv -> compute -> write).
 *
 * The stage functions are shared by every method: sequential, openmp and fork run the blocking
 * loop ipb_pipeline_run(); aio drives the same buffer, file and compute stage from its own
 * state machine. What a pipeline measured lives in struct ipb_pipeline_stats, a plain struct
 * that may sit in memory shared with the parent (fork) and is padded to cache lines so that
 * two pipelines' counters never share one (threads write them in the hot loop). */
#ifndef IPB_PIPELINE_H
#define IPB_PIPELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arrivals.h"
#include "histogram.h"
#include "options.h"
#include "prng.h"
#include "result_fields.h"
#include "timeseries.h"

#define IPB_CACHE_LINE 64

/* Which stage a failure happened in: named in the error message. */
enum ipb_stage {
    IPB_STAGE_NONE = 0,
    IPB_STAGE_SETUP, /* allocating the buffer */
    IPB_STAGE_OPEN,
    IPB_STAGE_RECV,
    IPB_STAGE_COMPUTE,
    IPB_STAGE_WRITE,
    IPB_STAGE_FSYNC,
    IPB_STAGE_CLOSE,
};

const char *ipb_stage_name(enum ipb_stage s);

/* bytes and iterations are read by the --progress thread while the pipeline runs: written with
 * relaxed atomic stores (plain moves on x86-64 and arm64), so the reader sees whole values and
 * the hot loop pays nothing. Everything else is read only after the timed phase. */
struct ipb_pipeline_stats {
    uint64_t bytes;      /* bytes written by completed iterations */
    uint64_t iterations; /* completed iterations (buffers written) */
    double elapsed_s;    /* t0 -> end of the last completed iteration (incl. --sync end fsync) */
    /* Summed seconds in each stage: recv_s, compute_s, write_s, fsync_s (result_fields.h). */
#define IPB_STATS_STAGE(X, stage, text, meaning) double stage##_s;
    IPB_STAGES(IPB_STATS_STAGE, )
#undef IPB_STATS_STAGE
    int created; /* 1 once this run created the data file (O_EXCL succeeded) */
    int failed;  /* 1 if the pipeline stopped on an error */
    int error_errno;
    int error_stage;         /* enum ipb_stage */
    uint64_t deadline_bytes; /* bytes of iterations completed by t0 + duration */
    uint64_t fsyncs;         /* fsyncs completed in the timed phase */
    /* The backlog (arrivals.h): one sample per completed iteration, the buffers waiting when it
     * took its buffer (0 in closed mode, and after a wait). */
    uint64_t backlog_samples, backlog_sum, backlog_max;
    uint64_t dropped;      /* open arrivals lost to a full queue (drop) */
    uint64_t left_waiting; /* open arrivals neither completed nor dropped at the end */
    struct ipb_hist lat[IPB_LAT_NKINDS]; /* latency histograms (result_fields.h) */
    /* This pipeline's row of the --interval series (timeseries.h); empty when off. Set once
     * before the first run (ipb_stats_attach_series) and kept by ipb_stats_reset. */
    struct ipb_ts_ref ts;
} __attribute__((aligned(IPB_CACHE_LINE)));

/* One completed iteration of len bytes that ended at t_end (seconds since t0): the one place
 * every method accounts for it, the same way (the deadline rule of docs/design.md lives here,
 * once). arrival_latency_s runs from the buffer's arrival (open: its scheduled arrival; closed:
 * the end of its receive) to t_end; backlog is the sample taken when the buffer was taken
 * (arrivals.h). Also feeds the --interval series. Drops are counted where they happen
 * (ipb_stats_dropped), not here. */
static inline void ipb_stats_iteration_done(struct ipb_pipeline_stats *st, uint64_t len,
                                            double t_end_since_t0, double duration_s,
                                            double arrival_latency_s, uint64_t backlog)
{
    __atomic_store_n(&st->bytes, st->bytes + len, __ATOMIC_RELAXED);
    __atomic_store_n(&st->iterations, st->iterations + 1, __ATOMIC_RELAXED);
    if (t_end_since_t0 <= duration_s)
        st->deadline_bytes += len;
    st->elapsed_s = t_end_since_t0;
    ipb_hist_record(&st->lat[IPB_LAT_ARRIVAL], arrival_latency_s);
    st->backlog_samples++;
    st->backlog_sum += backlog;
    if (backlog > st->backlog_max)
        st->backlog_max = backlog;
    ipb_ts_record(&st->ts, t_end_since_t0, len, arrival_latency_s, backlog);
}

/* n buffers found dropped at t seconds since t0 (arrivals.h: a pipeline finds the drops when it
 * is next ready, or at the end): counted in the run and in the --interval series, in the
 * interval of t, not of each buffer's own arrival. */
static inline void ipb_stats_dropped(struct ipb_pipeline_stats *st, double t_since_t0, uint64_t n)
{
    st->dropped += n;
    ipb_ts_dropped(&st->ts, t_since_t0, n);
}

/* For the --progress thread: bytes so far, whole. */
static inline uint64_t ipb_stats_load_bytes(const struct ipb_pipeline_stats *st)
{
    return __atomic_load_n(&st->bytes, __ATOMIC_RELAXED);
}

/* Zero the counters and make the histograms empty (what every run starts from); the series
 * reference is kept and its intervals zeroed. */
void ipb_stats_reset(struct ipb_pipeline_stats *st);

/* Give each of n pipelines its row of a series of nintervals intervals of interval_s seconds
 * at iv (pipeline-major, zeroed by the caller; NULL: no series). Before the first run. */
void ipb_stats_attach_series(struct ipb_pipeline_stats *st, unsigned n, struct ipb_ts_interval *iv,
                             unsigned nintervals, double interval_s);

struct ipb_pipeline {
    const struct ipb_options *opts;
    struct ipb_pipeline_stats *stats; /* may point into a shared mapping (fork) */
    unsigned rank;
    unsigned index;
    int fd;
    unsigned char *buf;
    uint64_t offset;              /* next write offset == bytes in the file */
    struct ipb_prng prng;         /* the compute stage's stream */
    struct ipb_prng recv_prng;    /* the receive delays' stream (recv_model.h) */
    struct ipb_arrivals arrivals; /* --arrivals open: the schedule and queue (arrivals.h) */
    char path[IPB_PATH_MAX + 32];
} __attribute__((aligned(IPB_CACHE_LINE)));

/* "<base>.<rank>.<index>" into out; returns -1 if it does not fit. */
int ipb_data_path(char *out, size_t outlen, const char *base, unsigned rank, unsigned index);

/* Untimed set-up: path, PRNG, the open arrivals' queue, buffer allocated, touched and filled
 * with random bytes.
 * Does not open the file. Returns 0, or -1 with the error recorded in stats. */
int ipb_pipeline_init(struct ipb_pipeline *p, const struct ipb_options *opts,
                      struct ipb_pipeline_stats *stats, unsigned rank, unsigned index);

/* ipb_pipeline_init() then ipb_pipeline_open(): the whole untimed set-up of one pipeline. */
int ipb_pipeline_setup(struct ipb_pipeline *p, const struct ipb_options *opts,
                       struct ipb_pipeline_stats *stats, unsigned rank, unsigned index);

/* Create the data file with O_CREAT|O_EXCL|O_NOFOLLOW (never an existing file, never through
 * a symlink). Sets stats->created. Returns 0, or -1 with the error recorded. */
int ipb_pipeline_open(struct ipb_pipeline *p);

/* The next receive delay of this pipeline, drawn from --recv-model (recv_model.h). */
double ipb_pipeline_next_delay(struct ipb_pipeline *p);

/* The stages, blocking. recv sleeps the next receive delay (cannot fail) and returns the time it
 * slept until, the buffer's arrival in closed mode; compute rewrites every
 * K-th byte (cannot fail); write writes the whole buffer at the current offset (short writes and
 * EINTR/EAGAIN retried); fsync. write and fsync return 0, or -1 with the error recorded. */
double ipb_pipeline_recv(struct ipb_pipeline *p);
void ipb_pipeline_compute(struct ipb_pipeline *p);
int ipb_pipeline_write(struct ipb_pipeline *p);
int ipb_pipeline_fsync(struct ipb_pipeline *p);

/* Open arrivals, shared by the blocking loop and aio: the pipeline is ready for a buffer at
 * now_since_t0 (ipb_arrivals_ready(), with the drops it finds counted); and the pipeline starts
 * no more iterations (holding: a buffer taken whose iteration did not complete, left waiting):
 * the arrivals up to then accounted, drops and left_waiting into its stats. */
enum ipb_arrival_step ipb_pipeline_arrival_ready(struct ipb_pipeline *p, double now_since_t0,
                                                 struct ipb_arrival_take *tk);
void ipb_pipeline_arrivals_end(struct ipb_pipeline *p, bool holding, double t_since_t0);

/* Record a failure (first one wins) and return -1. */
int ipb_pipeline_fail(struct ipb_pipeline *p, enum ipb_stage stage, int errnum);

/* Asked by the pipeline whose thread owns MPI whether the rank must stop early (another rank
 * stopped, see stop_notice.h): nonzero means stop. */
typedef int (*ipb_poll_fn)(void *arg);

/* How often, at most, a timed loop calls its poll function (seconds). Bounds how long a rank
 * keeps running after another rank has stopped: this, plus one iteration. */
#define IPB_POLL_INTERVAL_S 0.01

/* The timed loop for the blocking methods: t0 is read here, right after the start gate, and an
 * iteration starts while now - t0 < duration, *stop is 0 and no stop signal has arrived
 * (interrupt.h), and (open arrivals) its buffer arrived before t0 + duration; a stop is also
 * looked at between stages. A pipeline that fails sets *stop so
 * the other pipelines of the rank stop at their next stage; so does poll (may be NULL) when it
 * returns nonzero. Returns 0 (also when stopped early) or -1 on a failure. */
int ipb_pipeline_run(struct ipb_pipeline *p, atomic_int *stop, ipb_poll_fn poll, void *poll_arg);

/* Close the file (keeps it) and free the buffer. Safe on a partly set-up pipeline. */
int ipb_pipeline_close(struct ipb_pipeline *p);
void ipb_pipeline_free(struct ipb_pipeline *p);

/* One line describing a failed pipeline: "rank R pipeline P file F: write: strerror". */
void ipb_pipeline_describe_error(char *out, size_t outlen, const struct ipb_pipeline_stats *st,
                                 unsigned rank, unsigned index, const char *path);

#endif
