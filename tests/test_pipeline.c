/* Unit tests on real files, each test in its own fresh directory:
 *   src/pipeline.c    data file names, set-up (O_EXCL|O_NOFOLLOW), the stages, the blocking
 *                     loop and its timing invariants, error descriptions;
 *   src/dat_writer.c  appending .dat rows (header once, concurrent appenders);
 *   src/preflight.c   the file-system checks that make bad input exit 2 before anything is
 *                     created. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dat_writer.h"
#include "ipb_status.h"
#include "options.h"
#include "pipeline.h"
#include "preflight.h"

/* ---- fsync and pwrite, counted and failed on demand ---------------------------------------- */

/* The library is linked statically into this program, so these definitions take precedence over
 * libc's for the code under test: they count calls and inject the failures a real disk gives
 * rarely (short writes, EINTR, ENOSPC, EIO). The real calls go straight to the kernel. Each test
 * that changes the mode sets it back. */
enum fault { FAULT_NONE, FAULT_SHORT_AND_EINTR, FAULT_ENOSPC, FAULT_ZERO, FAULT_EIO };
static enum fault pwrite_fault, fsync_fault;
static atomic_int fsync_calls, pwrite_calls;

int fsync(int fd)
{
    atomic_fetch_add(&fsync_calls, 1);
    if (fsync_fault == FAULT_EIO) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fsync, fd);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    int call = atomic_fetch_add(&pwrite_calls, 1);
    switch (pwrite_fault) {
    case FAULT_NONE:
    case FAULT_EIO:
        break;
    case FAULT_SHORT_AND_EINTR:
        /* 1000 bytes, then EINTR, then EAGAIN, then 1 byte, then the rest. */
        if (call == 0 && n > 1000)
            n = 1000;
        if (call == 1) {
            errno = EINTR;
            return -1;
        }
        if (call == 2) {
            errno = EAGAIN;
            return -1;
        }
        if (call == 3)
            n = 1;
        break;
    case FAULT_ENOSPC:
        errno = ENOSPC;
        return -1;
    case FAULT_ZERO:
        return 0;
    }
    return (ssize_t)syscall(SYS_pwrite64, fd, buf, n, off);
}

static void reset_faults(void)
{
    pwrite_fault = FAULT_NONE;
    fsync_fault = FAULT_NONE;
    atomic_store(&fsync_calls, 0);
    atomic_store(&pwrite_calls, 0);
}

/* ---- fixture: a fresh directory per test --------------------------------------------------- */

struct fixture {
    char dir[256];
};

