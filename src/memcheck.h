/* Memory, checked up front: the buffers a run asks for (--buffer-size x --concurrency per rank,
 * summed over the ranks of a node) against what the node can give, so an impossible request is
 * refused with exit 2 and a clear line before anything is allocated or created, rather than
 * ending minutes later in the OOM killer (which on a cluster may take the node's other jobs'
 * memory with it, or kill a rank without a word).
 *
 * Ranks are grouped into nodes by host name. "What the node can give" is the smaller of MemAvailable (/proc/meminfo: free memory plus what
 * the kernel can reclaim) and the memory limit of the rank's cgroup (v2 memory.max, or v1
 * memory.limit_in_bytes), which is how Slurm (ConstrainRAMSpace) and containers cap a job.
 * Ranks of one node that share a cgroup share its limit, so their requests are summed against
 * it; ranks in separate cgroups (one per task) are each checked against their own. A cgroup's
 * current usage is not subtracted: it counts page cache the kernel would reclaim. */
#ifndef IPB_MEMCHECK_H
#define IPB_MEMCHECK_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

/* Bytes of buffer memory one rank allocates for its pipelines. */
uint64_t ipb_mem_request(const struct ipb_options *o);

/* MemAvailable from a /proc/meminfo text, in bytes; 0 if absent. Pure (unit-tested). */
uint64_t ipb_mem_parse_meminfo(const char *text);

/* The memory limit (bytes) of the cgroup this process is in, UINT64_MAX if none, and the
 * cgroup's path (for grouping ranks and for the message). */
uint64_t ipb_mem_cgroup_limit(char *cgroup, size_t len);

/* Collective over MPI_COMM_WORLD: every rank's verdict is the same. Returns IPB_OK, or
 * IPB_EBADINPUT with one line in err (on every rank). */
int ipb_mem_check(const struct ipb_options *o, char *err, size_t errlen);

#endif
