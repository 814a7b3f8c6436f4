/* Helpers shared by the fuzz targets (fuzz.h). */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ipb_fuzz_check_line(const char *what, const char *msg, size_t cap)
{
    size_t len = strnlen(msg, cap);
    FUZZ_CHECK(len < cap, "%s: message not NUL-terminated within %zu bytes", what, cap);
    FUZZ_CHECK(len > 0, "%s: refused without a message", what);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)msg[i];
        FUZZ_CHECK(c >= 0x20 && c != 0x7f,
                   "%s: message has control character 0x%02x at byte %zu (not one printable "
                   "line): %s",
                   what, c, i, msg);
    }
}

char *ipb_fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

static char scratch[256];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_scratch(void)
{
    if (scratch[0] != '\0')
        nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *ipb_fuzz_scratch_dir(void)
{
    if (scratch[0] != '\0')
        return scratch;
    /* fuzz/run.sh names one, and removes it: a crash leaves the process by _exit(), past the
     * atexit() that removes ours. */
    struct stat st;
    const char *base = getenv("IPB_FUZZ_SCRATCH");
    if (base == NULL || base[0] == '\0') {
        base = getenv("TMPDIR");
        if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
            base = "/dev/shm";
        else if (base == NULL || base[0] == '\0')
            base = "/tmp";
    }
    snprintf(scratch, sizeof(scratch), "%s/ipb-fuzz.XXXXXX", base);
    FUZZ_CHECK(mkdtemp(scratch) != NULL, "mkdtemp %s: %s", scratch, strerror(errno));
    atexit(remove_scratch);
    return scratch;
}

void ipb_fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FUZZ_CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        FUZZ_CHECK(n > 0 || errno == EINTR, "write %s: %s", path, strerror(errno));
        if (n > 0)
            done += (size_t)n;
    }
    FUZZ_CHECK(close(fd) == 0, "close %s: %s", path, strerror(errno));
}

uint8_t *ipb_fuzz_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t k; buf != NULL && (k = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += k;
        if (n == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (bigger == NULL)
                free(buf);
            buf = bigger;
            cap *= 2;
        }
    }
    if (buf != NULL && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = n;
    return buf;
}