static int setup_dir(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (fx == NULL)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof(fx->dir), "%s/ipb-test-pipeline-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    reset_faults();
    *state = fx;
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown_dir(void **state)
{
    struct fixture *fx = *state;
    reset_faults();
    int rc = nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return rc;
}

/* ---- helpers ------------------------------------------------------------------------------- */

static void assert_contains_(const char *hay, const char *needle, const char *file, int line)
{
    if (hay == NULL || strstr(hay, needle) == NULL) {
        print_error("\"%s\" does not contain \"%s\"\n", hay ? hay : "(null)", needle);
        _fail(file, line);
    }
}
#define assert_contains(hay, needle) assert_contains_((hay), (needle), __FILE__, __LINE__)

static void path_in(char *out, size_t outlen, const struct fixture *fx, const char *name)
{
    int n = snprintf(out, outlen, "%s/%s", fx->dir, name);
    assert_true(n > 0 && (size_t)n < outlen);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* The whole file, NUL-terminated (malloc'd); *len gets its size. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    return st.st_size;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static unsigned count_entries(const char *dir)
{
    unsigned n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void test_options(struct ipb_options *o, const struct fixture *fx, uint64_t buffer_bytes)
{
    ipb_options_defaults(o);
    path_in(o->output_base, sizeof(o->output_base), fx, "data");
    o->buffer_bytes = buffer_bytes;
    o->duration_s = 0.2;
    o->recv_delay_s = 0.01;
}

/* ---- the first receive's phase ----------------------------------------------------------------- */

/* --recv-phase random scales only the first wait of a run by [0.5, 1.5), differently for each
 * pipeline; later waits, and every wait with aligned, are the constant delay itself. */
static void test_recv_phase_first_wait(void **state)
{
    (void)state;
    struct ipb_options o;
    ipb_options_defaults(&o);
    o.recv_delay_s = 0.1;
    double lo = 1.0, hi = 0.0;
    for (unsigned i = 0; i < 64; i++) {
        struct ipb_pipeline_stats st;
        struct ipb_pipeline p;
        memset(&st, 0, sizeof st);
        memset(&p, 0, sizeof p);
        p.opts = &o;
        p.stats = &st;
        ipb_recv_seed(&p.recv_prng, o.seed, 0, i);
        double first = ipb_pipeline_next_delay(&p);
        assert_true(first >= 0.05 && first < 0.15);
        lo = first < lo ? first : lo;
        hi = first > hi ? first : hi;
        st.iterations = 1;
        assert_true(ipb_pipeline_next_delay(&p) == 0.1);
    }
    assert_true(hi - lo > 0.05); /* 64 draws spread over most of [0.05, 0.15) */

    o.recv_phase = IPB_RECV_PHASE_ALIGNED;
    struct ipb_pipeline_stats st;
    struct ipb_pipeline p;
    memset(&st, 0, sizeof st);
    memset(&p, 0, sizeof p);
    p.opts = &o;
    p.stats = &st;
    ipb_recv_seed(&p.recv_prng, o.seed, 0, 0);
    assert_true(ipb_pipeline_next_delay(&p) == 0.1);
}

/* ---- ipb_data_path ------------------------------------------------------------------------- */

static void test_data_path(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(ipb_data_path(out, sizeof(out), "base", 3, 7), 0);
    assert_string_equal(out, "base.3.7");
    assert_int_equal(ipb_data_path(out, sizeof(out), "/a/b.out", 0, 0), 0);
    assert_string_equal(out, "/a/b.out.0.0");
    assert_int_equal(ipb_data_path(out, sizeof(out), "x", UINT_MAX, UINT_MAX), 0);
    assert_string_equal(out, "x.4294967295.4294967295");

    /* "base.3.7" is 8 characters: 9 bytes fit, 8 do not, and nothing past outlen is written. */
    for (size_t outlen = 0; outlen <= 12; outlen++) {
        char buf[32];
        memset(buf, 0x5a, sizeof(buf));
        int rc = ipb_data_path(buf, outlen, "base", 3, 7);
        assert_int_equal(rc, outlen >= 9 ? 0 : -1);
        for (size_t i = outlen; i < sizeof(buf); i++)
            if ((unsigned char)buf[i] != 0x5a) {
                print_error("outlen %zu: byte %zu written\n", outlen, i);
                fail();
            }
        if (rc == 0)
            assert_string_equal(buf, "base.3.7");
    }
}

/* ---- set-up -------------------------------------------------------------------------------- */

static void test_setup_creates_file(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    test_options(&o, fx, 5000);
    struct ipb_pipeline_stats st;
    struct ipb_pipeline p;
    memset(&st, 0, sizeof(st));
    assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 2, 3), 0);
    assert_int_equal(st.created, 1);
    assert_int_equal(st.failed, 0);
    assert_true(p.fd >= 0);
    assert_non_null(p.buf);

    char want[512];
    path_in(want, sizeof(want), fx, "data.2.3");
    assert_string_equal(p.path, want);
    assert_int_equal(file_size(want), 0);

    /* The buffer is filled (incompressible before the clock starts), not left zeroed. */
    size_t zeros = 0;
    for (size_t i = 0; i < 5000; i++)
        zeros += p.buf[i] == 0;
    assert_true(zeros < 100);

    assert_int_equal(ipb_pipeline_close(&p), 0);
    assert_int_equal(p.fd, -1);
    assert_int_equal(ipb_pipeline_close(&p), 0); /* twice is harmless */
    ipb_pipeline_free(&p);
    assert_null(p.buf);
    ipb_pipeline_free(&p);
    assert_true(exists(want)); /* close keeps the file: the caller removes it */
}

static void test_setup_refuses_existing_file(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    test_options(&o, fx, 4096);
    char path[512];
    path_in(path, sizeof(path), fx, "data.0.0");
    write_file(path, "precious data\n");

    struct ipb_pipeline_stats st;
    struct ipb_pipeline p;
    memset(&st, 0, sizeof(st));
    assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 0, 0), -1);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.created, 0);
    assert_int_equal(st.error_stage, IPB_STAGE_OPEN);
    assert_int_equal(st.error_errno, EEXIST);
    assert_true(p.fd < 0);

    char *text = read_file(path, NULL);
    assert_string_equal(text, "precious data\n");
    free(text);

    char msg[IPB_ERRMSG_LEN];
    ipb_pipeline_describe_error(msg, sizeof(msg), &st, 0, 0, p.path);
    assert_contains(msg, path);
    assert_contains(msg, "open");
    assert_contains(msg, strerror(EEXIST));

    assert_int_equal(ipb_pipeline_close(&p), 0); /* safe on a pipeline that never opened */
    ipb_pipeline_free(&p);
}

static void test_setup_refuses_symlink(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    test_options(&o, fx, 4096);
    char target[512], link0[512], nowhere[512], link1[512];
    path_in(target, sizeof(target), fx, "target");
    path_in(link0, sizeof(link0), fx, "data.0.0");
    path_in(nowhere, sizeof(nowhere), fx, "nowhere");
    path_in(link1, sizeof(link1), fx, "data.0.1");
    write_file(target, "not ours\n");
    assert_int_equal(symlink(target, link0), 0);
    assert_int_equal(symlink(nowhere, link1), 0); /* dangling */

    struct ipb_pipeline_stats st;
    struct ipb_pipeline p;
    memset(&st, 0, sizeof(st));
    assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 0, 0), -1);
    assert_int_equal(st.error_stage, IPB_STAGE_OPEN);
    assert_int_equal(st.error_errno, EEXIST);
    assert_int_equal(st.created, 0);
    ipb_pipeline_free(&p);
    char *text = read_file(target, NULL);
    assert_string_equal(text, "not ours\n");
    free(text);
    struct stat sb;
    assert_int_equal(lstat(link0, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));

    /* Through a dangling link: refused, and the link's target is not created. */
    memset(&st, 0, sizeof(st));
    assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 0, 1), -1);
    assert_int_equal(st.error_stage, IPB_STAGE_OPEN);
    assert_int_equal(st.created, 0);
    ipb_pipeline_free(&p);
    assert_false(exists(nowhere));
}

