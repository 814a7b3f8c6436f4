/* The one list of result fields (docs/design.md, ".dat record" and "HDF5 results file").
 *
 * Everything a run reports is generated from the X-macro lists below, so the structs
 * (record.h), the .dat columns (dat_format.c), the HDF5 compound types (h5_writer.c), the
 * --import parser (import.c) and the fill code (results.c) cannot drift apart.
 *
 *   IPB_RESULT_FIELDS     the record: one .dat column each, in order, one member of struct
 *                         ipb_record and of the HDF5 /runs compound type
 *   IPB_RANK_FIELDS       one row per rank (struct ipb_rank_row, the HDF5 `ranks` dataset)
 *   IPB_PIPELINE_FIELDS   one row per pipeline (struct ipb_pipeline_row, `pipelines`)
 *   IPB_LAT_KINDS         the latency histograms every pipeline keeps (enum ipb_lat_kind)
 *   IPB_STAGES            the stage counters every pipeline sums (struct ipb_pipeline_stats)
 *   IPB_TIMESERIES_FIELDS one row per --interval interval (struct ipb_ts_row, `timeseries`)
 *
 * Each X(type, strlen, name, dat_header, dat_format, doc) field entry is one column. type is STR
 * (fixed char[strlen]), U64 or F64; strlen is ignored for the numeric types. Names are
 * snake_case with their unit (_s, _bytes, _mib_s, _kib, _mib).
 *
 * Order is layout. The .dat files and HDF5 files of earlier releases are read by column
 * position and compound member order (tests/data/release-0.1.0 holds files written by 0.1.0;
 * tests/test_result_fields.c and tests/test_layout.py compare against them), so existing fields
 * never move and new record fields only ever go at the end of the record (readers of old .dat
 * files find the old columns where they were).
 *
 * HOW TO ADD A LATENCY KIND (a histogram of one more kind of operation, e.g. "open"):
 *   1. one line at the end of IPB_LAT_KINDS_ADDED:
 *          K(X, OPEN, open, "open", "one open() of the data file")
 *      (enum id, member prefix, text used in headers and docs, its meaning);
 *   2. record it where it happens: ipb_hist_record(&stats->lat[IPB_LAT_OPEN], seconds)
 *      (pipeline.c for the blocking methods, method_aio.c for aio).
 *   That generates the enum value and its name (histogram.h), the record's five columns
 *   open_p50_s .. open_max_s at the end of the record (.dat and /runs), the rank rows'
 *   open_min_s/open_max_s after the other kinds', the pipeline rows' open_p50_s/open_p99_s/
 *   open_max_s at their end, the histogram count array in the HDF5 file, and all of their fill
 *   code. Bump IPB_H5_LAYOUT_VERSION (h5_writer.h): the compound types change.
 *
 * HOW TO ADD A STAGE COUNTER (seconds summed over a pipeline's iterations, e.g. "checksum"):
 *   1. one line at the end of IPB_STAGES_ADDED:
 *          S(X, checksum, "checksum", "computing the buffer's checksum")
 *      (member prefix, text used in headers and docs, its meaning);
 *   2. time it where it happens: stats->checksum_s += t_end - t_start (pipeline.c and
 *      method_aio.c).
 *   That generates the member checksum_s of struct ipb_pipeline_stats, the rank and pipeline
 *   rows' summed checksum_s after the other stages, the record's checksum_s at the end of the
 *   record, its part in the stage bookkeeping gap, and all of their fill code. Bump
 *   IPB_H5_LAYOUT_VERSION.
 *
 * The kinds and stages of release 0.1.0 are in the _ORIGINAL lists: their record columns sit in
 * the middle of the record (before the columns added after them), so the record places them by
 * hand; the rank and pipeline rows take every kind and stage in list order. Never add to the
 * _ORIGINAL lists.
 *
 * HOW TO ADD AN ORDINARY RECORD FIELD: one X(...) line in IPB_RESULT_FIELDS, right before the
 * IPB_LAT_KINDS_ADDED line (after every field a release wrote); bump IPB_H5_LAYOUT_VERSION.
 *
 * Releases freeze the order. Columns added since the last release (new fields, the _ADDED kinds'
 * and stages' columns) may still move among themselves, since no release wrote them: adding a
 * field before the _ADDED lines shifts their columns. When a release is cut, put the files it
 * writes under tests/data/release-<version>/ (tests/test_result_fields.c and
 * tests/test_layout.py then hold its layout, as they hold 0.1.0's) and move the kinds and
 * stages it added out of the _ADDED lists into the frozen part, placed by hand as the original
 * ones are.
 *
 * The lists of kinds and stages take two arguments: K (or S), the macro applied to each entry,
 * and X, passed through to it as its first argument (a field macro, or a variable name for fill
 * code); a plain X-macro cannot expand one list inside another list's expansion. */
