/* openmp (the original's "threading"): one OpenMP thread per pipeline.
 *
 * Each thread sets up its own pipeline, so the buffer is first touched, and placed, by the
 * thread that uses it. Only the master thread calls MPI (MPI_THREAD_FUNNELED): it runs the
 * start gate between two team barriers, so no pipeline reads t0 before every rank is ready. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "method.h"

static int openmp_run(struct ipb_run *run)
{
    const unsigned n = run->npipelines;
    struct ipb_pipeline *ps = aligned_alloc(IPB_CACHE_LINE, n * sizeof(*ps));
    if (ps == NULL) {
        snprintf(run->errmsg, sizeof(run->errmsg), "rank %u: out of memory", run->rank);
        return run->gate(run, IPB_ERUN, run->errmsg);
    }
    memset(ps, 0, n * sizeof(*ps));
    for (unsigned i = 0; i < n; i++)
        ps[i].fd = -1;

    atomic_int stop = 0;
    int gate_status = IPB_ERUN;
    int team = 0;

    /* Exactly n threads or none: a smaller team (OMP_THREAD_LIMIT, OMP_DYNAMIC) would run
     * fewer pipelines than asked and report a smaller total as if it were the answer. */
    omp_set_dynamic(0);
#pragma omp parallel num_threads(n) shared(ps, stop, gate_status, team)
    {
        const unsigned i = (unsigned)omp_get_thread_num();
#pragma omp master
        team = omp_get_num_threads();
#pragma omp barrier
        if ((unsigned)team == n)
            ipb_pipeline_setup(&ps[i], run->opts, &run->stats[i], run->rank, i);

        /* Rank-local barrier: every pipeline of the rank is set up. */
#pragma omp barrier
#pragma omp master
        {
            int local = IPB_OK;
            if ((unsigned)team != n) {
                snprintf(run->errmsg, sizeof(run->errmsg),
                         "rank %u: OpenMP started %d threads, %u needed (check "
                         "OMP_THREAD_LIMIT)",
                         run->rank, team, n);
                local = IPB_ERUN;
            }
            for (unsigned k = 0; k < n && local == IPB_OK; k++)
                if (run->stats[k].failed) {
                    ipb_pipeline_describe_error(run->errmsg, sizeof(run->errmsg),
                                                &run->stats[k], run->rank, k, ps[k].path);
                    local = IPB_ERUN;
                }
            gate_status = run->gate(run, local, run->errmsg);
        }
#pragma omp barrier
        /* Thread 0 is the master, the thread that called MPI_Init: only it may ask the other
         * ranks (MPI_THREAD_FUNNELED). */
        if (gate_status == IPB_OK)
            ipb_pipeline_run(&ps[i], &stop, i == 0 ? ipb_run_poll : NULL, run);
        if ((unsigned)team == n)
            ipb_pipeline_close(&ps[i]);
    }

    int rc = gate_status;
    for (unsigned k = 0; k < n; k++) {
        if (rc == IPB_OK && run->stats[k].failed) {
            ipb_pipeline_describe_error(run->errmsg, sizeof(run->errmsg), &run->stats[k],
                                        run->rank, k, ps[k].path);
            rc = IPB_ERUN;
        }
        ipb_pipeline_free(&ps[k]);
    }
    free(ps);
    return rc;
}

const struct ipb_method ipb_method_openmp = {
    .name = "openmp",
    .alias = "threading",
    .summary = "one OpenMP thread per pipeline",
    .detail = "A parallel region of exactly N threads, one per pipeline; each thread allocates and "
              "touches its own buffer, and only the master thread calls MPI (MPI_THREAD_FUNNELED). "
              "A smaller team than asked for is an error, never a silent fallback.",
    .flags = IPB_METHOD_THREADED,
    .run = openmp_run,
};