static void test_setup_missing_directory(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    test_options(&o, fx, 4096);
    path_in(o.output_base, sizeof(o.output_base), fx, "missing/data");
    struct ipb_pipeline_stats st;
    struct ipb_pipeline p;
    memset(&st, 0, sizeof(st));
    assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 0, 0), -1);
    assert_int_equal(st.error_stage, IPB_STAGE_OPEN);
    assert_int_equal(st.error_errno, ENOENT);
    assert_int_equal(st.created, 0);
    ipb_pipeline_free(&p);
}

/* ---- the stages ---------------------------------------------------------------------------- */

static void test_write_appends_whole_buffer(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    const size_t len = 5000; /* not a multiple of the page or of 8 */
    test_options(&o, fx, len);
    struct ipb_pipeline_stats st;
    struct ipb_pipeline p;
    memset(&st, 0, sizeof(st));
    assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 0, 0), 0);

    unsigned char snap[3][5000];
    for (int i = 0; i < 3; i++) {
        ipb_pipeline_compute(&p);
        memcpy(snap[i], p.buf, len);
        assert_int_equal(ipb_pipeline_write(&p), 0);
        assert_int_equal(ipb_pipeline_fsync(&p), 0);
        assert_int_equal(file_size(p.path), (off_t)((i + 1) * len));
        assert_int_equal(p.offset, (i + 1) * len);
    }
    /* The compute stage changed the buffer between writes (every 8th byte, from the PRNG). */
    assert_memory_not_equal(snap[0], snap[1], len);
    size_t flen;
    char *content = read_file(p.path, &flen);
    assert_int_equal(flen, 3 * len);
    for (int i = 0; i < 3; i++)
        assert_memory_equal(content + (size_t)i * len, snap[i], len);
    free(content);
    assert_int_equal(st.failed, 0);
    assert_int_equal(ipb_pipeline_close(&p), 0);
    ipb_pipeline_free(&p);
}

static void test_compute_touches_every_kth_byte(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    test_options(&o, fx, 4096);
    o.compute_sparsity = 16;
    struct ipb_pipeline_stats st;
    struct ipb_pipeline p;
    memset(&st, 0, sizeof(st));
    assert_int_equal(ipb_pipeline_init(&p, &o, &st, 0, 0), 0);
    assert_true(p.fd < 0); /* init does not open */
    unsigned char before[4096];
    memcpy(before, p.buf, sizeof(before));
    ipb_pipeline_compute(&p);
    size_t changed = 0;
    for (size_t i = 0; i < sizeof(before); i++) {
        if (i % 16 != 0)
            assert_int_equal(p.buf[i], before[i]);
        else
            changed += p.buf[i] != before[i];
    }
    assert_true(changed > 200); /* 256 touched; about one in 256 keeps its value by chance */

    /* Sparsity 0: compute is off, the buffer does not change. */
    o.compute_sparsity = 0;
    memcpy(before, p.buf, sizeof(before));
    ipb_pipeline_compute(&p);
    assert_memory_equal(before, p.buf, sizeof(before));
    ipb_pipeline_free(&p);
    assert_false(exists(p.path));
}

/* ---- the blocking loop --------------------------------------------------------------------- */

static void check_run(const struct fixture *fx, enum ipb_sync sync, double rel_tol)
{
    struct ipb_options o;
    const uint64_t len = 64 * 1024;
    test_options(&o, fx, len);
    o.sync = sync;
    struct ipb_pipeline_stats st;
    struct ipb_pipeline p;
    memset(&st, 0, sizeof(st));
    assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 1, 2), 0);
    atomic_int stop = 0;
    atomic_store(&fsync_calls, 0);
    assert_int_equal(ipb_pipeline_run(&p, &stop, NULL, NULL), 0);
    int fsyncs = atomic_load(&fsync_calls);
    assert_int_equal(atomic_load(&stop), 0);
    assert_int_equal(st.failed, 0);

    /* --sync: one fsync per buffer, one per file, or none. */
    switch (sync) {
    case IPB_SYNC_EVERY:
        assert_int_equal(fsyncs, st.iterations);
        break;
    case IPB_SYNC_END:
        assert_int_equal(fsyncs, 1);
        break;
    case IPB_SYNC_NONE:
        assert_int_equal(fsyncs, 0);
        break;
    }

    /* Bytes: whole buffers, all in the file. */
    assert_true(st.iterations >= 2);
    assert_int_equal(st.bytes, st.iterations * len);
    assert_int_equal(file_size(p.path), (off_t)st.bytes);
    assert_int_equal(p.offset, st.bytes);

    /* Time: the loop runs until the duration is up, and the stages account for all of it. */
    double sum = st.recv_s + st.compute_s + st.write_s + st.fsync_s;
    if (!(fabs(sum - st.elapsed_s) <= rel_tol * st.elapsed_s)) {
        print_error("sync %s: recv %.9f + compute %.9f + write %.9f + fsync %.9f = %.9f, "
                    "elapsed %.9f (difference %.3g s)\n",
                    ipb_sync_name(sync), st.recv_s, st.compute_s, st.write_s, st.fsync_s, sum,
                    st.elapsed_s, sum - st.elapsed_s);
        fail();
    }
    assert_true(st.elapsed_s >= o.duration_s);
    assert_true(st.elapsed_s < o.duration_s + 10.0);
    /* Every iteration waited at least the receive delay, but the first: with the default
     * --recv-phase random it waits at least half of it. */
    assert_int_equal(o.recv_phase, IPB_RECV_PHASE_RANDOM);
    assert_true(st.recv_s >= 0.999 * o.recv_delay_s * ((double)st.iterations - 0.5));
    assert_true(st.compute_s > 0.0);
    assert_true(st.write_s > 0.0);
    if (sync == IPB_SYNC_NONE)
        assert_true(st.fsync_s < 0.05); /* no fsync: the stage is only two clock reads */

    /* The last buffer in the file is the buffer as last computed. */
    size_t flen;
    char *content = read_file(p.path, &flen);
    assert_memory_equal(content + flen - len, p.buf, len);
    free(content);
    assert_int_equal(ipb_pipeline_close(&p), 0);
    ipb_pipeline_free(&p);
}

