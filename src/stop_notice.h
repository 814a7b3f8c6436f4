/* The stop notice: a rank that stops early (a pipeline failed, a child died, a stop signal)
 * tells every other rank at once, so they stop too instead of running out their --duration.
 * Without it, one failed rank in a 1-hour run would leave the others writing for an hour
 * before everyone agreed on the failure.
 *
 * How: on a duplicate of MPI_COMM_WORLD (so it can never match other traffic), every rank
 * posts one MPI_Irecv from any source before the start gate; during the timed phase the thread
 * that owns MPI tests it (MPI_Test, at most every IPB_POLL_INTERVAL_S); a rank that stops early
 * sends one int to every other rank with MPI_Isend. After the timed phase, settle() makes the
 * bookkeeping exact with one MPI_Allreduce: every rank learns how many notices were sent, so it
 * receives exactly the ones addressed to it (or cancels its receive when there were none) and
 * completes its own sends. Nothing is left in flight for the next repetition.
 *
 * Every call is on the thread that called MPI_Init (MPI_THREAD_FUNNELED is enough). */
#ifndef IPB_STOP_NOTICE_H
#define IPB_STOP_NOTICE_H

#include <mpi.h>
#include <stdbool.h>

struct ipb_stop_notice {
    MPI_Comm comm;         /* MPI_COMM_NULL: one rank, nothing to tell */
    int rank, nranks;
    MPI_Request recv_req;  /* the posted receive, or MPI_REQUEST_NULL */
    int recv_buf;
    bool received;         /* a notice arrived (the receive completed) */
    MPI_Request *send_req; /* nranks entries while a notice is being sent */
    int send_buf;
    bool sent;
};

/* Collective over MPI_COMM_WORLD: duplicate it. Returns 0, or -1 (out of memory). */
int ipb_stop_notice_init(struct ipb_stop_notice *n);

/* Before the start gate of each run: post the receive. */
void ipb_stop_notice_arm(struct ipb_stop_notice *n);

/* During the timed phase: has another rank stopped early? (Cheap: one MPI_Test.) */
bool ipb_stop_notice_test(struct ipb_stop_notice *n);

/* This rank stopped early: tell every other rank (once per run; non-blocking). */
void ipb_stop_notice_send(struct ipb_stop_notice *n);

/* Collective, after the timed phase of every rank: receive every notice sent to this rank,
 * cancel the receive if none was, complete this rank's sends. */
void ipb_stop_notice_settle(struct ipb_stop_notice *n);

/* Collective: free the communicator. */
void ipb_stop_notice_free(struct ipb_stop_notice *n);

#endif
