/* One benchmark run on one rank, from parsed options to the reported row (docs/design.md,
 * "Timing"). main() calls these in order; each returns IPB_OK to go on, or the exit status
 * that every rank has agreed on. */
#ifndef IPB_BENCH_H
#define IPB_BENCH_H

#include <mpi.h>
#include <stdbool.h>

#include "ipb_status.h"
#include "method.h"
#include "options.h"
#include "stop_notice.h"

struct ipb_bench {
    int argc;
    char **argv;
    struct ipb_options opts;
    struct ipb_run run;
    int status; /* the first failure seen on this rank before agreement */
    bool done;  /* --help or --version handled: exit 0 */
    bool prelaunched;
    bool gate_called;
    int gate_status; /* what the gate agreed on */
    int mpi_thread_level;
    int rank, nranks;
    char timestamp[40]; /* start of the timed phase, ISO-8601 UTC (rank 0) */
    char errmsg[IPB_ERRMSG_LEN];
    char warning[IPB_ERRMSG_LEN / 2]; /* said by rank 0 after MPI_Init; the run goes on */

    /* Repetitions (--repetitions, --warmup). */
    unsigned repetition; /* the run in progress, 0-based */
    bool warming;        /* the run in progress is the untimed warmup: not reported */
    char series_id[40];  /* rank 0: run id of repetition 0 */
    double *rep_drain;   /* rank 0: per repetition, for the summary line */
    double *rep_deadline;
    double *rep_fsync_p99;

    /* Stopping early (interrupt.h, stop_notice.h). */
    struct ipb_stop_notice notice; /* tells the other ranks when this one stops early */
    bool notice_ready;             /* notice initialised (collective) */
    int stop_signal;               /* the stop signal this rank (or a child) caught in the run */

    /* --interval: the series this rank allocated (NULL: none, or the method holds it) */
    struct ipb_ts_interval *series;

    /* --progress */
    MPI_Comm progress_comm; /* duplicate of MPI_COMM_WORLD, or MPI_COMM_NULL (rank-0-local) */
    struct ipb_progress *progress;
    double t_gate; /* this rank's clock when the gate let it through */
};

/* Before MPI_Init: parse argv; start the method's workers (fork forks here). */
void ipb_bench_init(struct ipb_bench *b, int argc, char **argv);

/* The MPI thread level to ask MPI_Init_thread for: FUNNELED, or MULTIPLE with --progress
 * (progress.h says why). */
int ipb_bench_thread_level(const struct ipb_bench *b);

/* After MPI_Init: agree on the input (bad input: rank 0 prints one line, every rank returns
 * IPB_EBADINPUT), run the file-system preflight, handle --help/--version (b->done). */
int ipb_bench_check(struct ipb_bench *b, int mpi_thread_level);

/* The timed run: the method sets up, passes the start gate (MPI_Barrier), runs, and every rank
 * agrees on the outcome. */
int ipb_bench_run(struct ipb_bench *b);

/* Collect the run's results on rank 0 (results.h), which prints the .dat header and row and
 * appends them to --dat and --hdf5. */
int ipb_bench_report(struct ipb_bench *b);

/* The whole series: the untimed --warmup run (if any), then --repetitions timed runs, each
 * run, reported and its data files removed (the last one's kept with --keep-files), then on
 * rank 0 a summary line over the repetitions. Stops at the first failure. With --import, records
 * the imported run instead. */
int ipb_bench_series(struct ipb_bench *b);

/* Remove this rank's data files (all of them after a failure, none with --keep-files after a
 * success) and free everything. */
void ipb_bench_finish(struct ipb_bench *b, int status);

#endif
