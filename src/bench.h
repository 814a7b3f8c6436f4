/* One benchmark run on one rank, from parsed options to the reported row (DESIGN.md,
 * "Timing"). main() calls these in order; each returns IPB_OK to go on, or the exit status
 * that every rank has agreed on. */
#ifndef IPB_BENCH_H
#define IPB_BENCH_H

#include <stdbool.h>

#include "ipb_status.h"
#include "method.h"
#include "options.h"

struct ipb_bench {
    int argc;
    char **argv;
    struct ipb_options opts;
    struct ipb_run run;
    int status;   /* the first failure seen on this rank before agreement */
    bool done;    /* --help or --version handled: exit 0 */
    bool prelaunched;
    bool gate_called;
    int gate_status; /* what the gate agreed on */
    int mpi_thread_level;
    int rank, nranks;
    char timestamp[40]; /* start of the timed phase, ISO-8601 UTC (rank 0) */
    char errmsg[IPB_ERRMSG_LEN];
};

/* Before MPI_Init: parse argv; start the method's workers (fork forks here). */
void ipb_bench_init(struct ipb_bench *b, int argc, char **argv);

/* After MPI_Init: agree on the input (bad input: rank 0 prints one line, every rank returns
 * IPB_EBADINPUT), run the file-system preflight, handle --help/--version (b->done). */
int ipb_bench_check(struct ipb_bench *b, int mpi_thread_level);

/* The timed run: the method sets up, passes the start gate (MPI_Barrier), runs, and every rank
 * agrees on the outcome. */
int ipb_bench_run(struct ipb_bench *b);

/* Gather per-rank rows to rank 0, which prints the .dat header and row and appends to --dat. */
int ipb_bench_report(struct ipb_bench *b);

/* Remove this rank's data files (all of them after a failure, none with --keep-files after a
 * success) and free everything. */
void ipb_bench_finish(struct ipb_bench *b, int status);

#endif
