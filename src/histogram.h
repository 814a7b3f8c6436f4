/* Latency histograms: log-linear buckets (HdrHistogram's layout, fio's stat.h idea), pure.
 *
 * Values are durations in integer nanoseconds. Below 2^S ns (S = IPB_HIST_SUB_BITS) every
 * value has its own bucket. Above, each power-of-two range [2^e, 2^(e+1)) is cut into 2^S
 * equal buckets of width 2^(e-S). A bucket's width is therefore at most 2^-S of its lower
 * bound, and a value reported as its bucket's midpoint is off by less than
 *
 *     2^-(S+1) = 1/64 = 1.5625 % of the true value     (S = 5)
 *
 * which is the bounded relative error of every percentile this program reports (plus the
 * 1 ns rounding of the clock difference to integer nanoseconds). Values from 2^IPB_HIST_MAX_BITS
 * ns (about 18 minutes) up go to the last bucket; max_ns stays exact, and a percentile that
 * falls in that bucket is reported as the maximum.
 *
 * Why this shape: recording is O(1) and branch-light (one clz, two shifts, one increment), so it
 * sits in the hot loop of every pipeline without a lock; histograms of pipelines and ranks merge
 * by adding bucket arrays, so the whole run needs one MPI_Reduce(MPI_SUM) of uint64 counts; and
 * 1152 buckets of 8 bytes (9 KiB) cover 1 ns to 18 minutes at 3 % resolution. */
#ifndef IPB_HISTOGRAM_H
#define IPB_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "result_fields.h"

#define IPB_HIST_SUB_BITS 5  /* 2^5 = 32 linear sub-buckets per power of two */
#define IPB_HIST_MAX_BITS 40 /* values >= 2^40 ns (1099.5 s) share the last bucket */
#define IPB_HIST_SUB      (1u << IPB_HIST_SUB_BITS)
#define IPB_HIST_NBUCKETS ((IPB_HIST_MAX_BITS - IPB_HIST_SUB_BITS + 1) * IPB_HIST_SUB)

/* Upper bound of |reported - true| / true for a percentile (see above). */
#define IPB_HIST_REL_ERROR (1.0 / (double)(2u << IPB_HIST_SUB_BITS))

/* All-zero bytes are an empty histogram (so a zeroed stats struct, or a fresh MAP_ANONYMOUS
 * page shared with forked children, needs no initialisation). */
struct ipb_hist {
    uint64_t count;
    uint64_t min_ns; /* exact; meaningful when count > 0 */
    uint64_t max_ns; /* exact; 0 when empty */
    uint64_t bucket[IPB_HIST_NBUCKETS];
};

/* The latency histograms of one pipeline (and, merged, of a rank or a run), one per kind of
 * IPB_LAT_KINDS (result_fields.h, where each kind's meaning is; the list also generates the
 * kind's result columns). */
#define IPB_LAT_ENUM(X, ID, kind, text, meaning) IPB_LAT_##ID,
enum ipb_lat_kind { IPB_LAT_KINDS(IPB_LAT_ENUM, ) IPB_LAT_NKINDS };
#undef IPB_LAT_ENUM

/* The kind's text in result_fields.h ("write", "fsync", "iteration"); "?" out of range. */
const char *ipb_lat_kind_name(enum ipb_lat_kind k);

void ipb_hist_init(struct ipb_hist *h);

/* Bucket of a value (any uint64_t: the clamp is part of the mapping). */
static inline unsigned ipb_hist_index(uint64_t ns)
{
    if (ns < IPB_HIST_SUB)
        return (unsigned)ns;
    unsigned e = 63u - (unsigned)__builtin_clzll(ns); /* 2^e <= ns < 2^(e+1), e >= S */
    if (e >= IPB_HIST_MAX_BITS)
        return IPB_HIST_NBUCKETS - 1;
    unsigned sub = (unsigned)(ns >> (e - IPB_HIST_SUB_BITS)) - IPB_HIST_SUB;
    return (e - IPB_HIST_SUB_BITS + 1) * IPB_HIST_SUB + sub;
}

/* Record one value in nanoseconds. O(1); the histogram must be private to the caller's
 * thread (each pipeline has its own). */
static inline void ipb_hist_record_ns(struct ipb_hist *h, uint64_t ns)
{
    h->bucket[ipb_hist_index(ns)]++;
    if (h->count++ == 0 || ns < h->min_ns)
        h->min_ns = ns;
    if (ns > h->max_ns)
        h->max_ns = ns;
}

/* Record a duration given in seconds (a difference of two ipb_now() readings), rounded to the
 * nearest nanosecond; negative durations (cannot happen with a monotonic clock) count as 0. */
static inline void ipb_hist_record(struct ipb_hist *h, double seconds)
{
    double ns = seconds * 1e9 + 0.5;
    ipb_hist_record_ns(h, ns <= 0.0 ? 0 : ns >= 1.8e19 ? UINT64_MAX : (uint64_t)ns);
}

/* Smallest and largest value that bucket i holds (inclusive). The last bucket's upper bound is
 * UINT64_MAX (it takes every clamped value). */
uint64_t ipb_hist_bucket_lower(unsigned i);
uint64_t ipb_hist_bucket_upper(unsigned i);

/* dst += src (counts, min, max). An empty src changes nothing. */
void ipb_hist_merge(struct ipb_hist *dst, const struct ipb_hist *src);

/* Rebuild count/min/max after the buckets were filled from elsewhere (e.g. an MPI reduction of
 * the bucket arrays): min and max become the bounds of the lowest and highest non-empty
 * buckets unless exact values are known (pass UINT64_MAX for an unknown min, 0 for an unknown
 * max). */
void ipb_hist_from_buckets(struct ipb_hist *h, uint64_t exact_min_ns, uint64_t exact_max_ns);

/* The p-th percentile (0 < p <= 100) in nanoseconds, by nearest rank: the value below or at
 * which at least ceil(p/100 * count) of the samples lie, reported as the midpoint of its bucket
 * (exact for values below 2^S ns), clamped to [min_ns, max_ns]; p = 100 gives max_ns exactly.
 * NaN for an empty histogram. Relative error below IPB_HIST_REL_ERROR. */
double ipb_hist_percentile_ns(const struct ipb_hist *h, double p);

#endif
