#include "agree.h"

#include <limits.h>
#include <string.h>

#include "ipb_status.h"

int ipb_agree(MPI_Comm comm, int status, const char *msg, char *out, size_t outlen)
{
    int rank, worst;
    MPI_Comm_rank(comm, &rank);
    /* Severity, then the status back: the codes are exit statuses, not an order. */
    const int sev = ipb_status_severity(status);
    int worst_sev;
    MPI_Allreduce(&sev, &worst_sev, 1, MPI_INT, MPI_MAX, comm);
    if (worst_sev == 0)
        return IPB_OK;

    /* Which rank speaks: the lowest one with the worst status, so the message is deterministic
     * and matches the exit status. */
    int mine = (sev == worst_sev) ? rank : INT_MAX, speaker;
    MPI_Allreduce(&mine, &speaker, 1, MPI_INT, MPI_MIN, comm);

    char buf[IPB_ERRMSG_LEN];
    memset(buf, 0, sizeof(buf));
    if (rank == speaker && msg != NULL)
        strncpy(buf, msg, sizeof(buf) - 1);
    MPI_Bcast(buf, (int)sizeof(buf), MPI_CHAR, speaker, comm);
    worst = status;
    MPI_Bcast(&worst, 1, MPI_INT, speaker, comm);
    if (out != NULL && outlen > 0) {
        strncpy(out, buf, outlen - 1);
        out[outlen - 1] = '\0';
    }
    return worst;
}
