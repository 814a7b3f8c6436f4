#include "file_replace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"

#define OPT(names) ((names)->option)

int ipb_replace_locate(const struct ipb_replace_names *names, const char *path,
                       struct ipb_replace_where *w, char *err, size_t errlen)
{
    if (realpath(path, w->path) == NULL) {
        /* A file that does not exist yet: resolve its directory, keep its name. */
        struct stat st;
        if (errno != ENOENT || lstat(path, &st) == 0) {
            snprintf(err, errlen, "%s '%s': %s", OPT(names), path,
                     errno == ENOENT ? "dangling symbolic link" : strerror(errno));
            return -1;
        }
        char dir[IPB_REPLACE_PATH_MAX], rdir[IPB_REPLACE_PATH_MAX], b[IPB_REPLACE_PATH_MAX];
        if (ipb_path_dir(path, dir, sizeof(dir)) != 0 || ipb_path_base(path, b, sizeof(b)) != 0) {
            snprintf(err, errlen, "%s '%s': path too long", OPT(names), path);
            return -1;
        }
        if (realpath(dir, rdir) == NULL) {
            snprintf(err, errlen, "%s '%s': directory '%s': %s", OPT(names), path, dir,
                     strerror(errno));
            return -1;
        }
        if (strcmp(b, ".") == 0 || strcmp(b, "..") == 0 || strcmp(b, "/") == 0) {
            snprintf(err, errlen, "%s '%s': not a file name", OPT(names), path);
            return -1;
        }
        if (snprintf(w->path, sizeof(w->path), "%s/%s", strcmp(rdir, "/") ? rdir : "", b) >=
            (int)sizeof(w->path)) {
            snprintf(err, errlen, "%s '%s': path too long", OPT(names), path);
            return -1;
        }
    }
    ipb_path_dir(w->path, w->dir, sizeof(w->dir));
    ipb_path_base(w->path, w->base, sizeof(w->base));
    return 0;
}

int ipb_replace_lock_path(char *out, size_t outlen, const char *path)
{
    return snprintf(out, outlen, "%s.lock", path) < (int)outlen ? 0 : -1;
}

/* flock() that reports only real failures: 1 when locked, 0 when another job holds it and
 * wait is false, -1 on error (errno set). */
static int lock_fd(int fd, bool wait)
{
    while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
        if (errno == EINTR)
            continue;
        return (!wait && errno == EWOULDBLOCK) ? 0 : -1;
    }
    return 1;
}

static void lock_failed(const struct ipb_replace_names *names, const char *path, const char *file,
                        char *err, size_t errlen)
{
    snprintf(err, errlen, "%s '%s': cannot lock '%s': %s (%s)", OPT(names), path, file,
             strerror(errno), names->why_lock);
}

/* Open "<path>.lock" and flock() it (see file_replace.h for why a sidecar). */
static int take_lock(const struct ipb_replace_names *names, const struct ipb_replace_where *w,
                     const char *path, char *err, size_t errlen)
{
    char lock[IPB_REPLACE_PATH_MAX + 8];
    if (ipb_replace_lock_path(lock, sizeof(lock), w->path) != 0) {
        snprintf(err, errlen, "%s '%s': path too long", OPT(names), path);
        return -1;
    }
    /* O_RDWR: NFS emulates flock() with a POSIX write lock, which needs a writable fd. */
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0) {
        snprintf(err, errlen, "%s '%s': lock file '%s': %s", OPT(names), path, lock,
                 strerror(errno));
        return -1;
    }
    if (lock_fd(fd, true) != 1) {
        lock_failed(names, path, lock, err, errlen);
        close(fd);
        return -1;
    }
    return fd;
}

