/* Did the ranks form one job? Integration tests of the launch check (src/launch_check.c) with
 * real launchers, in both builds:
 *
 * - A normal -np 3 run is one job: one row (not three) that says 3 ranks, and the HDF5 rank and
 *   pipeline rows and the data files carry the rank numbers 0, 1 and 2, each from its own
 *   MPI_Comm_rank. N singletons would print N rows of 1 rank, all numbered 0.
 * - The launcher of the other MPI library (Open MPI's mpirun for an MPICH build, MPICH's
 *   mpiexec for an Open MPI build) starts this build's program as unrelated singletons: every
 *   process must refuse with status 2 and say why, and create nothing. Skipped, saying so,
 *   when the other MPI is not installed.
 * - A singleton run by hand, with a batch script's Slurm variables around it (sbatch without
 *   srun), is not refused.
 * - The program loads one MPI library, this build's (and the HDF5 built for it): ldd. */
#include "harness.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "config.h"
#include "result_fields.h"

#define COL_ENUM(type, len, name, hdr, fmt, doc) COL_##name,
enum { IPB_RESULT_FIELDS(COL_ENUM) NCOLS };

/* Short runs: the point is who joined the job, not the numbers. */
#define SHORT_ARGS "--duration", "0.3", "--recv-delay", "0.02", "--buffer-size", "64"

static int setup(void **state)
{
    return th_ctx_setup_tagged(state, "launch");
}

/* The program's standard arguments, every output in the test's directory. */
static void add_outputs(struct th_argv *a, const char *dir)
{
    static const char *const args[] = {"--method",     "openmp", "--concurrency", "2", SHORT_ARGS,
                                       "--keep-files", NULL};
    th_argv_addv(a, args);
    th_argv_addf(a, "--output-file=%s/data", dir);
    th_argv_addf(a, "--dat=%s/results.dat", dir);
    th_argv_addf(a, "--hdf5=%s/results.h5", dir);
}

/* One field of every row of a 1-D compound dataset, as unsigned integers; the row count, or -1.
 * HDF5 matches compound members by name, so a one-member memory type reads just that field. */
static long read_u64_field(hid_t loc, const char *dataset, const char *field, uint64_t *out,
                           long max)
{
    hid_t d = H5Dopen2(loc, dataset, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t s = H5Dget_space(d);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(s, &n, NULL);
    H5Sclose(s);
    long rc = -1;
    if ((long)n <= max) {
        hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(uint64_t));
        H5Tinsert(t, field, 0, H5T_NATIVE_UINT64);
        if (n == 0 || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0)
            rc = (long)n;
        H5Tclose(t);
    }
    H5Dclose(d);
    return rc;
}