#ifndef IPB_RESULT_FIELDS_H
#define IPB_RESULT_FIELDS_H

/* ---- latency kinds: K(X, ID, prefix, text, meaning) ---------------------------------------- */

#define IPB_LAT_KINDS(K, X) IPB_LAT_KINDS_ORIGINAL(K, X) IPB_LAT_KINDS_ADDED(K, X)

#define IPB_LAT_KINDS_ORIGINAL(K, X)                                                               \
    K(X, WRITE, write, "write", "one buffer's write (all of its pwrite calls)")                    \
    K(X, FSYNC, fsync, "fsync", "one fsync (--sync every: per buffer; --sync end: the final one)") \
    K(X, ITERATION, iteration, "iteration", "one whole iteration: recv + compute + write (+ fsync)")

/* New latency kinds: one line each (see "HOW TO ADD A LATENCY KIND" above). */
#define IPB_LAT_KINDS_ADDED(K, X)                                                                  \
    K(X, ARRIVAL, arrival, "arrival",                                                              \
      "a buffer's arrival (open: its scheduled time; closed: the end of its receive) to the end "  \
      "of its fsync (--sync every) or of its write (--sync end, none)")

/* ---- stage counters: S(X, prefix, text, meaning) ------------------------------------------- */

#define IPB_STAGES(S, X) IPB_STAGES_ORIGINAL(S, X) IPB_STAGES_ADDED(S, X)

#define IPB_STAGES_ORIGINAL(S, X)                                                                  \
    S(X, recv, "recv", "waiting for the next buffer (the receive delay, recv_model.h)")            \
    S(X, compute, "compute", "rewriting every K-th byte of the buffer (--compute-sparsity)")       \
    S(X, write, "write", "writing the buffer to the pipeline's file")                              \
    S(X, fsync, "fsync", "fsync of the pipeline's file (--sync)")

/* New stage counters: one line each (see "HOW TO ADD A STAGE COUNTER" above). */
#define IPB_STAGES_ADDED(S, X)

/* ---- the record ---------------------------------------------------------------------------- */

