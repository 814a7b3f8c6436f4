#include "stats.h"

#include <math.h>

void ipb_moments_add(struct ipb_moments *m, double x)
{
    struct ipb_moments one = {1.0, x, 0.0, x, x};
    ipb_moments_merge(m, &one);
}

void ipb_moments_merge(struct ipb_moments *a, const struct ipb_moments *b)
{
    if (b->n <= 0.0)
        return;
    if (a->n <= 0.0) {
        *a = *b;
        return;
    }
    double n = a->n + b->n;
    double delta = b->mean - a->mean;
    a->mean += delta * b->n / n;
    a->m2 += b->m2 + delta * delta * a->n * b->n / n;
    a->n = n;
    if (b->min < a->min)
        a->min = b->min;
    if (b->max > a->max)
        a->max = b->max;
}

double ipb_moments_stddev(const struct ipb_moments *m, int sample)
{
    double d = sample ? m->n - 1.0 : m->n;
    if (d <= 0.0)
        return m->n > 0.0 ? 0.0 : NAN;
    double v = m->m2 / d;
    return v > 0.0 ? sqrt(v) : 0.0;
}

void ipb_series_summary(const double *x, unsigned n, double *mean, double *stddev, double *min,
                        double *max)
{
    struct ipb_moments m = {0};
    for (unsigned i = 0; i < n; i++)
        ipb_moments_add(&m, x[i]);
    *mean = n ? m.mean : NAN;
    *stddev = ipb_moments_stddev(&m, 1);
    *min = n ? m.min : NAN;
    *max = n ? m.max : NAN;
}
