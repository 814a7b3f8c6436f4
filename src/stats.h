/* Generic statistics over doubles. Pure: values in, values out.
 *
 * Streaming mean and spread (Welford), merged pairwise (Chan et al.): how the pipeline
 * throughput statistics of many ranks combine exactly without gathering every pipeline, and
 * how a series of repetitions is summarised. */
#ifndef IPB_STATS_H
#define IPB_STATS_H

struct ipb_moments {
    double n, mean, m2, min, max;
};

/* All-zero is the empty set. */
void ipb_moments_add(struct ipb_moments *m, double x);
void ipb_moments_merge(struct ipb_moments *into, const struct ipb_moments *other);
/* sample: divide by n - 1, else by n. nan for an empty set, 0 for a set too small to spread. */
double ipb_moments_stddev(const struct ipb_moments *m, int sample);

/* Summary of one statistic over the repetitions of a series: mean, sample stddev (n - 1; 0 for
 * one repetition), min, max. nan (stddev too) for n = 0. */
void ipb_series_summary(const double *x, unsigned n, double *mean, double *stddev, double *min,
                        double *max);

#endif
