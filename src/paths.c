#include "paths.h"

#include <string.h>

static int put(char *out, size_t outlen, const char *s, size_t n)
{
    if (n >= outlen) {
        if (outlen > 0)
            out[0] = '\0';
        return -1;
    }
    memmove(out, s, n); /* memmove: out may be the path being split */
    out[n] = '\0';
    return 0;
}

/* The length of path without its trailing slashes, but at least 1 for "/", "//", ... */
static size_t strip_slashes(const char *path, size_t n)
{
    while (n > 1 && path[n - 1] == '/')
        n--;
    return n;
}

int ipb_path_dir(const char *path, char *out, size_t outlen)
{
    size_t n = strip_slashes(path, strlen(path));
    while (n > 0 && path[n - 1] != '/') /* the last component */
        n--;
    if (n == 0)
        return put(out, outlen, ".", 1);
    n = strip_slashes(path, n); /* the slashes before it; "/" itself stays */
    return put(out, outlen, path, n);
}

int ipb_path_base(const char *path, char *out, size_t outlen)
{
    size_t n = strlen(path);
    if (n == 0)
        return put(out, outlen, ".", 1);
    n = strip_slashes(path, n);
    if (n == 1 && path[0] == '/')
        return put(out, outlen, "/", 1);
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    return put(out, outlen, path + start, n - start);
}
