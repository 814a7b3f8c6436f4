/* Numbers over time (--interval SECONDS): per pipeline, per interval [k*I, (k+1)*I) of the timed
 * phase, what completed in it. Pure: no I/O, no MPI, no allocation in the recording path.
 *
 * A rank's series is one flat array of struct ipb_ts_interval, pipeline-major (pipeline p's
 * interval k is iv[p * nintervals + k]), allocated and zeroed before the timed phase (for fork,
 * inside the mapping shared with the children). Each pipeline's stats hold a reference to its
 * own row (struct ipb_ts_ref), so the hot loop writes only its own memory: no lock, no atomic,
 * no MPI, no allocation. After the run the rows are merged, pipelines first (ipb_ts_merge), then
 * ranks (one MPI_Reduce with ipb_ts_merge as the operation: ipb_results_collect).
 *
 * What an interval holds. A buffer is counted in the interval of its completion time (end of
 * its write, or of its fsync with --sync every) since its pipeline's t0: its bytes, one buffer,
 * its arrival latency in a coarse histogram and as an exact maximum, and the backlog sample of
 * the take that started its iteration. A dropped buffer is counted at the time it was dropped.
 *
 * How many intervals: ceil((duration + IPB_TS_DRAIN_S) / I). Iterations start until duration
 * and end up to one iteration later; the drain allowance covers them. A completion later than
 * that (a very slow fsync) goes to the last interval, whose end is then stretched to the latest
 * completion it holds (t_last_ns, exact), so its MiB/s stays bytes over its real length.
 *
 * The latency histogram: bucket 0 is [0, 1 us), buckets 1..48 are log-spaced, 6 per decade,
 * from 1 us to 100 s (bucket k = [10^((k-1)/6), 10^(k/6)) us), bucket 49 is [100 s, inf). A
 * percentile is read by nearest rank and reported as its bucket's geometric midpoint, clamped to
 * the interval's exact maximum: within 21.2 % of the truth (10^(1/12) - 1, plus the bounds rounding
 * to whole ns) inside 1 us .. 100 s. The maximum is exact. Coarse on purpose: an interval is 464
 * bytes, so 64 pipelines fill the 256 MiB bound of a rank's series (IPB_TS_MAX_BYTES) at about
 * 9,000 intervals; the run's full-resolution histograms stay in /run/<id>/histograms. */
#ifndef IPB_TIMESERIES_H
#define IPB_TIMESERIES_H

#include <stddef.h>
#include <stdint.h>

#define IPB_TS_NBUCKETS           50 /* [0, 1 us), 48 log buckets to 100 s, [100 s, inf) */
#define IPB_TS_BUCKETS_PER_DECADE 6
#define IPB_TS_REL_ERROR          0.2117 /* 10^(1/12) - 1 = 0.2115, and the bounds rounded to ns */

#define IPB_TS_DRAIN_S       1.0                 /* intervals beyond --duration for the drain */
#define IPB_TS_MIN_S         0.001               /* shortest --interval */
#define IPB_TS_MAX_INTERVALS 100000u             /* intervals per pipeline */
#define IPB_TS_MAX_BYTES     ((size_t)256 << 20) /* a rank's series: at most 256 MiB */

/* One interval of one pipeline (and, merged, of a rank or a run). Every member is a uint64_t so
 * the array reduces as MPI_UINT64_T; the ones ipb_ts_merge takes the maximum of are named. */
struct ipb_ts_interval {
    uint64_t bytes;                /* sum: bytes of the buffers completed */
    uint64_t buffers;              /* sum: buffers completed */
    uint64_t backlog_sum;          /* sum: backlog samples of those buffers' takes */
    uint64_t backlog_samples;      /* sum: how many samples */
    uint64_t dropped;              /* sum: buffers dropped in the interval */
    uint64_t backlog_max;          /* max */
    uint64_t lat_max_ns;           /* max: longest arrival latency, exact */
    uint64_t t_last_ns;            /* max: latest completion, ns since t0 (0: none) */
    uint64_t lat[IPB_TS_NBUCKETS]; /* sum: arrival latency histogram */
};

#define IPB_TS_WORDS (sizeof(struct ipb_ts_interval) / sizeof(uint64_t))

