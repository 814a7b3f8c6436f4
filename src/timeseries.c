#include "timeseries.h"

#include <math.h>
#include <string.h>

#include "record.h"

/* Bucket bounds in ns: round(1000 * 10^(j/6)), j = 0..48, i.e. 1 us to 100 s, 6 per decade.
 * Written out (tests/test_timeseries.c recomputes them) so the hot path reads a constant
 * table and no process has to initialise anything. */
static const uint64_t bounds[IPB_TS_NBUCKETS - 1] = {
    UINT64_C(1000),         UINT64_C(1468),        UINT64_C(2154),        UINT64_C(3162),
    UINT64_C(4642),         UINT64_C(6813),        UINT64_C(10000),       UINT64_C(14678),
    UINT64_C(21544),        UINT64_C(31623),       UINT64_C(46416),       UINT64_C(68129),
    UINT64_C(100000),       UINT64_C(146780),      UINT64_C(215443),      UINT64_C(316228),
    UINT64_C(464159),       UINT64_C(681292),      UINT64_C(1000000),     UINT64_C(1467799),
    UINT64_C(2154435),      UINT64_C(3162278),     UINT64_C(4641589),     UINT64_C(6812921),
    UINT64_C(10000000),     UINT64_C(14677993),    UINT64_C(21544347),    UINT64_C(31622777),
    UINT64_C(46415888),     UINT64_C(68129207),    UINT64_C(100000000),   UINT64_C(146779927),
    UINT64_C(215443469),    UINT64_C(316227766),   UINT64_C(464158883),   UINT64_C(681292069),
    UINT64_C(1000000000),   UINT64_C(1467799268),  UINT64_C(2154434690),  UINT64_C(3162277660),
    UINT64_C(4641588834),   UINT64_C(6812920691),  UINT64_C(10000000000), UINT64_C(14677992676),
    UINT64_C(21544346900),  UINT64_C(31622776602), UINT64_C(46415888336), UINT64_C(68129206906),
    UINT64_C(100000000000),
};

_Static_assert(sizeof(struct ipb_ts_interval) % sizeof(uint64_t) == 0,
               "the series reduces as an array of uint64");

uint64_t ipb_ts_nintervals(double duration_s, double interval_s)
{
    if (!(interval_s > 0.0) || !(duration_s > 0.0))
        return 0;
    double n = ceil((duration_s + IPB_TS_DRAIN_S) / interval_s);
    return n > (double)UINT32_MAX ? 0 : (uint64_t)n;
}

size_t ipb_ts_bytes(unsigned npipelines, uint64_t nintervals)
{
    const size_t one = sizeof(struct ipb_ts_interval);
    if (nintervals != 0 && npipelines > SIZE_MAX / one / nintervals)
        return SIZE_MAX;
    return (size_t)npipelines * (size_t)nintervals * one;
}

uint64_t ipb_ts_bucket_lower_ns(unsigned i)
{
    return i == 0 ? 0 : i < IPB_TS_NBUCKETS ? bounds[i - 1] : UINT64_MAX;
}

uint64_t ipb_ts_bucket_upper_ns(unsigned i)
{
    return i < IPB_TS_NBUCKETS - 1 ? bounds[i] : UINT64_MAX;
}

unsigned ipb_ts_bucket(uint64_t ns)
{
    /* How many bounds are <= ns: that count is the bucket. */
    unsigned lo = 0, hi = IPB_TS_NBUCKETS - 1;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (bounds[mid] <= ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void ipb_ts_merge(struct ipb_ts_interval *dst, const struct ipb_ts_interval *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct ipb_ts_interval *d = &dst[i];
        const struct ipb_ts_interval *s = &src[i];
        d->bytes += s->bytes;
        d->buffers += s->buffers;
        d->backlog_sum += s->backlog_sum;
        d->backlog_samples += s->backlog_samples;
        d->dropped += s->dropped;
        if (s->backlog_max > d->backlog_max)
            d->backlog_max = s->backlog_max;
        if (s->lat_max_ns > d->lat_max_ns)
            d->lat_max_ns = s->lat_max_ns;
        if (s->t_last_ns > d->t_last_ns)
            d->t_last_ns = s->t_last_ns;
        for (unsigned b = 0; b < IPB_TS_NBUCKETS; b++)
            d->lat[b] += s->lat[b];
    }
}

double ipb_ts_percentile_s(const struct ipb_ts_interval *v, double p)
{
    uint64_t count = 0;
    for (unsigned b = 0; b < IPB_TS_NBUCKETS; b++)
        count += v->lat[b];
    if (count == 0)
        return NAN;
    const double max = (double)v->lat_max_ns * 1e-9;
    if (p >= 100.0)
        return max;
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)count);
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    unsigned b = 0;
    for (; b < IPB_TS_NBUCKETS; b++) {
        seen += v->lat[b];
        if (seen >= rank)
            break;
    }
    double mid;
    if (b == 0)
        mid = 0.5 * (double)bounds[0]; /* [0, 1 us): no geometric midpoint */
    else if (b >= IPB_TS_NBUCKETS - 1)
        return max; /* 100 s and more: only the maximum is known */
    else
        mid = sqrt((double)bounds[b - 1] * (double)bounds[b]);
    mid *= 1e-9;
    return mid < max ? mid : max;
}

void ipb_ts_row_fill(struct ipb_ts_row *row, const struct ipb_ts_interval *v, unsigned k,
                     unsigned n, double interval_s)
{
    memset(row, 0, sizeof(*row));
    row->start_s = (double)k * interval_s;
    row->end_s = (double)(k + 1) * interval_s;
    /* The last interval took every later completion (the clamp): it ends at the latest. */
    double last = (double)v->t_last_ns * 1e-9;
    if (k + 1 == n && last > row->end_s)
        row->end_s = last;
    row->bytes = v->bytes;
    row->buffers = v->buffers;
    row->mib_s = ipb_mib_per_s(v->bytes, row->end_s - row->start_s);
    row->backlog_mean =
        v->backlog_samples ? (double)v->backlog_sum / (double)v->backlog_samples : NAN;
    row->backlog_max = v->backlog_max;
    row->dropped = v->dropped;
    row->arrival_p50_s = ipb_ts_percentile_s(v, 50.0);
    row->arrival_p99_s = ipb_ts_percentile_s(v, 99.0);
    row->arrival_p999_s = ipb_ts_percentile_s(v, 99.9);
    row->arrival_max_s = v->buffers ? (double)v->lat_max_ns * 1e-9 : NAN;
}

unsigned ipb_ts_rows(const struct ipb_ts_interval *v, unsigned n, double duration_s,
                     double interval_s)
{
    /* less a hair: 0.8 / 0.1 is 8.000000000000002 in binary, and the timed phase is 8 rows */
    double timed = ceil(duration_s / interval_s - 1e-9);
    unsigned rows = timed >= (double)n ? n : (unsigned)timed;
    for (unsigned k = n; k > rows; k--)
        if (v[k - 1].buffers != 0 || v[k - 1].dropped != 0)
            return k;
    return rows;
}
