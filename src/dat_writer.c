#include "dat_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipb_status.h"
#include "dat_format.h"

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The text of column col of header ("<ranks>"), as pointer and length. */
static const char *header_column(const char *header, unsigned col, int *len)
{
    const char *c = header;
    for (unsigned i = 0; i < col && (c = strchr(c, '\t')) != NULL; i++)
        c++;
    if (c == NULL)
        return *len = 0, "";
    const char *end = strchr(c, '\t');
    *len = (int)(end ? (size_t)(end - c) : strlen(c));
    return c;
}

int ipb_dat_header_check(const char *head, size_t len, const char *header, char *why, size_t whylen)
{
    size_t hlen = strlen(header);
    if (len == 0 || (len > hlen && memcmp(head, header, hlen) == 0 && head[hlen] == '\n'))
        return 0;
    if (head[0] != '#') {
        snprintf(why, whylen,
                 "not a .dat file of this program (it does not start with a '#<...>' header)");
        return -1;
    }
    /* Where do the two lines part? Columns are counted in ours, 0-based as in the README. */
    const char *nl = memchr(head, '\n', len);
    size_t n = nl ? (size_t)(nl - head) : len;
    size_t i = 0;
    unsigned col = 0, ncols = 1;
    while (i < n && i < hlen && head[i] == header[i])
        col += header[i++] == '\t';
    for (const char *t = header; (t = strchr(t, '\t')) != NULL; t++)
        ncols++;
    int clen;
    const char *ours = header_column(header, col, &clen);
    if (i == n && nl == NULL && i < hlen)
        snprintf(why, whylen,
                 "its header line is cut short: the file ends after %zu bytes, in column %u", len,
                 col);
    else if (i == n && i == hlen)
        snprintf(why, whylen, "its header line is not ended by a newline");
    else if (i == n && header[i] == '\t')
        snprintf(why, whylen,
                 "its header has %u columns, this program writes %u: append to a new file", col + 1,
                 ncols);
    else if (i == hlen && head[i] == '\t')
        snprintf(why, whylen,
                 "its header has more than the %u columns this program writes: append to a "
                 "new file",
                 ncols);
    else
        snprintf(why, whylen,
                 "its header differs from this program's at column %u (ours is '%.*s'): "
                 "written by another program or version; append to a new file",
                 col, clen, ours);
    return -1;
}

/* Read the file's first strlen(header) + 1 bytes and check them (see ipb_dat_header_check). */
static int check_head(int fd, const char *path, const char *header, char *err, size_t errlen)
{
    size_t cap = strlen(header) + 1, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        snprintf(err, errlen, "--dat '%s': out of memory", path);
        return -1;
    }
    while (len < cap) {
        ssize_t n = pread(fd, buf + len, cap - len, (off_t)len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "--dat '%s': read: %s", path, strerror(errno));
            free(buf);
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    char why[512];
    int rc = ipb_dat_header_check(buf, len, header, why, sizeof(why));
    if (rc != 0)
        snprintf(err, errlen, "--dat '%s': %s", path, why);
    free(buf);
    return rc;
}

int ipb_dat_preflight(const char *path, char *err, size_t errlen)
{
    char header[8192];
    if (ipb_dat_header(header, sizeof(header)) < 0) {
        snprintf(err, errlen, "internal error: .dat header too long");
        return IPB_EBADINPUT;
    }
    /* O_NONBLOCK: a FIFO put there since the regular-file check must not block the run. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return IPB_OK;
    if (fd < 0) {
        snprintf(err, errlen, "--dat '%s': %s", path, strerror(errno));
        return IPB_EBADINPUT;
    }
    int rc = check_head(fd, path, header, err, errlen) == 0 ? IPB_OK : IPB_EBADINPUT;
    close(fd);
    return rc;
}

int ipb_dat_append(const char *path, const char *header, const char *row, char *err,
                   size_t errlen)
{
    /* O_RDWR, not O_WRONLY: the header of a non-empty file is read back under the lock. */
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "--dat '%s': %s", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    struct stat st;
    char *text = NULL;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            snprintf(err, errlen, "--dat '%s': lock: %s", path, strerror(errno));
            goto out;
        }
    }
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "--dat '%s': %s", path, strerror(errno));
        goto out;
    }
    /* Checked before the run too; again here, because another job may have written the file
     * since (a .dat of an older version of this program, say). */
    if (st.st_size > 0 && check_head(fd, path, header, err, errlen) != 0)
        goto out;
    size_t len = (st.st_size == 0 ? strlen(header) + 1 : 0) + strlen(row) + 1;
    text = malloc(len + 1);
    if (text == NULL) {
        snprintf(err, errlen, "--dat '%s': out of memory", path);
        goto out;
    }
    snprintf(text, len + 1, "%s%s%s\n", st.st_size == 0 ? header : "",
             st.st_size == 0 ? "\n" : "", row);
    if (write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "--dat '%s': write: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(text);
    if (close(fd) != 0 && rc == 0) {
        snprintf(err, errlen, "--dat '%s': close: %s", path, strerror(errno));
        rc = -1;
    }
    return rc;
}
