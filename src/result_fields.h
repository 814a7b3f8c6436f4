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
    X(STR, 256, label, "label", "%s", "--label text, or -")

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
    X(F64, 0, fsync_s, "fsync (s)", "%.6f", "summed fsync seconds")

#endif
