#include "histogram.h"

#include <math.h>
#include <string.h>

const char *ipb_lat_kind_name(enum ipb_lat_kind k)
{
#define IPB_LAT_NAME(X, ID, kind, text, meaning) text,
    static const char *const names[] = {IPB_LAT_KINDS(IPB_LAT_NAME, )};
#undef IPB_LAT_NAME
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

void ipb_hist_init(struct ipb_hist *h)
{
    memset(h, 0, sizeof(*h));
}

uint64_t ipb_hist_bucket_lower(unsigned i)
{
    if (i < IPB_HIST_SUB)
        return i;
    unsigned group = i / IPB_HIST_SUB; /* >= 1: values in [2^(S+group-1), 2^(S+group)) */
    unsigned sub = i % IPB_HIST_SUB;
    unsigned shift = group - 1;
    return ((uint64_t)IPB_HIST_SUB + sub) << shift;
}

uint64_t ipb_hist_bucket_upper(unsigned i)
{
    if (i + 1 >= IPB_HIST_NBUCKETS)
        return UINT64_MAX;
    return ipb_hist_bucket_lower(i + 1) - 1;
}

void ipb_hist_merge(struct ipb_hist *dst, const struct ipb_hist *src)
{
    if (src->count == 0)
        return;
    for (unsigned i = 0; i < IPB_HIST_NBUCKETS; i++)
        dst->bucket[i] += src->bucket[i];
    if (dst->count == 0 || src->min_ns < dst->min_ns)
        dst->min_ns = src->min_ns;
    dst->count += src->count;
    if (src->max_ns > dst->max_ns)
        dst->max_ns = src->max_ns;
}

void ipb_hist_from_buckets(struct ipb_hist *h, uint64_t exact_min_ns, uint64_t exact_max_ns)
{
    h->count = 0;
    h->min_ns = 0;
    h->max_ns = 0;
    for (unsigned i = 0; i < IPB_HIST_NBUCKETS; i++) {
        if (h->bucket[i] == 0)
            continue;
        if (h->count == 0)
            h->min_ns = ipb_hist_bucket_lower(i);
        h->count += h->bucket[i];
        h->max_ns =
            i + 1 == IPB_HIST_NBUCKETS ? ipb_hist_bucket_lower(i) : ipb_hist_bucket_upper(i);
    }
    if (h->count == 0)
        return;
    if (exact_min_ns != UINT64_MAX)
        h->min_ns = exact_min_ns;
    if (exact_max_ns != 0)
        h->max_ns = exact_max_ns;
}

double ipb_hist_percentile_ns(const struct ipb_hist *h, double p)
{
    if (h->count == 0 || !(p > 0.0) || p > 100.0)
        return NAN;
    if (p == 100.0)
        return (double)h->max_ns;
    /* Nearest rank, in integers where it matters: ceil(p/100 * count), at least 1. The product
     * is computed in long double so that p = 99.9 of 1000 samples is exactly rank 999. */
    long double want = ceill((long double)p / 100.0L * (long double)h->count - 1e-9L);
    uint64_t rank = want < 1.0L ? 1 : (uint64_t)want;
    uint64_t seen = 0;
    unsigned i = 0;
    for (; i < IPB_HIST_NBUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank)
            break;
    }
    if (i >= IPB_HIST_NBUCKETS || i + 1 == IPB_HIST_NBUCKETS)
        return (double)h->max_ns; /* the clamp bucket: the maximum is the only exact value */
    double lo = (double)ipb_hist_bucket_lower(i), hi = (double)ipb_hist_bucket_upper(i);
    double v = (lo + hi) / 2.0;
    if (v < (double)h->min_ns)
        v = (double)h->min_ns;
    if (v > (double)h->max_ns)
        v = (double)h->max_ns;
    return v;
}
