#include "options.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "ipb_status.h"
#include "method.h"
#include "text_escape.h"
#include "timeseries.h"
#include "units.h"

void ipb_options_defaults(struct ipb_options *o)
{
    memset(o, 0, sizeof(*o));
    o->method = ipb_method_default();
    o->duration_s = 10.0;
    o->buffer_bytes = 256 * 1024;
    o->concurrency = 1;
    o->recv_delay_s = 0.1;
    strcpy(o->output_base, "io-pipeline-bench.out");
    o->compute_sparsity = 8;
    o->sync = IPB_SYNC_EVERY;
    o->aio_engine = IPB_AIO_AUTO;
    o->seed = 1;
    o->recv_model = IPB_RECV_CONSTANT;
    o->recv_phase = IPB_RECV_PHASE_RANDOM;
    o->recv_stddev_s = -1.0;
    o->repetitions = 1;
    o->arrivals = IPB_ARRIVALS_CLOSED;
    o->backlog = 16;
    o->backlog_policy = IPB_BACKLOG_BLOCK;
}

double ipb_options_recv_stddev(const struct ipb_options *o)
{
    return o->recv_stddev_s >= 0.0 ? o->recv_stddev_s : o->recv_delay_s / 4.0;
}

const char *ipb_sync_name(enum ipb_sync s)
{
    switch (s) {
    case IPB_SYNC_EVERY:
        return "every";
    case IPB_SYNC_END:
        return "end";
    case IPB_SYNC_NONE:
        return "none";
    }
    return "?";
}

const char *ipb_aio_engine_name(enum ipb_aio_engine e)
{
    switch (e) {
    case IPB_AIO_AUTO:
        return "auto";
    case IPB_AIO_IO_URING:
        return "io_uring";
    case IPB_AIO_POSIX:
        return "posix";
    }
    return "?";
}

/* Parser state handed to every option handler. */
struct parse {
    struct ipb_options *o;
    char *err;
    size_t errlen;
    const char *opt; /* the option as the user spelled it, for messages */
    int aio_engine_given;
    int concurrency_given;
    int recv_stddev_given;
    int backlog_given;
    int backlog_policy_given;
};

