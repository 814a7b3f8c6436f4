/* Exit statuses shared by every part of io-pipeline-bench (docs/design.md, "Errors"). */
#ifndef IPB_STATUS_H
#define IPB_STATUS_H

enum ipb_status {
    IPB_OK = 0,        /* the run completed and its row was written */
    IPB_ERUN = 1,      /* a failure while running: I/O error, child killed, ... */
    IPB_EBADINPUT = 2, /* bad input, refused before anything was created */
    IPB_EINTERRUPTED = 3, /* a stop signal (SIGTERM, SIGINT, SIGUSR1) cut the run short: what it
                             measured up to then is recorded, marked interrupted (interrupt.h) */
};

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
