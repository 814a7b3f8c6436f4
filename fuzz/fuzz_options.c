/* Fuzz target: the command line (src/options.c).
 *
 * Input: the arguments after the program name, separated by NUL bytes (a real argv can hold any
 * byte but NUL), at most MAX_ARGS of them. Oracles: the parser accepts or refuses with one
 * printable line; what it accepts is inside every documented range, has no control character
 * in a text value, and passes the combination rules; the same argv parsed twice gives the same
 * options and message (catches reads of uninitialised or stale state). */
#include "fuzz.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ipb_status.h"
#include "method.h"
#include "options.h"
#include "timeseries.h"

#define MAX_ARGS 64

static void check_text(const char *what, const char *s, size_t cap, int allow_empty)
{
    size_t len = strnlen(s, cap);
    FUZZ_CHECK(len < cap, "%s not NUL-terminated", what);
    FUZZ_CHECK(allow_empty || len > 0, "%s accepted empty", what);
    for (size_t i = 0; i < len; i++)
        FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f,
                   "%s accepted with control character 0x%02x", what, (unsigned char)s[i]);
}

static void check_accepted(const struct ipb_options *o)
{
    FUZZ_CHECK(o->method != NULL && ipb_method_find(o->method->name) == o->method, "method");
    FUZZ_CHECK(o->duration_s > 0.0 && o->duration_s <= IPB_MAX_DURATION_S, "duration %g",
               o->duration_s);
    FUZZ_CHECK(o->buffer_bytes >= 1 && o->buffer_bytes <= IPB_MAX_BUFFER_BYTES, "buffer %llu",
               (unsigned long long)o->buffer_bytes);
    FUZZ_CHECK(o->concurrency >= 1 && o->concurrency <= IPB_MAX_CONCURRENCY, "concurrency %u",
               o->concurrency);
    FUZZ_CHECK(o->recv_delay_s >= 0.0 && o->recv_delay_s <= IPB_MAX_RECV_DELAY_S, "recv delay %g",
               o->recv_delay_s);
    FUZZ_CHECK(o->compute_sparsity <= IPB_MAX_SPARSITY, "sparsity");
    FUZZ_CHECK(o->repetitions >= 1 && o->repetitions <= IPB_MAX_REPETITIONS, "repetitions %u",
               o->repetitions);
    FUZZ_CHECK(o->warmup_s >= 0.0 && o->warmup_s <= IPB_MAX_DURATION_S, "warmup %g", o->warmup_s);
    FUZZ_CHECK(o->progress_s == 0.0 ||
                   (o->progress_s >= IPB_MIN_PROGRESS_S && o->progress_s <= IPB_MAX_DURATION_S),
               "progress %g", o->progress_s);
    /* --interval: off, or 1 ms to --duration with an HDF5 file, sized within its bounds */
    FUZZ_CHECK(o->interval_s == 0.0 ||
                   (o->interval_s >= IPB_TS_MIN_S && o->interval_s <= o->duration_s &&
                    o->hdf5_path[0] != '\0' &&
                    ipb_ts_nintervals(o->duration_s, o->interval_s) <= IPB_TS_MAX_INTERVALS &&
                    ipb_ts_bytes(o->concurrency, ipb_ts_nintervals(o->duration_s, o->interval_s)) <=
                        IPB_TS_MAX_BYTES),
               "interval %g", o->interval_s);
    FUZZ_CHECK(o->recv_stddev_s == -1.0 ||
                   (o->recv_stddev_s >= 0.0 && o->recv_stddev_s <= IPB_MAX_RECV_DELAY_S),
               "recv stddev %g", o->recv_stddev_s);
    FUZZ_CHECK(isfinite(ipb_options_recv_stddev(o)), "effective recv stddev");
    FUZZ_CHECK((unsigned)o->sync <= IPB_SYNC_NONE && (unsigned)o->aio_engine <= IPB_AIO_POSIX &&
                   (unsigned)o->recv_model < IPB_RECV_NMODELS &&
                   (unsigned)o->recv_phase <= IPB_RECV_PHASE_ALIGNED &&
                   (unsigned)o->arrivals <= IPB_ARRIVALS_OPEN &&
                   (unsigned)o->backlog_policy <= IPB_BACKLOG_DROP,
               "an enumeration out of range");
    FUZZ_CHECK(o->backlog >= 1 && o->backlog <= IPB_MAX_BACKLOG, "backlog %u", o->backlog);
    /* output_base leaves room for ".<rank>.<pipeline>" (opt_output_file) */
    check_text("output file", o->output_base, sizeof(o->output_base) - 32, 0);
    check_text("dat path", o->dat_path, sizeof(o->dat_path), 1);
    check_text("hdf5 path", o->hdf5_path, sizeof(o->hdf5_path), 1);
    check_text("label", o->label, sizeof(o->label), 1);
    check_text("import path", o->import_path, sizeof(o->import_path), 1);
    if (o->help || o->version)
        return; /* combinations are not judged when nothing will run */
    FUZZ_CHECK(!(o->method->flags & IPB_METHOD_SINGLE_PIPELINE) || o->concurrency == 1,
               "%s accepted with concurrency %u", o->method->name, o->concurrency);
    FUZZ_CHECK((o->method->flags & IPB_METHOD_USES_AIO_ENGINE) || o->aio_engine == IPB_AIO_AUTO,
               "--aio-engine accepted with method %s", o->method->name);
    /* open arrivals need a rate: a zero delay would put every buffer of the run at t0 */
    FUZZ_CHECK(o->arrivals != IPB_ARRIVALS_OPEN || o->recv_delay_s >= IPB_MIN_OPEN_RECV_DELAY_S,
               "--arrivals open accepted with --recv-delay %g", o->recv_delay_s);
}

int ipb_fuzz_options(const uint8_t *data, size_t size, char *msg, size_t msglen)
{
    char *buf = ipb_fuzz_strndup(data, size);
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "io-pipeline-bench";
    if (size > 0) {
        /* every NUL ends one argument; the copy's final NUL ends the last */
        for (char *p = buf; argc <= MAX_ARGS && p <= buf + size; p += strlen(p) + 1)
            argv[argc++] = p;
    }
    argv[argc] = NULL;

    /* The options struct is large (five paths): on the heap, so ASan sees every byte. */
    struct ipb_options *o = malloc(sizeof(*o)), *again = malloc(sizeof(*again));
    char err[1024], err2[1024];
    FUZZ_CHECK(o != NULL && again != NULL, "out of memory");
    ipb_options_defaults(o);
    ipb_options_defaults(again);
    memset(err, 'x', sizeof(err));
    memset(err2, 'y', sizeof(err2));
    int rc = ipb_options_parse(argc, argv, o, err, sizeof(err));
    int rc2 = ipb_options_parse(argc, argv, again, err2, sizeof(err2));

    FUZZ_CHECK(rc == IPB_OK || rc == IPB_EBADINPUT, "status %d", rc);
    FUZZ_CHECK(rc == rc2 && strcmp(err, err2) == 0, "two parses of one argv disagree");
    if (rc == IPB_OK) {
        FUZZ_CHECK(err[0] == '\0', "accepted with a message: %s", err);
        FUZZ_CHECK(memcmp(o, again, sizeof(*o)) == 0, "two parses of one argv disagree");
        check_accepted(o);
    } else {
        ipb_fuzz_check_line("options", err, sizeof(err));
    }
    snprintf(msg, msglen, "%s", err);
    free(again);
    free(o);
    free(buf);
    return rc;
}
