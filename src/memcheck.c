#include "memcheck.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agree.h"
#include "ipb_status.h"
#include "mountinfo.h"
#include "paths.h"

uint64_t ipb_mem_request(const struct ipb_options *o)
{
    /* One buffer per pipeline (every method: the fork children and the aio loop too).
     * Saturating: an absurd request must read as "too much", not wrap to a small number. */
    if (o->concurrency != 0 && o->buffer_bytes > UINT64_MAX / o->concurrency)
        return UINT64_MAX;
    return o->buffer_bytes * (uint64_t)o->concurrency;
}

uint64_t ipb_mem_parse_meminfo(const char *text)
{
    const char *p = strstr(text, "MemAvailable:");
    if (p == NULL)
        return 0;
    unsigned long long kib = 0;
    if (sscanf(p + strlen("MemAvailable:"), "%llu", &kib) != 1)
        return 0;
    return (uint64_t)kib * 1024u;
}

static char *slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

struct cgroup_find {
    int v2;
    char *out;
    size_t len;
};

static int cgroup_entry(const struct ipb_mount_entry *e, void *arg)
{
    const struct cgroup_find *c = arg;
    if (strcmp(e->root, "/") != 0)
        return 0; /* a bind of a sub-tree: paths in /proc/self/cgroup would not resolve */
    const char *o = e->super_options;
    int match = c->v2 ? strcmp(e->fs_type, "cgroup2") == 0
                      : strcmp(e->fs_type, "cgroup") == 0 &&
                            (strstr(o, ",memory") || strncmp(o, "memory", 6) == 0);
    if (!match)
        return 0;
    snprintf(c->out, c->len, "%s", e->mount_point);
    return 1;
}

/* Where a cgroup hierarchy is mounted: the v2 one (fstype cgroup2), or the v1 one that has the
 * memory controller (among its super options). */
static int cgroup_mount(int v2, char *out, size_t len)
{
    struct cgroup_find c = {v2, out, len};
    return ipb_mountinfo_each("/proc/self/mountinfo", cgroup_entry, &c) == 1 ? 0 : -1;
}

uint64_t ipb_mem_cgroup_limit(char *cgroup, size_t len)
{
    snprintf(cgroup, len, "-");
    char text[8192];
    if (slurp("/proc/self/cgroup", text, sizeof text) == NULL)
        return UINT64_MAX;
    /* v1 "N:memory:/path" (also "N:cpu,memory:/path") wins over v2 "0::/path": when both
     * exist, the memory controller lives in v1. */
    char v1path[4096] = "", v2path[4096] = "";
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        if (*ctrls == '\0')
            snprintf(v2path, sizeof v2path, "%s", path);
        else
            for (const char *m = strstr(ctrls, "memory"); m != NULL; m = strstr(m + 1, "memory"))
                if ((m == ctrls || m[-1] == ',') && (m[6] == '\0' || m[6] == ','))
                    snprintf(v1path, sizeof v1path, "%s", path);
    }
    int v2 = v1path[0] == '\0';
    const char *path = v2 ? v2path : v1path;
    char mnt[1024];
    if (path[0] == '\0' || cgroup_mount(v2, mnt, sizeof mnt) != 0)
        return UINT64_MAX;
    snprintf(cgroup, len, "%s", path);
    /* The smallest limit on the way up: a parent's limit binds its children too. */
    uint64_t limit = UINT64_MAX;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    for (;;) {
        char file[8192], val[64];
        snprintf(file, sizeof file, "%s%s/%s", mnt, strcmp(dir, "/") == 0 ? "" : dir,
                 v2 ? "memory.max" : "memory.limit_in_bytes");
        if (slurp(file, val, sizeof val) != NULL && strncmp(val, "max", 3) != 0) {
            char *end;
            unsigned long long v = strtoull(val, &end, 10);
            if (end != val && v < limit)
                limit = v;
        }
        if (dir[0] != '/' || strcmp(dir, "/") == 0)
            break;
        ipb_path_dir(dir, dir, sizeof dir);
    }
    /* v1 reports "no limit" as a huge page-rounded number (9223372036854771712). */
    if (limit >= (UINT64_MAX >> 2))
        limit = UINT64_MAX;
    return limit;
}