/* "0 1 2" for values 0, 1, 2 (sorted), for messages and comparisons. */
static void sorted_list(uint64_t *v, long n, char *out, size_t outlen)
{
    for (long i = 1; i < n; i++)
        for (long j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    out[0] = '\0';
    for (long i = 0; i < n; i++) {
        size_t used = strlen(out);
        snprintf(out + used, outlen - used, "%s%llu", i ? " " : "", (unsigned long long)v[i]);
    }
}

static void test_three_ranks_are_one_job(void **state)
{
    struct th_ctx *c = *state;
    struct th_argv a;
    th_mpirun(&a, 3);
    add_outputs(&a, c->dir);
    th_run(&a, c->dir, 40.0, &c->r);
    th_argv_free(&a);
    struct th_result *r = &c->r;
    TH_EXPECT(r, !r->timed_out, "the run did not finish within 40 s");
    TH_EXPECT(r, r->exited && r->status == 0, "expected exit status 0");
    TH_EXPECT(r, r->nleftovers == 0, "processes left running: %s", r->leftovers);

    /* stdout: one row for the job (three singletons would print three rows of 1 rank) */
    th_dat_parse(r->out, &c->d);
    TH_EXPECT(r, c->d.nrows == 1, "%d rows on stdout, expected 1 for one job of 3 ranks",
              c->d.nrows);
    TH_EXPECT(r, c->d.ncols[0] == NCOLS, "the row has %d columns", c->d.ncols[0]);
    TH_EXPECT(r, strcmp(c->d.row[0][COL_ranks], "3") == 0, "the row says %s ranks, not 3",
              c->d.row[0][COL_ranks]);
    TH_EXPECT(r, strcmp(c->d.row[0][COL_pipelines], "6") == 0, "the row says %s pipelines, not 6",
              c->d.row[0][COL_pipelines]);

    /* the .dat file holds that one row */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/results.dat", c->dir);
    char *text = th_read_file(path, NULL);
    TH_EXPECT(r, text != NULL, "no %s", path);
    struct th_dat fd;
    th_dat_parse(text, &fd);
    free(text);
    int dat_ok = fd.nrows == 1 && fd.ncols[0] == NCOLS && strcmp(fd.row[0][COL_ranks], "3") == 0;
    th_dat_free(&fd);
    TH_EXPECT(r, dat_ok, "%s: expected one row of 3 ranks", path);

    /* HDF5: one run of 3 ranks; its rank rows and pipeline rows carry ranks 0, 1, 2, each filled
     * in by the rank itself (MPI_Comm_rank), not by position */
    snprintf(path, sizeof path, "%s/results.h5", c->dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    TH_EXPECT(r, f >= 0, "cannot open %s", path);
    uint64_t runs_ranks[4] = {0}, rank_of_row[8] = {0}, rank_of_pipe[16] = {0};
    long nruns = read_u64_field(f, "runs", "ranks", runs_ranks, 4);
    char group[128];
    snprintf(group, sizeof group, "run/%s", c->d.row[0][COL_run_id]);
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    long nrank_rows = g >= 0 ? read_u64_field(g, "ranks", "rank", rank_of_row, 8) : -1;
    long npipe_rows = g >= 0 ? read_u64_field(g, "pipelines", "rank", rank_of_pipe, 16) : -1;
    if (g >= 0)
        H5Gclose(g);
    H5Fclose(f);
    TH_EXPECT(r, nruns == 1 && runs_ranks[0] == 3, "/runs: %ld rows, ranks %llu", nruns,
              (unsigned long long)runs_ranks[0]);
    char got[128];
    TH_EXPECT(r, nrank_rows == 3, "/%s/ranks has %ld rows, expected 3", group, nrank_rows);
    sorted_list(rank_of_row, nrank_rows, got, sizeof got);
    TH_EXPECT(r, strcmp(got, "0 1 2") == 0, "/%s/ranks: rank numbers %s, expected 0 1 2", group,
              got);
    TH_EXPECT(r, npipe_rows == 6, "/%s/pipelines has %ld rows, expected 6", group, npipe_rows);
    sorted_list(rank_of_pipe, npipe_rows, got, sizeof got);
    TH_EXPECT(r, strcmp(got, "0 0 1 1 2 2") == 0,
              "/%s/pipelines: rank numbers %s, expected 0 0 1 1 2 2", group, got);

    /* the data files are named by each rank's number: BASE.<rank>.<pipeline> */
    int n;
    char *names = th_listdir(c->dir, &n);
    char data[512] = "";
    for (char *w = strtok(names, " "); w != NULL; w = strtok(NULL, " "))
        if (strncmp(w, "data.", 5) == 0)
            snprintf(data + strlen(data), sizeof data - strlen(data), "%s%s", data[0] ? " " : "",
                     w);
    free(names);
    TH_EXPECT(r, strcmp(data, "data.0.0 data.0.1 data.1.0 data.1.1 data.2.0 data.2.1") == 0,
              "data files: %s; expected data.<rank>.<pipeline> for ranks 0 1 2, pipelines 0 1",
              data);
}

/* ---- one MPI library in the program ------------------------------------------------------- */

/* The libraries that give each MPI family away in `ldd` output (Debian's names; a source
 * build of either has the same MPI ones). libmpi.so itself is not one: both have it. */
static const char *const openmpi_libs[] = {"libopen-pal.so", "libopen-rte.so", "libhdf5_openmpi.so",
                                           NULL};
static const char *const mpich_libs[] = {"libmpich.so", "libhdf5_mpich.so", NULL};

static void test_one_mpi_library_loaded(void **state)
{
    struct th_ctx *c = *state;
    const char *flavour = th_mpi_flavour();
    if (strcmp(flavour, "openmpi") != 0 && strcmp(flavour, "mpich") != 0) {
        print_message("SKIPPED: built with MPI flavour '%s': no library names to check\n", flavour);
        skip();
    }
    const int mpich_build = strcmp(flavour, "mpich") == 0;
    struct th_argv a;
    th_argv_init(&a);
    th_argv_add(&a, "ldd");
    th_argv_add(&a, th_bin());
    th_run(&a, NULL, 30.0, &c->r);
    th_argv_free(&a);
    struct th_result *r = &c->r;
    TH_EXPECT(r, r->exited && r->status == 0, "ldd failed");
    /* the MPI library itself: libmpich for MPICH, Open MPI's libopen-pal under its libmpi */
    const char *own = mpich_build ? "libmpich.so" : "libopen-pal.so";
    TH_EXPECT(r, strstr(r->out, own) != NULL, "the %s build does not load %s", flavour, own);
    for (const char *const *lib = mpich_build ? openmpi_libs : mpich_libs; *lib != NULL; lib++)
        TH_EXPECT(r, strstr(r->out, *lib) == NULL,
                  "the %s build also loads %s, a library of the other MPI: two MPI libraries in "
                  "one process",
                  flavour, *lib);
}

/* ---- the other MPI library's launcher ------------------------------------------------------ */

/* The launcher of the MPI library this build does not use, looked up on PATH by its Debian
 * name; NULL when that library is not installed. */
static const char *foreign_flavour(void)
{
    return strcmp(th_mpi_flavour(), "mpich") == 0 ? "openmpi" : "mpich";
}

static const char *foreign_launcher(void)
{
    static const char *const openmpi[] = {"mpirun.openmpi", NULL};
    static const char *const mpich[] = {"mpiexec.mpich", "mpiexec.hydra", NULL};
    const char *const *names = strcmp(foreign_flavour(), "openmpi") == 0 ? openmpi : mpich;
    static char found[PATH_MAX];
    const char *path = getenv("PATH");
    for (const char *const *name = names; *name != NULL; name++) {
        for (const char *p = path; p != NULL && *p != '\0';) {
            const char *end = strchr(p, ':');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            snprintf(found, sizeof found, "%.*s/%s", (int)len, p, *name);
            if (len > 0 && access(found, X_OK) == 0)
                return found;
            p = end ? end + 1 : NULL;
        }
    }
    return NULL;
}

/* Under AddressSanitizer (tests/ci/sanitizers.sh), an Open MPI program that runs as a singleton
 * (no mpirun: started by hand, or by MPICH's launcher) ends with LeakSanitizer's tracer crashing
 * in its exit-time leak check ("Tracer caught signal 11"), in Open MPI's singleton machinery,
 * not in our code, and every such report fails the sanitizer run. These cases run in the plain
 * make check; under ASan they are skipped, saying why. */
static void skip_open_mpi_singleton_under_asan(void)
{
    if (getenv("ASAN_OPTIONS") != NULL && strcmp(th_mpi_flavour(), "openmpi") == 0) {
        print_message("SKIPPED under AddressSanitizer: an Open MPI singleton's exit makes "
                      "LeakSanitizer's tracer crash (not our code); this case runs in the plain "
                      "make check\n");
        skip();
    }
}

static void test_foreign_launcher_refused(void **state)
{
    struct th_ctx *c = *state;
    skip_open_mpi_singleton_under_asan();
    const char *launcher = foreign_launcher();
    const int mpich_build = strcmp(th_mpi_flavour(), "mpich") == 0;
    if (launcher == NULL) {
        print_message("SKIPPED: %s is not installed (Debian package %s), so this %s build cannot "
                      "be started by the other MPI library's launcher here\n",
                      mpich_build ? "Open MPI's mpirun.openmpi" : "MPICH's mpiexec.mpich",
                      mpich_build ? "openmpi-bin" : "mpich", th_mpi_flavour());
        skip();
    }
    struct th_argv a;
    th_mpirun_as(&a, launcher, foreign_flavour(), 2);
    add_outputs(&a, c->dir);
    th_run(&a, c->dir, 40.0, &c->r);
    th_argv_free(&a);
    struct th_result *r = &c->r;
    TH_EXPECT(r, !r->timed_out, "the run did not finish within 40 s");
    TH_EXPECT(r, r->exited && r->status == 2,
              "a program started by another MPI library's launcher must exit with status 2");
    TH_EXPECT(r, r->nleftovers == 0, "processes left running: %s", r->leftovers);
    TH_EXPECT(r, r->out_len == 0, "something was printed on stdout (a row?)");

    /* Each singleton says why (one or two lines: the launcher may stop the second process once
     * the first has exited), and nothing else. */
    char *lines[8];
    int nl = th_program_lines(r->err, lines, 8);
    const char *const must[] = {"io-pipeline-bench: launched as one of 2 processes by ",
                                mpich_build ? "Open MPI's mpirun (OMPI_COMM_WORLD_SIZE=2)"
                                            : "MPICH's mpiexec",
                                "but MPI_COMM_WORLD has 1 rank",
                                "different MPI library than the one this program was built with",
                                mpich_build ? "(MPICH)" : "(Open MPI)",
                                mpich_build ? "mpiexec.mpich" : "mpirun.openmpi"};
    int bad = nl < 1 || nl > 2;
    for (int i = 0; i < nl && i < 8 && !bad; i++)
        for (size_t k = 0; k < sizeof must / sizeof must[0] && !bad; k++)
            if (strstr(lines[i], must[k]) == NULL) {
                print_error("program line %d lacks \"%s\": %s\n", i, must[k], lines[i]);
                bad = 1;
            }
    th_lines_free(lines, nl < 8 ? nl : 8);
    TH_EXPECT(r, !bad,
              "expected one or two lines from the program (%d), each the launch check's message",
              nl);

    /* refused before anything was created: no data file, no .dat, no .h5 */
    int n;
    char *names = th_listdir(c->dir, &n);
    TH_EXPECT(r, n == 0, "files were created: %s", names);
    free(names);
}

/* ---- no false alarm ------------------------------------------------------------------------ */

/* The launch variables a test runner may have inherited (make check inside an srun step) would
 * make the by-hand run look launched: they are set aside for the one run and put back. */
static const char *const launch_vars[] = {
    "OMPI_COMM_WORLD_SIZE", "PMI_SIZE",     "SLURM_STEP_NUM_TASKS", "SLURM_STEP_ID",
    "SLURM_JOB_ID",         "SLURM_NTASKS", "SLURM_NPROCS"};
#define NLAUNCH_VARS (sizeof launch_vars / sizeof launch_vars[0])

static void test_singleton_in_batch_script_runs(void **state)
{
    struct th_ctx *c = *state;
    skip_open_mpi_singleton_under_asan();
    char *saved[NLAUNCH_VARS];
    for (size_t i = 0; i < NLAUNCH_VARS; i++) {
        const char *v = getenv(launch_vars[i]);
        saved[i] = v ? strdup(v) : NULL;
        unsetenv(launch_vars[i]);
    }
    /* what sbatch -n 4 puts around its batch script (seen with Slurm 22.05), which is not a
     * step: the program started there without srun is a real singleton */
    setenv("SLURM_JOB_ID", "424242", 1);
    setenv("SLURM_NTASKS", "4", 1);
    setenv("SLURM_NPROCS", "4", 1);
    struct th_argv a;
    th_argv_init(&a);
    th_argv_add(&a, th_bin());
    add_outputs(&a, c->dir);
    th_run(&a, c->dir, 40.0, &c->r);
    th_argv_free(&a);
    for (size_t i = 0; i < NLAUNCH_VARS; i++) {
        if (saved[i] != NULL)
            setenv(launch_vars[i], saved[i], 1);
        else
            unsetenv(launch_vars[i]);
        free(saved[i]);
    }
    struct th_result *r = &c->r;
    TH_EXPECT(r, !r->timed_out, "the run did not finish within 40 s");
    TH_EXPECT(r, r->exited && r->status == 0, "a singleton run by hand must run (exit 0)");
    TH_EXPECT(r, th_program_lines(r->err, NULL, 0) == 0, "it printed something on stderr");
    th_dat_parse(r->out, &c->d);
    TH_EXPECT(r,
              c->d.nrows == 1 && c->d.ncols[0] == NCOLS && strcmp(c->d.row[0][COL_ranks], "1") == 0,
              "expected one row of 1 rank on stdout");
}

int main(int argc, char **argv)
{
    th_init(argc, argv);
    static char foreign_name[128];
    snprintf(foreign_name, sizeof foreign_name,
             "the %s build under %s, 2 processes: refused (exit 2, nothing created)",
             th_mpi_flavour(),
             strcmp(th_mpi_flavour(), "mpich") == 0 ? "Open MPI's mpirun" : "MPICH's mpiexec");
    const struct CMUnitTest tests[] = {
        {"-np 3: one row of 3 ranks, numbered 0 1 2 in the HDF5 rows and the data files",
         test_three_ranks_are_one_job, setup, th_ctx_teardown, NULL},
        {"ldd: the program loads this build's MPI library, no library of the other MPI",
         test_one_mpi_library_loaded, setup, th_ctx_teardown, NULL},
        {foreign_name, test_foreign_launcher_refused, setup, th_ctx_teardown, NULL},
        {"a singleton by hand in a batch script's environment runs",
         test_singleton_in_batch_script_runs, setup, th_ctx_teardown, NULL},
    };
    return cmocka_run_group_tests_name("launch", tests, NULL, NULL);
}