static int fail(struct parse *ps, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Every bad-input message has one shape: "<option> '<value>': <reason>". */
static int fail(struct parse *ps, const char *value, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    char v[IPB_PATH_MAX];
    if (value != NULL) {
        /* The reason must fit in the line: a value too long for it is cut, and ends in "...". */
        size_t room = ps->errlen - strlen(ps->opt) - strlen(why) - 8;
        ipb_text_escape(value, v, sizeof(v));
        if (ps->errlen > strlen(ps->opt) + strlen(why) + 16 && strlen(v) > room)
            strcpy(v + room - 3, "...");
        snprintf(ps->err, ps->errlen, "%s '%s': %s", ps->opt, v, why);
    } else {
        snprintf(ps->err, ps->errlen, "%s: %s", ps->opt, why);
    }
    return IPB_EBADINPUT;
}

static int copy_text(struct parse *ps, const char *v, char *dst, size_t dstlen, int allow_empty)
{
    if (!allow_empty && *v == '\0')
        return fail(ps, v, "empty value");
    if (strlen(v) >= dstlen)
        return fail(ps, v, "longer than %zu characters", dstlen - 1);
    /* Values end up in a tab-separated .dat row and in one-line messages: control characters
     * would break both. */
    for (const char *c = v; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return fail(ps, v, "contains a tab, newline or other control character");
    strcpy(dst, v);
    return IPB_OK;
}

static int opt_method(struct parse *ps, const char *v)
{
    const struct ipb_method *m = ipb_method_find(v);
    if (m == NULL) {
        char names[256];
        ipb_method_names(names, sizeof(names));
        return fail(ps, v, "unknown method (one of: %s)", names);
    }
    ps->o->method = m;
    return IPB_OK;
}

static int opt_duration(struct parse *ps, const char *v)
{
    const char *why;
    if (ipb_parse_double(v, 0.0, IPB_MAX_DURATION_S, &ps->o->duration_s, &why) != 0)
        return fail(ps, v, "%s (seconds, > 0 and <= %g)", why, IPB_MAX_DURATION_S);
    if (ps->o->duration_s <= 0.0)
        return fail(ps, v, "must be greater than 0 seconds");
    return IPB_OK;
}

static int opt_buffer_size(struct parse *ps, const char *v)
{
    const char *why;
    if (ipb_parse_size(v, IPB_MAX_BUFFER_BYTES, &ps->o->buffer_bytes, &why) != 0)
        return fail(ps, v, "%s%s", why, strcmp(why, "too large") == 0 ? " (at most 16 GiB)" : "");
    return IPB_OK;
}

static int opt_concurrency(struct parse *ps, const char *v)
{
    const char *why;
    uint64_t n;
    if (ipb_parse_u64(v, 1, IPB_MAX_CONCURRENCY, &n, &why) != 0)
        return fail(ps, v, "%s (pipelines per rank, 1 to %d)", why, IPB_MAX_CONCURRENCY);
    ps->o->concurrency = (unsigned)n;
    ps->concurrency_given = 1;
    return IPB_OK;
}

static int opt_recv_delay(struct parse *ps, const char *v)
{
    const char *why;
    if (ipb_parse_double(v, 0.0, IPB_MAX_RECV_DELAY_S, &ps->o->recv_delay_s, &why) != 0)
        return fail(ps, v, "%s (seconds, 0 to %g)", why, IPB_MAX_RECV_DELAY_S);
    return IPB_OK;
}

static int opt_output_file(struct parse *ps, const char *v)
{
    /* Leave room for ".<rank>.<pipeline>". */
    return copy_text(ps, v, ps->o->output_base, sizeof(ps->o->output_base) - 32, 0);
}

static int opt_compute_sparsity(struct parse *ps, const char *v)
{
    const char *why;
    if (ipb_parse_u64(v, 0, IPB_MAX_SPARSITY, &ps->o->compute_sparsity, &why) != 0)
        return fail(ps, v, "%s (every K-th byte, 0 = no compute)", why);
    return IPB_OK;
}

static int opt_sync(struct parse *ps, const char *v)
{
    static const enum ipb_sync all[] = {IPB_SYNC_EVERY, IPB_SYNC_END, IPB_SYNC_NONE};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(v, ipb_sync_name(all[i])) == 0) {
            ps->o->sync = all[i];
            return IPB_OK;
        }
    return fail(ps, v, "unknown sync policy (one of: every, end, none)");
}

static int opt_aio_engine(struct parse *ps, const char *v)
{
    static const enum ipb_aio_engine all[] = {IPB_AIO_AUTO, IPB_AIO_IO_URING, IPB_AIO_POSIX};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(v, ipb_aio_engine_name(all[i])) == 0) {
            ps->o->aio_engine = all[i];
            ps->aio_engine_given = 1;
            return IPB_OK;
        }
    return fail(ps, v, "unknown engine (one of: auto, io_uring, posix)");
}

static int opt_dat(struct parse *ps, const char *v)
{
    return copy_text(ps, v, ps->o->dat_path, sizeof(ps->o->dat_path), 0);
}

static int opt_hdf5(struct parse *ps, const char *v)
{
    return copy_text(ps, v, ps->o->hdf5_path, sizeof(ps->o->hdf5_path), 0);
}

static int opt_label(struct parse *ps, const char *v)
{
    return copy_text(ps, v, ps->o->label, sizeof(ps->o->label), 1);
}

static int opt_seed(struct parse *ps, const char *v)
{
    const char *why;
    if (ipb_parse_u64(v, 0, UINT64_MAX, &ps->o->seed, &why) != 0)
        return fail(ps, v, "%s", why);
    return IPB_OK;
}

const char *ipb_recv_phase_name(enum ipb_recv_phase p)
{
    return p == IPB_RECV_PHASE_ALIGNED ? "aligned" : "random";
}

static int opt_recv_phase(struct parse *ps, const char *v)
{
    static const enum ipb_recv_phase all[] = {IPB_RECV_PHASE_RANDOM, IPB_RECV_PHASE_ALIGNED};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(v, ipb_recv_phase_name(all[i])) == 0) {
            ps->o->recv_phase = all[i];
            return IPB_OK;
        }
    return fail(ps, v, "unknown receive phase (one of: random, aligned)");
}