/* The first 11 entries are the Python original's columns in its order and meaning. */
#define IPB_RESULT_FIELDS(X)                                                                       \
    X(STR, 16, version, "version", "%s", "io-pipeline-bench version")                              \
    X(U64, 0, ranks, "ranks", "%" PRIu64, "MPI ranks (the original's column 1 held the GIL flag)") \
    X(STR, 16, method, "method", "%s", "intra-rank concurrency method")                            \
    X(U64, 0, concurrency, "concurrency", "%" PRIu64, "pipelines per rank")                        \
    X(F64, 0, duration_s, "duration", "%.15g", "requested duration (s)")                           \
    X(F64, 0, buffer_kib, "KiB buffer_size", "%.17g", "buffer size (KiB)")                         \
    X(F64, 0, recv_delay_s, "recv delay", "%.3f", "emulated receive delay per iteration (s)")      \
    X(F64, 0, xferred_mib, "MiB xferred", "%.3f", "data written by all pipelines (MiB)")           \
    X(F64, 0, compute_throughput_mib_s, "sequential compute throughput (MiB/s)", "%.3f",           \
      "bytes written / summed compute seconds of all pipelines (nan when compute is off)")         \
    X(F64, 0, elapsed_s, "seconds", "%.3f", "run elapsed: slowest pipeline of the slowest rank")   \
    X(F64, 0, throughput_mib_s, "aggregate overall throughput (MiB/s)", "%.3f",                    \
      "xferred MiB / elapsed seconds")                                                             \
    X(U64, 0, nodes, "nodes", "%" PRIu64, "distinct host names among the ranks")                   \
    X(U64, 0, pipelines, "pipelines", "%" PRIu64, "pipelines in all ranks")                        \
    X(STR, 8, sync, "sync", "%s", "fsync policy: every, end or none")                              \
    X(U64, 0, compute_sparsity, "compute sparsity", "%" PRIu64,                                    \
      "compute fills every K-th byte (0: compute off)")                                            \
    X(STR, 16, aio_engine, "aio engine", "%s", "engine that ran the aio method, else -")           \
    X(F64, 0, rank_throughput_min_mib_s, "min rank throughput (MiB/s)", "%.3f",                    \
      "lowest per-rank bytes / rank elapsed")                                                      \
    X(F64, 0, rank_throughput_max_mib_s, "max rank throughput (MiB/s)", "%.3f",                    \
      "highest per-rank bytes / rank elapsed")                                                     \
    X(U64, 0, xferred_bytes, "bytes", "%" PRIu64, "data written by all pipelines (bytes, exact)")  \
    X(U64, 0, buffers, "buffers", "%" PRIu64, "buffers written (completed iterations)")            \
    X(F64, 0, elapsed_precise_s, "elapsed (s)", "%.9f", "run elapsed at full precision")           \
    /* The compute stage had a column before the other stages did: it stays here. */               \
    IPB_RECORD_STAGE_COLUMN(X, compute, "compute")                                                 \
    X(U64, 0, seed, "seed", "%" PRIu64, "PRNG seed")                                               \
    X(STR, 40, run_id, "run id", "%s", "unique id of this run")                                    \
    X(STR, 40, timestamp, "timestamp", "%s", "start of the run, ISO-8601 UTC")                     \
    X(STR, 256, label, "label", "%s", "--label text, or -")                                        \
    IPB_RESULT_FIELDS_INSIGHT(X)                                                                   \
    X(STR, 8, arrivals, "arrivals", "%s", "--arrivals: closed or open")                            \
    X(U64, 0, backlog_bound, "backlog bound", "%" PRIu64, "--backlog (0: closed arrivals)")        \
    X(STR, 8, backlog_policy, "backlog policy", "%s",                                              \
      "--backlog-policy: block or drop (-: closed)")                                               \
    X(F64, 0, backlog_mean, "backlog mean", "%.3f",                                                \
      "buffers waiting when a pipeline took one, mean over every completed iteration (nan: none)") \
    X(U64, 0, backlog_max, "backlog max", "%" PRIu64,                                              \
      "most buffers waiting at a take, any pipeline")                                              \
    X(U64, 0, dropped, "dropped", "%" PRIu64, "arrivals dropped on a full queue (open, drop)")     \
    X(U64, 0, left_waiting, "left waiting", "%" PRIu64,                                            \
      "open: arrivals by the end neither completed nor dropped (queued or held by the sender)")    \
    IPB_LAT_KINDS_ADDED(IPB_RECORD_LAT_FIELDS, X)                                                  \
    IPB_STAGES_ADDED(IPB_RECORD_STAGE_FIELD, X)

/* "See inside a run": appended after column 25 (label), in this order. Latency percentiles come
 * from log-linear histograms (histogram.h): relative error < 1/64; nan when the histogram is
 * empty (no fsync with --sync none). Stddevs across ranks and pipelines are population stddevs
 * (the whole set, not a sample). The stages other than compute and the original latency kinds
 * are placed here by hand: their columns are followed by others that came with them. */
