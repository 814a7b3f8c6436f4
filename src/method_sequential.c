/* sequential: one pipeline in the calling thread, the baseline every other method is
 * compared with (the ideal for N pipelines is N times its rate). */
#include <stdlib.h>
#include <string.h>

#include "method.h"

static int sequential_run(struct ipb_run *run)
{
    struct ipb_pipeline *p = aligned_alloc(IPB_CACHE_LINE, sizeof(*p));
    if (p == NULL) {
        snprintf(run->errmsg, sizeof(run->errmsg), "rank %u: out of memory", run->rank);
        return run->gate(run, IPB_ERUN, run->errmsg);
    }
    int local = IPB_OK;
    if (ipb_pipeline_setup(p, run->opts, &run->stats[0], run->rank, 0) != 0) {
        ipb_pipeline_describe_error(run->errmsg, sizeof(run->errmsg), p->stats, run->rank, 0,
                                    p->path);
        local = IPB_ERUN;
    }
    int rc = run->gate(run, local, run->errmsg);
    if (rc == IPB_OK) {
        atomic_int stop = 0;
        if (ipb_pipeline_run(p, &stop, ipb_run_poll, run) != 0)
            rc = IPB_ERUN;
    }
    if (ipb_pipeline_close(p) != 0 && rc == IPB_OK)
        rc = IPB_ERUN;
    if (rc == IPB_ERUN && p->stats->failed)
        ipb_pipeline_describe_error(run->errmsg, sizeof(run->errmsg), p->stats, run->rank, 0,
                                    p->path);
    ipb_pipeline_free(p);
    free(p);
    return rc;
}

const struct ipb_method ipb_method_sequential = {
    .name = "sequential",
    .alias = NULL,
    .summary = "one pipeline in the calling thread (--concurrency must be 1)",
    .detail = "One pipeline runs in the thread that called MPI_Init. It is the baseline: N "
              "pipelines under another method would ideally move N times its rate.",
    .flags = IPB_METHOD_SINGLE_PIPELINE,
    .run = sequential_run,
};