int ipb_replace_probe(const struct ipb_replace_names *names, const char *path,
                      const struct ipb_replace_where *w, char *err, size_t errlen)
{
    char file[2 * IPB_REPLACE_PATH_MAX];
    bool temporary = false;
    if (ipb_replace_lock_path(file, sizeof(file), w->path) != 0) {
        snprintf(err, errlen, "%s '%s': path too long", OPT(names), path);
        return -1;
    }
    int fd = open(file, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        snprintf(file, sizeof(file), "%s/.%s.tmp.XXXXXX", w->dir, w->base);
        fd = mkostemp(file, O_CLOEXEC);
        temporary = fd >= 0;
        if (fd < 0) {
            snprintf(err, errlen, "%s '%s': cannot create a file in '%s': %s", OPT(names), path,
                     w->dir, strerror(errno));
            return -1;
        }
    } else if (fd < 0) {
        snprintf(err, errlen, "%s '%s': lock file '%s': %s", OPT(names), path, file,
                 strerror(errno));
        return -1;
    }
    /* Not waiting: a lock another job holds proves that locks work. */
    int rc = lock_fd(fd, false) < 0 ? -1 : 0;
    if (rc != 0)
        lock_failed(names, path, file, err, errlen);
    close(fd);
    if (temporary)
        unlink(file);
    return rc;
}

static void release_lock(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}

/* Remove temporaries left by jobs that were killed (under the lock, and only old ones: see
 * IPB_REPLACE_STALE_TMP_S). Only names mkostemp() can have made: ".<name>.tmp." and 6 more. */
static void remove_stale_temporaries(const struct ipb_replace_where *w)
{
    char prefix[IPB_REPLACE_PATH_MAX + 16];
    snprintf(prefix, sizeof(prefix), ".%s.tmp.", w->base);
    size_t plen = strlen(prefix);
    DIR *d = opendir(w->dir);
    if (d == NULL)
        return;
    int dfd = dirfd(d);
    time_t now = time(NULL);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        struct stat st;
        if (strncmp(e->d_name, prefix, plen) != 0 || strlen(e->d_name) != plen + 6)
            continue;
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            now - st.st_mtime > IPB_REPLACE_STALE_TMP_S)
            unlinkat(dfd, e->d_name, 0);
    }
    closedir(d);
}

static int copy_file(int in, int out)
{
    /* copy_file_range(): a reflink or a server-side copy where the file system offers one
     * (XFS, btrfs, NFS 4.2), a kernel-side copy elsewhere; plain read/write where the kernel
     * refuses it. */
    bool plain = false;
    for (;;) {
        ssize_t n;
        if (!plain) {
            n = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0);
            if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
                          errno == EOPNOTSUPP || errno == EBADF)) {
                plain = true;
                continue;
            }
        } else {
            static char buf[1 << 16];
            n = read(in, buf, sizeof(buf));
            for (ssize_t done = 0; n > 0 && done < n;) {
                ssize_t m = write(out, buf + done, (size_t)(n - done));
                if (m < 0 && errno != EINTR)
                    return -1;
                if (m > 0)
                    done += m;
            }
        }
        if (n == 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* Some file systems cannot fsync a directory (EINVAL): then rename() is as durable as
     * they make it. */
    int rc = (fsync(fd) == 0 || errno == EINVAL) ? 0 : -1;
    close(fd);
    return rc;
}

/* Give the temporary the file's permissions, group and (as root) owner (st: the file's, NULL
 * when there is no file); a new file gets what open(0666) would give it. */