static void gib(char *out, size_t len, double bytes)
{
    if (bytes >= 1024.0 * 1024.0 * 1024.0)
        snprintf(out, len, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
    else
        snprintf(out, len, "%.0f MiB", bytes / (1024.0 * 1024.0));
}

/* djb2 of the cgroup path, as a non-negative colour for MPI_Comm_split. */
static int path_colour(const char *s)
{
    uint32_t h = 5381;
    for (; *s; s++)
        h = h * 33u + (unsigned char)*s;
    return (int)(h & 0x3fffffff);
}

/* The ranks on this rank's host, by host name (MPI_Get_processor_name), not by
 * MPI_COMM_TYPE_SHARED: memory belongs to a host, and the shared-memory split asks the MPI
 * library to talk to every rank it believes local, over shared memory, which fails where one
 * machine poses as several nodes (containers, UTS namespaces: the test cluster). Split by a hash
 * of the name, then by the exact name within each (small) group, so that two hosts whose names
 * collide in the hash are still told apart. */
static void host_comm(MPI_Comm *node)
{
    char name[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    memset(name, 0, sizeof name);
    MPI_Get_processor_name(name, &len);
    MPI_Comm byhash;
    MPI_Comm_split(MPI_COMM_WORLD, path_colour(name), 0, &byhash);
    int n = 0, me = 0;
    MPI_Comm_size(byhash, &n);
    MPI_Comm_rank(byhash, &me);
    char *all = malloc((size_t)n * MPI_MAX_PROCESSOR_NAME);
    int have = all != NULL, all_have = 0;
    MPI_Allreduce(&have, &all_have, 1, MPI_INT, MPI_MIN, byhash);
    int colour = me; /* without memory for the names: each rank alone, never over-counted */
    if (all_have) {
        MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all, MPI_MAX_PROCESSOR_NAME, MPI_CHAR,
                      byhash);
        for (int i = 0; i < n; i++)
            if (strncmp(all + (size_t)i * MPI_MAX_PROCESSOR_NAME, name, MPI_MAX_PROCESSOR_NAME) ==
                0) {
                colour = i;
                break;
            }
    }
    free(all);
    MPI_Comm_split(byhash, colour, 0, node);
    MPI_Comm_free(&byhash);
}

int ipb_mem_check(const struct ipb_options *o, char *err, size_t errlen)
{
    MPI_Comm node, group;
    host_comm(&node);
    char cgroup[4096];
    const uint64_t limit = ipb_mem_cgroup_limit(cgroup, sizeof cgroup);
    MPI_Comm_split(node, path_colour(cgroup), 0, &group);

    /* Summed as doubles: exact far beyond any real node, and cannot wrap. */
    double mine = (double)ipb_mem_request(o), node_sum = 0, group_sum = 0;
    MPI_Allreduce(&mine, &node_sum, 1, MPI_DOUBLE, MPI_SUM, node);
    MPI_Allreduce(&mine, &group_sum, 1, MPI_DOUBLE, MPI_SUM, group);
    int node_ranks = 0, group_ranks = 0, node_rank = 0;
    MPI_Comm_size(node, &node_ranks);
    MPI_Comm_size(group, &group_ranks);
    MPI_Comm_rank(node, &node_rank);

    char text[8192], host[MPI_MAX_PROCESSOR_NAME] = "";
    int hostlen = 0;
    MPI_Get_processor_name(host, &hostlen);
    const uint64_t avail =
        slurp("/proc/meminfo", text, sizeof text) ? ipb_mem_parse_meminfo(text) : 0;
    int status = IPB_OK;
    char msg[IPB_ERRMSG_LEN] = "", a[32], b[32];
    /* The node's lowest rank speaks for the node, so a message names each case once. */
    if (node_rank == 0 && avail > 0 && node_sum > (double)avail) {
        gib(a, sizeof a, node_sum);
        gib(b, sizeof b, (double)avail);
        snprintf(msg, sizeof msg,
                 "not enough memory on %s: %d rank%s x --concurrency %u x --buffer-size %" PRIu64
                 " bytes = %s of buffers, but the node has %s available (MemAvailable): use a "
                 "smaller --buffer-size or --concurrency, or fewer ranks per node",
                 host, node_ranks, node_ranks == 1 ? "" : "s", o->concurrency, o->buffer_bytes, a,
                 b);
        status = IPB_EBADINPUT;
    } else if (limit != UINT64_MAX && group_sum > (double)limit) {
        gib(a, sizeof a, group_sum);
        gib(b, sizeof b, (double)limit);
        snprintf(msg, sizeof msg,
                 "not enough memory on %s: %d rank%s x --concurrency %u x --buffer-size %" PRIu64
                 " bytes = %s of buffers, but the cgroup %s is limited to %s (Slurm's "
                 "--mem/ConstrainRAMSpace or a container limit): use a smaller --buffer-size or "
                 "--concurrency, or ask for more memory",
                 host, group_ranks, group_ranks == 1 ? "" : "s", o->concurrency, o->buffer_bytes, a,
                 cgroup, b);
        status = IPB_EBADINPUT;
    }
    MPI_Comm_free(&group);
    MPI_Comm_free(&node);
    return ipb_agree(MPI_COMM_WORLD, status, msg, err, errlen);
}
