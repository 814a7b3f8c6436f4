/* The results module: from every rank's per-pipeline counters (struct ipb_pipeline_stats) to the
 * run's results on rank 0, as the writers (.dat, HDF5) take them.
 *
 * It owns the whole way there: each rank's row and its pipelines' rows (record.h, generated
 * from result_fields.h), their gathers to rank 0, the reduction of the latency histograms, and
 * the record with its latency columns. One collective, ipb_results_collect(), does it all; the
 * pure steps it is made of are exposed here so that they are unit-tested without MPI, and so
 * that a test or a fuzz target can build results for the writers without running anything.
 *
 * The run context (run_context.h) says where and how the run ran; this says what it measured.
 * An imported run (--import, import.h) has a record only. */
#ifndef IPB_RESULTS_H
#define IPB_RESULTS_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "options.h"
#include "pipeline.h"
#include "record.h"
/* The writers print the record with it, and their tests build results with this header alone. */
#include "dat_format.h"

struct ipb_results {
    struct ipb_record record;
    const struct ipb_rank_row *ranks; /* by rank; NULL for an imported run */
    unsigned nranks;
    const struct ipb_pipeline_row *pipelines; /* by rank, then pipeline; NULL when not gathered */
    size_t npipelines;
    const struct ipb_hist *lat; /* IPB_LAT_NKINDS merged histograms, or NULL */
    /* --interval: one row per interval, merged over every pipeline of every rank; NULL when
     * the run kept no series (or the results were not gathered for HDF5). */
    const struct ipb_ts_row *ts_rows;
    size_t nts_rows;
    double ts_interval_s;

    /* What ipb_results_collect() allocated, for ipb_results_free(); NULL in results whose
     * pointers above the caller set to arrays of its own. */
    struct ipb_rank_row *own_ranks;
    struct ipb_pipeline_row *own_pipelines;
    struct ipb_hist *own_lat;
    struct ipb_ts_row *own_ts_rows;
};

/* ---- the collective -------------------------------------------------------------------------- */

/* Collective over comm: every rank gives its npipelines counters, host name and the stop signal
 * it caught (0: none); rank 0 gets res filled: the record (ipb_record_fill, latency columns
 * from the run's histograms), every rank's row, every pipeline's row (only with
 * with_pipelines: the .dat needs none, and they are one row per pipeline of the whole job) and
 * the merged histograms, and with with_pipelines the --interval series merged per interval
 * (when the stats carry one: every rank's has the same length, sized by the same options).
 * o and meta are read on rank 0 only. On the other ranks res is zeroed.
 *
 * Every rank allocates what it needs first and all agree on it before any gather, so every rank
 * takes the same collectives even when one (rank 0 with its nranks rows, say) cannot allocate,
 * and none is left waiting. Returns the same status on every rank: IPB_OK, or IPB_ERUN with the
 * message of the lowest failing rank in err (every rank) and res zeroed. Call ipb_results_free()
 * either way. */
int ipb_results_collect(struct ipb_results *res, MPI_Comm comm,
                        const struct ipb_pipeline_stats *stats, unsigned npipelines,
                        const char *host, int stop_signal, bool with_pipelines,
                        const struct ipb_options *o, const struct ipb_run_meta *meta, char *err,
                        size_t errlen);

/* Release what collect allocated and zero res. Safe on zeroed results and on results that point
 * at the caller's own arrays (those are left alone). */
void ipb_results_free(struct ipb_results *res);

/* ---- the pure steps of collect ----------------------------------------------------------- */

/* Each rank: sum its pipelines into its row (elapsed = max over pipelines, stages summed, the
 * slowest pipeline and the spread of pipeline throughput, latency min and max exactly).
 * stop_signal is left 0 (collect sets it). */
void ipb_rank_row_fill(struct ipb_rank_row *row, unsigned rank, const char *host,
                       const struct ipb_pipeline_stats *stats, unsigned npipelines);

/* Each rank: its pipelines' rows (rank, index, counters, throughput, latency p50/p99/max). */
void ipb_pipeline_rows_fill(struct ipb_pipeline_row *rows, unsigned rank,
                            const struct ipb_pipeline_stats *stats, unsigned npipelines);

/* Each rank: its share of the run's histograms, the bucket counts of every pipeline summed per
 * kind into sum[IPB_LAT_NKINDS * IPB_HIST_NBUCKETS] (kind-major), which is overwritten. Summing
 * these arrays over the ranks (one MPI_Reduce) gives the run's buckets. */
#define IPB_RESULTS_NBUCKETS (IPB_LAT_NKINDS * IPB_HIST_NBUCKETS)
void ipb_results_sum_buckets(uint64_t *sum, const struct ipb_pipeline_stats *stats,
                             unsigned npipelines);

/* Rank 0, after the gathers: the record from the rank rows and the run's bucket counts
 * (sum, as ipb_results_sum_buckets lays them out, summed over the ranks) unpacked into
 * lat[IPB_LAT_NKINDS] (count, min and max rebuilt, min and max exactly from the rank rows); res
 * then points at rows, pipes and lat, which stay the caller's. */
void ipb_results_build(struct ipb_results *res, const struct ipb_options *o,
                       const struct ipb_run_meta *meta, const struct ipb_rank_row *rows,
                       unsigned nranks, const struct ipb_pipeline_row *pipes, size_t npipes,
                       const uint64_t *sum, struct ipb_hist *lat);

/* Rank 0, after the reduction: rows[] (room for n) from the run's merged series of n intervals
 * (timeseries.h); returns how many rows (ipb_ts_rows: through the last non-empty interval,
 * and at least the timed phase's). */
size_t ipb_results_series_rows(struct ipb_ts_row *rows, const struct ipb_ts_interval *merged,
                               unsigned n, double duration_s, double interval_s);

/* ---- the record's arithmetic ------------------------------------------------------------- */

/* bytes / elapsed of one pipeline in MiB/s (0 before its first iteration). */
double ipb_pipeline_throughput(const struct ipb_pipeline_stats *s);

/* The run's record from every rank's row (docs/design.md timing rules 4 and 5): elapsed = max
 * over ranks, throughput = all bytes / elapsed, compute throughput = all bytes / summed compute
 * seconds, nodes = distinct hosts. Latency columns nan (ipb_record_set_latency fills them). */
void ipb_record_fill(struct ipb_record *rec, const struct ipb_options *opts,
                     const struct ipb_run_meta *meta, const struct ipb_rank_row *rows,
                     unsigned nranks);

/* The latency columns (p50, p90, p99, p99.9, max of every kind) from the run's histograms
 * lat[IPB_LAT_NKINDS], whose buckets are the sum over every pipeline of every rank. Their
 * count, min and max are rebuilt here, min and max exactly from the rank rows. lat NULL: every
 * latency column nan. */
void ipb_record_set_latency(struct ipb_record *rec, const struct ipb_rank_row *rows,
                            unsigned nranks, struct ipb_hist *lat);

/* One human line naming the stragglers (slowest rank and host, spread across ranks and
 * pipelines, deadline beside drain throughput), without the trailing newline. */
void ipb_record_straggler_line(const struct ipb_record *rec, char *out, size_t outlen);

#endif
