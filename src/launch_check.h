/* Did the processes form one MPI job? A launcher of one MPI library (Open MPI's mpirun, MPICH's
 * mpiexec, srun with a PMI plugin the library does not speak) starts a binary of another as N
 * unrelated singletons: each believes it is rank 0 of 1 and writes its own row. The launcher's
 * environment tells how many processes it started; MPI_Comm_size tells how many joined. No MPI
 * here: the caller passes the world size in. */
#ifndef IPB_LAUNCH_CHECK_H
#define IPB_LAUNCH_CHECK_H

#include <stddef.h>

/* The value of an environment variable, or NULL (getenv, or a table in the unit tests). */
typedef const char *(*ipb_env_lookup)(const char *name);

/* IPB_OK, or IPB_EBADINPUT with one line in err when the launcher's environment says this
 * process is one of N > 1 but MPI_COMM_WORLD has world_size == 1. flavour is the MPI library the
 * program was built with ("openmpi", "mpich", other), named in the advice. Only the variables
 * of the launcher closest to the process are read, and only when present, so a singleton run by
 * hand or from a batch script (no srun) always passes. */
int ipb_launch_check_env(ipb_env_lookup env, int world_size, const char *flavour, char *err,
                         size_t errlen);

/* The same with this process's environment (getenv). */
int ipb_launch_check(int world_size, const char *flavour, char *err, size_t errlen);

#endif
