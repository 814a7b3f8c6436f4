#include "results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agree.h"
#include "gather.h"
#include "interrupt.h"
#include "ipb_status.h"
#include "method.h"
#include "stats.h"

/* ---- rank rows and pipeline rows ----------------------------------------------------------- */

double ipb_pipeline_throughput(const struct ipb_pipeline_stats *s)
{
    return ipb_mib_per_s(s->bytes, s->elapsed_s);
}

void ipb_rank_row_fill(struct ipb_rank_row *row, unsigned rank, const char *host,
                       const struct ipb_pipeline_stats *stats, unsigned npipelines)
{
    memset(row, 0, sizeof(*row));
    row->rank = rank;
    snprintf(row->host, sizeof(row->host), "%s", host);
    row->pipelines = npipelines;
    struct ipb_moments tp = {0};
#define PLUS_STAGE(p, stage, text, meaning) +(p)->stage##_s
    /* count, min and max only: the buckets are merged by collect's reduction */
    uint64_t lat_count[IPB_LAT_NKINDS] = {0}, lat_min[IPB_LAT_NKINDS] = {0},
             lat_max[IPB_LAT_NKINDS] = {0};
    for (unsigned i = 0; i < npipelines; i++) {
        const struct ipb_pipeline_stats *s = &stats[i];
        row->bytes += s->bytes;
        row->buffers += s->iterations;
#define SUM_STAGE(X, stage, text, meaning) row->stage##_s += s->stage##_s;
        IPB_STAGES(SUM_STAGE, )
#undef SUM_STAGE
        row->deadline_bytes += s->deadline_bytes;
        row->fsyncs += s->fsyncs;
        row->backlog_samples += s->backlog_samples;
        row->backlog_sum += s->backlog_sum;
        if (s->backlog_max > row->backlog_max)
            row->backlog_max = s->backlog_max;
        row->dropped += s->dropped;
        row->left_waiting += s->left_waiting;
        if (s->elapsed_s > row->elapsed_s)
            row->elapsed_s = s->elapsed_s;
        /* What the stages do not account for: the pipeline's own bookkeeping, or a clock or
         * accounting bug (docs/design.md). */
        double gap = fabs(s->elapsed_s - (0.0 IPB_STAGES(PLUS_STAGE, s)));
        if (gap > row->stage_gap_max_s)
            row->stage_gap_max_s = gap;
        double t = ipb_pipeline_throughput(s);
        if (tp.n == 0.0 || t < tp.min)
            row->slowest_pipeline = i;
        ipb_moments_add(&tp, t);
        for (unsigned k = 0; k < IPB_LAT_NKINDS; k++) {
            const struct ipb_hist *h = &s->lat[k];
            if (h->count == 0)
                continue;
            if (lat_count[k] == 0 || h->min_ns < lat_min[k])
                lat_min[k] = h->min_ns;
            if (h->max_ns > lat_max[k])
                lat_max[k] = h->max_ns;
            lat_count[k] += h->count;
        }
    }
#undef PLUS_STAGE
    row->pipe_tp_min_mib_s = npipelines ? tp.min : 0.0;
    row->pipe_tp_max_mib_s = npipelines ? tp.max : 0.0;
    row->pipe_tp_mean_mib_s = npipelines ? tp.mean : 0.0;
    row->pipe_tp_m2 = tp.m2;
#define RANK_LAT(r, ID, kind, text, meaning)                                                       \
    [IPB_LAT_##ID] = {&(r)->kind##_min_s, &(r)->kind##_max_s},
    double *const minmax[IPB_LAT_NKINDS][2] = {IPB_LAT_KINDS(RANK_LAT, row)};
#undef RANK_LAT
    for (unsigned k = 0; k < IPB_LAT_NKINDS; k++) {
        *minmax[k][0] = lat_count[k] ? (double)lat_min[k] * 1e-9 : NAN;
        *minmax[k][1] = lat_count[k] ? (double)lat_max[k] * 1e-9 : NAN;
    }
}

void ipb_pipeline_rows_fill(struct ipb_pipeline_row *rows, unsigned rank,
                            const struct ipb_pipeline_stats *stats, unsigned npipelines)
{
    for (unsigned i = 0; i < npipelines; i++) {
        const struct ipb_pipeline_stats *s = &stats[i];
        struct ipb_pipeline_row *r = &rows[i];
        memset(r, 0, sizeof(*r));
        r->rank = rank;
        r->pipeline = i;
        r->bytes = s->bytes;
        r->iterations = s->iterations;
        r->elapsed_s = s->elapsed_s;
#define COPY_STAGE(X, stage, text, meaning) r->stage##_s = s->stage##_s;
        IPB_STAGES(COPY_STAGE, )
#undef COPY_STAGE
        r->deadline_bytes = s->deadline_bytes;
        r->fsyncs = s->fsyncs;
        r->backlog_samples = s->backlog_samples;
        r->backlog_sum = s->backlog_sum;
        r->backlog_max = s->backlog_max;
        r->dropped = s->dropped;
        r->left_waiting = s->left_waiting;
        r->throughput_mib_s = ipb_pipeline_throughput(s);
#define PIPE_LAT(row, ID, kind, text, meaning)                                                     \
    [IPB_LAT_##ID] = {&(row)->kind##_p50_s, &(row)->kind##_p99_s, &(row)->kind##_max_s},
        double *const cols[IPB_LAT_NKINDS][3] = {IPB_LAT_KINDS(PIPE_LAT, r)};
#undef PIPE_LAT
        for (unsigned k = 0; k < IPB_LAT_NKINDS; k++) {
            *cols[k][0] = ipb_hist_percentile_ns(&s->lat[k], 50.0) * 1e-9;
            *cols[k][1] = ipb_hist_percentile_ns(&s->lat[k], 99.0) * 1e-9;
            *cols[k][2] = ipb_hist_percentile_ns(&s->lat[k], 100.0) * 1e-9;
        }
    }
}

/* ---- the record ---------------------------------------------------------------------------- */

/* max that ignores nan (an empty histogram on some rank) */
static double max_nan(double a, double b)
{
    return isnan(a) || b > a ? b : a;
}

static double min_nan(double a, double b)
{
    return isnan(a) || b < a ? b : a;
}

static double rank_throughput(const struct ipb_rank_row *r)
{
    return ipb_mib_per_s(r->bytes, r->elapsed_s);
}

static unsigned count_distinct_hosts(const struct ipb_rank_row *rows, unsigned n)
{
    /* O(n^2) is fine: it runs once, on rank 0, after the timed phase (10^8 compares at
     * 10^4 ranks, well under a second). */
    unsigned distinct = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned j = 0;
        while (j < i && strcmp(rows[j].host, rows[i].host) != 0)
            j++;
        if (j == i)
            distinct++;
    }
    return distinct;
}

void ipb_record_fill(struct ipb_record *rec, const struct ipb_options *opts,
                     const struct ipb_run_meta *meta, const struct ipb_rank_row *rows,
                     unsigned nranks)
{
    memset(rec, 0, sizeof(*rec));
    snprintf(rec->version, sizeof(rec->version), "%s", meta->version);
    rec->ranks = nranks;
    snprintf(rec->method, sizeof(rec->method), "%s", opts->method->name);
    rec->concurrency = opts->concurrency;
    rec->duration_s = opts->duration_s;
    rec->buffer_kib = (double)opts->buffer_bytes / 1024.0;
    rec->recv_delay_s = opts->recv_delay_s;

    double elapsed = 0.0;
    uint64_t bytes = 0, buffers = 0, pipelines = 0;
    double tmin = INFINITY, tmax = 0.0;
    struct ipb_moments ranks_tp = {0}, pipes_tp = {0};
    double pipe_min = INFINITY;
    uint64_t backlog_samples = 0, backlog_sum = 0;
    for (unsigned i = 0; i < nranks; i++) {
        const struct ipb_rank_row *r = &rows[i];
        bytes += r->bytes;
        backlog_samples += r->backlog_samples;
        backlog_sum += r->backlog_sum;
        if (r->backlog_max > rec->backlog_max)
            rec->backlog_max = r->backlog_max;
        rec->dropped += r->dropped;
        rec->left_waiting += r->left_waiting;
        buffers += r->buffers;
        pipelines += r->pipelines;
#define SUM_STAGE(X, stage, text, meaning) rec->stage##_s += r->stage##_s;
        IPB_STAGES(SUM_STAGE, )
#undef SUM_STAGE
        rec->deadline_bytes += r->deadline_bytes;
        rec->fsyncs += r->fsyncs;
        if (r->stage_gap_max_s > rec->stage_gap_max_s)
            rec->stage_gap_max_s = r->stage_gap_max_s;
        if (r->elapsed_s > elapsed)
            elapsed = r->elapsed_s;
        double t = rank_throughput(r);
        if (t < tmin) {
            tmin = t;
            rec->slowest_rank = r->rank;
            snprintf(rec->slowest_host, sizeof(rec->slowest_host), "%s", r->host);
        }
        if (t > tmax)
            tmax = t;
        ipb_moments_add(&ranks_tp, t);
        if (r->pipelines > 0) {
            struct ipb_moments m = {(double)r->pipelines, r->pipe_tp_mean_mib_s, r->pipe_tp_m2,
                                    r->pipe_tp_min_mib_s, r->pipe_tp_max_mib_s};
            ipb_moments_merge(&pipes_tp, &m);
            if (r->pipe_tp_min_mib_s < pipe_min) {
                pipe_min = r->pipe_tp_min_mib_s;
                rec->slowest_pipeline_rank = r->rank;
                rec->slowest_pipeline = r->slowest_pipeline;
            }
        }
    }
    rec->rank_throughput_mean_mib_s = nranks ? ranks_tp.mean : 0.0;
    rec->rank_throughput_stddev_mib_s = nranks ? ipb_moments_stddev(&ranks_tp, 0) : 0.0;
    rec->pipeline_throughput_min_mib_s = pipes_tp.n > 0 ? pipes_tp.min : 0.0;
    rec->pipeline_throughput_max_mib_s = pipes_tp.n > 0 ? pipes_tp.max : 0.0;
    rec->pipeline_throughput_mean_mib_s = pipes_tp.n > 0 ? pipes_tp.mean : 0.0;
    rec->pipeline_throughput_stddev_mib_s = pipes_tp.n > 0 ? ipb_moments_stddev(&pipes_tp, 0) : 0.0;
    /* Interrupted: the signal any rank caught (the highest number, so every rank's row names
     * the same one). Such a run never reached its deadline, so a deadline figure over the whole
     * --duration would be a made-up number: nan. */
    uint64_t signo = 0;
    for (unsigned i = 0; i < nranks; i++)
        if (rows[i].stop_signal > signo)
            signo = rows[i].stop_signal;
    snprintf(rec->interrupted, sizeof(rec->interrupted), "%s",
             signo ? ipb_interrupt_name((int)signo) : "no");
    rec->deadline_throughput_mib_s =
        signo ? NAN : ipb_mib_per_s(rec->deadline_bytes, opts->duration_s);
    snprintf(rec->series_id, sizeof(rec->series_id), "%s",
             meta->series_id && *meta->series_id ? meta->series_id : meta->run_id);
    rec->repetition = meta->repetition;
    rec->repetitions = opts->repetitions;
    rec->warmup_s = opts->warmup_s;
    snprintf(rec->recv_model, sizeof(rec->recv_model), "%s", ipb_recv_model_name(opts->recv_model));
    rec->recv_stddev_s = opts->recv_model == IPB_RECV_NORMAL ? ipb_options_recv_stddev(opts) : NAN;
    rec->progress_s = opts->progress_s;
    snprintf(rec->recv_phase, sizeof(rec->recv_phase), "%s", ipb_recv_phase_name(opts->recv_phase));
    const bool open = opts->arrivals == IPB_ARRIVALS_OPEN;
    snprintf(rec->arrivals, sizeof(rec->arrivals), "%s", ipb_arrival_mode_name(opts->arrivals));
    rec->backlog_bound = open ? opts->backlog : 0;
    snprintf(rec->backlog_policy, sizeof(rec->backlog_policy), "%s",
             open ? ipb_backlog_policy_name(opts->backlog_policy) : "-");
    /* The mean of every pipeline's samples (one per completed iteration), not a mean of means:
     * a pipeline that completed more iterations weighs more. No iteration: nan. */
    rec->backlog_mean = backlog_samples ? (double)backlog_sum / (double)backlog_samples : NAN;
    rec->xferred_bytes = bytes;
    rec->buffers = buffers;
    rec->pipelines = pipelines;
    rec->xferred_mib = (double)bytes / IPB_MIB;
    rec->elapsed_s = elapsed;
    rec->elapsed_precise_s = elapsed;
    rec->throughput_mib_s = elapsed > 0.0 ? rec->xferred_mib / elapsed : 0.0;
    /* With compute off there is no compute throughput to report: nan, not a made-up number. */
    rec->compute_throughput_mib_s = (opts->compute_sparsity > 0 && rec->compute_s > 0.0)
                                        ? rec->xferred_mib / rec->compute_s
                                        : NAN;
    rec->nodes = count_distinct_hosts(rows, nranks);
    rec->rank_throughput_min_mib_s = nranks > 0 ? tmin : 0.0;
    rec->rank_throughput_max_mib_s = tmax;
    snprintf(rec->sync, sizeof(rec->sync), "%s", ipb_sync_name(opts->sync));
    rec->compute_sparsity = opts->compute_sparsity;
    snprintf(rec->aio_engine, sizeof(rec->aio_engine), "%s",
             (meta->aio_engine && *meta->aio_engine) ? meta->aio_engine : "-");
    rec->seed = opts->seed;
    snprintf(rec->run_id, sizeof(rec->run_id), "%s", meta->run_id);
    snprintf(rec->timestamp, sizeof(rec->timestamp), "%s", meta->timestamp);
    snprintf(rec->label, sizeof(rec->label), "%s", opts->label[0] ? opts->label : "-");
    if (rec->slowest_host[0] == '\0')
        snprintf(rec->slowest_host, sizeof(rec->slowest_host), "-");
    ipb_record_set_latency(rec, NULL, 0, NULL); /* nan until the caller has the histograms */
}

static uint64_t to_ns(double s)
{
    return (uint64_t)llround(s * 1e9);
}

void ipb_record_set_latency(struct ipb_record *rec, const struct ipb_rank_row *rows,
                            unsigned nranks, struct ipb_hist *lat)
{
    static const struct ipb_hist empty; /* all zero: an empty histogram */
#define REC_LAT(r, ID, kind, text, meaning)                                                        \
    [IPB_LAT_##ID] = {&(r)->kind##_p50_s, &(r)->kind##_p90_s, &(r)->kind##_p99_s,                  \
                      &(r)->kind##_p999_s, &(r)->kind##_max_s},
    double *const cols[IPB_LAT_NKINDS][5] = {IPB_LAT_KINDS(REC_LAT, rec)};
#undef REC_LAT
    for (unsigned k = 0; k < IPB_LAT_NKINDS; k++) {
        struct ipb_hist *h = lat ? &lat[k] : NULL;
        if (h != NULL) {
            /* The reduction summed the buckets only; min and max are exact in the rank rows. */
            double lo = NAN, hi = NAN;
            for (unsigned i = 0; i < nranks; i++) {
#define RANK_LAT(r, ID, kind, text, meaning)                                                       \
    [IPB_LAT_##ID] = {(r)->kind##_min_s, (r)->kind##_max_s},
                const double minmax[IPB_LAT_NKINDS][2] = {IPB_LAT_KINDS(RANK_LAT, &rows[i])};
#undef RANK_LAT
                lo = min_nan(lo, minmax[k][0]);
                hi = max_nan(hi, minmax[k][1]);
            }
            ipb_hist_from_buckets(h, isnan(lo) ? UINT64_MAX : to_ns(lo), isnan(hi) ? 0 : to_ns(hi));
        }
        const struct ipb_hist *src = h ? h : &empty;
        *cols[k][0] = ipb_hist_percentile_ns(src, 50.0) * 1e-9;
        *cols[k][1] = ipb_hist_percentile_ns(src, 90.0) * 1e-9;
        *cols[k][2] = ipb_hist_percentile_ns(src, 99.0) * 1e-9;
        *cols[k][3] = ipb_hist_percentile_ns(src, 99.9) * 1e-9;
        *cols[k][4] = src->count ? (double)src->max_ns * 1e-9 : NAN;
    }
}

void ipb_record_straggler_line(const struct ipb_record *rec, char *out, size_t outlen)
{
    snprintf(out, outlen,
             "[summary] slowest rank %" PRIu64 " on %s: %.3f MiB/s (ranks min/mean/max/stddev "
             "%.3f/%.3f/%.3f/%.3f MiB/s); slowest pipeline %" PRIu64 ".%" PRIu64
             " (pipelines min/mean/max/stddev %.3f/%.3f/%.3f/%.3f MiB/s); throughput drain %.3f, "
             "deadline %.3f MiB/s; fsync p99 %.6f s",
             rec->slowest_rank, rec->slowest_host, rec->rank_throughput_min_mib_s,
             rec->rank_throughput_min_mib_s, rec->rank_throughput_mean_mib_s,
             rec->rank_throughput_max_mib_s, rec->rank_throughput_stddev_mib_s,
             rec->slowest_pipeline_rank, rec->slowest_pipeline, rec->pipeline_throughput_min_mib_s,
             rec->pipeline_throughput_mean_mib_s, rec->pipeline_throughput_max_mib_s,
             rec->pipeline_throughput_stddev_mib_s, rec->throughput_mib_s,
             rec->deadline_throughput_mib_s, rec->fsync_p99_s);
}

/* ---- the pure steps of collect ------------------------------------------------------------- */

void ipb_results_sum_buckets(uint64_t *sum, const struct ipb_pipeline_stats *stats,
                             unsigned npipelines)
{
    memset(sum, 0, IPB_RESULTS_NBUCKETS * sizeof(*sum));
    for (unsigned i = 0; i < npipelines; i++)
        for (unsigned k = 0; k < IPB_LAT_NKINDS; k++) {
            const uint64_t *src = stats[i].lat[k].bucket;
            uint64_t *dst = &sum[k * IPB_HIST_NBUCKETS];
            for (unsigned j = 0; j < IPB_HIST_NBUCKETS; j++)
                dst[j] += src[j];
        }
}

void ipb_results_build(struct ipb_results *res, const struct ipb_options *o,
                       const struct ipb_run_meta *meta, const struct ipb_rank_row *rows,
                       unsigned nranks, const struct ipb_pipeline_row *pipes, size_t npipes,
                       const uint64_t *sum, struct ipb_hist *lat)
{
    for (unsigned k = 0; k < IPB_LAT_NKINDS; k++) {
        memset(&lat[k], 0, sizeof(lat[k]));
        memcpy(lat[k].bucket, &sum[k * IPB_HIST_NBUCKETS], sizeof(lat[k].bucket));
    }
    ipb_record_fill(&res->record, o, meta, rows, nranks);
    ipb_record_set_latency(&res->record, rows, nranks, lat);
    res->ranks = rows;
    res->nranks = nranks;
    res->pipelines = pipes;
    res->npipelines = npipes;
    res->lat = lat;
}

size_t ipb_results_series_rows(struct ipb_ts_row *rows, const struct ipb_ts_interval *merged,
                               unsigned n, double duration_s, double interval_s)
{
    unsigned nrows = ipb_ts_rows(merged, n, duration_s, interval_s);
    for (unsigned k = 0; k < nrows; k++)
        ipb_ts_row_fill(&rows[k], &merged[k], k, n, interval_s);
    return nrows;
}

/* ---- the collective ------------------------------------------------------------------------ */

void ipb_results_free(struct ipb_results *res)
{
    free(res->own_ranks);
    free(res->own_pipelines);
    free(res->own_lat);
    free(res->own_ts_rows);
    memset(res, 0, sizeof(*res));
}

/* MPI_Reduce's operation on whole intervals (a contiguous type of IPB_TS_WORDS uint64s). */
static void ts_reduce_op(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    ipb_ts_merge(inout, in, (size_t)*len);
}

/* Every rank: its pipelines' intervals merged into mine[n]; then one MPI_Reduce merges the
 * ranks' into all[n] on rank 0. Sums and maxima in one pass, so one collective. */
static void reduce_series(MPI_Comm comm, const struct ipb_pipeline_stats *stats,
                          unsigned npipelines, unsigned n, struct ipb_ts_interval *mine,
                          struct ipb_ts_interval *all)
{
    memset(mine, 0, (size_t)n * sizeof(*mine));
    for (unsigned i = 0; i < npipelines; i++)
        ipb_ts_merge(mine, stats[i].ts.iv, n);
    MPI_Datatype type;
    MPI_Op op;
    MPI_Type_contiguous((int)IPB_TS_WORDS, MPI_UINT64_T, &type);
    MPI_Type_commit(&type);
    MPI_Op_create(ts_reduce_op, 1, &op);
    MPI_Reduce(mine, all, (int)n, type, op, 0, comm);
    MPI_Op_free(&op);
    MPI_Type_free(&type);
}

int ipb_results_collect(struct ipb_results *res, MPI_Comm comm,
                        const struct ipb_pipeline_stats *stats, unsigned npipelines,
                        const char *host, int stop_signal, bool with_pipelines,
                        const struct ipb_options *o, const struct ipb_run_meta *meta, char *err,
                        size_t errlen)
{
    memset(res, 0, sizeof(*res));
    int rank = 0, nranks = 0;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);

    struct ipb_rank_row mine;
    ipb_rank_row_fill(&mine, (unsigned)rank, host, stats, npipelines);
    mine.stop_signal = (uint64_t)stop_signal;

    /* Everything any rank needs, allocated before the first gather and agreed on: a rank that
     * cannot take part must not leave the others waiting in a collective it skips. Rank 0's
     * part grows with the job (a row per rank); the rest is a few rows and 27 KiB of buckets. */
    uint64_t *sum_mine = malloc(IPB_RESULTS_NBUCKETS * sizeof(*sum_mine));
    uint64_t *sum_all = NULL;
    struct ipb_pipeline_row *pipes_mine = NULL;
    if (with_pipelines)
        pipes_mine = calloc(npipelines ? npipelines : 1, sizeof(*pipes_mine));
    /* The series (HDF5 only): the same length on every rank, from the same options. */
    const unsigned nts =
        with_pipelines && npipelines && stats[0].ts.iv ? stats[0].ts.nintervals : 0;
    struct ipb_ts_interval *ts_mine = NULL, *ts_all = NULL;
    if (nts)
        ts_mine = malloc((size_t)nts * sizeof(*ts_mine));
    if (rank == 0) {
        sum_all = malloc(IPB_RESULTS_NBUCKETS * sizeof(*sum_all));
        res->own_ranks = calloc((size_t)nranks, sizeof(*res->own_ranks));
        res->own_lat = calloc(IPB_LAT_NKINDS, sizeof(*res->own_lat));
        if (nts) {
            ts_all = malloc((size_t)nts * sizeof(*ts_all));
            res->own_ts_rows = calloc(nts, sizeof(*res->own_ts_rows));
        }
    }
    bool have = sum_mine != NULL && (!with_pipelines || pipes_mine != NULL);
    have = have && (nts == 0 || ts_mine != NULL);
    if (rank == 0)
        have = have && sum_all != NULL && res->own_ranks != NULL && res->own_lat != NULL &&
               (nts == 0 || (ts_all != NULL && res->own_ts_rows != NULL));
    char why[128];
    snprintf(why, sizeof(why), "rank %d: out of memory collecting the results", rank);
    int rc = ipb_agree(comm, have ? IPB_OK : IPB_ERUN, why, err, errlen);
    if (rc != IPB_OK)
        goto out;

    /* Every rank's row is the same fixed-size struct from the same binary: bytes are fine. */
    MPI_Gather(&mine, (int)sizeof(mine), MPI_BYTE, res->own_ranks, (int)sizeof(mine), MPI_BYTE, 0,
               comm);
    ipb_results_sum_buckets(sum_mine, stats, npipelines);
    MPI_Reduce(sum_mine, sum_all, IPB_RESULTS_NBUCKETS, MPI_UINT64_T, MPI_SUM, 0, comm);

    if (nts)
        reduce_series(comm, stats, npipelines, nts, ts_mine, ts_all);

    size_t npipes = 0;
    if (with_pipelines) {
        ipb_pipeline_rows_fill(pipes_mine, (unsigned)rank, stats, npipelines);
        void *all = NULL;
        int *counts = NULL, *displs = NULL;
        /* The same verdict on every rank: rank 0 broadcasts whether it could allocate. */
        if (ipb_gather_bytes(comm, pipes_mine, (int)(npipelines * sizeof(*pipes_mine)), &all,
                             &counts, &displs) != 0) {
            rc = IPB_ERUN;
            snprintf(err, errlen,
                     "rank 0: out of memory gathering the pipeline rows (or 2 GiB of them)");
            goto out;
        }
        if (rank == 0) {
            size_t total = 0;
            for (int i = 0; i < nranks; i++)
                total += (size_t)counts[i];
            npipes = total / sizeof(struct ipb_pipeline_row);
            res->own_pipelines = all;
        }
        free(counts);
        free(displs);
    }
    if (rank == 0) {
        ipb_results_build(res, o, meta, res->own_ranks, (unsigned)nranks, res->own_pipelines,
                          npipes, sum_all, res->own_lat);
        if (nts) {
            res->ts_interval_s = stats[0].ts.interval_s;
            res->nts_rows = ipb_results_series_rows(res->own_ts_rows, ts_all, nts, o->duration_s,
                                                    res->ts_interval_s);
            res->ts_rows = res->own_ts_rows;
        }
    }
out:
    free(sum_mine);
    free(sum_all);
    free(pipes_mine);
    free(ts_mine);
    free(ts_all);
    if (rc != IPB_OK || rank != 0)
        ipb_results_free(res);
    return rc;
}
