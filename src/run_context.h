/* What the HDF5 results file records about a run besides its results (docs/design.md, "The HDF5
 * results file"): the context (command line, libraries, kernel, file system, affinity, OpenMP,
 * batch job). What the run measured is the results module's (results.h).
 *
 * Collection is in two steps so that the HDF5 writer needs no MPI and can be driven by a test
 * program without mpirun: ipb_run_context_collect() is local (no collective; MPI_Get_version
 * and MPI_Get_library_version may be called before MPI_Init), ipb_run_context_gather() is the
 * collective that brings every rank's affinity mask to rank 0. */
#ifndef IPB_RUN_CONTEXT_H
#define IPB_RUN_CONTEXT_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

#define IPB_CTX_STR 1024

struct ipb_run_context {
    /* Local to each rank (collect). */
    char *command_line; /* argv, shell-quoted, space-separated (malloc'd) */
    char mpi_library_version[MPI_MAX_LIBRARY_VERSION_STRING];
    char mpi_version[16]; /* "3.1" */
    int mpi_thread_level; /* provided by MPI_Init_thread */
    char hdf5_version[32];
    char compiler[256];
    char kernel[IPB_CTX_STR];    /* uname: sysname release version machine */
    char data_dir[IPB_PATH_MAX]; /* the data files' directory, resolved */
    char fs_type[64];            /* from /proc/self/mountinfo ("ext4", "nfs4", "lustre") */
    char fs_magic[32];           /* statfs f_type ("0xef53") and its usual name */
    char mount_point[IPB_PATH_MAX];
    char mount_source[IPB_PATH_MAX];
    char mount_options[IPB_CTX_STR]; /* per-mount options ("rw,relatime") */
    char fs_options[IPB_CTX_STR];    /* the file system's own ("vers=4.2", "flock", ...) */
    char omp_env[IPB_CTX_STR];       /* OMP_*, GOMP_*, KMP_*: "NAME=value" joined by spaces */
    int omp_max_threads;             /* omp_get_max_threads() when collected */
    char job_id[256];                /* SLURM_JOB_ID or PBS_JOBID, "" outside a batch job */
    char job_scheduler[16];          /* "slurm", "pbs" or "" */
    char *cpus;                      /* this rank's affinity as a CPU list ("0-3,8") (malloc'd) */

    /* On rank 0 after gather (NULL elsewhere): every rank's CPU list, by rank. */
    unsigned nranks;
    char **rank_cpus;
};

/* Fill the local part. argv may be NULL (argc 0). Cannot fail in a way that matters to a run:
 * what cannot be found is recorded as "" (or "unknown"). Returns 0, or -1 when out of memory. */
int ipb_run_context_collect(struct ipb_run_context *c, const struct ipb_options *o, int argc,
                            char *const argv[], int mpi_thread_level);

/* Collective over comm: gather every rank's CPU list to rank 0. Every rank takes the same path
 * even when rank 0 cannot allocate (it says so with a broadcast before the variable-size
 * gathers), so no rank is left in a collective. Returns IPB_OK, or IPB_ERUN with a message in
 * err (on rank 0 only; the caller agrees). */
int ipb_run_context_gather(struct ipb_run_context *c, MPI_Comm comm, char *err, size_t errlen);

void ipb_run_context_free(struct ipb_run_context *c);

/* Helpers, exposed for the tests. */
/* The CPUs of a mask as a list of ranges ("0-3,8,10-11"); "" for an empty mask. */
void ipb_cpulist_format(char *out, size_t outlen, const unsigned char *mask, size_t nbits);
/* Quote one argument for a POSIX shell when it needs it (it is copied as is otherwise). */
void ipb_shell_quote(char *out, size_t outlen, const char *arg);

#endif
