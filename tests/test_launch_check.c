/* Unit tests for src/launch_check.c: when does the launcher's environment contradict a world of
 * one rank? The environments below are the variables each launcher really set on this machine
 * (Open MPI 4.1 mpirun, MPICH 4.0 mpiexec.hydra, Slurm 22.05 srun with --mpi=pmix/pmi2/none and
 * an sbatch batch script), reduced to the ones that matter. test_launch runs the real thing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ipb_status.h"
#include "launch_check.h"

/* The fake environment: NULL-terminated "NAME=value" strings. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = fake_env; e != NULL && *e != NULL; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

#define SENTINEL "(untouched)"

static void check_(const char *const *env, int world, const char *flavour, int want,
                   const char *const *must_say, const char *file, int line)
{
    char err[1024] = SENTINEL;
    fake_env = env;
    int rc = ipb_launch_check_env(fake_getenv, world, flavour, err, sizeof err);
    int ok = rc == want;
    if (want == IPB_OK && strcmp(err, SENTINEL) != 0)
        ok = 0; /* a pass leaves the message alone: bench.c's earlier error must survive */
    for (const char *const *s = must_say; ok && s != NULL && *s != NULL; s++)
        if (strstr(err, *s) == NULL)
            ok = 0;
    if (want != IPB_OK && (strchr(err, '\n') != NULL || strlen(err) + 1 >= sizeof err))
        ok = 0; /* one whole line */
    if (!ok) {
        print_error("environment:");
        for (const char *const *e = env; e != NULL && *e != NULL; e++)
            print_error(" %s", *e);
        print_error("\nworld size %d, built with %s: status %d (expected %d), message: %s\n", world,
                    flavour, rc, want, err);
        for (const char *const *s = must_say; s != NULL && *s != NULL; s++)
            print_error("  the message must contain: %s\n", *s);
        _fail(file, line);
    }
}
#define PASSES(env, world, flavour)                                                                \
    check_((env), (world), (flavour), IPB_OK, NULL, __FILE__, __LINE__)
#define REFUSED(env, world, flavour, ...)                                                          \
    check_((env), (world), (flavour), IPB_EBADINPUT, (const char *const[]){__VA_ARGS__, NULL},     \
           __FILE__, __LINE__)

static const char *const none[] = {"HOME=/root", "PATH=/usr/bin", NULL};
static const char *const ompi4[] = {"OMPI_COMM_WORLD_SIZE=4", "OMPI_COMM_WORLD_RANK=2",
                                    "PMIX_RANK=2", "PMIX_NAMESPACE=1405550593", NULL};
static const char *const hydra2[] = {"PMI_SIZE=2", "PMI_RANK=1", "PMI_FD=8", "MPI_LOCALNRANKS=2",
                                     NULL};
static const char *const srun_pmix3[] = {"SLURM_JOB_ID=7",
                                         "SLURM_STEP_ID=0",
                                         "SLURM_STEP_NUM_TASKS=3",
                                         "SLURM_NTASKS=3",
                                         "SLURM_PROCID=0",
                                         "PMIX_RANK=0",
                                         NULL};
static const char *const srun_pmi2_2[] = {"SLURM_JOB_ID=8",
                                          "SLURM_STEP_ID=0",
                                          "SLURM_STEP_NUM_TASKS=2",
                                          "PMI_SIZE=2",
                                          "PMI_RANK=0",
                                          "PMI_FD=11",
                                          NULL};
/* sbatch -N 2 -n 4: the batch script is not a step, and says so by having no SLURM_STEP_* */
static const char *const batch4[] = {"SLURM_JOB_ID=4", "SLURM_NTASKS=4", "SLURM_NPROCS=4",
                                     "SLURM_PROCID=0", NULL};

static void test_no_launcher_passes(void **state)
{
    (void)state;
    PASSES(none, 1, "mpich");
    PASSES(none, 1, "openmpi");
    PASSES(NULL, 1, "openmpi"); /* an empty environment */
}

static void test_batch_script_without_srun_passes(void **state)
{
    (void)state;
    /* A singleton started by the batch script itself: SLURM_NTASKS is the allocation, not a
     * launch, and must not be read as one. */
    PASSES(batch4, 1, "mpich");
    PASSES(batch4, 1, "openmpi");
}

static void test_one_job_passes(void **state)
{
    (void)state;
    PASSES(ompi4, 4, "openmpi");
    PASSES(hydra2, 2, "mpich");
    PASSES(srun_pmix3, 3, "openmpi");
    PASSES(srun_pmi2_2, 2, "mpich");
}

static void test_launchers_of_one_process_pass(void **state)
{
    (void)state;
    static const char *const ompi1[] = {"OMPI_COMM_WORLD_SIZE=1", NULL};
    static const char *const pmi1[] = {"PMI_SIZE=1", NULL};
    static const char *const srun1[] = {"SLURM_STEP_ID=0", "SLURM_STEP_NUM_TASKS=1", NULL};
    PASSES(ompi1, 1, "mpich");
    PASSES(pmi1, 1, "openmpi");
    PASSES(srun1, 1, "mpich");
}

