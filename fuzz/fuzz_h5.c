/* Fuzz target: an existing HDF5 results file, as --hdf5 reads it (src/h5_writer.c).
 *
 * Input: the file's bytes, written to a real file in a scratch directory. The program checks it
 * before the run (ipb_h5_preflight: HDF5 signature, open, creator, layout version, /runs fields
 * and /run) and, when the check passes, appends a run to it (ipb_h5_append: under the lock, a
 * copy opened read-write, checked again, extended, renamed over the file). Both are called, as
 * a run would. Oracles:
 *   - the check accepts (an empty file, or one it can append to) or refuses with one printable
 *     line naming --hdf5; bytes without the HDF5 signature at offset 0 are refused as "not an
 *     HDF5 file" before the HDF5 library parses anything;
 *   - after an accepted check the append succeeds or fails with one line; a failed append
 *     leaves the file byte for byte as it was (h5_writer.h promises it), and a successful one
 *     leaves a file that the check accepts again.
 * A crash, leak or undefined behaviour inside libhdf5 on a malformed file shows up here too,
 * with libhdf5's frames on top of the stack. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5_writer.h"
#include "ipb_status.h"
#include "options.h"
#include "record.h"
#include "run_context.h"

static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

/* One synthetic run (one rank, one pipeline), the same for every input so that a saved input
 * replays exactly. */
struct run {
    struct ipb_results res;
    struct ipb_rank_row rank;
    struct ipb_run_context ctx;
    struct ipb_pipeline_row pipe;
    struct ipb_hist lat[IPB_LAT_NKINDS];
};

static const struct run *the_run(void)
{
    static struct run *r;
    if (r != NULL)
        return r;
    r = calloc(1, sizeof(*r));
    FUZZ_CHECK(r != NULL, "out of memory");
    struct ipb_options o;
    ipb_options_defaults(&o);
    struct ipb_pipeline_stats s = {.bytes = 262144,
                                   .iterations = 1,
                                   .elapsed_s = 0.5,
                                   .recv_s = 0.1,
                                   .write_s = 0.3,
                                   .fsync_s = 0.1};
    ipb_rank_row_fill(&r->rank, 0, "fuzz-host", &s, 1);
    struct ipb_run_meta meta = {
        "0.0.0-fuzz", "20250101T000000Z-fuzz", "2025-01-01T00:00:00Z", NULL, NULL, 0};
    ipb_record_fill(&r->res.record, &o, &meta, &r->rank, 1);
    char *argv[] = {"io-pipeline-bench", "--hdf5", "fuzz.h5", NULL};
    FUZZ_CHECK(ipb_run_context_collect(&r->ctx, &o, 3, argv, 0) == 0, "run context");
    ipb_pipeline_rows_fill(&r->pipe, 0, &s, 1);
    r->res.ranks = &r->rank;
    r->res.nranks = 1;
    r->res.pipelines = &r->pipe;
    r->res.npipelines = 1;
    r->res.lat = r->lat;
    return r;
}

int ipb_fuzz_h5(const uint8_t *data, size_t size, char *msg, size_t msglen)
{
    const struct run *run = the_run();
    char path[512];
    snprintf(path, sizeof(path), "%s/results.h5", ipb_fuzz_scratch_dir());
    ipb_fuzz_write_file(path, data, size);

    char err[1024] = "";
    int rc = ipb_h5_preflight(path, err, sizeof(err));
    FUZZ_CHECK(rc == IPB_OK || rc == IPB_EBADINPUT, "status %d", rc);
    if (size == 0)
        FUZZ_CHECK(rc == IPB_OK, "an empty file refused: %s", err);
    if (size > 0 && (size < sizeof(signature) || memcmp(data, signature, sizeof(signature)) != 0))
        FUZZ_CHECK(rc == IPB_EBADINPUT && strstr(err, "not an HDF5 file") != NULL,
                   "no HDF5 signature, yet not refused as 'not an HDF5 file': %s", err);
    if (rc != IPB_OK) {
        ipb_fuzz_check_line("h5 preflight", err, sizeof(err));
        FUZZ_CHECK(strncmp(err, "--hdf5 '", 8) == 0, "message does not name --hdf5: %s", err);
        snprintf(msg, msglen, "%s", err);
        return rc;
    }
    if (size == 0) { /* nothing to read: the append would create a new file */
        msg[0] = '\0';
        return rc;
    }

    char aerr[1024] = "";
    int arc = ipb_h5_append(path, &run->res, &run->ctx, aerr, sizeof(aerr));
    FUZZ_CHECK(arc == 0 || arc == -1, "append returned %d", arc);
    if (arc != 0) {
        ipb_fuzz_check_line("h5 append", aerr, sizeof(aerr));
        size_t n = 0;
        uint8_t *now = ipb_fuzz_read_file(path, &n);
        FUZZ_CHECK(now != NULL && n == size && memcmp(now, data, size) == 0,
                   "a failed append changed the results file (%s)", aerr);
        free(now);
    } else {
        char again[1024] = "";
        FUZZ_CHECK(ipb_h5_preflight(path, again, sizeof(again)) == IPB_OK,
                   "after a successful append the file is refused: %s", again);
    }
    /* The caller learns the append's outcome: a test of a saved input checks its message. */
    snprintf(msg, msglen, "%s", aerr);
    return arc == 0 ? IPB_OK : IPB_ERUN;
}
