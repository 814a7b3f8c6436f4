/* Bad input under mpirun -np 2 (docs/design.md, "Errors"): rank 0 prints one line naming the option
 * and the value, every rank exits with status 2 within seconds, and nothing is created: no data
 * file, no --dat file, nothing in the working directory. Files that were there before (an
 * existing data file, a symlink) are neither modified, followed nor removed. */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum prep {
    PREP_NONE,
    PREP_FILE,         /* a regular file "file": --output-file file/data cannot be created */
    PREP_RO_MOUNT,     /* "ro": a read-only tmpfs (root ignores mode bits, not a ro mount) */
    PREP_EXISTING00,   /* a file at data path data.0.0 (rank 0, pipeline 0) */
    PREP_EXISTING11,   /* a file at data path data.1.1 (rank 1, pipeline 1) */
    PREP_SYMLINK,      /* data.0.0 -> target (an existing file) */
    PREP_DANGLING,     /* data.1.0 -> victim (does not exist: must not be created) */
    PREP_DAT_DANGLING, /* results.dat -> victim.dat (does not exist: must not be created) */
    PREP_CGROUP,       /* mpirun runs in a new memory cgroup limited to 256 MiB */
    PREP_OTHER_DAT,    /* results.dat with the Python original's header and one row */
    PREP_DEEP,         /* a file at DEEP_DIR/data.0.0, 16 directories of 200 bytes down */
};

/* A .dat that this program must not append to: its columns are not ours. */
static const char foreign_dat[] =
    "#<Python version>\t<GIL enabled>\t<method>\t<concurrency>\t<duration>\t<KiB buffer_size>\t"
    "<recv delay>\t<MiB xferred>\t<sequential compute throughput (MiB/s)>\t<seconds>\t"
    "<aggregate overall throughput (MiB/s)>\n"
    "3.13.0\tTrue\tthreading\t4\t10\t256\t0.1\t100.0\t900.0\t10.1\t9.9\n";

struct bad_case {
    const char *name;
    const char *args[12]; /* "%s" in an argument is the test directory */
    const char *option;   /* the error line must name it */
    const char *value;    /* and this (NULL: not checked, e.g. empty or unprintable values) */
    enum prep prep;
    int plain; /* under plain mpirun: the exit status a user sees (see th_mpirun_each_rank) */
};

/* The options every case gets unless it gives them itself: a run that wrongly starts is short
 * and writes only into the test directory. */
static const char *const base_args[][2] = {
    {"--duration", "1"},          {"--recv-delay", "0.01"},    {"--buffer-size", "64"},
    {"--output-file", "%s/data"}, {"--dat", "%s/results.dat"},
};

/* A directory 16 levels of 200-byte names down: with the test directory, a 3.3 KiB path, below
 * PATH_MAX but far past a 1 KiB message buffer, where the reason used to be cut off. */
#define D50      "dddddddddddddddddddddddddddddddddddddddddddddddddd"
#define D200     D50 D50 D50 D50
#define D200X4   D200 "/" D200 "/" D200 "/" D200
#define DEEP_DIR "%s/" D200X4 "/" D200X4 "/" D200X4 "/" D200X4

#define A(...)                                                                                     \
    {                                                                                              \
        __VA_ARGS__, NULL                                                                          \
    }
