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
#include "config.h"
#include "dat_writer.h"
#include "h5_writer.h"
#include "preflight.h"
#include "record.h"
#include "run_context.h"

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
    b->argc = argc;
    b->argv = argv;
    ipb_options_defaults(&b->opts);
    b->status = ipb_options_parse(argc, argv, &b->opts, b->errmsg, sizeof(b->errmsg));
    if (b->status != IPB_OK || b->opts.help || b->opts.version)
        return;

    struct ipb_run *r = &b->run;
    r->opts = &b->opts;
    r->npipelines = b->opts.concurrency;
    r->stats = aligned_alloc(IPB_CACHE_LINE, r->npipelines * sizeof(*r->stats));
    if (r->stats == NULL) {
        b->status = IPB_ERUN;
        snprintf(b->errmsg, sizeof(b->errmsg), "out of memory");
        return;
    }
    memset(r->stats, 0, r->npipelines * sizeof(*r->stats));
    if (b->opts.method->prelaunch != NULL) {
        b->status = b->opts.method->prelaunch(r);
        if (b->status != IPB_OK)
            snprintf(b->errmsg, sizeof(b->errmsg), "%s", r->errmsg);
        else
            b->prelaunched = true;
    }
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
    b->mpi_thread_level = mpi_thread_level;
    b->run.rank = (unsigned)b->rank;

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
    int local = ipb_preflight_data(&b->opts, (unsigned)b->rank, err, sizeof(err));
    if (local == IPB_OK && b->rank == 0 && b->opts.dat_path[0])
        local = ipb_preflight_results_file("--dat", b->opts.dat_path, err, sizeof(err));
    /* Only rank 0 ever opens the results file (h5bench's 512 ranks opening one file is what
     * not to do); checked now so a bad path costs nothing, not a whole run. */
    if (local == IPB_OK && b->rank == 0 && b->opts.hdf5_path[0])
        local = ipb_h5_preflight(b->opts.hdf5_path, err, sizeof(err));
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
    }
    return rc;
}

/* The start gate (DESIGN.md timing rule 2): agree that every rank set up, then MPI_Barrier.
 * Runs on the thread that called MPI_Init (MPI_THREAD_FUNNELED). */