/* Why 1e-9 and not a looser bound: every stage time is a difference of two nearby clock
 * readings, which is exact in floating point (Sterbenz), so when the stages tile the timed phase
 * their sum equals elapsed up to the rounding of a few additions of numbers below 1 s (~1e-15).
 * Any stretch of time that no stage counts shows up as at least one clock read (~20 ns, 1e-7 of
 * the 0.2 s run), so this bound tells the two apart every time instead of now and then. */
#define STAGE_SUM_REL_TOL 1e-9

static void test_run_sync_every(void **state)
{
    check_run(*state, IPB_SYNC_EVERY, STAGE_SUM_REL_TOL);
}

static void test_run_sync_none(void **state)
{
    check_run(*state, IPB_SYNC_NONE, STAGE_SUM_REL_TOL);
}

static void test_run_sync_end(void **state)
{
    /* The final fsync must start where the last iteration ended, or the time between them
     * (the loop test and a clock read) counts in elapsed but in no stage. */
    check_run(*state, IPB_SYNC_END, STAGE_SUM_REL_TOL);
}

static void test_run_compute_off(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    test_options(&o, fx, 4096);
    o.compute_sparsity = 0;
    struct ipb_pipeline_stats st;
    struct ipb_pipeline p;
    memset(&st, 0, sizeof(st));
    assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 0, 0), 0);
    unsigned char first[4096];
    memcpy(first, p.buf, sizeof(first));
    atomic_int stop = 0;
    assert_int_equal(ipb_pipeline_run(&p, &stop, NULL, NULL), 0);
    assert_true(st.iterations >= 2);
    /* Compute off: no clock read for it, so exactly 0 (the record's compute throughput is nan),
     * and the buffer written is the one filled at set-up, every time. */
    assert_true(st.compute_s == 0.0);
    assert_memory_equal(first, p.buf, sizeof(first));
    double sum = st.recv_s + st.compute_s + st.write_s + st.fsync_s;
    assert_true(fabs(sum - st.elapsed_s) <= STAGE_SUM_REL_TOL * st.elapsed_s);
    size_t flen;
    char *content = read_file(p.path, &flen);
    assert_int_equal(flen, st.bytes);
    for (size_t off = 0; off < flen; off += sizeof(first))
        assert_memory_equal(content + off, first, sizeof(first));
    free(content);
    assert_int_equal(ipb_pipeline_close(&p), 0);
    ipb_pipeline_free(&p);
}

static void test_run_stopped_before_start(void **state)
{
    struct fixture *fx = *state;
    for (int s = 0; s < 3; s++) {
        struct ipb_options o;
        test_options(&o, fx, 4096);
        o.sync = (enum ipb_sync)s;
        struct ipb_pipeline_stats st;
        struct ipb_pipeline p;
        memset(&st, 0, sizeof(st));
        assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 0, (unsigned)s), 0);
        atomic_int stop = 1; /* another pipeline of the rank failed */
        assert_int_equal(ipb_pipeline_run(&p, &stop, NULL, NULL), 0);
        assert_int_equal(st.iterations, 0);
        assert_int_equal(st.bytes, 0);
        assert_true(st.elapsed_s == 0.0);
        assert_true(st.fsync_s == 0.0);
        assert_int_equal(file_size(p.path), 0);
        assert_int_equal(ipb_pipeline_close(&p), 0);
        ipb_pipeline_free(&p);
    }
}