static const struct bad_case cases[] = {
    {"unknown option", A("--nosuch", "1"), "--nosuch", NULL, PREP_NONE, 0},
    {"unknown option with =", A("--nosuch=1"), "--nosuch", NULL, PREP_NONE, 0},
    {"stray positional argument", A("stray"), "stray", NULL, PREP_NONE, 0},
    {"--duration missing its value", A("--duration"), "--duration", NULL, PREP_NONE, 0},
    {"--concurrency missing its value", A("--method", "openmp", "--concurrency"), "--concurrency",
     NULL, PREP_NONE, 0},
    {"--method missing its value", A("--method"), "--method", NULL, PREP_NONE, 0},
    {"--method nosuch", A("--method", "nosuch"), "--method", "nosuch", PREP_NONE, 0},
    {"--method nosuch, plain mpirun exits 2", A("--method", "nosuch"), "--method", "nosuch",
     PREP_NONE, 1},
    {"sequential with --concurrency 4", A("--method", "sequential", "--concurrency", "4"),
     "--concurrency", "4", PREP_NONE, 0},
    {"--concurrency 0", A("--method", "openmp", "--concurrency", "0"), "--concurrency", "0",
     PREP_NONE, 0},
    {"--concurrency -1", A("--method", "openmp", "--concurrency", "-1"), "--concurrency", "-1",
     PREP_NONE, 0},
    {"--concurrency 1.5", A("--method", "openmp", "--concurrency", "1.5"), "--concurrency", "1.5",
     PREP_NONE, 0},
    {"--concurrency abc", A("--method", "openmp", "--concurrency", "abc"), "--concurrency", "abc",
     PREP_NONE, 0},
    {"--concurrency overflow", A("--method", "openmp", "--concurrency", "99999999999999999999"),
     "--concurrency", "99999999999999999999", PREP_NONE, 0},
    {"--concurrency above the limit", A("--method", "openmp", "--concurrency", "4097"),
     "--concurrency", "4097", PREP_NONE, 0},
    {"--concurrency empty", A("--method", "openmp", "--concurrency", ""), "--concurrency", NULL,
     PREP_NONE, 0},
    {"--concurrency leading blank", A("--method", "openmp", "--concurrency", " 4"), "--concurrency",
     " 4", PREP_NONE, 0},
    {"--concurrency trailing junk", A("--method", "openmp", "--concurrency", "4x"), "--concurrency",
     "4x", PREP_NONE, 0},
    {"--duration 0", A("--duration", "0"), "--duration", "0", PREP_NONE, 0},
    {"--duration -1", A("--duration", "-1"), "--duration", "-1", PREP_NONE, 0},
    {"--duration nan", A("--duration", "nan"), "--duration", "nan", PREP_NONE, 0},
    {"--duration inf", A("--duration", "inf"), "--duration", "inf", PREP_NONE, 0},
    {"--duration 1e400", A("--duration", "1e400"), "--duration", "1e400", PREP_NONE, 0},
    {"--duration= (empty)", A("--duration="), "--duration", NULL, PREP_NONE, 0},
    {"--buffer-size 0", A("--buffer-size", "0"), "--buffer-size", "0", PREP_NONE, 0},
    {"--buffer-size 12XB", A("--buffer-size", "12XB"), "--buffer-size", "12XB", PREP_NONE, 0},
    {"--buffer-size 64KB (ambiguous unit)", A("--buffer-size", "64KB"), "--buffer-size", "64KB",
     PREP_NONE, 0},
    {"--buffer-size 1.5.5", A("--buffer-size", "1.5.5"), "--buffer-size", "1.5.5", PREP_NONE, 0},
    {"--buffer-size overflow", A("--buffer-size", "99999999999G"), "--buffer-size", "99999999999G",
     PREP_NONE, 0},
    {"--buffer-size above the limit", A("--buffer-size", "17G"), "--buffer-size", "17G", PREP_NONE,
     0},
    {"--buffer-size -4", A("--buffer-size", "-4"), "--buffer-size", "-4", PREP_NONE, 0},
    {"--buffer-size trailing blank", A("--buffer-size", "64 "), "--buffer-size", "64 ", PREP_NONE,
     0},
    {"--recv-delay -0.1", A("--recv-delay", "-0.1"), "--recv-delay", "-0.1", PREP_NONE, 0},
    {"--recv-delay nan", A("--recv-delay", "nan"), "--recv-delay", "nan", PREP_NONE, 0},
    {"--recv-delay abc", A("--recv-delay", "abc"), "--recv-delay", "abc", PREP_NONE, 0},
    {"--compute-sparsity -1", A("--compute-sparsity", "-1"), "--compute-sparsity", "-1", PREP_NONE,
     0},
    {"--compute-sparsity x", A("--compute-sparsity", "x"), "--compute-sparsity", "x", PREP_NONE, 0},
    {"--sync sometimes", A("--sync", "sometimes"), "--sync", "sometimes", PREP_NONE, 0},
    {"--aio-engine foo", A("--method", "aio", "--aio-engine", "foo"), "--aio-engine", "foo",
     PREP_NONE, 0},
    {"--aio-engine with --method openmp", A("--method", "openmp", "--aio-engine", "io_uring"),
     "--aio-engine", "io_uring", PREP_NONE, 0},
    {"--arrivals sometimes", A("--arrivals", "sometimes"), "--arrivals", "sometimes", PREP_NONE,
     0},
    {"--arrivals missing its value", A("--arrivals"), "--arrivals", NULL, PREP_NONE, 0},
    {"--backlog 0", A("--arrivals", "open", "--backlog", "0"), "--backlog", "0", PREP_NONE, 0},
    {"--backlog above the limit", A("--arrivals", "open", "--backlog", "65537"), "--backlog",
     "65537", PREP_NONE, 0},
    {"--backlog abc", A("--arrivals", "open", "--backlog", "abc"), "--backlog", "abc", PREP_NONE,
     0},
    {"--backlog with closed arrivals", A("--backlog", "4"), "--backlog", "4", PREP_NONE, 0},
    {"--backlog-policy wait", A("--arrivals", "open", "--backlog-policy", "wait"),
     "--backlog-policy", "wait", PREP_NONE, 0},
    {"--backlog-policy with closed arrivals",
     A("--method", "aio", "--arrivals", "closed", "--backlog-policy", "drop"), "--backlog-policy",
     "drop", PREP_NONE, 0},
    {"--arrivals open with --recv-delay 0", A("--arrivals", "open", "--recv-delay", "0"),
     "--recv-delay", "0", PREP_NONE, 0},
    {"--seed abc", A("--seed", "abc"), "--seed", "abc", PREP_NONE, 0},
    {"--label with a tab", A("--label", "a\tb"), "--label", NULL, PREP_NONE, 0},
    {"--label with a newline", A("--label", "a\nb"), "--label", NULL, PREP_NONE, 0},
    {"--output-file empty", A("--output-file", ""), "--output-file", NULL, PREP_NONE, 0},
    {"--output-file in a missing directory", A("--output-file", "%s/missing/data"), "--output-file",
     "%s/missing", PREP_NONE, 0},
    {"--output-file under a regular file", A("--output-file", "%s/file/data"), "--output-file",
     "%s/file", PREP_FILE, 0},
    {"--output-file in a read-only directory", A("--output-file", "%s/ro/data"), "--output-file",
     "%s/ro", PREP_RO_MOUNT, 0},
    {"existing file at data path of rank 0 pipeline 0",
     A("--method", "openmp", "--concurrency", "2"), "--output-file", "%s/data.0.0", PREP_EXISTING00,
     0},
    {"existing file at data path of rank 1 pipeline 1",
     A("--method", "openmp", "--concurrency", "2"), "--output-file", "%s/data.1.1", PREP_EXISTING11,
     0},
    {"symlink at a data path", A("--method", "openmp", "--concurrency", "2"), "--output-file",
     "%s/data.0.0", PREP_SYMLINK, 0},
    {"existing file at a data path 3.3 KiB long: the reason is still said",
     A("--output-file", DEEP_DIR "/data"), "--output-file", "already exists", PREP_DEEP, 0},
    {"dangling symlink at a data path", A("--method", "fork", "--concurrency", "2"),
     "--output-file", "%s/data.1.0", PREP_DANGLING, 0},
    {"--dat is a dangling symlink", A("--dat", "%s/results.dat"), "--dat", "%s/results.dat",
     PREP_DAT_DANGLING, 0},
    /* 2 ranks x 512 x 1 GiB = 1 TiB of buffers: more than any test machine has. */
    {"buffers larger than the node's memory",
     A("--method", "openmp", "--concurrency", "512", "--buffer-size", "1G"), "--buffer-size",
     "MemAvailable", PREP_NONE, 0},
    /* 2 ranks x 4 x 64 MiB = 512 MiB in a cgroup limited to 256 MiB (as Slurm's --mem). */
    {"buffers larger than the cgroup's memory limit",
     A("--method", "fork", "--concurrency", "4", "--buffer-size", "64M"), "--buffer-size",
     "limited to 256 MiB", PREP_CGROUP, 0},
    {"--dat in a missing directory", A("--dat", "%s/missing/results.dat"), "--dat", "%s/missing",
     PREP_NONE, 0},
    {"--hdf5 in a missing directory", A("--hdf5", "%s/missing/results.h5"), "--hdf5", "%s/missing",
     PREP_NONE, 0},
    {"--dat with another program's header", A("--dat", "%s/results.dat"), "--dat", "%s/results.dat",
     PREP_OTHER_DAT, 0},
    /* --interval: the HDF5 file named must not be created either. */
    {"--interval abc", A("--interval", "abc", "--hdf5", "%s/r.h5"), "--interval", "abc", PREP_NONE,
     0},
    {"--interval -1", A("--interval", "-1", "--hdf5", "%s/r.h5"), "--interval", "-1", PREP_NONE, 0},
    {"--interval nan", A("--interval", "nan", "--hdf5", "%s/r.h5"), "--interval", "nan", PREP_NONE,
     0},
    {"--interval below 1 ms", A("--interval", "0.0005", "--hdf5", "%s/r.h5"), "--interval",
     "0.0005", PREP_NONE, 0},
    {"--interval longer than --duration", A("--interval", "2", "--hdf5", "%s/r.h5"), "--interval",
     "2", PREP_NONE, 0},
    {"--interval without --hdf5", A("--interval", "0.5"), "--interval", "give --hdf5", PREP_NONE,
     0},
    {"--interval: more than 100000 intervals",
     A("--duration", "1000", "--interval", "0.001", "--hdf5", "%s/r.h5"), "--interval",
     "at most 100000", PREP_NONE, 0},
    /* 64 pipelines x 10,000 intervals x 464 bytes = 283 MiB, over the 256 MiB bound */
    {"--interval: series over 256 MiB per rank",
     A("--method", "openmp", "--concurrency", "64", "--duration", "99", "--interval", "0.01",
       "--hdf5", "%s/r.h5"),
     "--interval", "283.2 MiB per rank", PREP_NONE, 0},
};
#define NCASES (sizeof cases / sizeof cases[0])

