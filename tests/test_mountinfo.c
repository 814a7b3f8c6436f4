/* The mountinfo parser (mountinfo.h): real-looking lines with escapes and optional fields, lines
 * that are not mountinfo, and ipb_mountinfo_find's choice of mount on a table written to a file
 * (device match first, then the longest ancestor by whole components, the last of equals). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mountinfo.h"

static void test_parse_plain_line(void **state)
{
    (void)state;
    char line[] = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root "
                  "rw,errors=continue\n";
    struct ipb_mount_entry e;
    assert_int_equal(ipb_mountinfo_parse(line, &e), 0);
    assert_int_equal(e.id, 36);
    assert_int_equal(e.parent, 35);
    assert_int_equal(e.major, 98);
    assert_int_equal(e.minor, 0);
    assert_string_equal(e.root, "/mnt1");
    assert_string_equal(e.mount_point, "/mnt2");
    assert_string_equal(e.mount_options, "rw,noatime");
    assert_string_equal(e.optional, "master:1");
    assert_string_equal(e.fs_type, "ext3");
    assert_string_equal(e.source, "/dev/root");
    assert_string_equal(e.super_options, "rw,errors=continue"); /* no newline */
}

static void test_parse_escapes_and_optional_fields(void **state)
{
    (void)state;
    /* A mount point with a space, a tab and a backslash; two optional fields; an NFS source with
     * a space; a super option with an escaped comma, which stays escaped. */
    char line[] = "1203 29 0:112 /sub\\040dir /scratch/my\\040data\\011x\\134y rw,nosuid,relatime "
                  "shared:512 master:7 - nfs4 srv:/export/a\\040b "
                  "rw,vers=4.2,addr=10.0.0.1,opt=a\\054b";
    struct ipb_mount_entry e;
    assert_int_equal(ipb_mountinfo_parse(line, &e), 0);
    assert_int_equal(e.id, 1203);
    assert_int_equal(e.major, 0);
    assert_int_equal(e.minor, 112);
    assert_string_equal(e.root, "/sub dir");
    assert_string_equal(e.mount_point, "/scratch/my data\tx\\y");
    assert_string_equal(e.optional, "shared:512 master:7");
    assert_string_equal(e.fs_type, "nfs4");
    assert_string_equal(e.source, "srv:/export/a b");
    assert_string_equal(e.super_options, "rw,vers=4.2,addr=10.0.0.1,opt=a\\054b");
}

static void test_parse_no_optional_fields(void **state)
{
    (void)state;
    char line[] = "25 1 259:2 / / rw,relatime - ext4 /dev/nvme0n1p2 rw";
    struct ipb_mount_entry e;
    assert_int_equal(ipb_mountinfo_parse(line, &e), 0);
    assert_string_equal(e.optional, "");
    assert_int_equal(e.major, 259);
    assert_int_equal(e.minor, 2);
    assert_string_equal(e.mount_point, "/");
    assert_string_equal(e.source, "/dev/nvme0n1p2");
}

static void test_parse_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "garbage",
        "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw", /* no "-" */
        "36 35 98:0 /mnt1 /mnt2 rw - ext3",                             /* no source */
        "36 35 98 /mnt1 /mnt2 rw - ext3 /dev/root rw",                  /* no minor */
        "x 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw",                 /* id */
        "36 35 98:0 /mnt1",                                             /* short */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char line[256];
        snprintf(line, sizeof(line), "%s", bad[i]);
        struct ipb_mount_entry e;
        if (ipb_mountinfo_parse(line, &e) != -1) {
            print_error("accepted: '%s'\n", bad[i]);
            fail();
        }
    }
}

static char table_path[64];

static int write_table(void **state)
{
    (void)state;
    snprintf(table_path, sizeof(table_path), "/tmp/ipb-mountinfo-XXXXXX");
    int fd = mkstemp(table_path);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    fputs("1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
          "not a mountinfo line\n"
          "2 1 8:2 / /data rw - xfs /dev/sda2 rw,attr2\n"
          "3 2 8:2 /projects /data/proj rw - xfs /dev/sda2 rw,attr2\n" /* bind, same dev */
          "4 1 0:50 / /data/projects rw - tmpfs tmpfs rw\n"            /* a prefix only */
          "5 1 0:60 / /mnt/with\\040space rw,nosuid - nfs4 srv:/e\\040x rw,vers=4.2\n"
          "6 1 0:61 / /mnt/over rw - tmpfs first rw\n"
          "7 1 0:61 / /mnt/over rw - tmpfs second rw\n", /* mounted over: the last wins */
          f);
    fclose(f);
    return 0;
}

