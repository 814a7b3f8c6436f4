#include "gather.h"

#include <stdlib.h>

int ipb_gather_bytes(MPI_Comm comm, const void *mine, int nbytes, void **out, int **counts_out,
                     int **displs_out)
{
    int rank = 0, nranks = 0;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    int *counts = NULL, *displs = NULL;
    char *buf = NULL;
    int ok = 1;
    if (rank == 0) {
        counts = calloc((size_t)nranks, sizeof(int));
        displs = calloc((size_t)nranks, sizeof(int));
        ok = counts != NULL && displs != NULL;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
    if (!ok)
        goto fail;
    MPI_Gather(&nbytes, 1, MPI_INT, counts, 1, MPI_INT, 0, comm);
    if (rank == 0) {
        /* int displacements: fine up to 2 GiB (2^31 / 168 bytes = 12 million pipeline rows);
         * beyond that the sum is refused rather than wrapped. */
        long long total = 0;
        for (int i = 0; i < nranks; i++) {
            displs[i] = (int)total;
            total += counts[i];
        }
        ok = total < (1LL << 31) && (buf = malloc(total > 0 ? (size_t)total : 1)) != NULL;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
    if (!ok)
        goto fail;
    MPI_Gatherv(mine, nbytes, MPI_BYTE, buf, counts, displs, MPI_BYTE, 0, comm);
    if (rank == 0) {
        *out = buf;
        *counts_out = counts;
        *displs_out = displs;
    }
    return 0;
fail:
    free(counts);
    free(displs);
    free(buf);
    return -1;
}
