/* The janitor: one small process per rank that removes the rank's data files if the rank dies
 * without removing them itself (SIGKILL, the OOM killer, a crash).
 *
 * A rank that stops normally, fails or is interrupted removes its own files (bench.c). One
 * killed outright cannot: on a shared file system a sweep would then leave gigabytes behind
 * every time a node's OOM killer or a `kill -9` strikes. So before MPI_Init (like the fork
 * method's children, and for the same reasons: no MPI state in the child, no fork cost after
 * MPI_Init) each rank starts a janitor (forked twice, in its own session, so that a launcher
 * killing the rank's process tree or group does not take it along). It shares one small mapping
 * with the rank, where the rank
 * marks which data files exist, and holds the read end of a pipe whose write end only the rank
 * (and its fork children, which die with it) hold. It sleeps in read(): EOF means the rank is
 * gone. Then it removes the files still marked (if any, with one line on stderr naming them)
 * and exits. A rank that ended normally has unmarked every file (removed, or kept with
 * --keep-files), so the janitor just exits. It ignores SIGINT, SIGTERM and SIGUSR1: mpirun and
 * Slurm signal the rank, and the janitor must outlive it by the microseconds it needs.
 *
 * Only files this run created are ever marked (stats->created: O_EXCL succeeded), so the
 * janitor cannot remove anything the user owns. */
#ifndef IPB_JANITOR_H
#define IPB_JANITOR_H

#include <stdbool.h>

#include "options.h"

/* Before MPI_Init. Returns 0, or -1 with a message (the run can still go on without it: the
 * caller reports the message as a warning). */
int ipb_janitor_start(const struct ipb_options *opts, char *err, size_t errlen);

/* After MPI_Init: the rank whose files these are (the names include it). */
void ipb_janitor_set_rank(unsigned rank);

/* Data file `index` exists now (true) or is gone or kept on purpose (false). */
void ipb_janitor_mark(unsigned index, bool exists);

#endif
