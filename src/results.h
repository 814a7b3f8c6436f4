/* The run's results on rank 0, as the writers (.dat, HDF5) take them.
 *
 * One struct, filled by the results module from every rank's per-pipeline counters: the record
 * (one row of /runs and of the .dat file), every rank's row, every pipeline's row and the run's
 * merged latency histograms. The run context (run_context.h) says where and how the run ran;
 * this says what it measured. An imported run (--import) has a record only. */
#ifndef IPB_RESULTS_H
#define IPB_RESULTS_H

#include <stddef.h>

#include "histogram.h"
#include "record.h"

struct ipb_results {
    struct ipb_record record;
    const struct ipb_rank_row *ranks; /* by rank; NULL for an imported run */
    unsigned nranks;
    const struct ipb_pipeline_row *pipelines; /* by rank, then pipeline; NULL when not gathered */
    size_t npipelines;
    const struct ipb_hist *lat; /* IPB_LAT_NKINDS merged histograms, or NULL */
};

#endif
