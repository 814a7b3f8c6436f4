#include "janitor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipeline.h"

/* Shared between the rank and its janitor. */
struct janitor_map {
    atomic_uint rank;
    atomic_int rank_known;
    atomic_uchar exists[]; /* one per pipeline */
};

static struct janitor_map *map; /* NULL: no janitor */
static unsigned npipelines;

static _Noreturn void janitor_main(int fd, const struct ipb_options *opts)
{
    prctl(PR_SET_NAME, "ipb-janitor", 0, 0, 0);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    /* Nobody ever writes: only EOF (the rank and every holder of the write end are gone)
     * ends this. Any other outcome cannot happen on a pipe; files are never removed on a
     * guess. */
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r == 0)
            break;
        if (r < 0 && errno == EINTR)
            continue;
        _exit(0);
    }
    unsigned removed = 0, rank = atomic_load(&map->rank);
    char first[IPB_PATH_MAX + 32] = "";
    for (unsigned i = 0; i < npipelines && atomic_load(&map->rank_known); i++) {
        if (!atomic_load(&map->exists[i]))
            continue;
        char path[IPB_PATH_MAX + 32];
        if (ipb_data_path(path, sizeof(path), opts->output_base, rank, i) == 0 &&
            unlink(path) == 0 && removed++ == 0)
            snprintf(first, sizeof(first), "%s", path);
    }
    if (removed > 0)
        fprintf(stderr,
                "io-pipeline-bench: rank %u ended without removing its data files (killed?): "
                "the janitor removed %u of them (%s%s)\n",
                rank, removed, first, removed > 1 ? ", ..." : "");
    _exit(0);
}

int ipb_janitor_start(const struct ipb_options *opts, char *err, size_t errlen)
{
    npipelines = opts->concurrency;
    size_t len = sizeof(struct janitor_map) + npipelines;
    struct janitor_map *m =
        mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        snprintf(err, errlen, "janitor: shared map: %s", strerror(errno));
        return -1;
    }
    int fds[2];
    /* O_CLOEXEC: a program MPI might exec must not hold the write end and hide our death. */
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "janitor: pipe: %s", strerror(errno));
        munmap(m, len);
        return -1;
    }
    map = m;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[1]);
        /* Out of the rank's process tree and group: when a rank dies, launchers kill the rest
         * of the job step by walking its process tree or group (Slurm's proctrack/linuxproc,
         * srun after a task was killed, sends SIGKILL, not SIGTERM, to the survivors), and the
         * janitor must outlive its rank by the moment it needs. A new session, then a second
         * fork whose parent exits at once: the janitor is re-parented to init (or the nearest
         * subreaper). It still ends with its rank: the pipe's EOF. (A cgroup-based tracker kills
         * it anyway; then only a job epilog can clean up.) */
        setsid();
        pid_t j = fork();
        if (j != 0)
            _exit(j < 0 ? 1 : 0);
        janitor_main(fds[0], opts);
    }
    close(fds[0]);
    if (pid > 0) {
        int wstatus = 0;
        while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
            pid = -1; /* the second fork failed: no janitor */
            errno = EAGAIN;
        }
    }
    if (pid < 0) {
        snprintf(err, errlen, "janitor: fork: %s", strerror(errno));
        close(fds[1]);
        map = NULL;
        munmap(m, len);
        return -1;
    }
    /* fds[1] stays open, unused, until this process exits: its closing is the message. */
    return 0;
}

void ipb_janitor_set_rank(unsigned rank)
{
    if (map == NULL)
        return;
    atomic_store(&map->rank, rank);
    atomic_store(&map->rank_known, 1);
}

void ipb_janitor_mark(unsigned index, bool exists)
{
    if (map != NULL && index < npipelines)
        atomic_store(&map->exists[index], exists ? 1 : 0);
}