const char *ipb_arrival_mode_name(enum ipb_arrival_mode m)
{
    return m == IPB_ARRIVALS_OPEN ? "open" : "closed";
}

const char *ipb_backlog_policy_name(enum ipb_backlog_policy p)
{
    return p == IPB_BACKLOG_DROP ? "drop" : "block";
}

static int opt_arrivals(struct parse *ps, const char *v)
{
    static const enum ipb_arrival_mode all[] = {IPB_ARRIVALS_CLOSED, IPB_ARRIVALS_OPEN};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(v, ipb_arrival_mode_name(all[i])) == 0) {
            ps->o->arrivals = all[i];
            return IPB_OK;
        }
    return fail(ps, v, "unknown arrival mode (one of: closed, open)");
}

static int opt_backlog(struct parse *ps, const char *v)
{
    const char *why;
    uint64_t n;
    if (ipb_parse_u64(v, 1, IPB_MAX_BACKLOG, &n, &why) != 0)
        return fail(ps, v, "%s (buffers waiting per pipeline, 1 to %d)", why, IPB_MAX_BACKLOG);
    ps->o->backlog = (unsigned)n;
    ps->backlog_given = 1;
    return IPB_OK;
}

static int opt_backlog_policy(struct parse *ps, const char *v)
{
    static const enum ipb_backlog_policy all[] = {IPB_BACKLOG_BLOCK, IPB_BACKLOG_DROP};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(v, ipb_backlog_policy_name(all[i])) == 0) {
            ps->o->backlog_policy = all[i];
            ps->backlog_policy_given = 1;
            return IPB_OK;
        }
    return fail(ps, v, "unknown backlog policy (one of: block, drop)");
}

static int opt_recv_model(struct parse *ps, const char *v)
{
    if (ipb_recv_model_find(v, &ps->o->recv_model) != 0)
        return fail(ps, v,
                    "unknown receive-delay model (one of: constant, uniform, normal, "
                    "exponential)");
    return IPB_OK;
}

static int opt_recv_stddev(struct parse *ps, const char *v)
{
    const char *why;
    if (ipb_parse_double(v, 0.0, IPB_MAX_RECV_DELAY_S, &ps->o->recv_stddev_s, &why) != 0)
        return fail(ps, v, "%s (seconds, 0 to %g)", why, IPB_MAX_RECV_DELAY_S);
    ps->recv_stddev_given = 1;
    return IPB_OK;
}

static int opt_repetitions(struct parse *ps, const char *v)
{
    const char *why;
    uint64_t n;
    if (ipb_parse_u64(v, 1, IPB_MAX_REPETITIONS, &n, &why) != 0)
        return fail(ps, v, "%s (timed runs, 1 to %d)", why, IPB_MAX_REPETITIONS);
    ps->o->repetitions = (unsigned)n;
    return IPB_OK;
}

static int opt_warmup(struct parse *ps, const char *v)
{
    const char *why;
    if (ipb_parse_double(v, 0.0, IPB_MAX_DURATION_S, &ps->o->warmup_s, &why) != 0)
        return fail(ps, v, "%s (seconds, 0 to %g)", why, IPB_MAX_DURATION_S);
    return IPB_OK;
}

static int opt_progress(struct parse *ps, const char *v)
{
    const char *why;
    if (ipb_parse_double(v, 0.0, IPB_MAX_DURATION_S, &ps->o->progress_s, &why) != 0)
        return fail(ps, v, "%s (seconds, 0 = off, or %g to %g)", why, IPB_MIN_PROGRESS_S,
                    IPB_MAX_DURATION_S);
    if (ps->o->progress_s > 0.0 && ps->o->progress_s < IPB_MIN_PROGRESS_S)
        return fail(ps, v, "shorter than %g s: the progress line would be the measurement",
                    IPB_MIN_PROGRESS_S);
    return IPB_OK;
}

