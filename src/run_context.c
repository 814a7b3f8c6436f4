#include "run_context.h"

#include <errno.h>
#include <hdf5.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include "gather.h"
#include "ipb_status.h"
#include "mountinfo.h"
#include "paths.h"

extern char **environ;

/* ---- small string helpers ------------------------------------------------------------------ */

static void append(char *out, size_t outlen, const char *fmt, const char *s)
{
    size_t used = strlen(out);
    if (used + 1 < outlen)
        snprintf(out + used, outlen - used, fmt, s);
}

void ipb_shell_quote(char *out, size_t outlen, const char *arg)
{
    /* Safe characters need no quotes; anything else goes in '...' with ' written as '\''. */
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                               "@%_-+=:,./";
    if (outlen == 0)
        return;
    out[0] = '\0';
    if (arg[0] != '\0' && strspn(arg, safe) == strlen(arg)) {
        snprintf(out, outlen, "%s", arg);
        return;
    }
    size_t k = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (k + 1 < outlen)                                                                        \
            out[k++] = (ch);                                                                       \
    } while (0)
    PUT('\'');
    for (const char *p = arg; *p; p++) {
        if (*p == '\'') {
            PUT('\'');
            PUT('\\');
            PUT('\'');
            PUT('\'');
        } else {
            PUT(*p);
        }
    }
    PUT('\'');
#undef PUT
    out[k] = '\0';
}

static char *join_argv(int argc, char *const argv[])
{
    size_t cap = 1;
    for (int i = 0; i < argc; i++)
        cap += 4 * strlen(argv[i]) + 3; /* worst case: every char a quote ('\'' is 4) */
    char *s = malloc(cap);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    size_t len = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0)
            s[len++] = ' ';
        ipb_shell_quote(s + len, cap - len, argv[i]);
        len += strlen(s + len);
    }
    s[len] = '\0';
    return s;
}

void ipb_cpulist_format(char *out, size_t outlen, const unsigned char *mask, size_t nbits)
{
    if (outlen == 0)
        return;
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < nbits; i++) {
        if (!(mask[i / 8] >> (i % 8) & 1))
            continue;
        size_t j = i;
        while (j + 1 < nbits && (mask[(j + 1) / 8] >> ((j + 1) % 8) & 1))
            j++;
        int n = j > i ? snprintf(out + used, outlen - used, "%s%zu-%zu", used ? "," : "", i, j)
                      : snprintf(out + used, outlen - used, "%s%zu", used ? "," : "", i);
        if (n < 0 || (size_t)n >= outlen - used) {
            out[used] = '\0'; /* never a half-written range */
            return;
        }
        used += (size_t)n;
        i = j;
    }
}

/* ---- the pieces of context ----------------------------------------------------------------- */

static char *affinity_list(void)
{
    /* Grow the set until the kernel accepts its size (machines with > 1024 CPUs exist). */
    for (int ncpu = 1024; ncpu <= (1 << 20); ncpu *= 2) {
        cpu_set_t *set = CPU_ALLOC(ncpu);
        if (set == NULL)
            return NULL;
        size_t size = CPU_ALLOC_SIZE(ncpu);
        CPU_ZERO_S(size, set);
        if (sched_getaffinity(0, size, set) != 0) {
            CPU_FREE(set);
            if (errno == EINVAL)
                continue;
            return strdup("");
        }
        size_t nbits = size * 8;
        unsigned char *mask = calloc(size, 1);
        /* Worst case "0,2,4,...": 8 characters per CPU is plenty for 7-digit CPU numbers. */
        char *out = malloc(nbits * 8 + 1);
        if (mask == NULL || out == NULL) {
            free(mask);
            free(out);
            CPU_FREE(set);
            return NULL;
        }
        for (size_t i = 0; i < nbits; i++)
            if (CPU_ISSET_S(i, size, set))
                mask[i / 8] |= (unsigned char)(1u << (i % 8));
        ipb_cpulist_format(out, nbits * 8 + 1, mask, nbits);
        free(mask);
        CPU_FREE(set);
        char *shrunk = realloc(out, strlen(out) + 1);
        return shrunk ? shrunk : out;
    }
    return strdup("");
}

