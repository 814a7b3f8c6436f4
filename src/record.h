/* The result record and the per-rank and per-pipeline rows, as types.
 *
 * Generated from result_fields.h, so the structs, the .dat columns and the HDF5 types cannot
 * drift apart. What fills them is the results module (results.h); what prints a record is
 * dat_format.h; what reads a foreign one is import.h. This header has no functions, so those
 * units share the types without depending on each other. */
#ifndef IPB_RECORD_H
#define IPB_RECORD_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include "result_fields.h"

#define IPB_MEMBER_STR(len, name)                  char name[len]
#define IPB_MEMBER_U64(len, name)                  uint64_t name
#define IPB_MEMBER_F64(len, name)                  double name
#define IPB_MEMBER(type, len, name, hdr, fmt, doc) IPB_MEMBER_##type(len, name);

struct ipb_record {
    IPB_RESULT_FIELDS(IPB_MEMBER)
};

struct ipb_rank_row {
    IPB_RANK_FIELDS(IPB_MEMBER)
};

struct ipb_pipeline_row {
    IPB_PIPELINE_FIELDS(IPB_MEMBER)
};

struct ipb_ts_row {
    IPB_TIMESERIES_FIELDS(IPB_MEMBER)
};

#define IPB_MIB 1048576.0

/* bytes over seconds in MiB/s; 0 before anything was timed (seconds <= 0). The one formula of
 * every throughput column: pipeline, rank, run and deadline. */
static inline double ipb_mib_per_s(uint64_t bytes, double seconds)
{
    return seconds > 0.0 ? (double)bytes / IPB_MIB / seconds : 0.0;
}

/* Identity of a run that is not a measurement. */
struct ipb_run_meta {
    const char *version;
    const char *run_id;
    const char *timestamp;
    const char *aio_engine; /* NULL or "" when the method has no engine */
    const char *series_id;  /* run id of the series' first repetition; NULL: run_id */
    unsigned repetition;    /* 0-based index in the series */
};

#endif
