/* Command line of io-pipeline-bench (docs/design.md, "Command line").
 *
 * Parsing is pure: it takes argv and returns a filled struct or one error line. No MPI, no
 * I/O, no globals, so it is unit-tested directly and runs identically on every rank (every
 * rank parses the same argv, so every rank reaches the same verdict without talking). Checks
 * that need the file system (does the directory exist?) live in preflight.c. */
#ifndef IPB_OPTIONS_H
#define IPB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "recv_model.h"

struct ipb_method;

enum ipb_sync {
    IPB_SYNC_EVERY, /* fsync after every write (the original's behaviour) */
    IPB_SYNC_END,   /* one fsync per file after its last write, inside the timed phase */
    IPB_SYNC_NONE,  /* never fsync: measures the page cache, not the storage */
};

enum ipb_aio_engine {
    IPB_AIO_AUTO,     /* io_uring where the kernel allows it, else POSIX AIO */
    IPB_AIO_IO_URING, /* liburing */
    IPB_AIO_POSIX,    /* aio_write/aio_fsync (glibc: user-space threads) */
};

/* Upper bounds that keep arithmetic far from overflow and catch typos ("--concurrency
 * 1000000"); they are not performance limits. */
#define IPB_MAX_CONCURRENCY 4096
#define IPB_MAX_BUFFER_BYTES (UINT64_C(16) << 30)
#define IPB_MAX_DURATION_S 1e6
#define IPB_MAX_RECV_DELAY_S 3600.0
#define IPB_MAX_SPARSITY (UINT64_C(1) << 30)
#define IPB_LABEL_MAX 256
#define IPB_PATH_MAX 4096
#define IPB_MAX_REPETITIONS 100000
#define IPB_MIN_PROGRESS_S 0.01
#define IPB_MAX_BACKLOG 65536 /* buffers waiting per pipeline: 512 KiB of arrival times */
/* Open arrivals draw every arrival of the run whatever the pipeline does: a delay this short
 * (100,000 buffers per second per pipeline, more than any storage takes) keeps that bookkeeping
 * far below the work it stands for, and a delay of 0 (infinitely many buffers at t0) out. */
#define IPB_MIN_OPEN_RECV_DELAY_S 1e-5

/* When the first receive of a run ends. A constant delay keeps every pipeline where it started:
 * all N pipelines of all ranks start at one barrier, so with "aligned" they receive, write and
 * fsync in lock-step for the whole run, and every fsync queues behind N-1 others. "random"
 * models N independent streams observed in steady state: each pipeline's first wait is the
 * drawn delay times a uniform factor in [0.5, 1.5) (mean unchanged), later waits are as drawn. */
enum ipb_recv_phase {
    IPB_RECV_PHASE_RANDOM,  /* default */
    IPB_RECV_PHASE_ALIGNED, /* every pipeline's first wait is a full delay: lock-step */
};

/* How buffers arrive (docs/user-guide.md, "Open-loop arrivals"). closed: a pipeline receives
 * its next buffer only when it is ready for it, so a slow pipeline slows its own sender (the
 * Python original). open: buffer k arrives at its own scheduled time whatever the pipeline is
 * doing, and waits in a bounded queue (--backlog) until the pipeline takes it. */
enum ipb_arrival_mode {
    IPB_ARRIVALS_CLOSED, /* default */
    IPB_ARRIVALS_OPEN,
};

/* What happens to an arrival that finds the queue full (open arrivals only). */
enum ipb_backlog_policy {
    IPB_BACKLOG_BLOCK, /* default: the sender holds it until there is room */
    IPB_BACKLOG_DROP,  /* it is dropped and counted */
};

struct ipb_options {
    const struct ipb_method *method;
    double duration_s;
    uint64_t buffer_bytes;
    unsigned concurrency;
    double recv_delay_s;
    char output_base[IPB_PATH_MAX]; /* data files are <output_base>.<rank>.<pipeline> */
    uint64_t compute_sparsity;      /* fill every K-th byte; 0 skips compute */
    enum ipb_sync sync;
    enum ipb_aio_engine aio_engine;
    char dat_path[IPB_PATH_MAX];  /* "" = stdout only */
    char hdf5_path[IPB_PATH_MAX]; /* "" = no HDF5 output */
    bool keep_files;
    char label[IPB_LABEL_MAX]; /* free text stored with the run; "" = none */
    uint64_t seed;
    enum ipb_recv_model recv_model; /* how recv waits are drawn (recv_model.h) */
    double recv_stddev_s;           /* normal model's stddev; < 0: recv_delay_s / 4 */
    enum ipb_recv_phase recv_phase; /* first receive: random phase or aligned */
    unsigned repetitions;           /* timed runs, each its own row (default 1) */
    double warmup_s;                /* untimed run before the first repetition; 0 = none */
    double progress_s;              /* rank 0 prints progress every SECONDS; 0 = off */
    enum ipb_arrival_mode arrivals;        /* closed (default) or open */
    unsigned backlog;                      /* open: bound on buffers waiting per pipeline */
    enum ipb_backlog_policy backlog_policy; /* open: a full queue blocks the sender or drops */
    double interval_s;                     /* --interval: time series every SECONDS; 0 = off */
    char import_path[IPB_PATH_MAX]; /* --import: record a run measured elsewhere (fio) */
    bool help;    /* --help given: print usage, run nothing */
    bool version; /* --version given */
};

/* Fill *o with the defaults documented in --help and the README. */
void ipb_options_defaults(struct ipb_options *o);

/* Parse argv[1..argc-1] over the defaults. Returns IPB_OK, or IPB_EBADINPUT with one line in
 * err naming the option and the offending value. Also checks combinations (sequential with
 * concurrency > 1, --aio-engine with a method other than aio, ...). */
int ipb_options_parse(int argc, char *const argv[], struct ipb_options *o, char *err,
                      size_t errlen);

/* The --help text. */
void ipb_options_usage(FILE *out, const char *progname);

/* One option as documented. The option table in options.c drives the parser, --help, the man
 * page and the generated part of docs/reference.md (ipb-gendoc); its handlers stay private. */
struct ipb_option_doc {
    const char *name; /* long name, without "--" */
    char short_name;  /* 0: none */
    const char *arg;  /* the value's placeholder ("SECONDS"); NULL: a flag without a value */
    const char *help; /* one line for --help, without the default */
    const char *dflt; /* the default, as one would type it; NULL: none (flags, empty text) */
    const char *more; /* a paragraph for the man page and the reference; NULL: none */
};

/* The table, in --help order: ipb_options_doc(i) for i < ipb_options_count(), NULL after. */
size_t ipb_options_count(void);
const struct ipb_option_doc *ipb_options_doc(size_t i);

const char *ipb_sync_name(enum ipb_sync s);
const char *ipb_recv_phase_name(enum ipb_recv_phase p);
const char *ipb_arrival_mode_name(enum ipb_arrival_mode m);
const char *ipb_backlog_policy_name(enum ipb_backlog_policy p);

/* The normal model's standard deviation in effect (the default is recv_delay_s / 4). */
double ipb_options_recv_stddev(const struct ipb_options *o);
const char *ipb_aio_engine_name(enum ipb_aio_engine e);

#endif
