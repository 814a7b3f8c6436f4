/* Exit statuses shared by every part of io-pipeline-bench (DESIGN.md, "Errors"). */
#ifndef IPB_STATUS_H
#define IPB_STATUS_H

enum ipb_status {
    IPB_OK = 0,        /* the run completed and its row was written */
    IPB_ERUN = 1,      /* a failure while running: I/O error, child killed, ... */
    IPB_EBADINPUT = 2, /* bad input, refused before anything was created */
};

/* Size of every human-readable error message buffer in the program: one line naming
 * rank, pipeline, file and strerror fits easily. */
#define IPB_ERRMSG_LEN 1024

#endif