static void test_run_failure_stops_rank(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    test_options(&o, fx, 4096);
    o.recv_delay_s = 0.0;
    struct ipb_pipeline_stats st;
    struct ipb_pipeline p;
    memset(&st, 0, sizeof(st));
    assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 4, 5), 0);
    /* Swap the descriptor for a read-only one: the first write fails with EBADF. */
    int ro = open(p.path, O_RDONLY);
    assert_true(ro >= 0);
    assert_int_equal(dup2(ro, p.fd), p.fd);
    close(ro);

    atomic_int stop = 0;
    assert_int_equal(ipb_pipeline_run(&p, &stop, NULL, NULL), -1);
    assert_int_equal(atomic_load(&stop), 1); /* the rank's other pipelines stop too */
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.error_stage, IPB_STAGE_WRITE);
    assert_int_equal(st.error_errno, EBADF);
    assert_int_equal(st.iterations, 0);
    assert_int_equal(st.bytes, 0);

    /* The first failure is the one reported. */
    assert_int_equal(ipb_pipeline_fail(&p, IPB_STAGE_FSYNC, EIO), -1);
    assert_int_equal(st.error_stage, IPB_STAGE_WRITE);
    assert_int_equal(st.error_errno, EBADF);

    char msg[IPB_ERRMSG_LEN];
    ipb_pipeline_describe_error(msg, sizeof(msg), &st, 4, 5, p.path);
    assert_contains(msg, "rank 4");
    assert_contains(msg, "pipeline 5");
    assert_contains(msg, p.path);
    assert_contains(msg, "write");
    assert_contains(msg, strerror(EBADF));
    assert_int_equal(ipb_pipeline_close(&p), 0);
    ipb_pipeline_free(&p);
}

static void test_write_retries_short_writes(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    const size_t len = 5000;
    test_options(&o, fx, len);
    struct ipb_pipeline_stats st;
    struct ipb_pipeline p;
    memset(&st, 0, sizeof(st));
    assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 0, 0), 0);
    for (int round = 0; round < 2; round++) {
        atomic_store(&pwrite_calls, 0);
        pwrite_fault = FAULT_SHORT_AND_EINTR;
        assert_int_equal(ipb_pipeline_write(&p), 0);
        pwrite_fault = FAULT_NONE;
        assert_int_equal(atomic_load(&pwrite_calls), 5);
        assert_int_equal(st.failed, 0);
        assert_int_equal(p.offset, (round + 1) * len);
        assert_int_equal(file_size(p.path), (off_t)((round + 1) * len));
    }
    /* Both buffers whole, each piece at its offset. */
    size_t flen;
    char *content = read_file(p.path, &flen);
    assert_memory_equal(content, p.buf, len);
    assert_memory_equal(content + len, p.buf, len);
    free(content);
    assert_int_equal(ipb_pipeline_close(&p), 0);
    ipb_pipeline_free(&p);
}

static void test_write_errors(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        enum fault fault;
        int errnum;
    } cases[] = {{FAULT_ENOSPC, ENOSPC}, {FAULT_ZERO, EIO}};
    for (unsigned c = 0; c < 2; c++) {
        struct ipb_options o;
        test_options(&o, fx, 4096);
        o.recv_delay_s = 0.0;
        struct ipb_pipeline_stats st;
        struct ipb_pipeline p;
        memset(&st, 0, sizeof(st));
        assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 0, c), 0);
        atomic_int stop = 0;
        atomic_store(&pwrite_calls, 0);
        pwrite_fault = cases[c].fault;
        assert_int_equal(ipb_pipeline_run(&p, &stop, NULL, NULL), -1);
        pwrite_fault = FAULT_NONE;
        /* Refused once, not retried forever. */
        assert_int_equal(atomic_load(&pwrite_calls), 1);
        assert_int_equal(atomic_load(&stop), 1);
        assert_int_equal(st.error_stage, IPB_STAGE_WRITE);
        assert_int_equal(st.error_errno, cases[c].errnum);
        assert_int_equal(st.iterations, 0);
        assert_int_equal(st.bytes, 0);
        char msg[IPB_ERRMSG_LEN];
        ipb_pipeline_describe_error(msg, sizeof(msg), &st, 0, c, p.path);
        assert_contains(msg, strerror(cases[c].errnum));
        assert_int_equal(ipb_pipeline_close(&p), 0);
        ipb_pipeline_free(&p);
    }
}

static void test_fsync_errors(void **state)
{
    struct fixture *fx = *state;
    /* --sync every: the first iteration fails and is not counted. --sync end: every buffer was
     * written, but the run failed, and says so. */
    for (int s = 0; s < 2; s++) {
        struct ipb_options o;
        test_options(&o, fx, 4096);
        o.sync = s == 0 ? IPB_SYNC_EVERY : IPB_SYNC_END;
        o.duration_s = 0.05;
        struct ipb_pipeline_stats st;
        struct ipb_pipeline p;
        memset(&st, 0, sizeof(st));
        assert_int_equal(ipb_pipeline_setup(&p, &o, &st, 3, (unsigned)s), 0);
        atomic_int stop = 0;
        fsync_fault = FAULT_EIO;
        assert_int_equal(ipb_pipeline_run(&p, &stop, NULL, NULL), -1);
        fsync_fault = FAULT_NONE;
        assert_int_equal(atomic_load(&stop), 1);
        assert_int_equal(st.failed, 1);
        assert_int_equal(st.error_stage, IPB_STAGE_FSYNC);
        assert_int_equal(st.error_errno, EIO);
        if (s == 0)
            assert_int_equal(st.iterations, 0);
        else
            assert_true(st.iterations >= 1);
        char msg[IPB_ERRMSG_LEN];
        ipb_pipeline_describe_error(msg, sizeof(msg), &st, 3, (unsigned)s, p.path);
        assert_contains(msg, "rank 3");
        assert_contains(msg, "fsync");
        assert_contains(msg, strerror(EIO));
        assert_contains(msg, p.path);
        assert_int_equal(ipb_pipeline_close(&p), 0);
        ipb_pipeline_free(&p);
    }
}

