/* Collective agreement on errors: every rank learns the worst status and one message, so every
 * rank takes the same branch afterwards and none is left waiting in a collective that the
 * others skipped. */
#ifndef IPB_AGREE_H
#define IPB_AGREE_H

#include <mpi.h>
#include <stddef.h>

/* Collective over comm. Returns the most severe status of all ranks (IPB_OK <
 * IPB_EINTERRUPTED < IPB_ERUN < IPB_EBADINPUT, ipb_status_severity()). When it is not IPB_OK, out receives the message of the lowest-numbered rank
 * with that status, on every rank. msg may be NULL when status is IPB_OK. */
int ipb_agree(MPI_Comm comm, int status, const char *msg, char *out, size_t outlen);

#endif
