/* The HDF5 results file (docs/design.md, "The HDF5 results file"): one file that whole sweeps
 * append to, readable with h5py, pandas and h5dump and no custom code.
 *
 *   /                 attrs creator = "io-pipeline-bench", layout_version, created_by_version
 *   /runs             1-D chunked, extendible compound dataset, one row per run; members
 *                     generated from IPB_RESULT_FIELDS (the .dat columns, same names and
 *                     order); attribute field_docs (one line per member), dat_headers
 *   /run/<run_id>/    attrs: the run context (run_context.h), runs_index (row in /runs)
 *       ranks         one row per rank (IPB_RANK_FIELDS)
 *       pipelines     one row per pipeline of every rank (IPB_PIPELINE_FIELDS)
 *       histograms/   the run's latency histograms (histogram.h), merged over every pipeline:
 *                     bucket_lower_ns, bucket_upper_ns (the bounds, inclusive) and one count
 *                     array per kind: write, fsync, iteration, arrival; attrs
 *                     relative_error, and per count array count, min_ns, max_ns (exact)
 *       timeseries    with --interval only: one row per interval (IPB_TIMESERIES_FIELDS);
 *                     attrs interval_s, arrival_relative_error, description, field_docs.
 *                     A dataset of its own, so adding it changed no compound type and no
 *                     layout version: readers that do not know it are unaffected
 *
 * Only rank 0 calls these; no MPI in here.
 *
 * Appending never modifies the file in place: the run is written into a copy that replaces the
 * file by rename() (file_replace.h: why, the lock, what a failure leaves). */
#ifndef IPB_H5_WRITER_H
#define IPB_H5_WRITER_H

#include <stddef.h>

#include "results.h"
#include "run_context.h"

/* Bumped when the layout changes in a way that older readers or writers must not mix. */
#define IPB_H5_LAYOUT_VERSION                                                                      \
    4 /* 2: the latency statistics columns in /runs and                                            \
            /run/<id>/histograms; 3: interrupted in /runs,                                         \
            stop_signal in ranks; 4: open arrivals (arrivals                                       \
            .. left_waiting and arrival_* in /runs, the                                            \
            backlog counters in ranks and pipelines, the                                           \
            arrival histogram) */

/* Before the run (bad input, exit 2, when it fails): path is an HDF5 file with our layout and
 * the same /runs fields as this binary, or an empty file, or does not exist; its directory is
 * writable (the append renames a new file into it) and flock() works there. Leaves nothing
 * behind. Returns IPB_OK or IPB_EBADINPUT with one line in err naming --hdf5 and the path. */
int ipb_h5_preflight(const char *path, char *err, size_t errlen);

/* Append one run: a row of /runs (res->record) and the group /run/<run_id> with ctx's
 * attributes, res's rank and pipeline rows and its histograms (when not NULL). Creates the file
 * when it does not exist (or is empty). Returns 0, or -1 with one line in err; the results file
 * is then unchanged, unless only the directory's fsync() after the rename failed (see
 * ipb_replace_commit). */
int ipb_h5_append(const char *path, const struct ipb_results *res,
                  const struct ipb_run_context *ctx, char *err, size_t errlen);

/* The lock file path for a results file: "<path>.lock" (ipb_replace_lock_path). Returns -1 if
 * it does not fit. */
int ipb_h5_lock_path(char *out, size_t outlen, const char *path);

#endif