static int opt_interval(struct parse *ps, const char *v)
{
    const char *why;
    if (ipb_parse_double(v, 0.0, IPB_MAX_DURATION_S, &ps->o->interval_s, &why) != 0)
        return fail(ps, v, "%s (seconds, 0 = off, or %g to --duration)", why, IPB_TS_MIN_S);
    if (ps->o->interval_s > 0.0 && ps->o->interval_s < IPB_TS_MIN_S)
        return fail(ps, v, "shorter than %g s (seconds, 0 = off, or %g to --duration)",
                    IPB_TS_MIN_S, IPB_TS_MIN_S);
    return IPB_OK;
}

/* --interval against --duration, --concurrency and --hdf5: the series is sized and allocated
 * before the run, so a series that would not fit is refused here, on every rank alike. */
static int check_interval(struct parse *ps)
{
    const struct ipb_options *o = ps->o;
    if (o->interval_s <= 0.0)
        return IPB_OK;
    char v[32];
    snprintf(v, sizeof(v), "%g", o->interval_s);
    ps->opt = "--interval";
    if (o->interval_s > o->duration_s)
        return fail(ps, v, "longer than --duration %g s: choose at most the duration",
                    o->duration_s);
    if (o->hdf5_path[0] == '\0')
        return fail(ps, v, "the time series is written to the HDF5 results file only: give --hdf5");
    uint64_t n = ipb_ts_nintervals(o->duration_s, o->interval_s);
    if (n == 0 || n > IPB_TS_MAX_INTERVALS)
        return fail(ps, v,
                    "%.0f intervals for --duration %g s plus %g s of drain, at most %u: choose a "
                    "longer interval",
                    ceil((o->duration_s + IPB_TS_DRAIN_S) / o->interval_s), o->duration_s,
                    IPB_TS_DRAIN_S, IPB_TS_MAX_INTERVALS);
    size_t bytes = ipb_ts_bytes(o->concurrency, n);
    if (bytes > IPB_TS_MAX_BYTES)
        return fail(ps, v,
                    "the series would take %.1f MiB per rank (%u pipelines x %" PRIu64
                    " intervals x %zu bytes), more than %zu MiB: choose a longer interval",
                    (double)bytes / 1048576.0, o->concurrency, n, sizeof(struct ipb_ts_interval),
                    IPB_TS_MAX_BYTES >> 20);
    return IPB_OK;
}

static int opt_import(struct parse *ps, const char *v)
{
    return copy_text(ps, v, ps->o->import_path, sizeof(ps->o->import_path), 0);
}

static int opt_keep_files(struct parse *ps, const char *v)
{
    (void)v;
    ps->o->keep_files = true;
    return IPB_OK;
}

static int opt_help(struct parse *ps, const char *v)
{
    (void)v;
    ps->o->help = true;
    return IPB_OK;
}

static int opt_version(struct parse *ps, const char *v)
{
    (void)v;
    ps->o->version = true;
    return IPB_OK;
}

/* The option table: the parser, --help, the man page and docs/reference.md (ipb-gendoc) all
 * come from it, so none of them can fall behind the others. The handlers stay private here; the
 * documentation half of each entry is public (ipb_options_doc). */
struct option_spec {
    struct ipb_option_doc doc;
    int (*handle)(struct parse *ps, const char *value);
};

