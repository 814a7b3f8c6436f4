/* The HDF5 results file (DESIGN.md, "The HDF5 results file"): one file that whole sweeps append
 * to, readable with h5py, pandas and h5dump and no custom code.
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
 *                     array per kind: write, fsync, iteration; attrs relative_error, and per
 *                     count array count, min_ns, max_ns (exact)
 *
 * Only rank 0 calls these; no MPI in here.
 *
 * Appending is crash-safe and concurrency-safe by never modifying the results file in place:
 * under an exclusive flock() on the sidecar "<file>.lock", the file is copied to a temporary
 * file in the same directory, the run is appended to the copy, the copy is fsync()ed and
 * rename()d over the original, and the directory is fsync()ed. rename() is atomic, so a reader
 * or a SIGKILL at any moment sees the old file or the new one, never a half-written one. HDF5
 * itself has no journal: a writer killed inside H5Fclose() of a file modified in place can leave
 * its superblock, B-trees or heaps inconsistent, and every earlier run unreadable with it.
 * The price is one copy of the file per append (copy_file_range(), which reflinks or copies
 * on the server where the file system can). */
#ifndef IPB_H5_WRITER_H
#define IPB_H5_WRITER_H

#include <stddef.h>

#include "results.h"
#include "run_context.h"

/* Bumped when the layout changes in a way that older readers or writers must not mix. */
#define IPB_H5_LAYOUT_VERSION 3 /* 2: issue 5 columns in /runs, /run/<id>/histograms;
                                   3: interrupted in /runs, stop_signal in ranks */

/* Temporary files older than this (seconds) found next to the results file are leftovers of a
 * killed appender and are removed by the next append (an append takes milliseconds to
 * seconds; the margin covers file systems whose locks are not global, where another node may
 * still be working on its own temporary). */
#define IPB_H5_STALE_TMP_S 600

/* Before the run (bad input, exit 2, when it fails): path is an HDF5 file with our layout and
 * the same /runs fields as this binary, or an empty file, or does not exist; its directory is
 * writable (the append renames a new file into it) and flock() works there. Leaves nothing
 * behind. Returns IPB_OK or IPB_EBADINPUT with one line in err naming --hdf5 and the path. */
int ipb_h5_preflight(const char *path, char *err, size_t errlen);

/* Append one run: a row of /runs (res->record) and the group /run/<run_id> with ctx's
 * attributes, res's rank and pipeline rows and its histograms (when not NULL). Creates the file
 * when it does not exist (or is empty). Returns 0, or -1 with one line in err; the results file
 * is then unchanged. */
int ipb_h5_append(const char *path, const struct ipb_results *res,
                  const struct ipb_run_context *ctx, char *err, size_t errlen);

/* The lock file path for a results file: "<path>.lock". Returns -1 if it does not fit. */
int ipb_h5_lock_path(char *out, size_t outlen, const char *path);

#endif
