/* The axis of variation: how the N pipelines of one rank run (docs/design.md, "What it
 * measures").
 *
 * One struct of function pointers per method, one file per method, one registry table
 * (method.c) that --method looks names up in, in the spirit of fio's ioengine_ops and IOR's
 * aiori. Nothing outside method.c and the method files asks "which method is this?": the
 * differences are expressed as capability flags. */
#ifndef IPB_METHOD_H
#define IPB_METHOD_H

#include <stdio.h>

#include "options.h"
#include "pipeline.h"
#include "ipb_status.h"

/* Capability flags. */
#define IPB_METHOD_SINGLE_PIPELINE (1u << 0) /* refuses --concurrency other than 1 */
#define IPB_METHOD_USES_AIO_ENGINE (1u << 1) /* --aio-engine applies */
#define IPB_METHOD_THREADED        (1u << 2) /* needs MPI_THREAD_FUNNELED */

struct ipb_run;

/* The start gate, provided by the caller of run(): called exactly once by every method, from
 * the thread that called run(), after every pipeline of the rank has finished set-up (rank-local
 * barrier) and before any pipeline reads t0. local_status is IPB_OK or an error with msg.
 * The gate agrees with every other rank (so a set-up failure anywhere stops everyone, with no
 * rank left waiting in a barrier), then runs MPI_Barrier. Returns IPB_OK when every rank is
 * ready; otherwise the method must not start its timed loops. */
typedef int (*ipb_gate_fn)(struct ipb_run *run, int local_status, const char *msg);

/* What a method gets: the options and this rank's identity, the per-pipeline stats it must
 * fill, the gate, and a place for the one error line. */
struct ipb_run {
    const struct ipb_options *opts;
    unsigned rank;
    unsigned npipelines;
    struct ipb_pipeline_stats *stats; /* npipelines entries, zeroed by the caller */
    ipb_gate_fn gate;
    void *gate_arg;
    void *method_state;   /* from prelaunch(), if any; still set after run() when the method
                             keeps its workers for another repetition (abandon() ends them) */
    /* Where the pipelines' counters live while they run, when not in stats (fork: the mapping
     * shared with the children). Set before the gate; read by the --progress thread. */
    const struct ipb_pipeline_stats *live;
    const char *aio_engine_used; /* set by methods with IPB_METHOD_USES_AIO_ENGINE */
    /* Provided by the caller: during the timed phase, the thread that called run() calls it at
     * least every IPB_POLL_INTERVAL_S or so when it can (between iterations, between waits).
     * Nonzero: this rank must stop early, as if a pipeline had failed but without an error
     * (another rank stopped: stop_notice.h). Cheap. May be NULL. */
    int (*should_stop)(struct ipb_run *run);
    /* Set by a method whose workers are separate processes (fork) when one of them caught a
     * stop signal (interrupt.h) that this process did not: the rank was interrupted. */
    int worker_signal;
    char errmsg[IPB_ERRMSG_LEN];
};

struct ipb_method {
    const char *name;
    const char *alias;   /* the Python original's name for it, or NULL */
    const char *summary; /* one line for --help */
    const char *detail;  /* a paragraph for the man page and docs/reference.md (ipb-gendoc) */
    unsigned flags;

    /* Optional. Called before MPI_Init, with valid options and no rank yet (fork uses it to
     * start its children while the process holds no MPI state). Returns IPB_OK or an error
     * with a message in errmsg. */
    int (*prelaunch)(struct ipb_run *run);

    /* Set up every pipeline (buffers, files, workers), call run->gate exactly once, run the
     * timed loops, fill run->stats, close the files. May be called again for the next
     * repetition (with stats reset and the files removed in between). Returns IPB_OK, IPB_ERUN with one line in
     * run->errmsg, or the non-OK status that the gate returned (then errmsg may stay empty:
     * the failing rank reports). Does not remove files: the caller does, from stats->created. */
    int (*run)(struct ipb_run *run);

    /* Optional. Release what prelaunch() started when run() will not be called (bad input
     * found after MPI_Init), or will not be called again (after the last repetition). */
    void (*abandon)(struct ipb_run *run);
};

/* An ipb_poll_fn for the blocking loop (pipeline.h) of the thread that called run(): arg is the
 * struct ipb_run; calls its should_stop, if any. */
int ipb_run_poll(void *run);

/* The registry. */
const struct ipb_method *ipb_method_find(const char *name); /* name or alias, NULL if none */
const struct ipb_method *ipb_method_default(void);
void ipb_method_list(FILE *out); /* for --help */
void ipb_method_names(char *out, size_t outlen); /* "sequential, openmp, fork, aio" */
size_t ipb_method_count(void);                  /* the registry in --help order, */
const struct ipb_method *ipb_method_at(size_t i); /* NULL past the end */

extern const struct ipb_method ipb_method_sequential;
extern const struct ipb_method ipb_method_openmp;
extern const struct ipb_method ipb_method_fork;
extern const struct ipb_method ipb_method_aio;

#endif
