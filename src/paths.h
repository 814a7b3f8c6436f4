/* Splitting a path into its directory and its last component, as POSIX dirname() and basename()
 * do, but without their ways of modifying the argument or returning static storage: the caller
 * passes the output buffer, so there are no copies to make first and nothing is shared between
 * threads. Pure: no file system access, symlinks are not resolved.
 *
 *   path       dir   base
 *   "file"     "."   "file"
 *   "/file"    "/"   "file"
 *   "a/b/"     "a"   "b"
 *   "a//b"     "a"   "b"
 *   "/"        "/"   "/"
 *   ""         "."   "."
 *
 * One difference from glibc: a leading "//" (which POSIX leaves implementation-defined) is "/". */
#ifndef IPB_PATHS_H
#define IPB_PATHS_H

#include <stddef.h>

/* The directory part of path into out. Returns 0, or -1 when it does not fit (out then holds
 * "" when outlen > 0). out may be path itself: the result is never longer. */
int ipb_path_dir(const char *path, char *out, size_t outlen);

/* The last component of path, trailing slashes removed, into out. Returns 0 or -1 (as above). */
int ipb_path_base(const char *path, char *out, size_t outlen);

#endif