static int remove_table(void **state)
{
    (void)state;
    unlink(table_path);
    return 0;
}

static void test_find(void **state)
{
    (void)state;
    struct ipb_mount m;
    /* The device matches the bind mount and /data: the deeper one. */
    assert_int_equal(ipb_mountinfo_find(table_path, "/data/proj/x", makedev(8, 2), &m), 0);
    assert_string_equal(m.mount_point, "/data/proj");
    assert_string_equal(m.fs_type, "xfs");
    assert_string_equal(m.super_options, "rw,attr2");
    /* "/data/projects" is not an ancestor of "/data/proj/x"; and a device match beats a longer
     * ancestor of another device. */
    assert_int_equal(ipb_mountinfo_find(table_path, "/data/projects/y", makedev(8, 2), &m), 0);
    assert_string_equal(m.mount_point, "/data");
    /* No device matches (btrfs subvolumes): the longest ancestor. */
    assert_int_equal(ipb_mountinfo_find(table_path, "/data/projects/y", makedev(99, 9), &m), 0);
    assert_string_equal(m.mount_point, "/data/projects");
    assert_string_equal(m.fs_type, "tmpfs");
    /* Escapes undone in the mount point (matched against a real path) and the source. */
    assert_int_equal(ipb_mountinfo_find(table_path, "/mnt/with space/d", makedev(0, 60), &m), 0);
    assert_string_equal(m.mount_point, "/mnt/with space");
    assert_string_equal(m.source, "srv:/e x");
    assert_string_equal(m.mount_options, "rw,nosuid");
    assert_int_equal(m.major, 0);
    assert_int_equal(m.minor, 60);
    assert_int_equal(ipb_mountinfo_find(table_path, "/mnt/over", makedev(0, 61), &m), 0);
    assert_string_equal(m.source, "second");
    /* Only "/" holds it. */
    assert_int_equal(ipb_mountinfo_find(table_path, "/home/u", makedev(1, 1), &m), 0);
    assert_string_equal(m.mount_point, "/");
    assert_int_equal(ipb_mountinfo_find("/nonexistent/mountinfo", "/", makedev(8, 1), &m), -1);
}

static int count_entry(const struct ipb_mount_entry *e, void *arg)
{
    (void)e;
    return ++*(int *)arg == 3 ? 7 : 0;
}

static void test_each_stops_and_skips(void **state)
{
    (void)state;
    int n = 0;
    assert_int_equal(ipb_mountinfo_each(table_path, count_entry, &n), 7); /* stopped at the 3rd */
    assert_int_equal(n, 3);
}

/* This machine's own table parses: every line, and "/" is in it. */
static int saw_root(const struct ipb_mount_entry *e, void *arg)
{
    if (strcmp(e->mount_point, "/") == 0)
        *(int *)arg = 1;
    return 0;
}

static void test_this_machine(void **state)
{
    (void)state;
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (f == NULL)
        skip();
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        struct ipb_mount_entry e;
        char copy[8192];
        snprintf(copy, sizeof(copy), "%s", line);
        if (ipb_mountinfo_parse(copy, &e) != 0) {
            print_error("not parsed: %s", line);
            fail();
        }
    }
    free(line);
    fclose(f);
    int root = 0;
    assert_int_equal(ipb_mountinfo_each("/proc/self/mountinfo", saw_root, &root), 0);
    assert_true(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_plain_line),
        cmocka_unit_test(test_parse_escapes_and_optional_fields),
        cmocka_unit_test(test_parse_no_optional_fields),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test_setup_teardown(test_find, write_table, remove_table),
        cmocka_unit_test_setup_teardown(test_each_stops_and_skips, write_table, remove_table),
        cmocka_unit_test(test_this_machine),
    };
    return cmocka_run_group_tests_name("mountinfo", tests, NULL, NULL);
}
