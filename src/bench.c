#include "bench.h"

#include <errno.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "agree.h"
#include "clock.h"
#include "config.h"
#include "dat_writer.h"
#include "h5_check.h"
#include "h5_writer.h"
#include "import.h"
#include "interrupt.h"
#include "janitor.h"
#include "launch_check.h"
#include "memcheck.h"
#include "preflight.h"
#include "progress.h"
#include "results.h"
#include "run_context.h"
#include "stats.h"

#define PROG "io-pipeline-bench"

static void say(const struct ipb_bench *b, const char *msg)
{
    if (b->rank == 0 && msg[0] != '\0') {
        fprintf(stderr, PROG ": %s\n", msg);
        fflush(stderr);
    }
}

void ipb_bench_init(struct ipb_bench *b, int argc, char **argv)
{
    memset(b, 0, sizeof(*b));
    /* Before prelaunch: the fork children inherit the handler. */
    ipb_interrupt_install();
    b->argc = argc;
    b->argv = argv;
    b->progress_comm = MPI_COMM_NULL;
    ipb_options_defaults(&b->opts);
    b->status = ipb_options_parse(argc, argv, &b->opts, b->errmsg, sizeof(b->errmsg));
    if (b->status != IPB_OK || b->opts.help || b->opts.version || b->opts.import_path[0])
        return;

    /* Before prelaunch, so the fork children do not hold its pipe's read end; see janitor.h.
     * Without it the run still works: only a killed rank's files would stay behind. */
    if (ipb_janitor_start(&b->opts, b->warning, sizeof(b->warning)) != 0) {
        size_t len = strlen(b->warning);
        snprintf(b->warning + len, sizeof(b->warning) - len,
                 " (a rank killed outright would leave its data files behind)");
    }

    struct ipb_run *r = &b->run;
    r->opts = &b->opts;
    r->npipelines = b->opts.concurrency;
    r->stats = aligned_alloc(IPB_CACHE_LINE, r->npipelines * sizeof(*r->stats));
    if (r->stats == NULL) {
        b->status = IPB_ERUN;
        snprintf(b->errmsg, sizeof(b->errmsg), "out of memory");
        return;
    }
    memset(r->stats, 0, r->npipelines * sizeof(*r->stats)); /* no series attached yet */
    if (b->opts.method->prelaunch != NULL) {
        b->status = b->opts.method->prelaunch(r);
        if (b->status != IPB_OK)
            snprintf(b->errmsg, sizeof(b->errmsg), "%s", r->errmsg);
        else
            b->prelaunched = true;
    }
    /* The --interval series, sized by the options (which bounded it), unless the method put it
     * where its workers write (fork: its shared mapping). Allocated here, long before the timed
     * phase, and zeroed by every ipb_stats_reset: zeroed by writing, not calloc, so its pages
     * are touched now and not first in the timed loop. */
    uint64_t nts = ipb_ts_nintervals(b->opts.duration_s, b->opts.interval_s);
    if (b->status == IPB_OK && nts > 0 && r->stats[0].ts.iv == NULL) {
        b->series = malloc(ipb_ts_bytes(r->npipelines, nts));
        if (b->series == NULL) {
            b->status = IPB_ERUN;
            snprintf(b->errmsg, sizeof(b->errmsg),
                     "--interval: out of memory for the series (%zu bytes)",
                     ipb_ts_bytes(r->npipelines, nts));
            return;
        }
        ipb_stats_attach_series(r->stats, r->npipelines, b->series, (unsigned)nts,
                                b->opts.interval_s);
        for (unsigned i = 0; i < r->npipelines; i++)
            ipb_stats_reset(&r->stats[i]);
    }
}

int ipb_bench_thread_level(const struct ipb_bench *b)
{
    return b->opts.progress_s > 0.0 ? MPI_THREAD_MULTIPLE : MPI_THREAD_FUNNELED;
}

static void abandon(struct ipb_bench *b)
{
    if (b->prelaunched && b->opts.method->abandon != NULL)
        b->opts.method->abandon(&b->run);
    b->prelaunched = false;
}

