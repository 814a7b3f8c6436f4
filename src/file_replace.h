/* Replacing a file crash-safely and concurrency-safely, by never modifying it in place (the HDF5
 * results file is its user: h5_writer.c; nothing here knows HDF5).
 *
 *   ipb_replace_begin   under an exclusive flock() on the sidecar "<file>.lock", copies the file
 *                       to a temporary file in the same directory (mode, group and, as root,
 *                       owner kept)
 *   (the caller)        writes the new contents into the temporary, by path or descriptor
 *   ipb_replace_commit  fsync()s the temporary, rename()s it over the file, fsync()s the
 *                       directory, unlocks
 *   ipb_replace_abort   removes the temporary, unlocks
 *
 * rename() is atomic, so a reader or a SIGKILL at any moment sees the old file or the new one,
 * never a half-written one; a failure anywhere before the rename leaves the file byte for byte
 * as it was and no temporary behind. HDF5 is why this exists: it has no journal, and a writer
 * killed inside H5Fclose() of a file modified in place can leave its superblock, B-trees or
 * heaps inconsistent, and every earlier run unreadable with it. The price is one copy of the
 * file per replacement (copy_file_range(), which reflinks or copies on the server where the
 * file system can).
 *
 * The lock lives on a sidecar file, not on the file itself, because the file is replaced by
 * rename(): a lock on the old inode would not stop a job that opens the new one. The lock file
 * is created once, empty, and never removed (removing it would let two jobs lock two different
 * inodes of the same name). Symlinks are resolved first, so that the link's target is replaced,
 * not the link, and two jobs naming one file differently take the same lock.
 *
 * A temporary is named ".<name>.tmp.XXXXXX" next to the file. One left by a killed job is removed
 * by a later ipb_replace_begin() once it is older than IPB_REPLACE_STALE_TMP_S.
 *
 * Messages are one line, "<option> '<path>': ...", with option and path as the caller gives
 * them (the option that named the file: "--hdf5"). */
#ifndef IPB_FILE_REPLACE_H
#define IPB_FILE_REPLACE_H

#include <stdbool.h>
#include <stddef.h>

#define IPB_REPLACE_PATH_MAX 4096

/* Temporary files older than this (seconds) found next to the file are leftovers of a killed
 * job and are removed by the next ipb_replace_begin() (a replacement takes milliseconds to
 * seconds; the margin covers file systems whose locks are not global, where another node may
 * still be working on its own temporary). */
#define IPB_REPLACE_STALE_TMP_S 600

/* How messages name the file. */
struct ipb_replace_names {
    const char *option;   /* "--hdf5" */
    const char *why_lock; /* after "cannot lock '<lock file>': <error>", in parentheses: what
                           * a file system without flock() would cost the user */
};

/* Where the file is, symlinks resolved. */
struct ipb_replace_where {
    char path[IPB_REPLACE_PATH_MAX]; /* the file (which need not exist) */
    char dir[IPB_REPLACE_PATH_MAX];
    char base[IPB_REPLACE_PATH_MAX];
};

struct ipb_replace {
    /* For the caller, after ipb_replace_begin(): */
    char tmp[2 * IPB_REPLACE_PATH_MAX]; /* write the new contents here */
    int fd;                             /* read-write on tmp, at its end; closed by commit/abort */
    bool copied; /* tmp starts as a copy of the file; false: the file is missing or empty, and
                  * tmp starts empty (with the empty file's mode and owner, or a new file's
                  * mode, 0666 & ~umask, when there is none) */
    struct ipb_replace_where where;

    /* Private. */
    const struct ipb_replace_names *names;
    const char *given; /* the path as the caller named it, for messages */
    int lock;
};

/* Lock, locate, remove stale temporaries, create the temporary and copy the file into it.
 * path may name a file that does not exist (in an existing directory). The umask is read by
 * setting it, so call this from one thread at a time. names and path must stay valid until
 * commit or abort. Returns 0, or -1 with one line in err: nothing is then held or left. */
int ipb_replace_begin(struct ipb_replace *r, const struct ipb_replace_names *names,
                      const char *path, char *err, size_t errlen);

/* Make the temporary the file: fsync(), rename(), fsync() of the directory; then unlock.
 * Returns 0, or -1 with one line in err. A failure of the fsync() or the rename() leaves the file
 * as it was and removes the temporary; a failure of the directory's fsync() comes after the
 * rename: the file has its new contents, which a crash of the machine may still undo. */
int ipb_replace_commit(struct ipb_replace *r, char *err, size_t errlen);

/* Give up: remove the temporary and unlock; the file stays as it was. */
void ipb_replace_abort(struct ipb_replace *r);

/* Resolve path for a replacement (see above). Returns 0, or -1 with one line in err: a
 * dangling symlink, a missing directory, not a file name. */
int ipb_replace_locate(const struct ipb_replace_names *names, const char *path,
                       struct ipb_replace_where *w, char *err, size_t errlen);

/* Would a replacement work there: can a file be created next to it, and does flock() work?
 * Probes the existing lock file, or else a temporary file that is removed again, so that it
 * leaves nothing behind (a check before a run must not, whatever comes of the run). Returns 0,
 * or -1 with one line in err. */
int ipb_replace_probe(const struct ipb_replace_names *names, const char *path,
                      const struct ipb_replace_where *w, char *err, size_t errlen);

/* The lock file of a file: "<path>.lock". Returns -1 if it does not fit. */
int ipb_replace_lock_path(char *out, size_t outlen, const char *path);

#endif