/* statfs magic numbers of the file systems HPC sites run (linux/magic.h and vendors'). */
static const char *fs_magic_name(unsigned long magic)
{
    static const struct {
        unsigned long magic;
        const char *name;
    } names[] = {
        {0xEF53, "ext2/ext3/ext4"}, {0x58465342, "xfs"},      {0x9123683E, "btrfs"},
        {0x01021994, "tmpfs"},      {0x6969, "nfs"},          {0x0BD00BD0, "lustre"},
        {0x47504653, "gpfs"},       {0x19830326, "beegfs"},   {0x794C7630, "overlayfs"},
        {0x2FC12FC1, "zfs"},        {0x00C36400, "ceph"},     {0x65735546, "fuse"},
        {0x73717368, "squashfs"},   {0x50495045, "pipefs"},   {0x6E667364, "nfsd"},
        {0xFE534D42, "smb2"},       {0xFF534D42, "cifs"},     {0x5346414F, "afs"},
        {0xAAD7AAEA, "panfs"},      {0x858458F6, "ramfs"},    {0x4244, "hfs"},
        {0x3153464A, "jfs"},        {0x52654973, "reiserfs"}, {0xF2F52010, "f2fs"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].magic == magic)
            return names[i].name;
    return "unknown";
}

static void omp_settings(struct ipb_run_context *c)
{
    c->omp_env[0] = '\0';
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "OMP_", 4) != 0 && strncmp(*e, "GOMP_", 5) != 0 &&
            strncmp(*e, "KMP_", 4) != 0)
            continue;
        append(c->omp_env, sizeof(c->omp_env), c->omp_env[0] ? " %s" : "%s", *e);
    }
    c->omp_max_threads = omp_get_max_threads();
}

static void job_id(struct ipb_run_context *c)
{
    const char *slurm = getenv("SLURM_JOB_ID");
    const char *pbs = getenv("PBS_JOBID");
    if (slurm && *slurm) {
        snprintf(c->job_id, sizeof(c->job_id), "%s", slurm);
        snprintf(c->job_scheduler, sizeof(c->job_scheduler), "slurm");
    } else if (pbs && *pbs) {
        snprintf(c->job_id, sizeof(c->job_id), "%s", pbs);
        snprintf(c->job_scheduler, sizeof(c->job_scheduler), "pbs");
    }
}