int ipb_bench_check(struct ipb_bench *b, int mpi_thread_level)
{
    MPI_Comm_rank(MPI_COMM_WORLD, &b->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &b->nranks);
    if (ipb_launch_check(b->nranks, IPB_MPI_FLAVOUR, b->errmsg, sizeof(b->errmsg)) != IPB_OK)
        b->status = IPB_EBADINPUT; /* a foreign launcher's singletons: refused first */
    b->mpi_thread_level = mpi_thread_level;
    b->run.rank = (unsigned)b->rank;
    ipb_janitor_set_rank((unsigned)b->rank);
    if (b->warning[0])
        say(b, b->warning);

    /* Parsing gave the same verdict on every rank (same argv); agreeing anyway also covers a
     * prelaunch that failed on one rank only. */
    int rc = ipb_agree(MPI_COMM_WORLD, b->status, b->errmsg, b->errmsg, sizeof(b->errmsg));
    if (rc != IPB_OK) {
        say(b, b->errmsg);
        abandon(b);
        return rc;
    }
    if (b->opts.help || b->opts.version) {
        if (b->rank == 0) {
            if (b->opts.help)
                ipb_options_usage(stdout, PROG);
            else
                printf(PROG " %s (%s MPI)\n", PACKAGE_VERSION, IPB_MPI_FLAVOUR);
            fflush(stdout);
        }
        b->done = true;
        return IPB_OK;
    }

    char err[IPB_ERRMSG_LEN] = "";
    /* --import runs nothing: the data directory is only recorded, not written. */
    int local = b->opts.import_path[0]
                    ? IPB_OK
                    : ipb_preflight_data(&b->opts, (unsigned)b->rank, err, sizeof(err));
    if (local == IPB_OK && b->rank == 0 && b->opts.dat_path[0])
        local = ipb_preflight_results_file("--dat", b->opts.dat_path, err, sizeof(err));
    if (local == IPB_OK && b->rank == 0 && b->opts.dat_path[0])
        local = ipb_dat_preflight(b->opts.dat_path, err, sizeof(err));
    /* Only rank 0 ever opens the results file (h5bench's 512 ranks opening one file is what
     * not to do); checked now so a bad path costs nothing, not a whole run. */
    if (local == IPB_OK && b->rank == 0 && b->opts.hdf5_path[0])
        local = ipb_h5_preflight_isolated(b->argc > 0 ? b->argv[0] : NULL, b->opts.hdf5_path, err,
                                          sizeof(err));
    if (local == IPB_OK && (b->opts.method->flags & IPB_METHOD_THREADED) &&
        mpi_thread_level < MPI_THREAD_FUNNELED) {
        snprintf(err, sizeof(err),
                 "method %s needs MPI_THREAD_FUNNELED; this MPI library provides level %d",
                 b->opts.method->name, mpi_thread_level);
        local = IPB_ERUN;
    }
    rc = ipb_agree(MPI_COMM_WORLD, local, err, b->errmsg, sizeof(b->errmsg));
    if (rc != IPB_OK) {
        say(b, b->errmsg);
        abandon(b);
        return rc;
    }
    /* Memory for the buffers, against what each node can give (memcheck.h): collective. */
    if (!b->opts.import_path[0]) {
        rc = ipb_mem_check(&b->opts, b->errmsg, sizeof(b->errmsg));
        if (rc != IPB_OK) {
            say(b, b->errmsg);
            abandon(b);
            return rc;
        }
    }
    /* Again after MPI_Init, which may have installed handlers of its own for these signals. */
    ipb_interrupt_install();
    if (!b->opts.import_path[0]) {
        if (ipb_stop_notice_init(&b->notice) != 0) {
            snprintf(b->errmsg, sizeof(b->errmsg), "out of memory setting up the stop notice");
            say(b, b->errmsg);
            abandon(b);
            return IPB_ERUN;
        }
        b->notice_ready = true;
    }
    /* --progress across ranks needs its own communicator, so the helpers' collectives can never
     * match the main threads' (same condition on every rank: same argv, same MPI). */
    if (b->opts.progress_s > 0.0 && b->nranks > 1 && mpi_thread_level >= MPI_THREAD_MULTIPLE)
        MPI_Comm_dup(MPI_COMM_WORLD, &b->progress_comm);
    return rc;
}

/* The start gate (docs/design.md timing rule 2): agree that every rank set up, then MPI_Barrier.
 * Runs on the thread that called MPI_Init (MPI_THREAD_FUNNELED). */
