#include "preflight.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipb_status.h"
#include "paths.h"
#include "pipeline.h"

static int check_dir(const char *option, const char *value, const char *dir, char *err,
                     size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(err, errlen, "%s '%s': directory '%s': %s", option, value, dir, strerror(errno));
        return IPB_EBADINPUT;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s '%s': '%s' is not a directory", option, value, dir);
        return IPB_EBADINPUT;
    }
    /* access() judges with the real uid and sees read-only mounts (EROFS); as root it
     * ignores mode bits, as the kernel will when we create the file. */
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "%s '%s': directory '%s' is not writable: %s", option, value, dir,
                 strerror(errno));
        return IPB_EBADINPUT;
    }
    return IPB_OK;
}

int ipb_preflight_data(const struct ipb_options *o, unsigned rank, char *err, size_t errlen)
{
    char dir[IPB_PATH_MAX];
    ipb_path_dir(o->output_base, dir, sizeof(dir));
    int rc = check_dir("--output-file", o->output_base, dir, err, errlen);
    if (rc != IPB_OK)
        return rc;
    for (unsigned i = 0; i < o->concurrency; i++) {
        char path[IPB_PATH_MAX + 32];
        struct stat st;
        if (ipb_data_path(path, sizeof(path), o->output_base, rank, i) != 0) {
            snprintf(err, errlen, "--output-file '%s': data file names too long", o->output_base);
            return IPB_EBADINPUT;
        }
        /* lstat: a dangling symlink counts as "exists"; we never create through one. */
        if (lstat(path, &st) == 0) {
            snprintf(err, errlen,
                     "--output-file '%s': data file '%s' already exists (never overwritten: "
                     "remove it or choose another name)",
                     o->output_base, path);
            return IPB_EBADINPUT;
        }
        if (errno != ENOENT) {
            snprintf(err, errlen, "--output-file '%s': data file '%s': %s", o->output_base, path,
                     strerror(errno));
            return IPB_EBADINPUT;
        }
    }
    return IPB_OK;
}

int ipb_preflight_results_file(const char *option, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s '%s': not a regular file", option, path);
            return IPB_EBADINPUT;
        }
        if (access(path, W_OK) != 0) {
            snprintf(err, errlen, "%s '%s': not writable: %s", option, path, strerror(errno));
            return IPB_EBADINPUT;
        }
        return IPB_OK;
    }
    if (errno != ENOENT) {
        snprintf(err, errlen, "%s '%s': %s", option, path, strerror(errno));
        return IPB_EBADINPUT;
    }
    /* A symlink to an existing results file is followed on purpose (rows are appended to its
     * target, in place). A dangling one is refused: creating its target could put a new file
     * anywhere the link points, which is not what anyone asked for. */
    if (lstat(path, &st) == 0) {
        snprintf(err, errlen,
                 "%s '%s': dangling symbolic link (its target does not exist; never created "
                 "through a link: create the target or give its path)",
                 option, path);
        return IPB_EBADINPUT;
    }
    char dir[IPB_PATH_MAX];
    ipb_path_dir(path, dir, sizeof(dir));
    return check_dir(option, path, dir, err, errlen);
}