static int set_attributes(struct ipb_replace *r, const struct stat *st, char *err, size_t errlen)
{
    const char *opt = OPT(r->names);
    if (st == NULL) {
        /* mkostemp() made it 0600. Reading the umask by setting it: see ipb_replace_begin. */
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(r->fd, 0666 & ~mask) != 0) {
            snprintf(err, errlen, "%s '%s': chmod '%s': %s", opt, r->given, r->tmp,
                     strerror(errno));
            return -1;
        }
        return 0;
    }
    if (fchmod(r->fd, st->st_mode & 07777) != 0) {
        snprintf(err, errlen, "%s '%s': chmod '%s': %s", opt, r->given, r->tmp, strerror(errno));
        return -1;
    }
    /* Only root can give the copy the original's owner; anyone else's copy is theirs (a caller
     * that must not take over other people's files refuses them before: h5_writer.c does). */
    uid_t owner = geteuid() == 0 ? st->st_uid : (uid_t)-1;
    if (fchown(r->fd, owner, st->st_gid) != 0 && owner != (uid_t)-1 &&
        fchown(r->fd, owner, (gid_t)-1) != 0) {
        snprintf(err, errlen, "%s '%s': chown '%s' to uid %u: %s", opt, r->given, r->tmp,
                 (unsigned)owner, strerror(errno));
        return -1;
    }
    /* (not our group: the file keeps our primary group) */
    return 0;
}

int ipb_replace_begin(struct ipb_replace *r, const struct ipb_replace_names *names,
                      const char *path, char *err, size_t errlen)
{
    r->names = names;
    r->given = path;
    r->fd = -1;
    r->lock = -1;
    r->copied = false;
    r->tmp[0] = '\0';
    if (ipb_replace_locate(names, path, &r->where, err, errlen) != 0)
        return -1;
    const struct ipb_replace_where *w = &r->where;
    r->lock = take_lock(names, w, path, err, errlen);
    if (r->lock < 0)
        return -1;
    remove_stale_temporaries(w);

    if (snprintf(r->tmp, sizeof(r->tmp), "%s/.%s.tmp.XXXXXX", w->dir, w->base) >=
        (int)sizeof(r->tmp)) {
        snprintf(err, errlen, "%s '%s': path too long", OPT(names), path);
        r->tmp[0] = '\0';
        goto fail;
    }
    r->fd = mkostemp(r->tmp, O_CLOEXEC);
    if (r->fd < 0) {
        snprintf(err, errlen, "%s '%s': temporary file in '%s': %s", OPT(names), path, w->dir,
                 strerror(errno));
        r->tmp[0] = '\0';
        goto fail;
    }

    /* An empty file has nothing to copy (a job script may create the results file empty), but
     * it is still the user's file: the replacement keeps its mode, group and owner. */
    struct stat st;
    const bool exists = stat(w->path, &st) == 0;
    if (exists && st.st_size > 0) {
        r->copied = true;
        int src = open(w->path, O_RDONLY | O_CLOEXEC);
        if (src < 0 || copy_file(src, r->fd) != 0) {
            snprintf(err, errlen, "%s '%s': copying to '%s': %s", OPT(names), path, r->tmp,
                     strerror(errno));
            if (src >= 0)
                close(src);
            goto fail;
        }
        close(src);
    }
    if (set_attributes(r, exists ? &st : NULL, err, errlen) != 0)
        goto fail;
    return 0;
fail:
    ipb_replace_abort(r);
    return -1;
}

void ipb_replace_abort(struct ipb_replace *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    if (r->tmp[0] != '\0')
        unlink(r->tmp);
    r->tmp[0] = '\0';
    release_lock(r->lock);
    r->lock = -1;
}

int ipb_replace_commit(struct ipb_replace *r, char *err, size_t errlen)
{
    const char *opt = OPT(r->names);
    int rc = -1;
    if (fsync(r->fd) != 0) {
        snprintf(err, errlen, "%s '%s': fsync '%s': %s", opt, r->given, r->tmp, strerror(errno));
        goto out;
    }
    if (rename(r->tmp, r->where.path) != 0) {
        snprintf(err, errlen, "%s '%s': rename '%s': %s", opt, r->given, r->tmp, strerror(errno));
        goto out;
    }
    r->tmp[0] = '\0'; /* it is the file now */
    if (fsync_dir(r->where.dir) != 0) {
        snprintf(err, errlen, "%s '%s': fsync directory '%s': %s", opt, r->given, r->where.dir,
                 strerror(errno));
        goto out;
    }
    rc = 0;
out:
    ipb_replace_abort(r);
    return rc;
}