static int bench_gate(struct ipb_run *run, int local_status, const char *msg)
{
    struct ipb_bench *b = run->gate_arg;
    b->gate_called = true;
    /* Every data file of the run exists by now (set-up creates them): tell the janitor. */
    const struct ipb_pipeline_stats *st = run->live ? run->live : run->stats;
    for (unsigned i = 0; i < run->npipelines; i++)
        ipb_janitor_mark(i, st[i].created != 0);
    char why[IPB_ERRMSG_LEN];
    int sig = ipb_interrupt_signal();
    if (local_status == IPB_OK && sig != 0) {
        /* Stopped before the timed phase (during set-up, or between repetitions): nothing of
         * this run was measured, so there is nothing to record. */
        snprintf(why, sizeof(why),
                 "rank %d: interrupted by %s before the timed phase of %s: "
                 "nothing measured, no row written",
                 b->rank, ipb_interrupt_name(sig), b->warming ? "the warmup" : "this run");
        local_status = IPB_EINTERRUPTED;
        msg = why;
    }
    int rc = ipb_agree(MPI_COMM_WORLD, local_status, msg, b->errmsg, sizeof(b->errmsg));
    b->gate_status = rc;
    if (rc != IPB_OK)
        return rc;
    MPI_Barrier(MPI_COMM_WORLD);
    b->t_gate = ipb_now();
    if (b->rank == 0) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(b->timestamp, sizeof(b->timestamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    /* Started here, on the MPI thread, after the barrier: the pipelines read t0 right after this
     * returns. Every rank with the duplicate communicator, else rank 0 alone. */
    if (b->opts.progress_s > 0.0 && !b->warming &&
        (b->progress_comm != MPI_COMM_NULL || b->rank == 0))
        b->progress = ipb_progress_start(b->progress_comm, b->rank, b->nranks,
                                         run->live ? run->live : run->stats, run->npipelines,
                                         b->opts.progress_s, b->t_gate, stderr);
    return IPB_OK;
}

static void remove_data_files(struct ipb_bench *b);

/* The method's should_stop: a stop signal here, or another rank's stop notice. */
static int bench_should_stop(struct ipb_run *run)
{
    struct ipb_bench *b = run->gate_arg;
    return ipb_interrupt_signal() != 0 || ipb_stop_notice_test(&b->notice);
}

int ipb_bench_run(struct ipb_bench *b)
{
    struct ipb_run *r = &b->run;
    r->gate = bench_gate;
    r->gate_arg = b;
    r->should_stop = bench_should_stop;
    r->worker_signal = 0;
    r->errmsg[0] = '\0';
    r->live = NULL;
    b->gate_called = false;
    b->gate_status = IPB_OK;
    ipb_stop_notice_arm(&b->notice);
    int rc = b->opts.method->run(r);
    /* run() ends whatever prelaunch started, unless it keeps it for the next repetition (fork
     * keeps its children); then finish() releases it. */
    b->prelaunched = r->method_state != NULL;
    ipb_progress_stop(b->progress);
    b->progress = NULL;
    int caught = ipb_interrupt_signal();
    b->stop_signal = caught ? caught : r->worker_signal;
    /* A stop signal: remove this rank's files before any collective. If the signal came from
     * mpirun because another rank died, the collectives below never complete (mpirun sends
     * SIGKILL a second later), and the files must not be left behind. */
    if (b->stop_signal != 0)
        remove_data_files(b);

    if (b->gate_called && b->gate_status == IPB_OK) {
        if (rc == IPB_OK && b->stop_signal != 0) {
            snprintf(r->errmsg, sizeof(r->errmsg),
                     "rank %d: interrupted by %s: the pipelines stopped at their next stage; %s",
                     b->rank, ipb_interrupt_name(b->stop_signal),
                     b->warming ? "it was the untimed warmup: nothing recorded"
                                : "the run is recorded as interrupted, its data files removed");
            rc = IPB_EINTERRUPTED;
        }
        /* Stopped early (failure or signal): the other ranks stop now, not at --duration. */
        if (rc != IPB_OK)
            ipb_stop_notice_send(&b->notice);
    }
    if (!b->gate_called) {
        /* A method that returned before its gate still has to meet the other ranks there. */
        if (rc == IPB_OK) {
            rc = IPB_ERUN;
            snprintf(r->errmsg, sizeof(r->errmsg), "rank %d: method %s ended before starting",
                     b->rank, b->opts.method->name);
        }
        rc = bench_gate(r, rc, r->errmsg);
        ipb_stop_notice_settle(&b->notice);
    } else if (b->gate_status == IPB_OK) {
        /* Every rank passed the gate: agree on how the timed phase ended. */
        ipb_stop_notice_settle(&b->notice);
        rc = ipb_agree(MPI_COMM_WORLD, rc, r->errmsg, b->errmsg, sizeof(b->errmsg));
    } else {
        ipb_stop_notice_settle(&b->notice);
        rc = b->gate_status; /* already agreed at the gate, with its message */
    }
    if (rc != IPB_OK)
        say(b, b->errmsg);
    return rc;
}

static void make_run_id(char *out, size_t outlen, const char *timestamp)
{
    /* Time-ordered and unique: compact UTC time, then 32 random bits. */
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rnd = (uint32_t)getpid() ^ (uint32_t)clock();
    char compact[32] = "";
    size_t k = 0;
    for (const char *c = timestamp; *c && k + 1 < sizeof(compact); c++)
        if (*c != '-' && *c != ':')
            compact[k++] = *c;
    compact[k] = '\0';
    snprintf(out, outlen, "%s-%08x", compact, rnd);
}

/* Rank 0: print the row (stdout) and append it to --dat and --hdf5. */
static int emit_row(struct ipb_bench *b, const struct ipb_results *res,
                    const struct ipb_run_context *ctx, char *err, size_t errlen)
{
    const struct ipb_record *rec = &res->record;
    char header[8192], row[8192];
    if (ipb_dat_header(header, sizeof(header)) < 0 || ipb_dat_row(rec, row, sizeof(row)) < 0) {
        snprintf(err, errlen, "internal error: .dat line too long");
        return IPB_ERUN;
    }
    printf("%s\n%s\n", header, row);
    fflush(stdout);
    if (b->opts.dat_path[0] && ipb_dat_append(b->opts.dat_path, header, row, err, errlen) != 0)
        return IPB_ERUN;
    if (b->opts.hdf5_path[0] && ipb_h5_append(b->opts.hdf5_path, res, ctx, err, errlen) != 0)
        return IPB_ERUN;
    return IPB_OK;
}

int ipb_bench_report(struct ipb_bench *b)
{
    char host[MPI_MAX_PROCESSOR_NAME] = "";
    int hostlen = 0;
    MPI_Get_processor_name(host, &hostlen);
    /* The run's identity, made on rank 0 (the only rank that reads it). */
    char run_id[40] = "";
    if (b->rank == 0) {
        make_run_id(run_id, sizeof(run_id), b->timestamp);
        if (b->repetition == 0)
            snprintf(b->series_id, sizeof(b->series_id), "%s", run_id);
    }
    const struct ipb_run_meta meta = {
        .version = PACKAGE_VERSION,
        .run_id = run_id,
        .timestamp = b->timestamp,
        .aio_engine = b->run.aio_engine_used,
        .series_id = b->series_id,
        .repetition = b->repetition,
    };
    /* Pipeline rows are for the HDF5 file only: one row per pipeline of the whole job. */
    const bool to_h5 = b->opts.hdf5_path[0] != '\0';
    struct ipb_results res;
    int local =
        ipb_results_collect(&res, MPI_COMM_WORLD, b->run.stats, b->run.npipelines, host,
                            b->stop_signal, to_h5, &b->opts, &meta, b->errmsg, sizeof(b->errmsg));
    if (local != IPB_OK) {
        say(b, b->errmsg); /* already agreed: every rank returns it */
        return local;
    }

    /* HDF5: the context too (collective: every rank takes part, whatever rank 0's state). */
    struct ipb_run_context ctx;
    memset(&ctx, 0, sizeof(ctx));
    char err[IPB_ERRMSG_LEN] = "";
    if (to_h5) {
        int cl = ipb_run_context_collect(&ctx, &b->opts, b->argc, b->argv, b->mpi_thread_level)
                     ? IPB_ERUN
                     : IPB_OK;
        cl = ipb_agree(MPI_COMM_WORLD, cl, "out of memory collecting the run context", err,
                       sizeof(err));
        if (cl == IPB_OK)
            cl = ipb_run_context_gather(&ctx, MPI_COMM_WORLD, err, sizeof(err));
        local = cl;
    }

    if (b->rank == 0 && local == IPB_OK) {
        const struct ipb_record *rec = &res.record;
        local = emit_row(b, &res, &ctx, err, sizeof(err));
        if (local == IPB_OK) {
            char line[1024];
            ipb_record_straggler_line(rec, line, sizeof(line));
            fprintf(stderr, PROG ": %s\n", line);
            fflush(stderr);
            if (b->rep_drain != NULL) {
                b->rep_drain[b->repetition] = rec->throughput_mib_s;
                b->rep_deadline[b->repetition] = rec->deadline_throughput_mib_s;
                b->rep_fsync_p99[b->repetition] = rec->fsync_p99_s;
            }
        }
    }
    ipb_run_context_free(&ctx);
    ipb_results_free(&res);
    int rc = ipb_agree(MPI_COMM_WORLD, local, err, b->errmsg, sizeof(b->errmsg));
    if (rc != IPB_OK)
        say(b, b->errmsg);
    return rc;
}

/* Remove this rank's data files of the last run (those it created), and forget them. */
static void remove_data_files(struct ipb_bench *b)
{
    struct ipb_run *r = &b->run;
    for (unsigned i = 0; r->stats != NULL && i < r->npipelines; i++) {
        if (!r->stats[i].created)
            continue;
        char path[IPB_PATH_MAX + 32];
        if (ipb_data_path(path, sizeof(path), b->opts.output_base, (unsigned)b->rank, i) == 0 &&
            unlink(path) != 0 && errno != ENOENT)
            fprintf(stderr, PROG ": rank %d: cannot remove %s: %s\n", b->rank, path,
                    strerror(errno));
        r->stats[i].created = 0;
        ipb_janitor_mark(i, false);
    }
}

/* Between two runs of a series: the next run creates its files again (O_EXCL), and starts from
 * zero counters. */
static void next_run(struct ipb_bench *b)
{
    remove_data_files(b);
    for (unsigned i = 0; i < b->run.npipelines; i++)
        ipb_stats_reset(&b->run.stats[i]);
}

static void summary_line(const struct ipb_bench *b)
{
    const unsigned n = b->opts.repetitions;
    double dm, ds, dmin, dmax, lm, ls, lmin, lmax, fm, fs, fmin, fmax;
    ipb_series_summary(b->rep_drain, n, &dm, &ds, &dmin, &dmax);
    ipb_series_summary(b->rep_deadline, n, &lm, &ls, &lmin, &lmax);
    ipb_series_summary(b->rep_fsync_p99, n, &fm, &fs, &fmin, &fmax);
    fprintf(stderr,
            PROG ": [summary] series %s, %u repetitions (mean/stddev/min/max): drain throughput "
                 "%.3f/%.3f/%.3f/%.3f MiB/s; deadline throughput %.3f/%.3f/%.3f/%.3f MiB/s; "
                 "fsync p99 %.6f/%.6f/%.6f/%.6f s\n",
            b->series_id, n, dm, ds, dmin, dmax, lm, ls, lmin, lmax, fm, fs, fmin, fmax);
    fflush(stderr);
}

/* The whole of a small text file (at most max bytes), NUL-terminated; NULL with err. */
static char *read_text_file(const char *path, size_t max, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "--import '%s': %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int bad = buf == NULL || ferror(f) || n > max;
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "--import '%s': %s", path,
                 buf == NULL ? strerror(ENOMEM)
                 : n > max   ? "too large"
                             : "read error");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        snprintf(err, errlen, "--import '%s': contains a NUL byte: not a text file", path);
        free(buf);
        return NULL;
    }
    return buf;
}