static const struct option_spec specs[] = {
    {{"method", 'm', "NAME", "intra-rank concurrency method (see METHODS)", "sequential",
      "How the pipelines of one rank run: the axis of variation the benchmark exists to "
      "compare. The methods and their aliases (the Python original's names) are listed under "
      "METHODS; sequential runs exactly one pipeline per rank."},
     opt_method},
    {{"duration", 'd', "SECONDS", "timed phase: pipelines start iterations until then", "10",
      "Each pipeline starts another iteration while less than SECONDS have passed since its own "
      "start time t0, and its elapsed time ends with its last completed iteration, so the "
      "measured time is a little over SECONDS."},
     opt_duration},
    {{"buffer-size", 'b', "SIZE",
      "bytes per write; a bare number is KiB, suffixes B K KiB M MiB G GiB", "256",
      "The size of each pipeline's buffer, written whole once per iteration. A number without "
      "a unit is in KiB (256 means 256 KiB), as in the Python original; at most 16 GiB."},
     opt_buffer_size},
    {{"concurrency", 'c', "N", "pipelines per rank", "1",
      "Every rank runs N independent pipelines, each with its own buffer, file and PRNG "
      "stream."},
     opt_concurrency},
    {{"recv-delay", 'r', "SECONDS", "emulated receive wait per iteration", "0.1",
      "The mean time the recv stage waits before each iteration, standing in for data "
      "arriving from the network; 0 makes the run write as fast as it can."},
     opt_recv_delay},
    {{"output-file", 'o', "BASE", "data files are BASE.<rank>.<pipeline>", "io-pipeline-bench.out",
      "Put BASE on the file system to measure. The files are created exclusively: the run is "
      "refused when one of its data paths already exists, and they are removed after the run "
      "unless --keep-files is given."},
     opt_output_file},
    {{"compute-sparsity", 'k', "K",
      "compute fills every K-th byte from the pipeline's PRNG; 0 = off", "8", NULL},
     opt_compute_sparsity},
    {{"sync", 's', "POLICY", "every: fsync after each write; end: once per file at the end; none",
      "every",
      "With none the run measures the page cache rather than the storage; end issues the one "
      "fsync per file inside the timed phase."},
     opt_sync},
    {{"aio-engine", 'e', "ENGINE", "aio method only: auto, io_uring or posix", "auto",
      "With auto, io_uring is used where the kernel allows it and POSIX AIO otherwise; the "
      "engine that ran is recorded in the result."},
     opt_aio_engine},
    {{"dat", 0, "FILE", "append the result row to FILE (header when new)", NULL,
      "The row always goes to standard output too. An existing FILE must start with this "
      "program's header line: rows with other columns are never mixed into it."},
     opt_dat},
    {{"hdf5", 0, "FILE", "append the run to the HDF5 results FILE", NULL,
      "Created by the first run that names it; every later run appends a row to /runs and a "
      "group /run/<run_id>. Appends are atomic (copy, append, rename under a lock), so a "
      "killed run never damages earlier ones."},
     opt_hdf5},
    {{"keep-files", 0, NULL, "keep the data files after the run", NULL, NULL}, opt_keep_files},
    {{"label", 'l', "TEXT", "free text stored with the result", NULL,
      "Stored in the label column (shown as - when empty); a convenient place for the binding, "
      "the node type or the study name."},
     opt_label},
    {{"seed", 0, "N", "PRNG seed; streams derive from (seed, rank, pipeline)", "1", NULL},
     opt_seed},
    {{"recv-model", 0, "MODEL",
      "receive delays: constant, uniform (0 to 2x delay), normal, exponential (Poisson "
      "arrivals); mean --recv-delay, drawn per pipeline from --seed",
      "constant", NULL},
     opt_recv_model},
    {{"recv-stddev", 0, "SECONDS", "standard deviation of --recv-model normal", "--recv-delay / 4",
      NULL},
     opt_recv_stddev},
    {{"recv-phase", 0, "PHASE",
      "first receive of each pipeline: random (x0.5 to x1.5 of the delay, so pipelines are not in "
      "lock-step) or aligned (a full delay: every pipeline in step)",
      "random",
      "All pipelines start at one barrier; with aligned and a constant delay they receive, "
      "write and fsync together for the whole run, each fsync queued behind the others."},
     opt_recv_phase},
    {{"arrivals", 0, "MODE",
      "closed: a buffer is received when the pipeline is ready for it; open: buffers arrive on "
      "their own schedule and wait in a queue",
      "closed",
      "closed is the Python original's loop: each pipeline waits the receive delay, then "
      "computes and writes, so a slow write delays the next arrival. open draws the same delays "
      "(--recv-model, --recv-phase) as a schedule of arrival times fixed from t0, whatever the "
      "pipeline is doing: buffers that arrive while it is busy wait in a queue of --backlog "
      "buffers, and the arrival latency is measured from each buffer's scheduled arrival. "
      "Needs --recv-delay of at least 1e-05 s."},
     opt_arrivals},
    {{"backlog", 0, "N", "--arrivals open: buffers that may wait per pipeline (1 to 65536)", "16",
      "What happens to an arrival that finds N buffers waiting is --backlog-policy. Refused "
      "with --arrivals closed, where nothing waits."},
     opt_backlog},
    {{"backlog-policy", 0, "POLICY",
      "--arrivals open, queue full: block (the sender holds the buffer until there is room) or "
      "drop (it is lost and counted)",
      "block",
      "A held buffer keeps its scheduled arrival time, so its latency includes the time the "
      "sender was blocked. Refused with --arrivals closed."},
     opt_backlog_policy},
    {{"repetitions", 0, "N",
      "timed runs, each its own row tied by a series id; files re-created each time", "1", NULL},
     opt_repetitions},
    {{"warmup", 0, "SECONDS",
      "untimed run of the same pattern before the first repetition; 0 = none", "0", NULL},
     opt_warmup},
    {{"progress", 0, "SECONDS",
      "rank 0 prints the aggregate throughput so far every SECONDS on stderr; 0 = off", "0", NULL},
     opt_progress},
    {{"interval", 0, "SECONDS",
      "record throughput, backlog, drops and latency per interval of SECONDS in the HDF5 "
      "file (/run/<id>/timeseries); 0 = off",
      "0",
      "Each pipeline counts what completes in every interval [k*SECONDS, (k+1)*SECONDS) of "
      "its timed phase, in memory sized before the run; after the run the intervals are merged "
      "over pipelines and ranks into one row each. Needs --hdf5; at least 0.001 and at most "
      "--duration; refused when the series would exceed 100000 intervals or 256 MiB per "
      "rank."},
     opt_interval},
    {{"import", 0, "FILE",
      "record a run measured by another tool (field<TAB>value lines, see "
      "job-scripts/fio-side-by-side.py) in --dat/--hdf5; runs nothing",
      NULL, NULL},
     opt_import},
    {{"help", 'h', NULL, "print this help and exit", NULL, NULL}, opt_help},
    {{"version", 'V', NULL, "print the version and exit", NULL, NULL}, opt_version},
};

