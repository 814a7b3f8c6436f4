/* The result record and its arithmetic. Pure: values in, values out.
 *
 * struct ipb_record and struct ipb_rank_row are generated from result_fields.h, so the struct,
 * the .dat columns and the HDF5 types cannot drift apart. */
#ifndef IPB_RECORD_H
#define IPB_RECORD_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "pipeline.h"
#include "result_fields.h"

#define IPB_MEMBER_STR(len, name) char name[len]
#define IPB_MEMBER_U64(len, name) uint64_t name
#define IPB_MEMBER_F64(len, name) double name
#define IPB_MEMBER(type, len, name, hdr, fmt, doc) IPB_MEMBER_##type(len, name);

struct ipb_record {
    IPB_RESULT_FIELDS(IPB_MEMBER)
};

struct ipb_rank_row {
    IPB_RANK_FIELDS(IPB_MEMBER)
};

#define IPB_MIB 1048576.0

/* Identity of a run that is not a measurement. */
struct ipb_run_meta {
    const char *version;
    const char *run_id;
    const char *timestamp;
    const char *aio_engine; /* NULL or "" when the method has no engine */
};

/* Sum one rank's pipelines into its row (elapsed = max over pipelines). */
void ipb_rank_row_fill(struct ipb_rank_row *row, unsigned rank, const char *host,
                       const struct ipb_pipeline_stats *stats, unsigned npipelines);

/* The run's record from every rank's row (DESIGN.md timing rules 4 and 5): elapsed = max over
 * ranks, throughput = all bytes / elapsed, compute throughput = all bytes / summed compute
 * seconds, nodes = distinct hosts. Pure. */
void ipb_record_fill(struct ipb_record *rec, const struct ipb_options *opts,
                     const struct ipb_run_meta *meta, const struct ipb_rank_row *rows,
                     unsigned nranks);

/* The .dat header line ("#<version>\t<ranks>\t...") and one row, each without the trailing
 * newline. Return the length written, or -1 if outlen is too small. */
int ipb_dat_header(char *out, size_t outlen);
int ipb_dat_row(const struct ipb_record *rec, char *out, size_t outlen);

/* Number of .dat columns. */
unsigned ipb_dat_ncolumns(void);

#endif
