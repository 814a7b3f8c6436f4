/* The one list of result fields (DESIGN.md, ".dat record" and "HDF5 results file").
 *
 * Each X(type, strlen, name, dat_header, dat_format, doc) entry is one .dat column, in order,
 * one member of struct ipb_record, and (issue 3) one member of the HDF5 compound type. The
 * first 11 entries are the Python original's columns in its order and meaning; new entries only
 * ever go at the end. type is STR (fixed char[strlen]), U64 or F64; strlen is ignored for the
 * numeric types. Names are snake_case with their unit (_s, _bytes, _mib_s, _kib, _mib). */
#ifndef IPB_RESULT_FIELDS_H
#define IPB_RESULT_FIELDS_H

#define IPB_RESULT_FIELDS(X)                                                                       \
    X(STR, 16, version, "version", "%s", "io-pipeline-bench version")                              \
    X(U64, 0, ranks, "ranks", "%" PRIu64, "MPI ranks (the original's column 1 held the GIL flag)")  \
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
    X(F64, 0, compute_s, "compute seconds", "%.6f", "summed compute seconds of all pipelines")      \
    X(U64, 0, seed, "seed", "%" PRIu64, "PRNG seed")                                               \
    X(STR, 40, run_id, "run id", "%s", "unique id of this run")                                    \
    X(STR, 40, timestamp, "timestamp", "%s", "start of the run, ISO-8601 UTC")                     \
    X(STR, 256, label, "label", "%s", "--label text, or -")                                    \
    IPB_RESULT_FIELDS_INSIGHT(X)

/* Issue 5, "see inside a run": appended after column 25 (label), in this order. Latency
 * percentiles come from log-linear histograms (histogram.h): relative error < 1/64; nan when the
 * histogram is empty (no fsync with --sync none). Stddevs across ranks and pipelines are
 * population stddevs (the whole set, not a sample). */
#define IPB_RESULT_FIELDS_INSIGHT(X)                                                               \
    X(F64, 0, recv_s, "recv seconds", "%.6f", "summed recv seconds of all pipelines")              \
    X(F64, 0, write_s, "write seconds", "%.6f", "summed write seconds of all pipelines")           \
    X(F64, 0, fsync_s, "fsync seconds", "%.6f", "summed fsync seconds of all pipelines")           \
    X(F64, 0, stage_gap_max_s, "stage bookkeeping gap (s)", "%.3g",                                \
      "largest |elapsed - (recv + compute + write + fsync)| of any pipeline")                      \
    X(U64, 0, deadline_bytes, "bytes by deadline", "%" PRIu64,                                     \
      "bytes of iterations completed by t0 + duration")                                            \
    X(F64, 0, deadline_throughput_mib_s, "deadline throughput (MiB/s)", "%.3f",                    \
      "bytes by deadline / duration (column 10 is the drain throughput)")                          \
    X(U64, 0, fsyncs, "fsyncs", "%" PRIu64, "fsyncs completed in the timed phase")                 \
    IPB_LATENCY_FIELDS(X, write, "write")                                                          \
    IPB_LATENCY_FIELDS(X, fsync, "fsync")                                                          \
    IPB_LATENCY_FIELDS(X, iteration, "iteration")                                                  \
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
    X(STR, 40, series_id, "series id", "%s", "run id of the first repetition: ties the series")   \
    X(U64, 0, repetition, "repetition", "%" PRIu64, "0-based index in the series")                 \
    X(U64, 0, repetitions, "repetitions", "%" PRIu64, "--repetitions")                             \
    X(F64, 0, warmup_s, "warmup (s)", "%.15g", "--warmup: untimed run before the series")          \
    X(STR, 16, recv_model, "recv model", "%s", "--recv-model")                                     \
    X(F64, 0, recv_stddev_s, "recv stddev (s)", "%.15g",                                           \
      "--recv-stddev of the normal model (nan for the other models)")                              \
    X(F64, 0, progress_s, "progress interval (s)", "%.15g", "--progress (0: off)")              \
    X(STR, 8, recv_phase, "recv phase", "%s", "--recv-phase: random or aligned")                \
    X(STR, 16, interrupted, "interrupted", "%s",                                                   \
      "no, or the stop signal that cut the run short (SIGTERM, SIGINT, SIGUSR1)")

