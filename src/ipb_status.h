/* Exit statuses shared by every part of io-pipeline-bench (docs/design.md, "Errors").
 *
 * X(symbol, code, brief, doc): the one list. The enum, the "Exit status" line of --help and
 * the EXIT STATUS section of the man page (ipb-gendoc) are generated from it. */
#ifndef IPB_STATUS_H
#define IPB_STATUS_H

#include <stddef.h>

#define IPB_STATUS_LIST(X)                                                                         \
    X(IPB_OK, 0, "success",                                                                        \
      "the run completed and its row was written (for --repetitions, every row); also --help, "    \
      "--version and a successful --import")                                                       \
    X(IPB_ERUN, 1, "failure while running",                                                        \
      "a failure while running: open, write or fsync failed (ENOSPC, EIO), a fork child died, "    \
      "io_uring was refused. Every rank exits 1 with one line naming rank, pipeline and file; "    \
      "no row is written and the data files are removed")                                          \
    X(IPB_EBADINPUT, 2, "bad input",                                                               \
      "bad input, refused before anything was created: an unknown option, a bad value or "         \
      "combination, an unusable data, .dat or HDF5 path, buffers larger than the node's memory, "  \
      "or a launcher of another MPI library. One line names the option and the value")             \
    X(IPB_EINTERRUPTED, 3, "interrupted by a stop signal",                                         \
      "a stop signal (SIGTERM, SIGINT or SIGUSR1) cut the run short: a run stopped in its timed "  \
      "phase is recorded with what it measured, marked in the interrupted column; the data "       \
      "files are removed and no further repetition starts")

enum ipb_status {
#define IPB_STATUS_ENUM(sym, code, brief, doc) sym = code,
    IPB_STATUS_LIST(IPB_STATUS_ENUM)
#undef IPB_STATUS_ENUM
};

/* One exit status as documented (--help, the man page). */
struct ipb_status_doc {
    int code;
    const char *brief; /* a few words */
    const char *doc;   /* a sentence or two */
};

/* The documented statuses in the list's order; ipb_status_doc(i) is NULL past the end. */
size_t ipb_status_count(void);
const struct ipb_status_doc *ipb_status_doc(size_t i);

/* How bad a status is, for agreeing across ranks (agree.c): an interruption is less news than a
 * failure, which is less than bad input. Exit codes keep their numbers. */
static inline int ipb_status_severity(int status)
{
    switch (status) {
    case IPB_OK:
        return 0;
    case IPB_EINTERRUPTED:
        return 1;
    case IPB_ERUN:
        return 2;
    default:
        return 3; /* IPB_EBADINPUT */
    }
}

/* Size of every human-readable error message buffer in the program: one line naming rank,
 * pipeline and strerror, with up to three paths of PATH_MAX (4096) bytes each (a data-file
 * message names --output-file and the file). Smaller, a deep directory would push the reason
 * off the end of the line: "--output-file '/very/long/...". */
#define IPB_ERRMSG_LEN (3 * 4096 + 1024)

#endif