static void test_describe_error(void **state)
{
    (void)state;
    struct ipb_pipeline_stats st;
    memset(&st, 0, sizeof(st));
    st.failed = 1;
    st.error_stage = IPB_STAGE_FSYNC;
    st.error_errno = ENOSPC;
    char msg[IPB_ERRMSG_LEN], want[IPB_ERRMSG_LEN];
    snprintf(want, sizeof(want), "rank 12 pipeline 34 file /scratch/x.12.34: fsync: %s",
             strerror(ENOSPC));
    ipb_pipeline_describe_error(msg, sizeof(msg), &st, 12, 34, "/scratch/x.12.34");
    assert_string_equal(msg, want);
    assert_null(strchr(msg, '\n'));

    /* A small buffer truncates, never overflows. */
    char small[16 + 16];
    memset(small, 0x5a, sizeof(small));
    ipb_pipeline_describe_error(small, 16, &st, 12, 34, "/scratch/x.12.34");
    assert_int_equal(strlen(small), 15);
    for (size_t i = 16; i < sizeof(small); i++)
        assert_int_equal((unsigned char)small[i], 0x5a);
}

static void test_stage_names(void **state)
{
    (void)state;
    assert_string_equal(ipb_stage_name(IPB_STAGE_OPEN), "open");
    assert_string_equal(ipb_stage_name(IPB_STAGE_RECV), "recv");
    assert_string_equal(ipb_stage_name(IPB_STAGE_COMPUTE), "compute");
    assert_string_equal(ipb_stage_name(IPB_STAGE_WRITE), "write");
    assert_string_equal(ipb_stage_name(IPB_STAGE_FSYNC), "fsync");
    assert_string_equal(ipb_stage_name(IPB_STAGE_CLOSE), "close");
    assert_string_equal(ipb_stage_name(IPB_STAGE_SETUP), "set-up");
}

static void test_stats_padded_to_cache_lines(void **state)
{
    (void)state;
    /* Two pipelines' counters never share a cache line. */
    assert_int_equal(sizeof(struct ipb_pipeline_stats) % IPB_CACHE_LINE, 0);
    assert_int_equal(_Alignof(struct ipb_pipeline_stats), IPB_CACHE_LINE);
    assert_int_equal(sizeof(struct ipb_pipeline) % IPB_CACHE_LINE, 0);
}

/* ---- ipb_dat_append ------------------------------------------------------------------------ */

static void test_dat_append_header_once(void **state)
{
    struct fixture *fx = *state;
    char path[512], err[IPB_ERRMSG_LEN];
    path_in(path, sizeof(path), fx, "r.dat");
    assert_int_equal(ipb_dat_append(path, "#<a>\t<b>", "1\t2", err, sizeof(err)), 0);
    char *t = read_file(path, NULL);
    assert_string_equal(t, "#<a>\t<b>\n1\t2\n");
    free(t);
    assert_int_equal(ipb_dat_append(path, "#<a>\t<b>", "3\t4", err, sizeof(err)), 0);
    assert_int_equal(ipb_dat_append(path, "#<a>\t<b>", "5\t6", err, sizeof(err)), 0);
    t = read_file(path, NULL);
    assert_string_equal(t, "#<a>\t<b>\n1\t2\n3\t4\n5\t6\n");
    free(t);

    /* An existing empty file gets the header; a file with content gets only the row, and only
     * under our header: another one (an older version's, say) is refused, checked again under
     * the lock, and the file is left as it was. */
    char empty[512], other[512];
    path_in(empty, sizeof(empty), fx, "empty.dat");
    path_in(other, sizeof(other), fx, "other.dat");
    write_file(empty, "");
    write_file(other, "#<old header>\nold row\n");
    assert_int_equal(ipb_dat_append(empty, "#<h>", "r", err, sizeof(err)), 0);
    assert_int_equal(ipb_dat_append(other, "#<h>", "r", err, sizeof(err)), -1);
    assert_contains(err, "--dat");
    assert_contains(err, other);
    assert_contains(err, "header differs from this program's at column 0");
    t = read_file(empty, NULL);
    assert_string_equal(t, "#<h>\nr\n");
    free(t);
    t = read_file(other, NULL);
    assert_string_equal(t, "#<old header>\nold row\n");
    free(t);
}

static void test_dat_append_error(void **state)
{
    struct fixture *fx = *state;
    char path[512], err[IPB_ERRMSG_LEN] = "";
    path_in(path, sizeof(path), fx, "missing/r.dat");
    assert_int_equal(ipb_dat_append(path, "#<h>", "r", err, sizeof(err)), -1);
    assert_contains(err, "--dat");
    assert_contains(err, path);
    assert_contains(err, strerror(ENOENT));
    assert_false(exists(path));
}

