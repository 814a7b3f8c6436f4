/* The crash-safe file replacement (file_replace.h) on real files: what a replacement keeps
 * (content, mode, owner, symlinks), what it creates (the lock file, a new file's mode), and that
 * every failure, injected with a seccomp filter in a forked child (the syscall returns an
 * error), leaves the original byte for byte as it was and no temporary behind. Also stale
 * temporaries and concurrent replacers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "file_replace.h"

static const struct ipb_replace_names names = {"--test", "why locks matter"};

static const char original[] = "the original, byte for byte\n\x01\x02\x03";

struct ctx {
    char dir[64];
    char file[128]; /* dir/results: the original (written by setup) */
    char mnt[128];  /* a tmpfs to unmount in teardown, or "" */
};

/* ---- files ---------------------------------------------------------------------------------- */

static void put(const char *path, const char *s, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, n), (ssize_t)n);
    close(fd);
}

/* The file's bytes (malloc'd, NUL-terminated; *len its size), NULL if it cannot be read. */
static char *get(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    ssize_t n = read(fd, buf, (1 << 16) - 1);
    close(fd);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

static bool is_original(const char *path)
{
    size_t n = 0;
    char *b = get(path, &n);
    bool same = b && n == sizeof(original) - 1 && memcmp(b, original, n) == 0;
    free(b);
    return same;
}

static bool has(const char *path, const char *s)
{
    size_t n = 0;
    char *b = get(path, &n);
    bool same = b && n == strlen(s) && memcmp(b, s, n) == 0;
    free(b);
    return same;
}

/* How many ".<base>.tmp.*" are in dir. */
static int temporaries(const char *dir, const char *base)
{
    char prefix[256];
    snprintf(prefix, sizeof(prefix), ".%s.tmp.", base);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static bool lock_is_free(const char *file)
{
    char lock[256];
    snprintf(lock, sizeof(lock), "%s.lock", file);
    int fd = open(lock, O_RDWR);
    if (fd < 0)
        return true;
    bool free_ = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd);
    return free_;
}

static int rm(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    snprintf(c->dir, sizeof(c->dir), "/tmp/ipb-replace-XXXXXX");
    if (c == NULL || mkdtemp(c->dir) == NULL)
        return -1;
    snprintf(c->file, sizeof(c->file), "%s/results", c->dir);
    put(c->file, original, sizeof(original) - 1);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    if (c->mnt[0] != '\0')
        umount2(c->mnt, MNT_DETACH);
    nftw(c->dir, rm, 16, FTW_DEPTH | FTW_PHYS);
    free(c);
    return 0;
}

/* ---- faults: a seccomp filter in a child ---------------------------------------------------- */

enum cond { ANY, ARG_EQ, ARG_NE, ARG_HAS_BITS };

struct rule {
    long nr; /* -1: this syscall does not exist here, the rule is left out */
    enum cond cond;
    unsigned arg; /* which argument cond looks at (its low 32 bits) */
    uint32_t val;
    int err; /* the errno the call then fails with */
};

/* Make the calls that match a rule fail; everything else runs. No architecture check: the
 * filter lives only in a child that runs this binary's own code. */
static int install(const struct rule *rules, size_t n)
{
    struct sock_filter f[128];
    size_t k = 0;
    const unsigned nr = offsetof(struct seccomp_data, nr);
    for (size_t i = 0; i < n; i++) {
        const struct rule *r = &rules[i];
        if (r->nr < 0)
            continue;
        unsigned arg = offsetof(struct seccomp_data, args[r->arg]);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        arg += 4;
#endif
        unsigned deny = SECCOMP_RET_ERRNO | ((unsigned)r->err & SECCOMP_RET_DATA);
        unsigned rest = r->cond == ANY ? 1 : r->cond == ARG_HAS_BITS ? 4 : 3;
        f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, nr);
        f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)r->nr, 0, rest);
        if (r->cond != ANY)
            f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg);
        if (r->cond == ARG_HAS_BITS)
            f[k++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, r->val);
        if (r->cond == ARG_EQ || r->cond == ARG_HAS_BITS)
            f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->val, 0, 1);
        if (r->cond == ARG_NE)
            f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->val, 1, 0);
        f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny);
    }
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {(unsigned short)k, f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

#ifndef SYS_rename
#define SYS_rename -1
#endif
#ifndef SYS_renameat2
#define SYS_renameat2 -1
#endif
#ifndef SYS_open
#define SYS_open -1
#endif

/* What a child does: begin, write content, commit, with faults installed before begin (at) or
 * before commit (at_commit). dir_fsync_fault: every fsync() but the temporary's fails. */
struct job {
    const char *path;
    const char *content; /* appended to the temporary */
    const struct rule *at;
    size_t nat;
    const struct rule *at_commit;
    size_t nat_commit;
    bool dir_fsync_fault;
    bool abort;
    unsigned delay_us; /* between begin and commit */
};

enum { DONE = 0, BEGIN_FAILED = 1, COMMIT_FAILED = 2, ABORTED = 3, NO_SECCOMP = 99 };

struct outcome {
    int rc;
    char err[1024];
};

static void run_job(const struct job *j, struct outcome *o)
{
    struct ipb_replace r;
    o->rc = NO_SECCOMP;
    if (j->nat && install(j->at, j->nat) != 0)
        return;
    if (ipb_replace_begin(&r, &names, j->path, o->err, sizeof(o->err)) != 0) {
        o->rc = BEGIN_FAILED;
        return;
    }
    if (j->content)
        (void)!write(r.fd, j->content, strlen(j->content));
    if (j->delay_us)
        usleep(j->delay_us);
    if (j->abort) {
        ipb_replace_abort(&r);
        o->rc = ABORTED;
        return;
    }
    struct rule dirsync = {SYS_fsync, ARG_NE, 0, (uint32_t)r.fd, EIO};
    if ((j->nat_commit && install(j->at_commit, j->nat_commit) != 0) ||
        (j->dir_fsync_fault && install(&dirsync, 1) != 0)) {
        ipb_replace_abort(&r);
        return;
    }
    o->rc = ipb_replace_commit(&r, o->err, sizeof(o->err)) == 0 ? DONE : COMMIT_FAILED;
}

/* Run the job in a child (a seccomp filter cannot be removed again); skips the test when the
 * kernel refuses filters. */
static struct outcome in_child(const struct job *j)
{
    struct outcome *shared =
        mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(shared != MAP_FAILED);
    memset(shared, 0, sizeof(*shared));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        run_job(j, shared);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    struct outcome o = *shared;
    munmap(shared, sizeof(*shared));
    if (o.rc == NO_SECCOMP) {
        print_message("seccomp filters refused here: skipped\n");
        skip();
    }
    return o;
}

/* The failure said so, named the option and path, and left nothing changed or behind. */
static void failed_cleanly(const struct ctx *c, const struct outcome *o, int rc, const char *says)
{
    if (o->rc != rc || strstr(o->err, says) == NULL) {
        print_error("rc %d, expected %d; message '%s', expected '%s' in it\n", o->rc, rc, o->err,
                    says);
        fail();
    }
    char head[256];
    snprintf(head, sizeof(head), "--test '%s': ", c->file);
    assert_true(strncmp(o->err, head, strlen(head)) == 0);
    assert_true(is_original(c->file));
    assert_int_equal(temporaries(c->dir, "results"), 0);
    assert_true(lock_is_free(c->file));
}

/* ---- what a replacement keeps and creates --------------------------------------------------- */

static void test_replace_keeps_content_mode_owner(void **state)
{
    struct ctx *c = *state;
    assert_int_equal(chmod(c->file, 0640), 0);
    uid_t uid = geteuid() == 0 ? 1234 : geteuid();
    gid_t gid = geteuid() == 0 ? 4321 : getegid();
    assert_int_equal(chown(c->file, uid, gid), 0);
    struct stat before, after;
    assert_int_equal(stat(c->file, &before), 0);

    struct ipb_replace r;
    char err[1024] = "";
    assert_int_equal(ipb_replace_begin(&r, &names, c->file, err, sizeof(err)), 0);
    assert_true(r.copied);
    assert_string_equal(r.where.path, c->file);
    /* the temporary: next to the file, a copy of it, the descriptor at its end */
    assert_int_equal(strncmp(r.tmp, c->dir, strlen(c->dir)), 0);
    assert_true(is_original(r.tmp));
    assert_int_equal(lseek(r.fd, 0, SEEK_CUR), (off_t)sizeof(original) - 1);
    assert_int_equal(temporaries(c->dir, "results"), 1);
    assert_false(lock_is_free(c->file)); /* held until commit */
    assert_int_equal(write(r.fd, "+more", 5), 5);
    assert_true(is_original(c->file)); /* not yet */
    assert_int_equal(ipb_replace_commit(&r, err, sizeof(err)), 0);

    char want[sizeof(original) + 8];
    snprintf(want, sizeof(want), "%s+more", original);
    assert_true(has(c->file, want));
    assert_int_equal(stat(c->file, &after), 0);
    assert_true(after.st_ino != before.st_ino); /* replaced by rename, not written in place */
    assert_int_equal(after.st_mode & 07777, 0640);
    assert_int_equal(after.st_uid, uid);
    assert_int_equal(after.st_gid, gid);
    assert_int_equal(temporaries(c->dir, "results"), 0);
    /* the lock file stays, empty, and is free */
    char lock[256];
    struct stat ls;
    snprintf(lock, sizeof(lock), "%s.lock", c->file);
    assert_int_equal(stat(lock, &ls), 0);
    assert_true(S_ISREG(ls.st_mode) && ls.st_size == 0);
    assert_true(lock_is_free(c->file));
    char lp[256];
    assert_int_equal(ipb_replace_lock_path(lp, sizeof(lp), c->file), 0);
    assert_string_equal(lp, lock);
    assert_int_equal(ipb_replace_lock_path(lp, strlen(c->file) + 5, c->file), -1);
}

static void test_new_file_gets_umask_mode_empty_file_keeps_its_own(void **state)
{
    struct ctx *c = *state;
    char path[256], err[1024];
    snprintf(path, sizeof(path), "%s/new", c->dir);
    mode_t old = umask(027);
    struct ipb_replace r;
    int rc = ipb_replace_begin(&r, &names, path, err, sizeof(err));
    umask(old);
    assert_int_equal(rc, 0);
    assert_false(r.copied);
    assert_int_equal(write(r.fd, "fresh", 5), 5);
    assert_int_equal(ipb_replace_commit(&r, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_true(has(path, "fresh"));
    snprintf(path, sizeof(path), "%s/new.lock", c->dir);
    assert_int_equal(access(path, F_OK), 0);

    /* An empty file has nothing to copy, but it is the user's: its mode (and, as root, owner
     * and group) stay, whatever the umask says. */
    snprintf(path, sizeof(path), "%s/empty", c->dir);
    put(path, "", 0);
    assert_int_equal(chmod(path, 0660), 0);
    if (geteuid() == 0)
        assert_int_equal(chown(path, 1234, 4321), 0);
    old = umask(077);
    rc = ipb_replace_begin(&r, &names, path, err, sizeof(err));
    umask(old);
    assert_int_equal(rc, 0);
    assert_false(r.copied);
    assert_int_equal(write(r.fd, "first", 5), 5);
    assert_int_equal(ipb_replace_commit(&r, err, sizeof(err)), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0660);
    if (geteuid() == 0) {
        assert_int_equal(st.st_uid, 1234);
        assert_int_equal(st.st_gid, 4321);
    }
    assert_true(has(path, "first"));
}

static void test_symlink_target_replaced(void **state)
{
    struct ctx *c = *state;
    char sub[256], target[256], link[256], err[1024];
    snprintf(sub, sizeof(sub), "%s/sub", c->dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(target, sizeof(target), "%s/real", sub);
    put(target, original, sizeof(original) - 1);
    snprintf(link, sizeof(link), "%s/link", c->dir);
    assert_int_equal(symlink("sub/real", link), 0);

    struct ipb_replace r;
    assert_int_equal(ipb_replace_begin(&r, &names, link, err, sizeof(err)), 0);
    assert_string_equal(r.where.path, target);
    assert_string_equal(r.where.dir, sub);
    assert_int_equal(write(r.fd, "!", 1), 1);
    assert_int_equal(ipb_replace_commit(&r, err, sizeof(err)), 0);

    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char to[256] = "";
    assert_int_equal(readlink(link, to, sizeof(to) - 1), 8);
    assert_string_equal(to, "sub/real");
    char want[sizeof(original) + 2];
    snprintf(want, sizeof(want), "%s!", original);
    assert_true(has(target, want));
    /* the lock is the target's: two names of one file take one lock */
    snprintf(to, sizeof(to), "%s.lock", target);
    assert_int_equal(access(to, F_OK), 0);
    snprintf(to, sizeof(to), "%s.lock", link);
    assert_int_equal(access(to, F_OK), -1);
}

static void test_abort_leaves_original(void **state)
{
    struct ctx *c = *state;
    struct job j = {.path = c->file, .content = "half-written garbage", .abort = true};
    struct outcome o = in_child(&j);
    assert_int_equal(o.rc, ABORTED);
    assert_true(is_original(c->file));
    assert_int_equal(temporaries(c->dir, "results"), 0);
    assert_true(lock_is_free(c->file));
}

/* ---- failures ------------------------------------------------------------------------------- */

static void test_lock_file_not_creatable(void **state)
{
    struct ctx *c = *state;
    char lock[256];
    snprintf(lock, sizeof(lock), "%s.lock", c->file);
    assert_int_equal(mkdir(lock, 0755), 0); /* open(O_RDWR) of it: EISDIR */
    struct job j = {.path = c->file, .content = "x"};
    struct outcome o = in_child(&j);
    failed_cleanly(c, &o, BEGIN_FAILED, "lock file");
    assert_non_null(strstr(o.err, strerror(EISDIR)));
}

static void test_path_under_a_file(void **state)
{
    struct ctx *c = *state;
    char path[256], err[1024];
    snprintf(path, sizeof(path), "%s/x", c->file); /* a path component that is a file */
    struct ipb_replace r;
    assert_int_equal(ipb_replace_begin(&r, &names, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, strerror(ENOTDIR)));
    assert_true(is_original(c->file));
    assert_int_equal(temporaries(c->dir, "results"), 0);
}

static void test_read_only_directory(void **state)
{
    struct ctx *c = *state;
    snprintf(c->mnt, sizeof(c->mnt), "%s/ro", c->dir);
    assert_int_equal(mkdir(c->mnt, 0755), 0);
    if (mount("tmpfs", c->mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0) {
        print_message("cannot mount a tmpfs on %s (%s): skipped (root ignores mode bits, so only "
                      "a read-only mount makes a directory unwritable)\n",
                      c->mnt, strerror(errno));
        c->mnt[0] = '\0';
        skip();
    }
    char path[256], err[1024];
    snprintf(path, sizeof(path), "%s/results", c->mnt);
    put(path, original, sizeof(original) - 1);
    assert_int_equal(mount(NULL, c->mnt, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL),
                     0);
    struct ipb_replace r;
    assert_int_equal(ipb_replace_begin(&r, &names, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "lock file"));
    assert_non_null(strstr(err, strerror(EROFS)));
    assert_true(is_original(path));
    assert_int_equal(temporaries(c->mnt, "results"), 0);
}

static void test_temporary_not_creatable(void **state)
{
    struct ctx *c = *state;
    /* mkostemp() opens with O_CREAT | O_EXCL, the lock file without O_EXCL. (Root ignores a
     * directory's mode bits, so a fault stands in for a directory we may not write.) */
    const uint32_t excl = O_CREAT | O_EXCL;
    struct rule r[] = {{SYS_openat, ARG_HAS_BITS, 2, excl, EACCES},
                       {SYS_open, ARG_HAS_BITS, 1, excl, EACCES}};
    struct job j = {.path = c->file, .content = "x", .at = r, .nat = 2};
    struct outcome o = in_child(&j);
    failed_cleanly(c, &o, BEGIN_FAILED, "temporary file in");
}

static void test_copy_fails(void **state)
{
    struct ctx *c = *state;
    struct rule r[] = {{SYS_copy_file_range, ANY, 0, 0, EIO}};
    struct job j = {.path = c->file, .content = "x", .at = r, .nat = 1};
    struct outcome o = in_child(&j);
    failed_cleanly(c, &o, BEGIN_FAILED, "copying to");
    assert_non_null(strstr(o.err, strerror(EIO)));
}

static void test_copy_falls_back_to_read_write(void **state)
{
    struct ctx *c = *state;
    /* A kernel without copy_file_range(): the plain copy does it. */
    struct rule r[] = {{SYS_copy_file_range, ANY, 0, 0, ENOSYS}};
    struct job j = {.path = c->file, .content = "+x", .at = r, .nat = 1};
    struct outcome o = in_child(&j);
    assert_int_equal(o.rc, DONE);
    char want[sizeof(original) + 4];
    snprintf(want, sizeof(want), "%s+x", original);
    assert_true(has(c->file, want));

    /* and when that fails too, nothing changes */
    put(c->file, original, sizeof(original) - 1);
    struct rule r2[] = {{SYS_copy_file_range, ANY, 0, 0, ENOSYS}, {SYS_read, ANY, 0, 0, EIO}};
    struct job j2 = {.path = c->file, .content = "+x", .at = r2, .nat = 2};
    o = in_child(&j2);
    failed_cleanly(c, &o, BEGIN_FAILED, "copying to");
}

static void test_chmod_fails(void **state)
{
    struct ctx *c = *state;
    struct rule r[] = {{SYS_fchmod, ANY, 0, 0, EPERM}};
    struct job j = {.path = c->file, .content = "x", .at = r, .nat = 1};
    struct outcome o = in_child(&j);
    failed_cleanly(c, &o, BEGIN_FAILED, "chmod '");
}

static void test_lock_fails(void **state)
{
    struct ctx *c = *state;
    struct rule r[] = {{SYS_flock, ARG_HAS_BITS, 1, LOCK_EX, ENOLCK}};
    struct job j = {.path = c->file, .content = "x", .at = r, .nat = 1};
    struct outcome o = in_child(&j);
    failed_cleanly(c, &o, BEGIN_FAILED, "cannot lock");
    assert_non_null(strstr(o.err, "(why locks matter)"));
}

static void test_fsync_fails(void **state)
{
    struct ctx *c = *state;
    struct rule r[] = {{SYS_fsync, ANY, 0, 0, EIO}};
    struct job j = {.path = c->file, .content = "x", .at_commit = r, .nat_commit = 1};
    struct outcome o = in_child(&j);
    failed_cleanly(c, &o, COMMIT_FAILED, "fsync '");
}

static void test_rename_fails(void **state)
{
    struct ctx *c = *state;
    struct rule r[] = {{SYS_rename, ANY, 0, 0, EIO},
                       {SYS_renameat, ANY, 0, 0, EIO},
                       {SYS_renameat2, ANY, 0, 0, EIO}};
    struct job j = {.path = c->file, .content = "x", .at_commit = r, .nat_commit = 3};
    struct outcome o = in_child(&j);
    failed_cleanly(c, &o, COMMIT_FAILED, "rename '");
}

/* The directory is fsync()ed after the rename: a failure there is reported, and the file
 * already has its new contents (which a crash of the machine could still undo). */
static void test_directory_fsync_fails(void **state)
{
    struct ctx *c = *state;
    struct job j = {.path = c->file, .content = "+x", .dir_fsync_fault = true};
    struct outcome o = in_child(&j);
    assert_int_equal(o.rc, COMMIT_FAILED);
    assert_non_null(strstr(o.err, "fsync directory"));
    char want[sizeof(original) + 4];
    snprintf(want, sizeof(want), "%s+x", original);
    assert_true(has(c->file, want));
    assert_int_equal(temporaries(c->dir, "results"), 0);
    assert_true(lock_is_free(c->file));
}

/* ---- stale temporaries, probe, concurrency -------------------------------------------------- */

static void make_aged(const char *dir, const char *name, time_t age, bool directory)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    if (directory)
        assert_int_equal(mkdir(p, 0755), 0);
    else
        put(p, "leftover", 8);
    struct timespec t[2] = {{time(NULL) - age, 0}, {time(NULL) - age, 0}};
    assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
}

static bool exists_in(const char *dir, const char *name)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static void test_stale_temporaries(void **state)
{
    struct ctx *c = *state;
    const time_t old = IPB_REPLACE_STALE_TMP_S + 60, young = IPB_REPLACE_STALE_TMP_S - 60;
    make_aged(c->dir, ".results.tmp.AAAAAA", old, false);   /* removed */
    make_aged(c->dir, ".results.tmp.BBBBBB", young, false); /* maybe still being written */
    make_aged(c->dir, ".results.tmp.CCCCCCC", old, false);  /* not a name mkostemp makes */
    make_aged(c->dir, ".other.tmp.DDDDDD", old, false);     /* another file's */
    make_aged(c->dir, ".results.tmp.EEEEEE", old, true);    /* not a regular file */
    struct job j = {.path = c->file, .abort = true};
    struct outcome o = in_child(&j);
    assert_int_equal(o.rc, ABORTED);
    assert_false(exists_in(c->dir, ".results.tmp.AAAAAA"));
    assert_true(exists_in(c->dir, ".results.tmp.BBBBBB"));
    assert_true(exists_in(c->dir, ".results.tmp.CCCCCCC"));
    assert_true(exists_in(c->dir, ".other.tmp.DDDDDD"));
    assert_true(exists_in(c->dir, ".results.tmp.EEEEEE"));
}

static void test_probe(void **state)
{
    struct ctx *c = *state;
    struct ipb_replace_where w;
    char err[1024];
    char path[256];
    snprintf(path, sizeof(path), "%s/new", c->dir);
    assert_int_equal(ipb_replace_locate(&names, path, &w, err, sizeof(err)), 0);
    assert_int_equal(ipb_replace_probe(&names, path, &w, err, sizeof(err)), 0);
    assert_int_equal(temporaries(c->dir, "new"), 0); /* nothing left behind */
    assert_false(exists_in(c->dir, "new.lock"));
    assert_false(exists_in(c->dir, "new"));
    assert_int_equal(ipb_replace_locate(&names, "/tmp/nonexistent-ipb-dir/f", &w, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "directory '/tmp/nonexistent-ipb-dir'"));
}

static void test_concurrent_replacers_serialize(void **state)
{
    struct ctx *c = *state;
    enum { N = 8 };
    put(c->file, "", 0);
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char b;
            close(go[1]);
            (void)!read(go[0], &b, 1); /* all start together when the parent closes the pipe */
            char line[32];
            snprintf(line, sizeof(line), "child %d\n", i);
            struct job j = {.path = c->file, .content = line, .delay_us = 20000};
            struct outcome o;
            run_job(&j, &o);
            _exit(o.rc == DONE ? 0 : 1);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int i = 0; i < N; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    /* Every child's line, once: none replaced the file with a copy that missed another's. */
    size_t n = 0;
    char *b = get(c->file, &n);
    assert_non_null(b);
    int lines = 0;
    for (size_t k = 0; k < n; k++)
        lines += b[k] == '\n';
    if (lines != N) {
        print_error("%d lines, expected %d:\n%s", lines, N, b);
        fail();
    }
    for (int i = 0; i < N; i++) {
        char line[32];
        snprintf(line, sizeof(line), "child %d\n", i);
        assert_non_null(strstr(b, line));
    }
    free(b);
    assert_int_equal(temporaries(c->dir, "results"), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_replace_keeps_content_mode_owner),
        T(test_new_file_gets_umask_mode_empty_file_keeps_its_own),
        T(test_symlink_target_replaced),
        T(test_abort_leaves_original),
        T(test_lock_file_not_creatable),
        T(test_path_under_a_file),
        T(test_read_only_directory),
        T(test_temporary_not_creatable),
        T(test_copy_fails),
        T(test_copy_falls_back_to_read_write),
        T(test_chmod_fails),
        T(test_lock_fails),
        T(test_fsync_fails),
        T(test_rename_fails),
        T(test_directory_fsync_fails),
        T(test_stale_temporaries),
        T(test_probe),
        T(test_concurrent_replacers_serialize),
    };
    return cmocka_run_group_tests_name("file_replace", tests, NULL, NULL);
}
