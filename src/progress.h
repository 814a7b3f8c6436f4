/* --progress SECONDS: a line on rank 0's stderr every interval with the aggregate throughput so
 * far, while the timed phase runs.
 *
 * Who can print it: not the thread that runs the method. Under openmp rank 0's master thread is
 * running a pipeline, under fork it is the parent blocked in poll(), under aio it is the event
 * loop; interrupting any of them would change what is measured. So each rank starts one small
 * helper thread after the start gate. It sleeps on a condition variable until the next tick,
 * sums its rank's pipeline byte counters (relaxed atomic loads of counters the pipelines store
 * with relaxed atomics, so the hot loop pays nothing), and combines them over all ranks with
 * one MPI_Iallreduce on a duplicate of MPI_COMM_WORLD, polled with MPI_Test and short sleeps
 * (a blocking collective would spin a core in Open MPI and steal it from the pipelines).
 *
 * That needs MPI_THREAD_MULTIPLE, which the program asks for only when --progress is given.
 * Without it (or with one rank) the thread is started on rank 0 only and uses no MPI: the line
 * then says it counts rank 0's pipelines only.
 *
 * Ending: the ranks' helpers must make the same number of collective calls. Every call carries
 * "still running" flags; a rank whose timed phase has ended keeps taking part (without waiting
 * for ticks) until the sum says no rank is running, so all helpers leave after the same call.
 * ipb_progress_stop() wakes the helper at once, so the last rank to finish does not wait for a
 * tick. The cost, measured and reported in the README: see docs.
 *
 * The line and the --interval series (timeseries.h) count the same thing: a buffer at its
 * completion, in the one place a completed iteration is accounted (ipb_stats_iteration_done),
 * which adds its bytes to the counter read here and to its interval. So "MiB/s in the last dt"
 * is the series' MiB/s over the intervals that dt covers (up to the pipelines' t0 being read a
 * few microseconds after the gate's). The helper reads the running totals, not the intervals:
 * summing a pipeline's intervals at every tick would cost O(intervals). */
#ifndef IPB_PROGRESS_H
#define IPB_PROGRESS_H

#include <mpi.h>
#include <stdbool.h>
#include <stdio.h>

#include "pipeline.h"

struct ipb_progress;

/* Start the helper (collective over comm when comm != MPI_COMM_NULL: every rank calls it;
 * with MPI_COMM_NULL only rank 0 should). stats: where this rank's pipelines count while they
 * run (may be shared memory written by other processes). t0: the gate's time. Returns NULL
 * (and prints nothing) when the thread cannot be started: progress is best effort, never a
 * reason to fail a run. */
struct ipb_progress *ipb_progress_start(MPI_Comm comm, int rank, int nranks,
                                        const struct ipb_pipeline_stats *stats, unsigned n,
                                        double interval_s, double t0, FILE *out);

/* This rank's timed phase is over: wake the helper, and join it once every rank is over
 * (collective with the other ranks' helpers). NULL-safe. Returns the number of lines printed. */
unsigned ipb_progress_stop(struct ipb_progress *p);

/* The line, pure (for the tests): t seconds since t0, bytes so far, bytes at the previous line
 * dt seconds earlier, running/nranks ranks still running, local: rank 0's pipelines only. */
void ipb_progress_format(char *out, size_t outlen, double t, unsigned long long bytes,
                         unsigned long long prev_bytes, double dt, unsigned running,
                         unsigned nranks, bool local);

#endif