/* --import: one row measured by another tool, recorded like a run of ours (rank 0 only). */
static int bench_import(struct ipb_bench *b)
{
    int local = IPB_OK;
    char err[IPB_ERRMSG_LEN] = "";
    if (b->rank == 0) {
        struct ipb_results res;
        memset(&res, 0, sizeof(res));
        struct ipb_record *rec = &res.record;
        struct ipb_run_context ctx;
        memset(&ctx, 0, sizeof(ctx));
        char *text = read_text_file(b->opts.import_path, 1 << 20, err, sizeof(err));
        if (text == NULL) {
            local = IPB_EBADINPUT;
        } else {
            time_t now = time(NULL);
            struct tm tm;
            gmtime_r(&now, &tm);
            strftime(b->timestamp, sizeof(b->timestamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
            char run_id[40];
            make_run_id(run_id, sizeof(run_id), b->timestamp);
            char why[IPB_ERRMSG_LEN / 2] = "";
            local = ipb_record_import(rec, text, PACKAGE_VERSION, run_id, b->timestamp, why,
                                      sizeof(why));
            if (local != IPB_OK)
                snprintf(err, sizeof(err), "--import '%s': %s", b->opts.import_path, why);
            free(text);
        }
        if (local == IPB_OK && b->opts.hdf5_path[0] &&
            ipb_run_context_collect(&ctx, &b->opts, b->argc, b->argv, b->mpi_thread_level) != 0) {
            local = IPB_ERUN;
            snprintf(err, sizeof(err), "out of memory collecting the run context");
        }
        if (local == IPB_OK)
            local = emit_row(b, &res, &ctx, err, sizeof(err));
        ipb_run_context_free(&ctx);
    }
    int rc = ipb_agree(MPI_COMM_WORLD, local, err, b->errmsg, sizeof(b->errmsg));
    if (rc != IPB_OK)
        say(b, b->errmsg);
    return rc;
}

int ipb_bench_series(struct ipb_bench *b)
{
    if (b->opts.import_path[0])
        return bench_import(b);
    int rc = IPB_OK;
    if (b->opts.warmup_s > 0.0) {
        /* The same pattern for --warmup seconds: caches, allocators and the file system's
         * free-space maps are warm when the first timed repetition starts. */
        const double duration = b->opts.duration_s;
        b->opts.duration_s = b->opts.warmup_s;
        b->warming = true;
        rc = ipb_bench_run(b);
        b->warming = false;
        b->opts.duration_s = duration;
        if (rc != IPB_OK)
            return rc;
        next_run(b);
    }
    const unsigned n = b->opts.repetitions;
    if (b->rank == 0) {
        b->rep_drain = calloc(n, sizeof(double));
        b->rep_deadline = calloc(n, sizeof(double));
        b->rep_fsync_p99 = calloc(n, sizeof(double));
    }
    for (unsigned rep = 0; rep < n && rc == IPB_OK; rep++) {
        b->repetition = rep;
        rc = ipb_bench_run(b);
        if (rc == IPB_EINTERRUPTED && b->gate_called && b->gate_status == IPB_OK) {
            /* Cut by a signal in the timed phase. A rank that caught it removed its files in
             * ipb_bench_run, before any collective (mpirun sends SIGKILL about a second after
             * SIGTERM, Slurm after KillWait); a rank stopped by another's notice removes its
             * own here. Then the row of what was measured, marked interrupted. The series
             * ends here; the exit status says so (3). */
            remove_data_files(b);
            int rep_rc = ipb_bench_report(b);
            if (rep_rc != IPB_OK)
                rc = rep_rc;
        } else if (rc == IPB_OK) {
            rc = ipb_bench_report(b);
        }
        if (rc == IPB_OK && rep + 1 < n)
            next_run(b);
    }
    if (rc == IPB_OK && b->rank == 0 && n > 1 && b->rep_drain && b->rep_deadline &&
        b->rep_fsync_p99)
        summary_line(b);
    return rc;
}

void ipb_bench_finish(struct ipb_bench *b, int status)
{
    abandon(b);
    struct ipb_run *r = &b->run;
    bool remove = status != IPB_OK || !b->opts.keep_files;
    if (remove)
        remove_data_files(b);
    for (unsigned i = 0; i < r->npipelines; i++)
        ipb_janitor_mark(i, false); /* removed, or kept on purpose (--keep-files) */
    free(r->stats);
    r->stats = NULL;
    free(b->series);
    b->series = NULL;
    free(b->rep_drain);
    free(b->rep_deadline);
    free(b->rep_fsync_p99);
    b->rep_drain = b->rep_deadline = b->rep_fsync_p99 = NULL;
    if (b->progress_comm != MPI_COMM_NULL)
        MPI_Comm_free(&b->progress_comm);
    if (b->notice_ready)
        ipb_stop_notice_free(&b->notice);
    b->notice_ready = false;
}