#define NSPECS (sizeof(specs) / sizeof(specs[0]))

size_t ipb_options_count(void)
{
    return NSPECS;
}

const struct ipb_option_doc *ipb_options_doc(size_t i)
{
    return i < NSPECS ? &specs[i].doc : NULL;
}

static const struct option_spec *find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < NSPECS; i++)
        if (strlen(specs[i].doc.name) == len && strncmp(specs[i].doc.name, name, len) == 0)
            return &specs[i];
    return NULL;
}

static const struct option_spec *find_short(char c)
{
    for (size_t i = 0; i < NSPECS; i++)
        if (specs[i].doc.short_name != 0 && specs[i].doc.short_name == c)
            return &specs[i];
    return NULL;
}

/* Combinations that no single option can judge. */
static int check_combinations(struct parse *ps)
{
    struct ipb_options *o = ps->o;
    if ((o->method->flags & IPB_METHOD_SINGLE_PIPELINE) && o->concurrency != 1) {
        char v[32];
        snprintf(v, sizeof(v), "%u", o->concurrency);
        ps->opt = "--concurrency";
        return fail(ps, v, "method %s runs exactly one pipeline per rank (use 1, or more ranks)",
                    o->method->name);
    }
    if (ps->recv_stddev_given && o->recv_model != IPB_RECV_NORMAL) {
        char v[32];
        snprintf(v, sizeof(v), "%g", o->recv_stddev_s);
        ps->opt = "--recv-stddev";
        return fail(ps, v, "only applies to --recv-model normal (model here: %s)",
                    ipb_recv_model_name(o->recv_model));
    }
    if (o->arrivals == IPB_ARRIVALS_CLOSED && (ps->backlog_given || ps->backlog_policy_given)) {
        char v[32];
        snprintf(v, sizeof(v), "%u", o->backlog);
        ps->opt = ps->backlog_given ? "--backlog" : "--backlog-policy";
        return fail(ps, ps->backlog_given ? v : ipb_backlog_policy_name(o->backlog_policy),
                    "only applies to --arrivals open (nothing waits with closed arrivals)");
    }
    if (o->arrivals == IPB_ARRIVALS_OPEN && o->recv_delay_s < IPB_MIN_OPEN_RECV_DELAY_S) {
        char v[32];
        snprintf(v, sizeof(v), "%g", o->recv_delay_s);
        ps->opt = "--recv-delay";
        return fail(ps, v,
                    "--arrivals open needs a delay of at least %g s (it sets the arrival rate)",
                    IPB_MIN_OPEN_RECV_DELAY_S);
    }
    if (ps->aio_engine_given && !(o->method->flags & IPB_METHOD_USES_AIO_ENGINE)) {
        ps->opt = "--aio-engine";
        return fail(ps, ipb_aio_engine_name(o->aio_engine),
                    "only applies to --method aio (method here: %s)", o->method->name);
    }
    return check_interval(ps);
}

