#include "record.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "interrupt.h"
#include "ipb_status.h"
#include "method.h"

void ipb_rank_row_fill(struct ipb_rank_row *row, unsigned rank, const char *host,
                       const struct ipb_pipeline_stats *stats, unsigned npipelines)
{
    memset(row, 0, sizeof(*row));
    row->rank = rank;
    snprintf(row->host, sizeof(row->host), "%s", host);
    row->pipelines = npipelines;
    struct ipb_moments tp = {0};
    struct ipb_hist lat[IPB_LAT_NKINDS];
    memset(lat, 0, sizeof(lat));
    for (unsigned i = 0; i < npipelines; i++) {
        const struct ipb_pipeline_stats *s = &stats[i];
        row->bytes += s->bytes;
        row->buffers += s->iterations;
        row->recv_s += s->recv_s;
        row->compute_s += s->compute_s;
        row->write_s += s->write_s;
        row->fsync_s += s->fsync_s;
        row->deadline_bytes += s->deadline_bytes;
        row->fsyncs += s->fsyncs;
        if (s->elapsed_s > row->elapsed_s)
            row->elapsed_s = s->elapsed_s;
        double gap = fabs(s->elapsed_s - (s->recv_s + s->compute_s + s->write_s + s->fsync_s));
        if (gap > row->stage_gap_max_s)
            row->stage_gap_max_s = gap;
        double t = ipb_pipeline_throughput(s);
        if (tp.n == 0.0 || t < tp.min)
            row->slowest_pipeline = i;
        ipb_moments_add(&tp, t);
        for (unsigned k = 0; k < IPB_LAT_NKINDS; k++) {
            /* min and max only: the buckets are merged by the caller's reduction */
            const struct ipb_hist *h = &s->lat[k];
            if (h->count == 0)
                continue;
            if (lat[k].count == 0 || h->min_ns < lat[k].min_ns)
                lat[k].min_ns = h->min_ns;
            if (h->max_ns > lat[k].max_ns)
                lat[k].max_ns = h->max_ns;
            lat[k].count += h->count;
        }
    }
    row->pipe_tp_min_mib_s = npipelines ? tp.min : 0.0;
    row->pipe_tp_max_mib_s = npipelines ? tp.max : 0.0;
    row->pipe_tp_mean_mib_s = npipelines ? tp.mean : 0.0;
    row->pipe_tp_m2 = tp.m2;
    double *mins[] = {&row->write_min_s, &row->fsync_min_s, &row->iteration_min_s};
    double *maxs[] = {&row->write_max_s, &row->fsync_max_s, &row->iteration_max_s};
    for (unsigned k = 0; k < IPB_LAT_NKINDS; k++) {
        *mins[k] = lat[k].count ? (double)lat[k].min_ns * 1e-9 : NAN;
        *maxs[k] = lat[k].count ? (double)lat[k].max_ns * 1e-9 : NAN;
    }
}

double ipb_pipeline_throughput(const struct ipb_pipeline_stats *s)
{
    return s->elapsed_s > 0.0 ? (double)s->bytes / IPB_MIB / s->elapsed_s : 0.0;
}

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
    return r->elapsed_s > 0.0 ? (double)r->bytes / IPB_MIB / r->elapsed_s : 0.0;
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

    double elapsed = 0.0, compute = 0.0;
    uint64_t bytes = 0, buffers = 0, pipelines = 0;
    double tmin = INFINITY, tmax = 0.0;
    struct ipb_moments ranks_tp = {0}, pipes_tp = {0};
    double pipe_min = INFINITY;
    for (unsigned i = 0; i < nranks; i++) {
        const struct ipb_rank_row *r = &rows[i];
        bytes += r->bytes;
        buffers += r->buffers;
        pipelines += r->pipelines;
        compute += r->compute_s;
        rec->recv_s += r->recv_s;
        rec->write_s += r->write_s;
        rec->fsync_s += r->fsync_s;
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
        signo ? NAN
        : opts->duration_s > 0.0 ? (double)rec->deadline_bytes / IPB_MIB / opts->duration_s
                                 : 0.0;
    snprintf(rec->series_id, sizeof(rec->series_id), "%s",
             meta->series_id && *meta->series_id ? meta->series_id : meta->run_id);
    rec->repetition = meta->repetition;
    rec->repetitions = opts->repetitions;
    rec->warmup_s = opts->warmup_s;
    snprintf(rec->recv_model, sizeof(rec->recv_model), "%s", ipb_recv_model_name(opts->recv_model));
    rec->recv_stddev_s =
        opts->recv_model == IPB_RECV_NORMAL ? ipb_options_recv_stddev(opts) : NAN;
    rec->progress_s = opts->progress_s;
    snprintf(rec->recv_phase, sizeof(rec->recv_phase), "%s", ipb_recv_phase_name(opts->recv_phase));
    rec->xferred_bytes = bytes;
    rec->buffers = buffers;
    rec->pipelines = pipelines;
    rec->xferred_mib = (double)bytes / IPB_MIB;
    rec->elapsed_s = elapsed;
    rec->elapsed_precise_s = elapsed;
    rec->throughput_mib_s = elapsed > 0.0 ? rec->xferred_mib / elapsed : 0.0;
    rec->compute_s = compute;
    /* With compute off there is no compute throughput to report: nan, not a made-up number. */
    rec->compute_throughput_mib_s =
        (opts->compute_sparsity > 0 && compute > 0.0) ? rec->xferred_mib / compute : NAN;
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

unsigned ipb_dat_ncolumns(void)
{
#define COUNT(type, len, name, hdr, fmt, doc) +1
    return 0 IPB_RESULT_FIELDS(COUNT);
#undef COUNT
}

/* Append to a fixed buffer; remembers overflow so callers check once at the end. */
struct sbuf {
    char *p;
    size_t len, cap;
    int overflow;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len)
        b->overflow = 1;
    else
        b->len += (size_t)n;
}

