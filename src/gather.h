/* Variable-size gathers to rank 0 that never leave a rank behind: shared by the run context
 * (every rank's CPU list) and the results (every pipeline's row). */
#ifndef IPB_GATHER_H
#define IPB_GATHER_H

#include <mpi.h>

/* Collective over comm: nbytes from every rank to rank 0, concatenated in rank order. On rank 0,
 * *out gets the buffer and *counts_out, *displs_out the byte counts and offsets by rank (all
 * three malloc'd; the caller frees them); elsewhere they are left alone. Rank 0 broadcasts
 * whether it could allocate before each step that needs memory, so every rank takes the same
 * collectives and returns the same verdict: 0, or -1 (nothing to free). A total of 2 GiB or
 * more is refused (MPI's int displacements), not wrapped. */
int ipb_gather_bytes(MPI_Comm comm, const void *mine, int nbytes, void **out, int **counts_out,
                     int **displs_out);

#endif
