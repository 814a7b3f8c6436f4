/* /proc/self/mountinfo (proc(5)): one parser for every reader of the mount table.
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   id parent major:minor root mount-point per-mount-options [optional...] - fstype source super
 *
 * The kernel escapes space, tab, newline and backslash in paths as "\ooo" octal ("\040" is a
 * space); root, mount point and source are returned unescaped. The option lists are returned as
 * written: unescaping them would make a "," inside a value ("\054") read as a separator. */
#ifndef IPB_MOUNTINFO_H
#define IPB_MOUNTINFO_H

#include <stddef.h>
#include <sys/types.h>

struct ipb_mount_entry {
    unsigned id, parent;
    unsigned major, minor; /* st_dev of the files on it (but see ipb_mountinfo_find) */
    const char *root;      /* the directory of the file system mounted here ("/": all of it) */
    const char *mount_point;
    const char *mount_options; /* per-mount: "rw,relatime" */
    const char *optional;      /* "shared:1 master:2", "" when none */
    const char *fs_type;       /* "ext4", "nfs4", "cgroup2" */
    const char *source;        /* "/dev/sda1", "server:/export", "none" */
    const char *super_options; /* the file system's own: NFS "vers=4.2", Lustre "flock" */
};

/* Parse one line, in place (the strings point into line, which is modified). A trailing newline
 * is ignored. Returns 0, or -1 when the line is not a mountinfo line (e is then unspecified). */
int ipb_mountinfo_parse(char *line, struct ipb_mount_entry *e);

/* Call fn for each parsable line of file (normally "/proc/self/mountinfo") in order, until fn
 * returns non-zero. Returns -1 when file cannot be read, else the last value fn returned (0
 * when it never stopped). The entry is valid only during the call. */
typedef int (*ipb_mountinfo_fn)(const struct ipb_mount_entry *e, void *arg);
int ipb_mountinfo_each(const char *file, ipb_mountinfo_fn fn, void *arg);

#define IPB_MOUNT_PATH_MAX 4096
#define IPB_MOUNT_OPTS_MAX 1024

struct ipb_mount {
    char fs_type[64];
    char mount_point[IPB_MOUNT_PATH_MAX];
    char source[IPB_MOUNT_PATH_MAX];
    char mount_options[IPB_MOUNT_OPTS_MAX];
    char super_options[IPB_MOUNT_OPTS_MAX];
    unsigned major, minor;
};

/* The mount that holds the directory dir (absolute, symlinks resolved; dev is its st_dev):
 * among the entries with dev's major:minor, the one with the longest mount point that is dir or
 * an ancestor of it, by whole components (bind mounts share a device, and the deepest one is the
 * one in use; of entries on the same mount point the last, which covers the others). When no
 * entry has dev (btrfs subvolumes report a device of their own), the longest ancestor of any
 * device. Returns 0 and fills m, or -1 when file cannot be read or no mount point is an
 * ancestor of dir. Values too long for m are truncated. */
int ipb_mountinfo_find(const char *file, const char *dir, dev_t dev, struct ipb_mount *m);

#endif