/* A pipeline's own row of the series; all zero: no series (--interval 0). */
struct ipb_ts_ref {
    struct ipb_ts_interval *iv; /* nintervals intervals of this pipeline */
    unsigned nintervals;
    double interval_s;
};

/* Intervals per pipeline for a duration (ceil((duration + drain) / interval)); 0 when off or
 * when it would exceed UINT32_MAX (callers refuse anything above IPB_TS_MAX_INTERVALS). */
uint64_t ipb_ts_nintervals(double duration_s, double interval_s);

/* Bytes of a rank's series (npipelines x nintervals intervals); SIZE_MAX on overflow. */
size_t ipb_ts_bytes(unsigned npipelines, uint64_t nintervals);

/* Lower bound of bucket i in ns (bucket 0: 0); upper bound, exclusive (the last: UINT64_MAX). */
uint64_t ipb_ts_bucket_lower_ns(unsigned i);
uint64_t ipb_ts_bucket_upper_ns(unsigned i);

/* The bucket of a latency in ns (binary search over 49 bounds). */
unsigned ipb_ts_bucket(uint64_t ns);

/* The interval a time since t0 falls in: clamped to [0, nintervals - 1]. */
static inline unsigned ipb_ts_index(const struct ipb_ts_ref *ts, double t_since_t0)
{
    double q = t_since_t0 / ts->interval_s;
    if (!(q > 0.0))
        return 0;
    if (q >= (double)(ts->nintervals - 1))
        return ts->nintervals - 1;
    return (unsigned)q;
}

static inline uint64_t ipb_ts_ns(double seconds)
{
    double ns = seconds * 1e9 + 0.5;
    return ns <= 0.0 ? 0 : ns >= 1.8e19 ? UINT64_MAX : (uint64_t)ns;
}

/* One buffer completed at t_end seconds since t0: bytes, its arrival latency and the backlog
 * sample of its take. O(log buckets); nothing when the series is off. */
static inline void ipb_ts_record(const struct ipb_ts_ref *ts, double t_end_since_t0, uint64_t bytes,
                                 double arrival_latency_s, uint64_t backlog)
{
    if (ts->iv == NULL)
        return;
    struct ipb_ts_interval *v = &ts->iv[ipb_ts_index(ts, t_end_since_t0)];
    uint64_t lat = ipb_ts_ns(arrival_latency_s), t = ipb_ts_ns(t_end_since_t0);
    v->bytes += bytes;
    v->buffers++;
    v->backlog_sum += backlog;
    v->backlog_samples++;
    if (backlog > v->backlog_max)
        v->backlog_max = backlog;
    v->lat[ipb_ts_bucket(lat)]++;
    if (lat > v->lat_max_ns)
        v->lat_max_ns = lat;
    if (t > v->t_last_ns)
        v->t_last_ns = t;
}

/* One buffer dropped at t seconds since t0. */
static inline void ipb_ts_dropped(const struct ipb_ts_ref *ts, double t_since_t0, uint64_t n)
{
    if (ts->iv != NULL)
        ts->iv[ipb_ts_index(ts, t_since_t0)].dropped += n;
}

/* dst[i] += src[i] for n intervals: sums summed, maxima maxed. Also the MPI operation. */
void ipb_ts_merge(struct ipb_ts_interval *dst, const struct ipb_ts_interval *src, size_t n);

/* The p-th percentile (0 < p <= 100) of an interval's arrival latency in seconds, by nearest
 * rank, as its bucket's geometric midpoint clamped to the exact maximum (p = 100: the maximum);
 * NaN when the interval has no buffer. */
double ipb_ts_percentile_s(const struct ipb_ts_interval *v, double p);

/* One row of /run/<id>/timeseries (IPB_TIMESERIES_FIELDS, record.h) from merged interval k of
 * n, interval_s long: start k*I, end (k+1)*I, or for the last interval, the latest completion
 * it holds if that is later (the clamp above). */
struct ipb_ts_row;
void ipb_ts_row_fill(struct ipb_ts_row *row, const struct ipb_ts_interval *v, unsigned k,
                     unsigned n, double interval_s);

/* How many rows a merged series of n intervals gets: up to its last non-empty interval, and at
 * least the ceil(duration / I) intervals of the timed phase (at most n). */
unsigned ipb_ts_rows(const struct ipb_ts_interval *v, unsigned n, double duration_s,
                     double interval_s);

#endif