#define APPENDERS 8
#define ROWS_EACH 50

static void test_dat_append_concurrent(void **state)
{
    struct fixture *fx = *state;
    char path[512];
    path_in(path, sizeof(path), fx, "sweep.dat");
    const char *header = "#<child>\t<row>\t<padding>";
    pid_t pids[APPENDERS];

    fflush(NULL); /* nothing buffered may be written twice */
    for (int c = 0; c < APPENDERS; c++) {
        pids[c] = fork();
        assert_true(pids[c] >= 0);
        if (pids[c] == 0) {
            /* Rows of different lengths (up to ~8 KiB, beyond one page), so a torn or
             * interleaved write would show. */
            char row[9000], err[IPB_ERRMSG_LEN];
            int status = 0;
            for (int r = 0; r < ROWS_EACH && status == 0; r++) {
                int n = snprintf(row, sizeof(row), "%d\t%d\t", c, r);
                size_t pad = 100 + (size_t)(c * 997 + r * 131) % 8000;
                memset(row + n, 'a' + c, pad);
                snprintf(row + n + pad, sizeof(row) - (size_t)n - pad, "|end");
                if (ipb_dat_append(path, header, row, err, sizeof(err)) != 0) {
                    fprintf(stderr, "child %d: %s\n", c, err);
                    status = 1;
                }
            }
            _exit(status);
        }
    }
    for (int c = 0; c < APPENDERS; c++) {
        int ws;
        assert_int_equal(waitpid(pids[c], &ws, 0), pids[c]);
        assert_true(WIFEXITED(ws));
        assert_int_equal(WEXITSTATUS(ws), 0);
    }

    char *text = read_file(path, NULL);
    int seen[APPENDERS][ROWS_EACH];
    memset(seen, 0, sizeof(seen));
    unsigned headers = 0, rows = 0, lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (line[0] == '#') {
            assert_string_equal(line, header);
            assert_int_equal(lineno, 1); /* the header comes first, and only once */
            headers++;
            continue;
        }
        int c, r, off = 0;
        if (sscanf(line, "%d\t%d\t%n", &c, &r, &off) != 2 || off == 0 || c < 0 || c >= APPENDERS ||
            r < 0 || r >= ROWS_EACH) {
            print_error("line %u is not a row: \"%.60s...\"\n", lineno, line);
            fail();
        }
        size_t pad = 100 + (size_t)(c * 997 + r * 131) % 8000;
        size_t i;
        for (i = 0; i < pad; i++)
            if (line[off + (int)i] != 'a' + c)
                break;
        if (i != pad || strcmp(line + off + pad, "|end") != 0) {
            print_error("line %u (child %d row %d) is torn or interleaved\n", lineno, c, r);
            fail();
        }
        seen[c][r]++;
        rows++;
    }
    free(text);
    assert_int_equal(headers, 1);
    assert_int_equal(rows, APPENDERS * ROWS_EACH);
    for (int c = 0; c < APPENDERS; c++)
        for (int r = 0; r < ROWS_EACH; r++)
            assert_int_equal(seen[c][r], 1);
}

/* ---- preflight ----------------------------------------------------------------------------- */

static void test_preflight_data_ok(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    test_options(&o, fx, 4096);
    o.concurrency = 4;
    char err[IPB_ERRMSG_LEN] = "";
    /* Another rank's files, and unrelated names, are no obstacle. */
    char other[512];
    path_in(other, sizeof(other), fx, "data.0.0");
    write_file(other, "rank 0's\n");
    path_in(other, sizeof(other), fx, "data.1.4");
    write_file(other, "pipeline 4 is beyond --concurrency 4\n");
    path_in(other, sizeof(other), fx, "data");
    write_file(other, "the base itself\n");
    unsigned before = count_entries(fx->dir);
    assert_int_equal(ipb_preflight_data(&o, 1, err, sizeof(err)), IPB_OK);
    assert_int_equal(count_entries(fx->dir), before); /* nothing created */
}

static void test_preflight_data_missing_dir(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    test_options(&o, fx, 4096);
    path_in(o.output_base, sizeof(o.output_base), fx, "missing/data");
    char err[IPB_ERRMSG_LEN] = "";
    assert_int_equal(ipb_preflight_data(&o, 0, err, sizeof(err)), IPB_EBADINPUT);
    assert_contains(err, "--output-file");
    assert_contains(err, o.output_base);
    assert_contains(err, strerror(ENOENT));
    assert_null(strchr(err, '\n'));
    char missing[512];
    path_in(missing, sizeof(missing), fx, "missing");
    assert_false(exists(missing));
}

static void test_preflight_data_under_regular_file(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    test_options(&o, fx, 4096);
    char file[512];
    path_in(file, sizeof(file), fx, "file");
    write_file(file, "x");
    path_in(o.output_base, sizeof(o.output_base), fx, "file/data");
    char err[IPB_ERRMSG_LEN] = "";
    assert_int_equal(ipb_preflight_data(&o, 0, err, sizeof(err)), IPB_EBADINPUT);
    assert_contains(err, "--output-file");
    assert_contains(err, o.output_base);
    assert_contains(err, "not a directory");
}