int ipb_run_context_collect(struct ipb_run_context *c, const struct ipb_options *o, int argc,
                            char *const argv[], int mpi_thread_level)
{
    memset(c, 0, sizeof(*c));
    c->command_line = argv ? join_argv(argc, argv) : strdup("");
    c->cpus = affinity_list();
    if (c->command_line == NULL || c->cpus == NULL)
        return -1;

    int len = 0, major = 0, minor = 0;
    MPI_Get_library_version(c->mpi_library_version, &len);
    /* Open MPI ends it with a newline, MPICH spreads it over lines: keep it, minus the tail. */
    while (len > 0 &&
           (c->mpi_library_version[len - 1] == '\n' || c->mpi_library_version[len - 1] == ' '))
        c->mpi_library_version[--len] = '\0';
    MPI_Get_version(&major, &minor);
    snprintf(c->mpi_version, sizeof(c->mpi_version), "%d.%d", major, minor);
    c->mpi_thread_level = mpi_thread_level;

    unsigned hmaj = 0, hmin = 0, hrel = 0;
    H5get_libversion(&hmaj, &hmin, &hrel);
    snprintf(c->hdf5_version, sizeof(c->hdf5_version), "%u.%u.%u", hmaj, hmin, hrel);

#if defined(__clang__)
    snprintf(c->compiler, sizeof(c->compiler), "clang %s", __VERSION__);
#elif defined(__GNUC__)
    snprintf(c->compiler, sizeof(c->compiler), "gcc %s", __VERSION__);
#else
    snprintf(c->compiler, sizeof(c->compiler), "unknown");
#endif

    struct utsname u;
    if (uname(&u) == 0)
        snprintf(c->kernel, sizeof(c->kernel), "%s %s %s %s", u.sysname, u.release, u.version,
                 u.machine);

    /* The data directory as the kernel resolves it, and the file system under it. */
    char dir[IPB_PATH_MAX];
    if (ipb_path_dir(o ? o->output_base : ".", dir, sizeof(dir)) != 0)
        snprintf(dir, sizeof(dir), ".");
    char resolved[IPB_PATH_MAX];
    if (realpath(dir, resolved) == NULL)
        snprintf(resolved, sizeof(resolved), "%s", dir);
    snprintf(c->data_dir, sizeof(c->data_dir), "%s", resolved);
    struct stat st;
    struct statfs sf;
    if (statfs(c->data_dir, &sf) == 0)
        snprintf(c->fs_magic, sizeof(c->fs_magic), "0x%lx %s", (unsigned long)sf.f_type,
                 fs_magic_name((unsigned long)sf.f_type));
    struct ipb_mount m;
    if (stat(c->data_dir, &st) == 0 &&
        ipb_mountinfo_find("/proc/self/mountinfo", c->data_dir, st.st_dev, &m) == 0) {
        snprintf(c->fs_type, sizeof(c->fs_type), "%s", m.fs_type);
        snprintf(c->mount_point, sizeof(c->mount_point), "%s", m.mount_point);
        snprintf(c->mount_source, sizeof(c->mount_source), "%s", m.source);
        snprintf(c->mount_options, sizeof(c->mount_options), "%s", m.mount_options);
        /* The superblock's options are where NFS versions and Lustre's flock setting show. */
        snprintf(c->fs_options, sizeof(c->fs_options), "%s", m.super_options);
    }

    omp_settings(c);
    job_id(c);
    return 0;
}

int ipb_run_context_gather(struct ipb_run_context *c, MPI_Comm comm, char *err, size_t errlen)
{
    int rank = 0, nranks = 0;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    int *counts = NULL, *displs = NULL;
    int rc;

    /* CPU lists: strings of any length, NUL included. */
    const char *cpus = c->cpus ? c->cpus : "";
    char *text = NULL;
    rc = ipb_gather_bytes(comm, cpus, (int)strlen(cpus) + 1, (void **)&text, &counts, &displs);
    if (rc != 0) {
        if (rank == 0)
            snprintf(err, errlen, "rank 0: out of memory gathering the affinity masks");
        return IPB_ERUN;
    }
    if (rank == 0) {
        c->rank_cpus = calloc((size_t)nranks, sizeof(char *));
        if (c->rank_cpus == NULL) {
            free(text);
            free(counts);
            free(displs);
            snprintf(err, errlen, "rank 0: out of memory gathering the affinity masks");
            return IPB_ERUN;
        }
        c->nranks = (unsigned)nranks;
        for (int i = 0; i < nranks; i++)
            c->rank_cpus[i] = strdup(text + displs[i]);
        free(text);
        free(counts);
        free(displs);
        for (int i = 0; i < nranks; i++)
            if (c->rank_cpus[i] == NULL) {
                snprintf(err, errlen, "rank 0: out of memory gathering the affinity masks");
                return IPB_ERUN;
            }
    }
    return IPB_OK;
}

void ipb_run_context_free(struct ipb_run_context *c)
{
    free(c->command_line);
    free(c->cpus);
    for (unsigned i = 0; c->rank_cpus && i < c->nranks; i++)
        free(c->rank_cpus[i]);
    free(c->rank_cpus);
    memset(c, 0, sizeof(*c));
}
