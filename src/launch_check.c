#include "launch_check.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipb_status.h"

/* Where each launcher says how many processes it started, innermost first: the ranks of
 * Open MPI's mpirun or of Hydra inside a Slurm step also inherit the step's SLURM_* variables
 * (their daemons are srun tasks), so the launcher that set its own variable wins. Seen here:
 * mpirun (Open MPI 4.1) sets OMPI_COMM_WORLD_SIZE; mpiexec.mpich (Hydra 4.0) and
 * srun --mpi=pmi2 set PMI_SIZE; srun sets SLURM_STEP_NUM_TASKS whatever its --mpi plugin, and
 * sbatch's batch script and salloc's shell, which are not steps, do not. srun --mpi=pmix sets no
 * size variable of its own. */
static const char *const size_vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"};

/* A launcher's count: a plain decimal number >= 1, else 0 (not ours to judge). */
static long parse_count(const char *s)
{
    if (s == NULL || *s < '0' || *s > '9')
        return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > INT_MAX)
        return 0;
    return v;
}

static const char *library_name(const char *flavour)
{
    if (strcmp(flavour, "openmpi") == 0)
        return "Open MPI";
    if (strcmp(flavour, "mpich") == 0)
        return "MPICH";
    return flavour;
}

/* How to launch a binary of this flavour, for the end of the message. */
static const char *advice(const char *flavour)
{
    if (strcmp(flavour, "openmpi") == 0)
        return "launch it with Open MPI's mpirun (Debian: mpirun.openmpi), or srun --mpi=pmix";
    if (strcmp(flavour, "mpich") == 0)
        return "launch it with MPICH's mpiexec (Debian: mpiexec.mpich), or srun --mpi=pmi2 "
               "(Cray MPICH: srun --mpi=cray_shasta)";
    return "launch it with the launcher of that MPI library";
}

int ipb_launch_check_env(ipb_env_lookup env, int world_size, const char *flavour, char *err,
                         size_t errlen)
{
    const char *var = NULL, *value = NULL;
    for (size_t i = 0; i < sizeof(size_vars) / sizeof(size_vars[0]) && var == NULL; i++) {
        value = env(size_vars[i]);
        if (value != NULL)
            var = size_vars[i];
    }
    long n = parse_count(value);
    /* Only a world of 1 is compared: that is what a foreign launcher produces, and a launcher
     * count that differs from a larger world (MPMD, spawn, nesting) is not ours to judge. */
    if (var == NULL || n <= 1 || world_size != 1)
        return IPB_OK;

    const char *lib = library_name(flavour);
    if (strcmp(var, "SLURM_STEP_NUM_TASKS") == 0) {
        snprintf(err, errlen,
                 "launched as one of %ld tasks by srun (%s=%s) but MPI_COMM_WORLD has 1 rank: "
                 "srun's MPI plugin (--mpi, or MpiDefault in slurm.conf) is not one that %s, "
                 "the MPI library this program was built with, speaks; %s",
                 n, var, value, lib, advice(flavour));
    } else {
        const char *who = strcmp(var, "OMPI_COMM_WORLD_SIZE") == 0
                              ? "Open MPI's mpirun"
                              : "MPICH's mpiexec or another PMI launcher";
        snprintf(err, errlen,
                 "launched as one of %ld processes by %s (%s=%s) but MPI_COMM_WORLD has 1 rank: "
                 "the launcher belongs to a different MPI library than the one this program was "
                 "built with (%s); %s",
                 n, who, var, value, lib, advice(flavour));
    }
    return IPB_EBADINPUT;
}

static const char *real_env(const char *name)
{
    return getenv(name);
}

int ipb_launch_check(int world_size, const char *flavour, char *err, size_t errlen)
{
    return ipb_launch_check_env(real_env, world_size, flavour, err, errlen);
}