/* Five columns per latency histogram: p50, p90, p99, p99.9 and the exact maximum, seconds. */
#define IPB_LATENCY_FIELDS(X, kind, text)                                                          \
    X(F64, 0, kind##_p50_s, text " p50 (s)", "%.9f", text " latency, 50th percentile")             \
    X(F64, 0, kind##_p90_s, text " p90 (s)", "%.9f", text " latency, 90th percentile")             \
    X(F64, 0, kind##_p99_s, text " p99 (s)", "%.9f", text " latency, 99th percentile")             \
    X(F64, 0, kind##_p999_s, text " p99.9 (s)", "%.9f", text " latency, 99.9th percentile")        \
    X(F64, 0, kind##_max_s, text " max (s)", "%.9f", text " latency, maximum (exact)")

/* Per-rank rows: gathered to rank 0 to build the record (and the HDF5 `ranks` dataset). */
#define IPB_RANK_FIELDS(X)                                                                         \
    X(U64, 0, rank, "rank", "%" PRIu64, "MPI rank in MPI_COMM_WORLD")                              \
    X(STR, 64, host, "host", "%s", "host name (MPI_Get_processor_name)")                           \
    X(U64, 0, pipelines, "pipelines", "%" PRIu64, "pipelines of this rank")                        \
    X(U64, 0, bytes, "bytes", "%" PRIu64, "bytes written by this rank")                            \
    X(U64, 0, buffers, "buffers", "%" PRIu64, "completed iterations of this rank")                 \
    X(F64, 0, elapsed_s, "elapsed (s)", "%.6f", "slowest pipeline of this rank")                   \
    X(F64, 0, recv_s, "recv (s)", "%.6f", "summed recv seconds")                                   \
    X(F64, 0, compute_s, "compute (s)", "%.6f", "summed compute seconds")                          \
    X(F64, 0, write_s, "write (s)", "%.6f", "summed write seconds")                                \
    X(F64, 0, fsync_s, "fsync (s)", "%.6f", "summed fsync seconds")                                \
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
    X(F64, 0, write_min_s, "write min (s)", "%.9f", "shortest write (exact)")                      \
    X(F64, 0, write_max_s, "write max (s)", "%.9f", "longest write (exact)")                       \
    X(F64, 0, fsync_min_s, "fsync min (s)", "%.9f", "shortest fsync (exact)")                      \
    X(F64, 0, fsync_max_s, "fsync max (s)", "%.9f", "longest fsync (exact)")                       \
    X(F64, 0, iteration_min_s, "iteration min (s)", "%.9f", "shortest iteration (exact)")          \
    X(F64, 0, iteration_max_s, "iteration max (s)", "%.9f", "longest iteration (exact)")          \
    X(U64, 0, stop_signal, "stop signal", "%" PRIu64, "stop signal this rank caught (0: none)")

/* Per-pipeline rows: gathered to rank 0 for the HDF5 `pipelines` dataset. */
#define IPB_PIPELINE_FIELDS(X)                                                                     \
    X(U64, 0, rank, "rank", "%" PRIu64, "MPI rank in MPI_COMM_WORLD")                              \
    X(U64, 0, pipeline, "pipeline", "%" PRIu64, "pipeline index within the rank")                  \
    X(U64, 0, bytes, "bytes", "%" PRIu64, "bytes written by completed iterations")                 \
    X(U64, 0, iterations, "iterations", "%" PRIu64, "completed iterations (buffers written)")      \
    X(F64, 0, elapsed_s, "elapsed (s)", "%.6f", "t0 to the end of the last completed iteration")   \
    X(F64, 0, recv_s, "recv (s)", "%.6f", "seconds in the recv stage")                             \
    X(F64, 0, compute_s, "compute (s)", "%.6f", "seconds in the compute stage")                    \
    X(F64, 0, write_s, "write (s)", "%.6f", "seconds in the write stage")                          \
    X(F64, 0, fsync_s, "fsync (s)", "%.6f", "seconds in the fsync stage")                          \
    X(U64, 0, deadline_bytes, "bytes by deadline", "%" PRIu64, "bytes completed by t0 + duration") \
    X(U64, 0, fsyncs, "fsyncs", "%" PRIu64, "fsyncs completed")                                    \
    X(F64, 0, throughput_mib_s, "throughput (MiB/s)", "%.3f", "bytes / elapsed")                   \
    X(F64, 0, write_p50_s, "write p50 (s)", "%.9f", "median write latency")                        \
    X(F64, 0, write_p99_s, "write p99 (s)", "%.9f", "99th percentile write latency")               \
    X(F64, 0, write_max_s, "write max (s)", "%.9f", "longest write")                               \
    X(F64, 0, fsync_p50_s, "fsync p50 (s)", "%.9f", "median fsync latency")                        \
    X(F64, 0, fsync_p99_s, "fsync p99 (s)", "%.9f", "99th percentile fsync latency")               \
    X(F64, 0, fsync_max_s, "fsync max (s)", "%.9f", "longest fsync")                               \
    X(F64, 0, iteration_p50_s, "iteration p50 (s)", "%.9f", "median iteration")                    \
    X(F64, 0, iteration_p99_s, "iteration p99 (s)", "%.9f", "99th percentile iteration")           \
    X(F64, 0, iteration_max_s, "iteration max (s)", "%.9f", "longest iteration")

#endif
