/* The HDF5 results file, checked in a separate process.
 *
 * A results file is user input, and libhdf5 1.10.8 can crash (SIGSEGV) or run past a buffer
 * while decoding a damaged file's metadata (fuzz/libhdf5/README.md). No check of an existing
 * file can avoid asking libhdf5 for its attributes, and a crash cannot be undone in the process
 * that suffered it: rank 0 would die and take the job with it. So rank 0 runs the check
 * (ipb_h5_preflight) in a child: this same program, started with posix_spawn and a hidden first
 * argument, before the child touches MPI at all. posix_spawn, not fork: after MPI_Init a fork
 * would copy MPI's state (and its registered memory) into the child. The child prints its one
 * line on a pipe and exits with the check's status; if it dies of a signal, or takes longer
 * than IPB_H5_CHECK_TIMEOUT_S, the file is refused as damaged (exit 2) and the run goes no
 * further. */
#ifndef IPB_H5_CHECK_H
#define IPB_H5_CHECK_H

#include <stddef.h>

#define IPB_H5_CHECK_ARG "--internal-check-hdf5"
#define IPB_H5_CHECK_TIMEOUT_S 120

/* Rank 0, after MPI_Init: ipb_h5_preflight(path) in a child process, this program started as
 * self (main's argv[0]). Returns IPB_OK, or an
 * error status with one line in err. Falls back to the check in this process (saying nothing)
 * when the child cannot be started. */
int ipb_h5_preflight_isolated(const char *self, const char *path, char *err, size_t errlen);

/* main(), first thing: the child's side. Returns -1 when argv is not the hidden mode; else
 * runs the check, prints its line on stdout and returns the exit status. */
int ipb_h5_check_main(int argc, char **argv);

#endif
