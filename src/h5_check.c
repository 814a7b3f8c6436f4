#include "h5_check.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "h5_writer.h"
#include "ipb_status.h"

extern char **environ;

int ipb_h5_check_main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], IPB_H5_CHECK_ARG) != 0)
        return -1;
    char err[IPB_ERRMSG_LEN] = "";
    int rc = ipb_h5_preflight(argv[2], err, sizeof(err));
    if (rc != IPB_OK)
        printf("%s\n", err);
    fflush(stdout);
    return rc;
}

/* The child's environment: ours, with sanitizer SEGV handling off. The child exists to absorb
 * libhdf5's crashes; in an AddressSanitizer build a SEGV would otherwise become an ASan report
 * and exit status instead of the signal this side reads as "libhdf5 crashed". */
static char **child_environ(char *asan, size_t asanlen, char **out, size_t max)
{
    const char *old = getenv("ASAN_OPTIONS");
    snprintf(asan, asanlen, "ASAN_OPTIONS=%s%shandle_segv=0:handle_sigbus=0", old ? old : "",
             old && *old ? ":" : "");
    size_t n = 0;
    for (char **e = environ; *e != NULL && n + 2 < max; e++)
        if (strncmp(*e, "ASAN_OPTIONS=", 13) != 0)
            out[n++] = *e;
    out[n++] = asan;
    out[n] = NULL;
    return out;
}

int ipb_h5_preflight_isolated(const char *self, const char *path, char *err, size_t errlen)
{
    int fds[2];
    if (self == NULL || self[0] == '\0' || pipe2(fds, O_CLOEXEC) != 0)
        return ipb_h5_preflight(path, err, errlen);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    /* stdout to the pipe (dup2 clears O_CLOEXEC on the copy); stderr stays ours, where
     * libhdf5's own complaints belong */
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    char *const argv[] = {(char *)self, IPB_H5_CHECK_ARG, (char *)path, NULL};
    static char *env[4096];
    char asan[4096];
    pid_t pid;
    /* Our argv[0], not /proc/self/exe: under valgrind (or another wrapper that loads the
     * program itself) /proc/self/exe is the wrapper. posix_spawnp searches PATH for a bare
     * name, as the shell did. */
    int sp = posix_spawnp(&pid, self, &fa, NULL, argv,
                          child_environ(asan, sizeof asan, env, sizeof env / sizeof env[0]));
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (sp != 0) {
        close(fds[0]);
        return ipb_h5_preflight(path, err, errlen);
    }

    char line[IPB_ERRMSG_LEN];
    size_t got = 0;
    const double deadline = ipb_now() + IPB_H5_CHECK_TIMEOUT_S;
    int timed_out = 0;
    for (;;) {
        double left = deadline - ipb_now();
        if (left <= 0) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int r = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue; /* the deadline check above ends it */
        ssize_t n = read(fds[0], line + got, sizeof(line) - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EOF: the child is gone */
        got += (size_t)n;
        if (got == sizeof(line) - 1)
            got = 0; /* a runaway child: keep the end of what it said */
    }
    close(fds[0]);
    line[got] = '\0';
    line[strcspn(line, "\n")] = '\0';
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    if (timed_out) {
        snprintf(err, errlen,
                 "--hdf5 '%s': checking the file took more than %d s (libhdf5 looping on damaged "
                 "metadata?): not a results file this program can append to; choose another file",
                 path, IPB_H5_CHECK_TIMEOUT_S);
        return IPB_EBADINPUT;
    }
    if (WIFSIGNALED(wstatus)) {
        snprintf(err, errlen,
                 "--hdf5 '%s': the HDF5 library crashed (signal %d, %s) reading this file: it is "
                 "damaged, not a results file this program can append to; choose another file",
                 path, WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
        return IPB_EBADINPUT;
    }
    int rc = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : IPB_ERUN;
    if (rc == IPB_OK)
        return IPB_OK;
    if (rc == 127 && line[0] == '\0') /* the exec failed: check here, as before */
        return ipb_h5_preflight(path, err, errlen);
    if (rc != IPB_EBADINPUT && rc != IPB_ERUN) {
        /* not one of the check's own statuses: a sanitizer's report, say */
        snprintf(err, errlen, "--hdf5 '%s': checking the file failed (exit status %d)", path, rc);
        return IPB_EBADINPUT;
    }
    snprintf(err, errlen, "%s", line[0] ? line : "--hdf5: the check failed without a message");
    return rc;
}