static int bench_gate(struct ipb_run *run, int local_status, const char *msg)
{
    struct ipb_bench *b = run->gate_arg;
    b->gate_called = true;
    int rc = ipb_agree(MPI_COMM_WORLD, local_status, msg, b->errmsg, sizeof(b->errmsg));
    b->gate_status = rc;
    if (rc != IPB_OK)
        return rc;
    MPI_Barrier(MPI_COMM_WORLD);
    if (b->rank == 0) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(b->timestamp, sizeof(b->timestamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    return IPB_OK;
}

int ipb_bench_run(struct ipb_bench *b)
{
    struct ipb_run *r = &b->run;
    r->gate = bench_gate;
    r->gate_arg = b;
    r->errmsg[0] = '\0';
    int rc = b->opts.method->run(r);
    b->prelaunched = false; /* run() owns and ends whatever prelaunch started */

    if (!b->gate_called) {
        /* A method that returned before its gate still has to meet the other ranks there. */
        if (rc == IPB_OK) {
            rc = IPB_ERUN;
            snprintf(r->errmsg, sizeof(r->errmsg), "rank %d: method %s ended before starting",
                     b->rank, b->opts.method->name);
        }
        rc = bench_gate(r, rc, r->errmsg);
    } else if (b->gate_status == IPB_OK) {
        /* Every rank passed the gate: agree on how the timed phase ended. */
        rc = ipb_agree(MPI_COMM_WORLD, rc, r->errmsg, b->errmsg, sizeof(b->errmsg));
    } else {
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

int ipb_bench_report(struct ipb_bench *b)
{
    struct ipb_rank_row mine, *rows = NULL;
    char host[MPI_MAX_PROCESSOR_NAME] = "";
    int hostlen = 0;
    MPI_Get_processor_name(host, &hostlen);
    ipb_rank_row_fill(&mine, (unsigned)b->rank, host, b->run.stats, b->run.npipelines);

    int local = IPB_OK;
    char err[IPB_ERRMSG_LEN] = "";
    if (b->rank == 0) {
        rows = calloc((size_t)b->nranks, sizeof(*rows));
        if (rows == NULL) {
            local = IPB_ERUN;
            snprintf(err, sizeof(err), "rank 0: out of memory gathering %d rows", b->nranks);
        }
    }
    /* Every rank's row is the same fixed-size struct from the same binary: bytes are fine. */
    MPI_Gather(&mine, (int)sizeof(mine), MPI_BYTE, rows, rows ? (int)sizeof(mine) : 0,
               MPI_BYTE, 0, MPI_COMM_WORLD);

    /* HDF5: the context and every pipeline's row, gathered to rank 0 (collective: every rank
     * takes part, whatever rank 0's state). */
    struct ipb_run_context ctx;
    memset(&ctx, 0, sizeof(ctx));
    if (b->opts.hdf5_path[0]) {
        char cerr[IPB_ERRMSG_LEN] = "";
        int cl = ipb_run_context_collect(&ctx, &b->opts, b->argc, b->argv, b->mpi_thread_level)
                     ? IPB_ERUN
                     : IPB_OK;
        cl = ipb_agree(MPI_COMM_WORLD, cl, "out of memory collecting the run context", cerr,
                       sizeof(cerr));
        if (cl == IPB_OK)
            cl = ipb_run_context_gather(&ctx, MPI_COMM_WORLD, b->run.stats, b->run.npipelines, cerr,
                                        sizeof(cerr));
        if (cl != IPB_OK && local == IPB_OK) {
            local = cl;
            snprintf(err, sizeof(err), "%s", cerr);
        }
    }

    if (b->rank == 0 && local == IPB_OK) {
        char run_id[40];
        make_run_id(run_id, sizeof(run_id), b->timestamp);
        struct ipb_run_meta meta = {
            .version = PACKAGE_VERSION,
            .run_id = run_id,
            .timestamp = b->timestamp,
            .aio_engine = b->run.aio_engine_used,
        };
        struct ipb_record rec;
        ipb_record_fill(&rec, &b->opts, &meta, rows, (unsigned)b->nranks);
        char header[4096], row[4096];
        if (ipb_dat_header(header, sizeof(header)) < 0 || ipb_dat_row(&rec, row, sizeof(row)) < 0) {
            local = IPB_ERUN;
            snprintf(err, sizeof(err), "internal error: .dat line too long");
        } else {
            printf("%s\n%s\n", header, row);
            fflush(stdout);
            if (b->opts.dat_path[0] &&
                ipb_dat_append(b->opts.dat_path, header, row, err, sizeof(err)) != 0)
                local = IPB_ERUN;
            if (local == IPB_OK && b->opts.hdf5_path[0] &&
                ipb_h5_append(b->opts.hdf5_path, &rec, rows, (unsigned)b->nranks, &ctx, err,
                              sizeof(err)) != 0)
                local = IPB_ERUN;
        }
    }
    ipb_run_context_free(&ctx);
    free(rows);
    int rc = ipb_agree(MPI_COMM_WORLD, local, err, b->errmsg, sizeof(b->errmsg));
    if (rc != IPB_OK)
        say(b, b->errmsg);
    return rc;
}

void ipb_bench_finish(struct ipb_bench *b, int status)
{
    abandon(b);
    struct ipb_run *r = &b->run;
    bool remove = status != IPB_OK || !b->opts.keep_files;
    for (unsigned i = 0; r->stats != NULL && i < r->npipelines; i++) {
        if (!r->stats[i].created || !remove)
            continue;
        char path[IPB_PATH_MAX + 32];
        if (ipb_data_path(path, sizeof(path), b->opts.output_base, (unsigned)b->rank, i) == 0 &&
            unlink(path) != 0 && errno != ENOENT)
            fprintf(stderr, PROG ": rank %d: cannot remove %s: %s\n", b->rank, path,
                    strerror(errno));
    }
    free(r->stats);
    r->stats = NULL;
}