int ipb_dat_header(char *out, size_t outlen)
{
    struct sbuf b = {out, 0, outlen, 0};
    const char *sep = "#";
#define HEADER(type, len, name, hdr, fmt, doc)                                                     \
    sb_printf(&b, "%s<%s>", sep, hdr);                                                              \
    sep = "\t";
    IPB_RESULT_FIELDS(HEADER)
#undef HEADER
    return b.overflow ? -1 : (int)b.len;
}

int ipb_dat_row(const struct ipb_record *rec, char *out, size_t outlen)
{
    struct sbuf b = {out, 0, outlen, 0};
    const char *sep = "";
#define ROW(type, len, name, hdr, fmt, doc)                                                        \
    sb_printf(&b, "%s", sep);                                                                      \
    sb_printf(&b, fmt, rec->name);                                                                 \
    sep = "\t";
    IPB_RESULT_FIELDS(ROW)
#undef ROW
    return b.overflow ? -1 : (int)b.len;
}

/* ---- issue 5: moments, latency columns, summaries ------------------------------------------ */

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

static void latency_columns(const struct ipb_hist *h, double *p50, double *p90, double *p99,
                            double *p999, double *max)
{
    *p50 = ipb_hist_percentile_ns(h, 50.0) * 1e-9;
    *p90 = ipb_hist_percentile_ns(h, 90.0) * 1e-9;
    *p99 = ipb_hist_percentile_ns(h, 99.0) * 1e-9;
    *p999 = ipb_hist_percentile_ns(h, 99.9) * 1e-9;
    *max = h->count ? (double)h->max_ns * 1e-9 : NAN;
}

static uint64_t to_ns(double s)
{
    return (uint64_t)llround(s * 1e9);
}

