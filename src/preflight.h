/* Checks of the input that need the file system, run on every rank before anything is created
 * or timed. A failure here is bad input (exit 2). No MPI: the caller agrees on the result. */
#ifndef IPB_PREFLIGHT_H
#define IPB_PREFLIGHT_H

#include <stddef.h>

#include "options.h"

/* The data directory exists, is a directory and is writable; none of this rank's data paths
 * exists already (not even as a dangling symlink). */
int ipb_preflight_data(const struct ipb_options *o, unsigned rank, char *err, size_t errlen);

/* A results file (--dat, later --hdf5) can be appended to: it is a regular file we may
 * write, or it does not exist and its directory is writable. Run on the rank that writes it. */
int ipb_preflight_results_file(const char *option, const char *path, char *err, size_t errlen);

#endif
