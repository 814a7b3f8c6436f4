/* io-pipeline-bench: MPI up -> options -> run -> report. Everything else is in libipb. */
#include <mpi.h>

#include "bench.h"
#include "h5_check.h"

int main(int argc, char **argv)
{
    /* A child that only checks an HDF5 results file (h5_check.h): no MPI at all. */
    int checked = ipb_h5_check_main(argc, argv);
    if (checked >= 0)
        return checked;

    struct ipb_bench bench;

    /* Options are parsed, and the fork method's children started, before MPI_Init: see
     * method_fork.c for why the children must not inherit MPI state. */
    ipb_bench_init(&bench, argc, argv);

    int provided = MPI_THREAD_SINGLE;
    MPI_Init_thread(&argc, &argv, ipb_bench_thread_level(&bench), &provided);

    int status = ipb_bench_check(&bench, provided);
    if (status == IPB_OK && !bench.done)
        status = ipb_bench_series(&bench);
    ipb_bench_finish(&bench, status);

    MPI_Finalize();
    return status;
}