void ipb_record_set_latency(struct ipb_record *rec, const struct ipb_rank_row *rows,
                            unsigned nranks, struct ipb_hist *lat)
{
    static const struct ipb_hist empty; /* all zero: an empty histogram */
    for (unsigned k = 0; k < IPB_LAT_NKINDS; k++) {
        struct ipb_hist *h = lat ? &lat[k] : NULL;
        if (h != NULL) {
            /* The reduction summed the buckets only; min and max are exact in the rank rows. */
            double lo = NAN, hi = NAN;
            for (unsigned i = 0; i < nranks; i++) {
                const double mn[] = {rows[i].write_min_s, rows[i].fsync_min_s,
                                     rows[i].iteration_min_s};
                const double mx[] = {rows[i].write_max_s, rows[i].fsync_max_s,
                                     rows[i].iteration_max_s};
                lo = min_nan(lo, mn[k]);
                hi = max_nan(hi, mx[k]);
            }
            ipb_hist_from_buckets(h, isnan(lo) ? UINT64_MAX : to_ns(lo), isnan(hi) ? 0 : to_ns(hi));
        }
        const struct ipb_hist *src = h ? h : &empty;
        switch ((enum ipb_lat_kind)k) {
        case IPB_LAT_WRITE:
            latency_columns(src, &rec->write_p50_s, &rec->write_p90_s, &rec->write_p99_s,
                            &rec->write_p999_s, &rec->write_max_s);
            break;
        case IPB_LAT_FSYNC:
            latency_columns(src, &rec->fsync_p50_s, &rec->fsync_p90_s, &rec->fsync_p99_s,
                            &rec->fsync_p999_s, &rec->fsync_max_s);
            break;
        case IPB_LAT_ITERATION:
        case IPB_LAT_NKINDS:
            latency_columns(src, &rec->iteration_p50_s, &rec->iteration_p90_s,
                            &rec->iteration_p99_s, &rec->iteration_p999_s, &rec->iteration_max_s);
            break;
        }
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

/* ---- --import ------------------------------------------------------------------------------- */

enum import_kind { IMPORT_STR, IMPORT_U64, IMPORT_F64 };

struct import_field {
    const char *name;
    enum import_kind kind;
    size_t offset, len;
};

#define IMPORT_FIELD(type, len, name, hdr, fmt, doc)                                               \
    {#name, IMPORT_##type, offsetof(struct ipb_record, name), sizeof(((struct ipb_record *)0)->name)},
static const struct import_field import_fields[] = {IPB_RESULT_FIELDS(IMPORT_FIELD)};
#undef IMPORT_FIELD
#define NIMPORT (sizeof(import_fields) / sizeof(import_fields[0]))

static int import_value(struct ipb_record *rec, const struct import_field *f, const char *v,
                        char *why, size_t whylen)
{
    char *p = (char *)rec + f->offset;
    char *end = NULL;
    switch (f->kind) {
    case IMPORT_STR:
        if (strlen(v) >= f->len) {
            snprintf(why, whylen, "longer than %zu characters", f->len - 1);
            return -1;
        }
        for (const char *c = v; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                snprintf(why, whylen, "contains a control character");
                return -1;
            }
        memcpy(p, v, strlen(v) + 1);
        return 0;
    case IMPORT_U64: {
        /* strtoull skips blanks and wraps a minus sign: " -1" would be 2^64 - 1. */
        if (!isdigit((unsigned char)*v)) {
            snprintf(why, whylen, "not a non-negative integer");
            return -1;
        }
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        if (errno != 0 || end == v || *end != '\0') {
            snprintf(why, whylen, "not a non-negative integer");
            return -1;
        }
        uint64_t u = x;
        memcpy(p, &u, sizeof(u));
        return 0;
    }
    case IMPORT_F64: {
        errno = 0;
        double d = strtod(v, &end);
        if (errno == ERANGE || end == v || *end != '\0') {
            snprintf(why, whylen, "not a number");
            return -1;
        }
        memcpy(p, &d, sizeof(d));
        return 0;
    }
    }
    return -1;
}

int ipb_record_import(struct ipb_record *rec, const char *text, const char *version,
                      const char *run_id, const char *timestamp, char *err, size_t errlen)
{
    memset(rec, 0, sizeof(*rec));
    for (size_t i = 0; i < NIMPORT; i++) {
        char *p = (char *)rec + import_fields[i].offset;
        if (import_fields[i].kind == IMPORT_STR)
            snprintf(p, import_fields[i].len, "-");
        else if (import_fields[i].kind == IMPORT_F64)
            *(double *)(void *)p = NAN;
    }
    snprintf(rec->version, sizeof(rec->version), "%s", version);
    snprintf(rec->run_id, sizeof(rec->run_id), "%s", run_id);
    snprintf(rec->timestamp, sizeof(rec->timestamp), "%s", timestamp);
    rec->repetitions = 1;
    snprintf(rec->interrupted, sizeof(rec->interrupted), "no");
    int have_series = 0;
    unsigned lineno = 0;
    for (const char *s = text; *s;) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        const char *next = e ? e + 1 : s + len;
        lineno++;
        char line[1024];
        if (len >= sizeof(line)) {
            snprintf(err, errlen, "line %u: longer than %zu characters", lineno, sizeof(line) - 1);
            return IPB_EBADINPUT;
        }
        memcpy(line, s, len);
        line[len] = '\0';
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        s = next;
        if (len == 0 || line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        if (tab == NULL) {
            snprintf(err, errlen, "line %u: expected 'field<TAB>value'", lineno);
            return IPB_EBADINPUT;
        }
        *tab = '\0';
        const struct import_field *f = NULL;
        for (size_t i = 0; i < NIMPORT && f == NULL; i++)
            if (strcmp(import_fields[i].name, line) == 0)
                f = &import_fields[i];
        /* The message quotes the line escaped: it stays one line whatever the file holds. */
        char shown[80];
        if (f == NULL) {
            snprintf(err, errlen, "line %u: unknown field '%.64s'", lineno,
                     ipb_options_shown(line, shown, sizeof(shown)));
            return IPB_EBADINPUT;
        }
        char why[128];
        if (import_value(rec, f, tab + 1, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "line %u: %s '%.64s': %s", lineno, f->name,
                     ipb_options_shown(tab + 1, shown, sizeof(shown)), why);
            return IPB_EBADINPUT;
        }
        have_series |= strcmp(f->name, "series_id") == 0;
    }
    /* Judged on the final value: a later "method<TAB>" or "method<TAB>-" line takes it back. */
    int have_method = rec->method[0] != '\0' && strcmp(rec->method, "-") != 0;
    if (!have_method) {
        snprintf(err, errlen, "no method given (a line 'method<TAB>fio-psync', say)");
        return IPB_EBADINPUT;
    }
    if (!have_series)
        snprintf(rec->series_id, sizeof(rec->series_id), "%s", rec->run_id);
    return IPB_OK;
}
