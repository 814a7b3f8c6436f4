#include "dat_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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

int ipb_dat_append(const char *path, const char *header, const char *row, char *err,
                   size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
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
