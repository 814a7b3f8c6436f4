#include "record.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "method.h"

void ipb_rank_row_fill(struct ipb_rank_row *row, unsigned rank, const char *host,
                       const struct ipb_pipeline_stats *stats, unsigned npipelines)
{
    memset(row, 0, sizeof(*row));
    row->rank = rank;
    snprintf(row->host, sizeof(row->host), "%s", host);
    row->pipelines = npipelines;
    for (unsigned i = 0; i < npipelines; i++) {
        const struct ipb_pipeline_stats *s = &stats[i];
        row->bytes += s->bytes;
        row->buffers += s->iterations;
        row->recv_s += s->recv_s;
        row->compute_s += s->compute_s;
        row->write_s += s->write_s;
        row->fsync_s += s->fsync_s;
        if (s->elapsed_s > row->elapsed_s)
            row->elapsed_s = s->elapsed_s;
    }
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
    for (unsigned i = 0; i < nranks; i++) {
        bytes += rows[i].bytes;
        buffers += rows[i].buffers;
        pipelines += rows[i].pipelines;
        compute += rows[i].compute_s;
        if (rows[i].elapsed_s > elapsed)
            elapsed = rows[i].elapsed_s;
        double t = rank_throughput(&rows[i]);
        if (t < tmin)
            tmin = t;
        if (t > tmax)
            tmax = t;
    }
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