#define IPB_RESULT_FIELDS_INSIGHT(X)                                                               \
    IPB_RECORD_STAGE_COLUMN(X, recv, "recv")                                                       \
    IPB_RECORD_STAGE_COLUMN(X, write, "write")                                                     \
    IPB_RECORD_STAGE_COLUMN(X, fsync, "fsync")                                                     \
    X(F64, 0, stage_gap_max_s, "stage bookkeeping gap (s)", "%.3g",                                \
      "largest |elapsed - (recv + compute + write + fsync)| of any pipeline")                      \
    X(U64, 0, deadline_bytes, "bytes by deadline", "%" PRIu64,                                     \
      "bytes of iterations completed by t0 + duration")                                            \
    X(F64, 0, deadline_throughput_mib_s, "deadline throughput (MiB/s)", "%.3f",                    \
      "bytes by deadline / duration (column 10 is the drain throughput)")                          \
    X(U64, 0, fsyncs, "fsyncs", "%" PRIu64, "fsyncs completed in the timed phase")                 \
    IPB_LAT_KINDS_ORIGINAL(IPB_RECORD_LAT_FIELDS, X)                                               \
    X(F64, 0, rank_throughput_mean_mib_s, "mean rank throughput (MiB/s)", "%.3f",                  \
      "mean of per-rank bytes / rank elapsed")                                                     \
    X(F64, 0, rank_throughput_stddev_mib_s, "stddev rank throughput (MiB/s)", "%.3f",              \
      "population stddev of per-rank throughput")                                                  \
    X(U64, 0, slowest_rank, "slowest rank", "%" PRIu64, "rank with the lowest throughput")         \
    X(STR, 64, slowest_host, "slowest host", "%s", "host of the slowest rank")                     \
    X(F64, 0, pipeline_throughput_min_mib_s, "min pipeline throughput (MiB/s)", "%.3f",            \
      "lowest pipeline bytes / pipeline elapsed")                                                  \
    X(F64, 0, pipeline_throughput_mean_mib_s, "mean pipeline throughput (MiB/s)", "%.3f",          \
      "mean pipeline throughput")                                                                  \
    X(F64, 0, pipeline_throughput_max_mib_s, "max pipeline throughput (MiB/s)", "%.3f",            \
      "highest pipeline throughput")                                                               \
    X(F64, 0, pipeline_throughput_stddev_mib_s, "stddev pipeline throughput (MiB/s)", "%.3f",      \
      "population stddev of pipeline throughput")                                                  \
    X(U64, 0, slowest_pipeline_rank, "slowest pipeline rank", "%" PRIu64,                          \
      "rank of the slowest pipeline")                                                              \
    X(U64, 0, slowest_pipeline, "slowest pipeline", "%" PRIu64,                                    \
      "index of the slowest pipeline in its rank")                                                 \
    X(STR, 40, series_id, "series id", "%s", "run id of the first repetition: ties the series")    \
    X(U64, 0, repetition, "repetition", "%" PRIu64, "0-based index in the series")                 \
    X(U64, 0, repetitions, "repetitions", "%" PRIu64, "--repetitions")                             \
    X(F64, 0, warmup_s, "warmup (s)", "%.15g", "--warmup: untimed run before the series")          \
    X(STR, 16, recv_model, "recv model", "%s", "--recv-model")                                     \
    X(F64, 0, recv_stddev_s, "recv stddev (s)", "%.15g",                                           \
      "--recv-stddev of the normal model (nan for the other models)")                              \
    X(F64, 0, progress_s, "progress interval (s)", "%.15g", "--progress (0: off)")                 \
    X(STR, 8, recv_phase, "recv phase", "%s", "--recv-phase: random or aligned")                   \
    X(STR, 16, interrupted, "interrupted", "%s",                                                   \
      "no, or the stop signal that cut the run short (SIGTERM, SIGINT, SIGUSR1)")

