#include "stop_notice.h"

#include <stdlib.h>

enum { NOTICE_TAG = 7 };

int ipb_stop_notice_init(struct ipb_stop_notice *n)
{
    n->comm = MPI_COMM_NULL;
    n->recv_req = MPI_REQUEST_NULL;
    n->send_req = NULL;
    n->received = n->sent = false;
    MPI_Comm_rank(MPI_COMM_WORLD, &n->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n->nranks);
    if (n->nranks < 2)
        return 0;
    n->send_req = malloc((size_t)n->nranks * sizeof(*n->send_req));
    /* Agreed, because MPI_Comm_dup is collective: every rank dups or none does. */
    int ok = n->send_req != NULL, all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!all_ok) {
        free(n->send_req);
        n->send_req = NULL;
        return -1;
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &n->comm);
    return 0;
}

void ipb_stop_notice_arm(struct ipb_stop_notice *n)
{
    n->received = n->sent = false;
    if (n->comm == MPI_COMM_NULL)
        return;
    MPI_Irecv(&n->recv_buf, 1, MPI_INT, MPI_ANY_SOURCE, NOTICE_TAG, n->comm, &n->recv_req);
}

bool ipb_stop_notice_test(struct ipb_stop_notice *n)
{
    if (n->comm == MPI_COMM_NULL || n->received || n->recv_req == MPI_REQUEST_NULL)
        return n->received;
    int flag = 0;
    MPI_Test(&n->recv_req, &flag, MPI_STATUS_IGNORE);
    if (flag)
        n->received = true;
    return n->received;
}

void ipb_stop_notice_send(struct ipb_stop_notice *n)
{
    if (n->comm == MPI_COMM_NULL || n->sent)
        return;
    n->sent = true;
    n->send_buf = n->rank;
    for (int r = 0; r < n->nranks; r++)
        if (r == n->rank)
            n->send_req[r] = MPI_REQUEST_NULL;
        else
            MPI_Isend(&n->send_buf, 1, MPI_INT, r, NOTICE_TAG, n->comm, &n->send_req[r]);
}

void ipb_stop_notice_settle(struct ipb_stop_notice *n)
{
    if (n->comm == MPI_COMM_NULL)
        return;
    int mine = n->sent ? 1 : 0, senders = 0;
    MPI_Allreduce(&mine, &senders, 1, MPI_INT, MPI_SUM, n->comm);
    int expected = senders - mine; /* one notice from every other sender */
    if (expected > 0) {
        if (!n->received)
            MPI_Wait(&n->recv_req, MPI_STATUS_IGNORE);
        for (int k = 1; k < expected; k++)
            MPI_Recv(&n->recv_buf, 1, MPI_INT, MPI_ANY_SOURCE, NOTICE_TAG, n->comm,
                     MPI_STATUS_IGNORE);
    } else if (n->recv_req != MPI_REQUEST_NULL) {
        MPI_Cancel(&n->recv_req);
        MPI_Wait(&n->recv_req, MPI_STATUS_IGNORE);
    }
    n->recv_req = MPI_REQUEST_NULL;
    /* One MPI_Wait per request, not MPI_Waitall(..., MPI_STATUSES_IGNORE): MPICH declares the
     * statuses as an array parameter and gcc 12 warns that its (MPI_Status *)1 is too small. */
    for (int r = 0; n->sent && r < n->nranks; r++)
        MPI_Wait(&n->send_req[r], MPI_STATUS_IGNORE);
    n->received = n->sent = false;
}

void ipb_stop_notice_free(struct ipb_stop_notice *n)
{
    if (n->comm != MPI_COMM_NULL)
        MPI_Comm_free(&n->comm);
    free(n->send_req);
    n->send_req = NULL;
}