static void test_foreign_mpirun_refused(void **state)
{
    (void)state;
    /* The MPICH binary under Open MPI's mpirun -np 4 */
    REFUSED(ompi4, 1, "mpich", "launched as one of 4 processes", "Open MPI's mpirun",
            "OMPI_COMM_WORLD_SIZE=4", "MPI_COMM_WORLD has 1 rank", "different MPI library",
            "(MPICH)", "mpiexec.mpich");
    /* The Open MPI binary under MPICH's mpiexec -n 2 */
    REFUSED(hydra2, 1, "openmpi", "launched as one of 2 processes", "MPICH's mpiexec", "PMI_SIZE=2",
            "MPI_COMM_WORLD has 1 rank", "(Open MPI)", "mpirun.openmpi");
}

static void test_wrong_srun_plugin_refused(void **state)
{
    (void)state;
    /* The MPICH binary under srun --mpi=pmix (MPICH here speaks PMI-1/2 only) */
    REFUSED(srun_pmix3, 1, "mpich", "launched as one of 3 tasks by srun", "SLURM_STEP_NUM_TASKS=3",
            "MPI_COMM_WORLD has 1 rank", "MPICH", "srun --mpi=pmi2");
    static const char *const srun_none2[] = {"SLURM_STEP_ID=0", "SLURM_STEP_NUM_TASKS=2", NULL};
    REFUSED(srun_none2, 1, "openmpi", "one of 2 tasks by srun", "Open MPI", "srun --mpi=pmix");
}

static void test_innermost_launcher_wins(void **state)
{
    (void)state;
    /* mpirun -np 1 inside a 4-task srun step (the ranks inherit the step's variables): one
     * process was asked for, one joined. */
    static const char *const mpirun1_in_step4[] = {"SLURM_STEP_ID=0", "SLURM_STEP_NUM_TASKS=4",
                                                   "OMPI_COMM_WORLD_SIZE=1", NULL};
    PASSES(mpirun1_in_step4, 1, "openmpi");
    static const char *const hydra1_in_step4[] = {"SLURM_STEP_ID=0", "SLURM_STEP_NUM_TASKS=4",
                                                  "PMI_SIZE=1", NULL};
    PASSES(hydra1_in_step4, 1, "mpich");
    /* ... and a foreign mpirun inside a step is named as mpirun, not srun */
    static const char *const mpirun2_in_step1[] = {"SLURM_STEP_ID=0", "SLURM_STEP_NUM_TASKS=1",
                                                   "OMPI_COMM_WORLD_SIZE=2", NULL};
    REFUSED(mpirun2_in_step1, 1, "mpich", "one of 2 processes by Open MPI's mpirun");
}

static void test_a_larger_world_is_not_judged(void **state)
{
    (void)state;
    /* Only a world of 1 is what a foreign launcher makes; other mismatches are left alone. */
    PASSES(ompi4, 2, "openmpi");
    PASSES(srun_pmix3, 2, "mpich");
}

static void test_unreadable_counts_ignored(void **state)
{
    (void)state;
    static const char *const bad[][2] = {{"OMPI_COMM_WORLD_SIZE=", NULL},
                                         {"OMPI_COMM_WORLD_SIZE=four", NULL},
                                         {"PMI_SIZE=-2", NULL},
                                         {"PMI_SIZE= 2", NULL},
                                         {"PMI_SIZE=2x", NULL},
                                         {"PMI_SIZE=0", NULL},
                                         {"SLURM_STEP_NUM_TASKS=99999999999999999999", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        PASSES(bad[i], 1, "mpich");
}

static void test_other_flavour_named(void **state)
{
    (void)state;
    REFUSED(ompi4, 1, "other", "(other)", "the launcher of that MPI library");
}

static void test_message_fits_a_small_buffer(void **state)
{
    (void)state;
    /* Truncated, never overflowed: bench.c passes a fixed buffer. */
    char err[16];
    memset(err, 'x', sizeof err);
    fake_env = ompi4;
    assert_int_equal(ipb_launch_check_env(fake_getenv, 1, "mpich", err, 8), IPB_EBADINPUT);
    assert_int_equal(strlen(err), 7);
    assert_int_equal(err[8], 'x');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_launcher_passes),
        cmocka_unit_test(test_batch_script_without_srun_passes),
        cmocka_unit_test(test_one_job_passes),
        cmocka_unit_test(test_launchers_of_one_process_pass),
        cmocka_unit_test(test_foreign_mpirun_refused),
        cmocka_unit_test(test_wrong_srun_plugin_refused),
        cmocka_unit_test(test_innermost_launcher_wins),
        cmocka_unit_test(test_a_larger_world_is_not_judged),
        cmocka_unit_test(test_unreadable_counts_ignored),
        cmocka_unit_test(test_other_flavour_named),
        cmocka_unit_test(test_message_fits_a_small_buffer),
    };
    return cmocka_run_group_tests_name("launch_check", tests, NULL, NULL);
}
