/* The result record and its arithmetic. Pure: values in, values out.
 *
 * struct ipb_record and struct ipb_rank_row are generated from result_fields.h, so the struct,
 * the .dat columns and the HDF5 types cannot drift apart. */
#ifndef IPB_RECORD_H
#define IPB_RECORD_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "options.h"
#include "pipeline.h"
#include "result_fields.h"

#define IPB_MEMBER_STR(len, name) char name[len]
#define IPB_MEMBER_U64(len, name) uint64_t name
#define IPB_MEMBER_F64(len, name) double name
#define IPB_MEMBER(type, len, name, hdr, fmt, doc) IPB_MEMBER_##type(len, name);

struct ipb_record {
    IPB_RESULT_FIELDS(IPB_MEMBER)
};

struct ipb_rank_row {
    IPB_RANK_FIELDS(IPB_MEMBER)
};

struct ipb_pipeline_row {
    IPB_PIPELINE_FIELDS(IPB_MEMBER)
};

#define IPB_MIB 1048576.0

/* Identity of a run that is not a measurement. */
struct ipb_run_meta {
    const char *version;
    const char *run_id;
    const char *timestamp;
    const char *aio_engine; /* NULL or "" when the method has no engine */
    const char *series_id;  /* run id of the series' first repetition; NULL: run_id */
    unsigned repetition;    /* 0-based index in the series */
};

/* Sum one rank's pipelines into its row (elapsed = max over pipelines). */
void ipb_rank_row_fill(struct ipb_rank_row *row, unsigned rank, const char *host,
                       const struct ipb_pipeline_stats *stats, unsigned npipelines);

/* bytes / elapsed of one pipeline in MiB/s (0 before its first iteration). */
double ipb_pipeline_throughput(const struct ipb_pipeline_stats *s);

/* The run's record from every rank's row (DESIGN.md timing rules 4 and 5): elapsed = max over
 * ranks, throughput = all bytes / elapsed, compute throughput = all bytes / summed compute
 * seconds, nodes = distinct hosts. Pure. */
void ipb_record_fill(struct ipb_record *rec, const struct ipb_options *opts,
                     const struct ipb_run_meta *meta, const struct ipb_rank_row *rows,
                     unsigned nranks);

/* The latency columns (p50, p90, p99, p99.9, max of write, fsync, iteration) from the run's
 * histograms lat[IPB_LAT_NKINDS], whose buckets are the sum over every pipeline of every rank
 * (one MPI_Reduce). Their count, min and max are rebuilt here, min and max exactly from the rank
 * rows. lat NULL: every latency column nan. */
void ipb_record_set_latency(struct ipb_record *rec, const struct ipb_rank_row *rows,
                            unsigned nranks, struct ipb_hist *lat);

/* Streaming mean and spread (Welford), merged pairwise (Chan et al.): how pipeline throughput
 * statistics of many ranks combine exactly without gathering every pipeline. */
struct ipb_moments {
    double n, mean, m2, min, max;
};
void ipb_moments_add(struct ipb_moments *m, double x);
void ipb_moments_merge(struct ipb_moments *into, const struct ipb_moments *other);
double ipb_moments_stddev(const struct ipb_moments *m, int sample); /* sample: n-1, else n */

/* Summary of one statistic over the repetitions of a series: mean, sample stddev (n - 1; 0 for
 * one repetition), min, max. */
void ipb_series_summary(const double *x, unsigned n, double *mean, double *stddev, double *min,
                        double *max);

/* One human line naming the stragglers (slowest rank and host, spread across ranks and
 * pipelines, deadline beside drain throughput), without the trailing newline. */
void ipb_record_straggler_line(const struct ipb_record *rec, char *out, size_t outlen);

/* --import: a run measured by another tool (fio) as "field<TAB>value" lines, one per record
 * field named as in result_fields.h (the HDF5 member names); '#' lines and empty lines are
 * skipped. Fields not given are "-" (text), 0 (counts) or nan (measurements); version, run_id,
 * timestamp and series_id default to the arguments. method is required. Returns IPB_OK, or
 * IPB_EBADINPUT with one line in err ("line 3: unknown field 'foo'"). Pure. */
int ipb_record_import(struct ipb_record *rec, const char *text, const char *version,
                      const char *run_id, const char *timestamp, char *err, size_t errlen);

/* The .dat header line ("#<version>\t<ranks>\t...") and one row, each without the trailing
 * newline. Return the length written, or -1 if outlen is too small. */
int ipb_dat_header(char *out, size_t outlen);
int ipb_dat_row(const struct ipb_record *rec, char *out, size_t outlen);

/* Number of .dat columns. */
unsigned ipb_dat_ncolumns(void);

#endif