/* A stage's record column: its seconds summed over every pipeline of every rank. */
#define IPB_RECORD_STAGE_COLUMN(X, stage, text)                                                    \
    X(F64, 0, stage##_s, text " seconds", "%.6f", "summed " text " seconds of all pipelines")
#define IPB_RECORD_STAGE_FIELD(X, stage, text, meaning) IPB_RECORD_STAGE_COLUMN(X, stage, text)

/* A latency kind's five record columns: p50, p90, p99, p99.9 and the exact maximum, seconds,
 * from the run's merged histogram. */
#define IPB_RECORD_LAT_FIELDS(X, ID, kind, text, meaning)                                          \
    X(F64, 0, kind##_p50_s, text " p50 (s)", "%.9f", text " latency, 50th percentile")             \
    X(F64, 0, kind##_p90_s, text " p90 (s)", "%.9f", text " latency, 90th percentile")             \
    X(F64, 0, kind##_p99_s, text " p99 (s)", "%.9f", text " latency, 99th percentile")             \
    X(F64, 0, kind##_p999_s, text " p99.9 (s)", "%.9f", text " latency, 99.9th percentile")        \
    X(F64, 0, kind##_max_s, text " max (s)", "%.9f", text " latency, maximum (exact)")

/* ---- rank rows ----------------------------------------------------------------------------- */

/* Gathered to rank 0 to build the record (and the HDF5 `ranks` dataset). Latency min and max
 * travel here exactly: the histograms' reduction sums bucket counts only. */
#define IPB_RANK_FIELDS(X)                                                                         \
    X(U64, 0, rank, "rank", "%" PRIu64, "MPI rank in MPI_COMM_WORLD")                              \
    X(STR, 64, host, "host", "%s", "host name (MPI_Get_processor_name)")                           \
    X(U64, 0, pipelines, "pipelines", "%" PRIu64, "pipelines of this rank")                        \
    X(U64, 0, bytes, "bytes", "%" PRIu64, "bytes written by this rank")                            \
    X(U64, 0, buffers, "buffers", "%" PRIu64, "completed iterations of this rank")                 \
    X(F64, 0, elapsed_s, "elapsed (s)", "%.6f", "slowest pipeline of this rank")                   \
    IPB_STAGES(IPB_RANK_STAGE_FIELD, X)                                                            \
    X(U64, 0, deadline_bytes, "bytes by deadline", "%" PRIu64, "bytes completed by t0 + duration") \
    X(U64, 0, fsyncs, "fsyncs", "%" PRIu64, "fsyncs completed in the timed phase")                 \
    X(F64, 0, stage_gap_max_s, "stage gap (s)", "%.3g",                                            \
      "largest |elapsed - sum of stage seconds| of a pipeline")                                    \
    X(F64, 0, pipe_tp_min_mib_s, "min pipeline (MiB/s)", "%.3f", "slowest pipeline's throughput")  \
    X(F64, 0, pipe_tp_max_mib_s, "max pipeline (MiB/s)", "%.3f", "fastest pipeline's throughput")  \
    X(F64, 0, pipe_tp_mean_mib_s, "mean pipeline (MiB/s)", "%.3f", "mean pipeline throughput")     \
    X(F64, 0, pipe_tp_m2, "pipeline M2", "%.6g",                                                   \
      "sum of squared deviations of pipeline throughput from the mean (Welford)")                  \
    X(U64, 0, slowest_pipeline, "slowest pipeline", "%" PRIu64, "index of the slowest pipeline")   \
    IPB_BACKLOG_ROW_FIELDS(X)                                                                      \
    IPB_LAT_KINDS(IPB_RANK_LAT_FIELDS, X)                                                          \
    X(U64, 0, stop_signal, "stop signal", "%" PRIu64, "stop signal this rank caught (0: none)")

/* The backlog counters of a rank row (summed over its pipelines; max: the largest) and of a
 * pipeline row (arrivals.h). */
#define IPB_BACKLOG_ROW_FIELDS(X)                                                                  \
    X(U64, 0, backlog_samples, "backlog samples", "%" PRIu64,                                      \
      "backlog samples: one per completed iteration")                                              \
    X(U64, 0, backlog_sum, "backlog sum", "%" PRIu64, "sum of the backlog samples")                \
    X(U64, 0, backlog_max, "backlog max", "%" PRIu64, "largest backlog sample")                    \
    X(U64, 0, dropped, "dropped", "%" PRIu64, "arrivals dropped on a full queue")                  \
    X(U64, 0, left_waiting, "left waiting", "%" PRIu64, "arrivals left waiting at the end")

#define IPB_RANK_STAGE_FIELD(X, stage, text, meaning)                                              \
    X(F64, 0, stage##_s, text " (s)", "%.6f", "summed " text " seconds")

#define IPB_RANK_LAT_FIELDS(X, ID, kind, text, meaning)                                            \
    X(F64, 0, kind##_min_s, text " min (s)", "%.9f", "shortest " text " (exact)")                  \
    X(F64, 0, kind##_max_s, text " max (s)", "%.9f", "longest " text " (exact)")

/* ---- pipeline rows ------------------------------------------------------------------------- */

/* Gathered to rank 0 for the HDF5 `pipelines` dataset. */
#define IPB_PIPELINE_FIELDS(X)                                                                     \
    X(U64, 0, rank, "rank", "%" PRIu64, "MPI rank in MPI_COMM_WORLD")                              \
    X(U64, 0, pipeline, "pipeline", "%" PRIu64, "pipeline index within the rank")                  \
    X(U64, 0, bytes, "bytes", "%" PRIu64, "bytes written by completed iterations")                 \
    X(U64, 0, iterations, "iterations", "%" PRIu64, "completed iterations (buffers written)")      \
    X(F64, 0, elapsed_s, "elapsed (s)", "%.6f", "t0 to the end of the last completed iteration")   \
    IPB_STAGES(IPB_PIPELINE_STAGE_FIELD, X)                                                        \
    X(U64, 0, deadline_bytes, "bytes by deadline", "%" PRIu64, "bytes completed by t0 + duration") \
    X(U64, 0, fsyncs, "fsyncs", "%" PRIu64, "fsyncs completed")                                    \
    X(F64, 0, throughput_mib_s, "throughput (MiB/s)", "%.3f", "bytes / elapsed")                   \
    IPB_BACKLOG_ROW_FIELDS(X)                                                                      \
    IPB_LAT_KINDS(IPB_PIPELINE_LAT_FIELDS, X)

#define IPB_PIPELINE_STAGE_FIELD(X, stage, text, meaning)                                          \
    X(F64, 0, stage##_s, text " (s)", "%.6f", "seconds in the " text " stage")

#define IPB_PIPELINE_LAT_FIELDS(X, ID, kind, text, meaning)                                        \
    X(F64, 0, kind##_p50_s, text " p50 (s)", "%.9f", "median " text " latency")                    \
    X(F64, 0, kind##_p99_s, text " p99 (s)", "%.9f", "99th percentile " text " latency")           \
    X(F64, 0, kind##_max_s, text " max (s)", "%.9f", "longest " text)

/* ---- time series rows (--interval) ---------------------------------------------------------- */

/* One row per interval of the timed phase in /run/<id>/timeseries, merged over every pipeline
 * of every rank (timeseries.h). Not a record field: adding this dataset changes no compound
 * type, so the layout version stays. */
#define IPB_TIMESERIES_FIELDS(X)                                                                   \
    X(F64, 0, start_s, "start (s)", "%.6f", "interval start, seconds since t0")                    \
    X(F64, 0, end_s, "end (s)", "%.6f",                                                            \
      "interval end: the next row's start; the last row may be stretched to its latest "           \
      "completion")                                                                                \
    X(U64, 0, bytes, "bytes", "%" PRIu64, "bytes of the buffers completed in the interval")        \
    X(U64, 0, buffers, "buffers", "%" PRIu64, "buffers completed in the interval")                 \
    X(F64, 0, mib_s, "MiB/s", "%.3f", "bytes / MiB / (end - start)")                               \
    X(F64, 0, backlog_mean, "backlog mean", "%.3f",                                                \
      "mean backlog sample of the takes whose buffers completed here (nan: none)")                 \
    X(U64, 0, backlog_max, "backlog max", "%" PRIu64, "largest of those backlog samples")          \
    X(U64, 0, dropped, "dropped", "%" PRIu64, "buffers dropped in the interval")                   \
    X(F64, 0, arrival_p50_s, "arrival p50 (s)", "%.9f",                                            \
      "arrival latency, 50th percentile (coarse histogram, within 21.2 %; nan: no buffer)")        \
    X(F64, 0, arrival_p99_s, "arrival p99 (s)", "%.9f",                                            \
      "arrival latency, 99th percentile (coarse histogram, within 21.2 %)")                        \
    X(F64, 0, arrival_p999_s, "arrival p99.9 (s)", "%.9f",                                         \
      "arrival latency, 99.9th percentile (coarse histogram, within 21.2 %)")                      \
    X(F64, 0, arrival_max_s, "arrival max (s)", "%.9f", "arrival latency, maximum (exact)")

#endif