static void test_preflight_data_existing_file(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    test_options(&o, fx, 4096);
    o.concurrency = 3;
    char path[512];
    path_in(path, sizeof(path), fx, "data.1.2"); /* rank 1, the last pipeline */
    write_file(path, "precious\n");
    char err[IPB_ERRMSG_LEN] = "";
    assert_int_equal(ipb_preflight_data(&o, 1, err, sizeof(err)), IPB_EBADINPUT);
    assert_contains(err, "--output-file");
    assert_contains(err, path);
    assert_contains(err, "exists");
    char *t = read_file(path, NULL);
    assert_string_equal(t, "precious\n");
    free(t);
    /* Rank 0 does not write that file. */
    assert_int_equal(ipb_preflight_data(&o, 0, err, sizeof(err)), IPB_OK);
    /* A directory at a data path counts as existing too. */
    char d[512];
    path_in(d, sizeof(d), fx, "data.0.1");
    assert_int_equal(mkdir(d, 0755), 0);
    assert_int_equal(ipb_preflight_data(&o, 0, err, sizeof(err)), IPB_EBADINPUT);
    assert_contains(err, d);
}

static void test_preflight_data_dangling_symlink(void **state)
{
    struct fixture *fx = *state;
    struct ipb_options o;
    test_options(&o, fx, 4096);
    o.concurrency = 2;
    char link[512], nowhere[512];
    path_in(link, sizeof(link), fx, "data.0.1");
    path_in(nowhere, sizeof(nowhere), fx, "nowhere");
    assert_int_equal(symlink(nowhere, link), 0);
    char err[IPB_ERRMSG_LEN] = "";
    assert_int_equal(ipb_preflight_data(&o, 0, err, sizeof(err)), IPB_EBADINPUT);
    assert_contains(err, "--output-file");
    assert_contains(err, link);
    assert_false(exists(nowhere));
}

static void test_preflight_results_file(void **state)
{
    struct fixture *fx = *state;
    char path[512], err[IPB_ERRMSG_LEN] = "";

    /* New file in an existing directory: fine, and not created by the check. */
    path_in(path, sizeof(path), fx, "new.dat");
    assert_int_equal(ipb_preflight_results_file("--dat", path, err, sizeof(err)), IPB_OK);
    assert_false(exists(path));

    /* An existing regular file, directly or through a symlink: fine, untouched. */
    path_in(path, sizeof(path), fx, "old.dat");
    write_file(path, "#<h>\nrow\n");
    assert_int_equal(ipb_preflight_results_file("--dat", path, err, sizeof(err)), IPB_OK);
    char link[512];
    path_in(link, sizeof(link), fx, "link.dat");
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(ipb_preflight_results_file("--dat", link, err, sizeof(err)), IPB_OK);
    char *t = read_file(path, NULL);
    assert_string_equal(t, "#<h>\nrow\n");
    free(t);

    /* Missing directory: the option (as the caller names it) and the path. */
    path_in(path, sizeof(path), fx, "missing/r.h5");
    assert_int_equal(ipb_preflight_results_file("--hdf5", path, err, sizeof(err)), IPB_EBADINPUT);
    assert_contains(err, "--hdf5");
    assert_contains(err, path);

    /* Under a regular file. */
    char file[512];
    path_in(file, sizeof(file), fx, "file");
    write_file(file, "x");
    path_in(path, sizeof(path), fx, "file/r.dat");
    assert_int_equal(ipb_preflight_results_file("--dat", path, err, sizeof(err)), IPB_EBADINPUT);
    assert_contains(err, "--dat");
    assert_contains(err, path);

    /* A directory is not a results file. */
    path_in(path, sizeof(path), fx, "adir");
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(ipb_preflight_results_file("--dat", path, err, sizeof(err)), IPB_EBADINPUT);
    assert_contains(err, "--dat");
    assert_contains(err, path);
    assert_contains(err, "not a regular file");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_path),
        T(test_setup_creates_file),
        T(test_setup_refuses_existing_file),
        T(test_setup_refuses_symlink),
        T(test_setup_missing_directory),
        T(test_write_appends_whole_buffer),
        T(test_compute_touches_every_kth_byte),
        T(test_run_sync_every),
        T(test_run_sync_none),
        T(test_run_sync_end),
        T(test_run_compute_off),
        T(test_run_stopped_before_start),
        T(test_run_failure_stops_rank),
        T(test_write_retries_short_writes),
        T(test_write_errors),
        T(test_fsync_errors),
        cmocka_unit_test(test_describe_error),
        cmocka_unit_test(test_recv_phase_first_wait),
        cmocka_unit_test(test_stage_names),
        cmocka_unit_test(test_stats_padded_to_cache_lines),
        T(test_dat_append_header_once),
        T(test_dat_append_error),
        T(test_dat_append_concurrent),
        T(test_preflight_data_ok),
        T(test_preflight_data_missing_dir),
        T(test_preflight_data_under_regular_file),
        T(test_preflight_data_existing_file),
        T(test_preflight_data_dangling_symlink),
        T(test_preflight_results_file),
    };
    return cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
}