/* The memory cgroup made for a PREP_CGROUP case ("" when none) and the one to return to. It
 * holds the whole test process, so it is the process's state, not a test's th_ctx. */
static struct {
    char dir[4200];
    char parent[4200];
} cgroup;

/* Put this test process (and so the mpirun it starts) in a new memory cgroup limited to
 * `limit` bytes, below its own one; v1 (memory.limit_in_bytes) or v2 (memory.max). Returns 0,
 * or -1 with the reason in why (the case is then skipped, visibly). */
static int enter_memory_cgroup(unsigned long long limit, char *why, size_t len)
{
    char *self = th_read_file("/proc/self/cgroup", NULL);
    if (self == NULL) {
        snprintf(why, len, "no /proc/self/cgroup");
        return -1;
    }
    char rel[4096] = "";
    int v1 = 0;
    for (char *line = strtok(self, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        if (strcmp(c1 + 1, "memory") == 0) {
            snprintf(rel, sizeof rel, "%s", c2 + 1);
            v1 = 1;
        } else if (c1[1] == '\0' && !v1) {
            snprintf(rel, sizeof rel, "%s", c2 + 1);
        }
    }
    free(self);
    const char *root = v1 ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup";
    snprintf(cgroup.parent, sizeof cgroup.parent, "%s%s", root, strcmp(rel, "/") == 0 ? "" : rel);
    snprintf(cgroup.dir, sizeof cgroup.dir, "%s/ipb-test-%d", cgroup.parent, (int)getpid());
    if (mkdir(cgroup.dir, 0755) != 0) {
        snprintf(why, len, "cannot create the cgroup %s: %s", cgroup.dir, strerror(errno));
        cgroup.dir[0] = '\0';
        return -1;
    }
    char file[4300], val[64], pid[32];
    snprintf(file, sizeof file, "%s/%s", cgroup.dir, v1 ? "memory.limit_in_bytes" : "memory.max");
    snprintf(val, sizeof val, "%llu", limit);
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    if (th_write_file(file, val) != 0) {
        snprintf(why, len, "cannot set %s (is the memory controller enabled?)", file);
        return -1;
    }
    snprintf(file, sizeof file, "%s/cgroup.procs", cgroup.dir);
    if (th_write_file(file, pid) != 0) {
        snprintf(why, len, "cannot move the test into %s", cgroup.dir);
        return -1;
    }
    return 0;
}

static void leave_memory_cgroup(void)
{
    if (cgroup.dir[0] == '\0')
        return;
    char file[4300], pid[32];
    snprintf(file, sizeof file, "%s/cgroup.procs", cgroup.parent);
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    th_write_file(file, pid);
    rmdir(cgroup.dir);
    cgroup.dir[0] = '\0';
}

static int setup(void **state)
{
    return th_ctx_setup_tagged(state, "bad");
}

static int teardown(void **state)
{
    leave_memory_cgroup();
    return th_ctx_teardown(state);
}

static void fmt_dir(char *out, size_t outlen, const char *s, const char *dir)
{
    if (strstr(s, "%s") != NULL)
        snprintf(out, outlen, s, dir);
    else
        snprintf(out, outlen, "%s", s);
}

static int case_gives(const struct bad_case *bc, const char *opt)
{
    size_t n = strlen(opt);
    for (const char *const *a = bc->args; *a != NULL; a++)
        if (strncmp(*a, opt, n) == 0 && ((*a)[n] == '\0' || (*a)[n] == '='))
            return 1;
    return 0;
}

/* A file that must survive the run as it was: its content and its mtime (set to 2001). */
static const struct timespec old_times[2] = {{978307200, 0}, {978307200, 0}};

static void make_precious(const char *path, const char *content)
{
    TH_EXPECT(NULL, th_write_file(path, content) == 0, "cannot create %s", path);
    TH_EXPECT(NULL, utimensat(AT_FDCWD, path, old_times, AT_SYMLINK_NOFOLLOW) == 0,
              "cannot set the mtime of %s", path);
}

static void expect_precious(struct th_ctx *c, const char *path, const char *content)
{
    struct stat st;
    TH_EXPECT(&c->r, lstat(path, &st) == 0, "%s existed before the run and is gone", path);
    TH_EXPECT(&c->r, S_ISREG(st.st_mode), "%s is no longer a regular file", path);
    TH_EXPECT(&c->r, st.st_mtim.tv_sec == old_times[1].tv_sec && st.st_mtim.tv_nsec == 0,
              "%s was modified by the run (mtime changed)", path);
    char *now = th_read_file(path, NULL);
    int same = now != NULL && strcmp(now, content) == 0;
    free(now);
    TH_EXPECT(&c->r, same, "the content of %s changed", path);
}

static void expect_symlink(struct th_ctx *c, const char *path, const char *target)
{
    char buf[4200];
    ssize_t k = readlink(path, buf, sizeof buf - 1);
    TH_EXPECT(&c->r, k >= 0, "the symlink %s is gone or no longer a symlink", path);
    buf[k] = '\0';
    TH_EXPECT(&c->r, strcmp(buf, target) == 0, "the symlink %s now points to %s, not %s", path, buf,
              target);
}

static void test_bad(void **state)
{
    struct th_ctx *c = *state;
    const struct bad_case *bc = c->param;
    char p[4200], q[4200];

    /* what is there before the run */
    const char *expect_names = "";
    switch (bc->prep) {
    case PREP_NONE:
        break;
    case PREP_FILE:
        snprintf(p, sizeof p, "%s/file", c->dir);
        make_precious(p, "a regular file\n");
        expect_names = "file";
        break;
    case PREP_RO_MOUNT:
        snprintf(p, sizeof p, "%s/ro", c->dir);
        TH_EXPECT(NULL, mkdir(p, 0755) == 0, "mkdir %s", p);
        if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=64k") != 0) {
            print_error("cannot mount a read-only tmpfs on %s (%s): skipped\n", p, strerror(errno));
            skip();
        }
        snprintf(c->mnt, sizeof c->mnt, "%s", p);
        expect_names = "ro";
        break;
    case PREP_EXISTING00:
    case PREP_EXISTING11:
        snprintf(p, sizeof p, "%s/%s", c->dir,
                 bc->prep == PREP_EXISTING00 ? "data.0.0" : "data.1.1");
        make_precious(p, "precious data, not the benchmark's\n");
        expect_names = bc->prep == PREP_EXISTING00 ? "data.0.0" : "data.1.1";
        break;
    case PREP_SYMLINK:
        snprintf(p, sizeof p, "%s/target", c->dir);
        make_precious(p, "the symlink's target\n");
        snprintf(q, sizeof q, "%s/data.0.0", c->dir);
        TH_EXPECT(NULL, symlink(p, q) == 0, "symlink %s", q);
        expect_names = "data.0.0 target";
        break;
    case PREP_DANGLING:
        snprintf(p, sizeof p, "%s/victim", c->dir);
        snprintf(q, sizeof q, "%s/data.1.0", c->dir);
        TH_EXPECT(NULL, symlink(p, q) == 0, "symlink %s", q);
        expect_names = "data.1.0";
        break;
    case PREP_DAT_DANGLING:
        snprintf(p, sizeof p, "%s/victim.dat", c->dir);
        snprintf(q, sizeof q, "%s/results.dat", c->dir);
        TH_EXPECT(NULL, symlink(p, q) == 0, "symlink %s", q);
        expect_names = "results.dat";
        break;
    case PREP_CGROUP: {
        char why[4400];
        if (enter_memory_cgroup(256ull << 20, why, sizeof why) != 0) {
            leave_memory_cgroup();
            print_error("%s: skipped\n", why);
            skip();
        }
        break;
    }
    case PREP_OTHER_DAT:
        snprintf(p, sizeof p, "%s/results.dat", c->dir);
        make_precious(p, foreign_dat);
        expect_names = "results.dat";
        break;
    case PREP_DEEP:
        fmt_dir(q, sizeof q, DEEP_DIR, c->dir);
        for (char *slash = strchr(q + strlen(c->dir) + 1, '/'); slash != NULL;
             slash = strchr(slash + 1, '/')) {
            *slash = '\0';
            TH_EXPECT(NULL, mkdir(q, 0755) == 0 || errno == EEXIST, "mkdir %s", q);
            *slash = '/';
        }
        TH_EXPECT(NULL, mkdir(q, 0755) == 0, "mkdir %s", q);
        snprintf(p, sizeof p, "%s/data.0.0", q);
        make_precious(p, "precious data, not the benchmark's\n");
        expect_names = D200;
        break;
    }

    struct th_argv a;
    if (bc->plain)
        th_mpirun(&a, 2);
    else
        th_mpirun_each_rank(&a, 2);
    for (size_t i = 0; i < sizeof base_args / sizeof base_args[0]; i++) {
        if (case_gives(bc, base_args[i][0]))
            continue;
        th_argv_add(&a, base_args[i][0]);
        fmt_dir(p, sizeof p, base_args[i][1], c->dir);
        th_argv_add(&a, p);
    }
    /* last, so that "option missing its value" really is the last argument */
    for (const char *const *s = bc->args; *s != NULL; s++) {
        fmt_dir(p, sizeof p, *s, c->dir);
        th_argv_add(&a, p);
    }
    th_run(&a, c->dir, 30.0, &c->r);
    th_argv_free(&a);
    leave_memory_cgroup();
    struct th_result *r = &c->r;

    TH_EXPECT(r, !r->timed_out, "bad input did not end within 30 s: a rank hangs");
    if (bc->plain || strcmp(th_mpi_flavour(), "openmpi") != 0)
        TH_EXPECT(r, r->exited && r->status == 2, "bad input must exit with status 2");
    if (!bc->plain) {
        TH_EXPECT(r, th_every_rank_exited(r, 2), "every rank must exit with status 2");
        for (unsigned i = 0; i < r->np; i++)
            TH_EXPECT(r, r->rank[i].seconds < 5.0, "rank %u took %.1f s to refuse bad input", i,
                      r->rank[i].seconds);
    }
    TH_EXPECT(r, r->seconds < 8.0, "bad input took %.1f s to be refused", r->seconds);
    TH_EXPECT(r, r->nleftovers == 0, "processes left running: %s", r->leftovers);
    TH_EXPECT(r, r->out_len == 0, "bad input printed on stdout (a .dat header or row?)");

    char *lines[8];
    int n = th_program_lines(r->err, lines, 8);
    int names_option = n >= 1 && strstr(lines[0], bc->option) != NULL;
    char value[4200] = "";
    if (bc->value != NULL)
        fmt_dir(value, sizeof value, bc->value, c->dir);
    int names_value = bc->value == NULL || (n >= 1 && strstr(lines[0], value) != NULL);
    th_lines_free(lines, n < 8 ? n : 8);
    TH_EXPECT(r, n == 1, "stderr has %d lines from the program, expected exactly one", n);
    TH_EXPECT(r, names_option, "the error line does not name the option \"%s\"", bc->option);
    TH_EXPECT(r, names_value, "the error line does not name the value \"%s\"", value);

    /* nothing created, nothing touched */
    int k;
    char *names = th_listdir(c->dir, &k);
    int same = strcmp(names, expect_names) == 0;
    char copy[4200];
    snprintf(copy, sizeof copy, "%s", names);
    free(names);
    TH_EXPECT(r, same, "the test directory should hold \"%s\" after bad input, it holds \"%s\"",
              expect_names, copy);
    switch (bc->prep) {
    case PREP_NONE:
        break;
    case PREP_FILE:
        snprintf(p, sizeof p, "%s/file", c->dir);
        expect_precious(c, p, "a regular file\n");
        break;
    case PREP_RO_MOUNT:
        names = th_listdir(c->mnt, &k);
        free(names);
        TH_EXPECT(r, k == 0, "the read-only directory %s is not empty", c->mnt);
        break;
    case PREP_EXISTING00:
    case PREP_EXISTING11:
        snprintf(p, sizeof p, "%s/%s", c->dir, expect_names);
        expect_precious(c, p, "precious data, not the benchmark's\n");
        break;
    case PREP_SYMLINK:
        snprintf(p, sizeof p, "%s/target", c->dir);
        snprintf(q, sizeof q, "%s/data.0.0", c->dir);
        expect_symlink(c, q, p);
        expect_precious(c, p, "the symlink's target\n");
        break;
    case PREP_DANGLING:
        snprintf(p, sizeof p, "%s/victim", c->dir);
        snprintf(q, sizeof q, "%s/data.1.0", c->dir);
        expect_symlink(c, q, p);
        TH_EXPECT(r, !th_exists(p), "the dangling symlink was followed: %s was created", p);
        break;
    case PREP_DAT_DANGLING:
        snprintf(p, sizeof p, "%s/victim.dat", c->dir);
        snprintf(q, sizeof q, "%s/results.dat", c->dir);
        expect_symlink(c, q, p);
        TH_EXPECT(r, !th_exists(p), "the dangling --dat symlink was followed: %s was created", p);
        break;
    case PREP_CGROUP:
        break;
    case PREP_OTHER_DAT:
        snprintf(p, sizeof p, "%s/results.dat", c->dir);
        expect_precious(c, p, foreign_dat);
        break;
    case PREP_DEEP:
        fmt_dir(q, sizeof q, DEEP_DIR "/data.0.0", c->dir);
        expect_precious(c, q, "precious data, not the benchmark's\n");
        break;
    }
}

int main(int argc, char **argv)
{
    th_init(argc, argv);
    static struct CMUnitTest tests[NCASES];
    for (size_t i = 0; i < NCASES; i++)
        tests[i] = (struct CMUnitTest){cases[i].name, test_bad, setup, teardown, (void *)&cases[i]};
    return _cmocka_run_group_tests("bad input (mpirun -np 2)", tests, NCASES, NULL, NULL);
}