int ipb_options_parse(int argc, char *const argv[], struct ipb_options *o, char *err, size_t errlen)
{
    struct parse ps = {.o = o, .err = err, .errlen = errlen};
    err[0] = '\0';
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const struct option_spec *spec = NULL;
        const char *value = NULL;
        ps.opt = a;
        if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
            spec = find_long(a + 2, len);
            if (spec != NULL && eq != NULL) {
                if (spec->doc.arg == NULL) {
                    char v[IPB_PATH_MAX];
                    snprintf(err, errlen, "--%s takes no value (given '%s')", spec->doc.name,
                             ipb_text_escape(eq + 1, v, sizeof(v)));
                    return IPB_EBADINPUT;
                }
                value = eq + 1;
            }
        } else if (a[0] == '-' && a[1] != '\0' && a[2] == '\0') {
            spec = find_short(a[1]);
        }
        if (spec == NULL) {
            char v[IPB_PATH_MAX];
            snprintf(err, errlen, "unknown option '%s' (see --help)",
                     ipb_text_escape(a, v, sizeof(v)));
            return IPB_EBADINPUT;
        }
        char optname[64];
        snprintf(optname, sizeof(optname), "--%s", spec->doc.name);
        ps.opt = optname;
        if (spec->doc.arg != NULL && value == NULL) {
            /* "--duration --keep-files": the value is missing, not "--keep-files". A value may
             * still start with one dash ("--recv-delay -1" is refused with its range). */
            if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0) {
                snprintf(err, errlen, "%s: missing value (%s)", optname, spec->doc.arg);
                return IPB_EBADINPUT;
            }
            value = argv[++i];
        }
        int rc = spec->handle(&ps, value);
        if (rc != IPB_OK)
            return rc;
    }
    if (o->help || o->version)
        return IPB_OK;
    return check_combinations(&ps);
}

void ipb_options_usage(FILE *out, const char *progname)
{
    fprintf(out,
            "Usage: mpirun -np RANKS %s [OPTIONS]\n"
            "\n"
            "Each MPI rank runs N pipelines, each looping recv (wait) -> compute (fill a\n"
            "buffer) -> write (append to its own file, fsync) for the duration; rank 0 prints\n"
            "a tab-separated .dat header and row with the aggregate throughput.\n"
            "\n"
            "Options:\n",
            progname);
    for (size_t i = 0; i < NSPECS; i++) {
        const struct ipb_option_doc *s = &specs[i].doc;
        char left[64];
        char shortpart[8] = "    ";
        if (s->short_name)
            snprintf(shortpart, sizeof(shortpart), "-%c, ", s->short_name);
        snprintf(left, sizeof(left), "%s--%s%s%s", shortpart, s->name, s->arg ? " " : "",
                 s->arg ? s->arg : "");
        fprintf(out, "  %-30s %s", left, s->help);
        if (s->dflt != NULL)
            fprintf(out, " (default %s)", s->dflt);
        fputc('\n', out);
    }
    fprintf(out, "\nMethods (--method):\n");
    ipb_method_list(out);
    fprintf(out, "\nExit status:");
    for (size_t i = 0; i < ipb_status_count(); i++) {
        const struct ipb_status_doc *d = ipb_status_doc(i);
        fprintf(out, "%s %d %s", i ? "," : "", d->code, d->brief);
    }
    fprintf(out, ".\n");
}
