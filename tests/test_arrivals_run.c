/* Integration tests of --arrivals under the real launcher:
 *   - every method (sequential, openmp, fork, aio with io_uring and with posix) in both modes at
 *     1 to 3 ranks: bytes on disk = bytes reported, arrival latency present and not below the
 *     write latency, stages tiling each pipeline's elapsed time; open at low load keeps up with
 *     its schedule, and every scheduled arrival is accounted for; closed has no backlog;
 *   - a pipeline made slow on purpose (1 MiB buffers, compute on every byte, 1024 arrivals per
 *     second): block fills the queue to its bound and the arrival latency grows far above the
 *     delay (what closed-loop measurement hides); drop loses buffers, and the accounting holds.
 *
 * The schedules are exact: --recv-phase aligned, a constant delay that is a power of two and a
 * duration of whole seconds put arrival k at exactly k x delay, so a pipeline's arrivals in
 * [0, duration) number duration / delay - 1, and buffers + dropped + left waiting must equal
 * that times the pipelines, to the buffer. */
#include "harness.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "result_fields.h"

#define COL_ENUM(type, len, name, hdr, fmt, doc) COL_##name,
enum { IPB_RESULT_FIELDS(COL_ENUM) NCOLS };

/* As in test_insight: the stages tile elapsed up to floating-point rounding. */
#define STAGE_GAP_REL 1e-9

static int setup(void **state)
{
    return th_ctx_setup_tagged(state, "arrivals");
}

static const char *col(struct th_ctx *c, int k)
{
    return c->d.row[0][k];
}

static double f64(struct th_ctx *c, int k)
{
    double v = 0;
    TH_EXPECT(&c->r, th_f64(col(c, k), &v) == 0, "<%s> is \"%s\", not a number", th_column_name(k),
              col(c, k));
    return v;
}

static uint64_t u64(struct th_ctx *c, int k)
{
    uint64_t v = 0;
    TH_EXPECT(&c->r, th_u64(col(c, k), &v) == 0, "<%s> is \"%s\", not an integer",
              th_column_name(k), col(c, k));
    return v;
}

/* Sizes of the data files BASE.<rank>.<pipeline> (base "d" in the test directory), summed;
 * their number in *nfiles. */
static uint64_t bytes_on_disk(struct th_ctx *c, int *nfiles)
{
    int n = 0;
    char *names = th_listdir(c->dir, &n);
    uint64_t sum = 0;
    *nfiles = 0;
    for (char *tok = strtok(names, " "); tok != NULL; tok = strtok(NULL, " ")) {
        if (strncmp(tok, "d.", 2) != 0)
            continue;
        char path[4200];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", c->dir, tok);
        TH_EXPECT(&c->r, stat(path, &sb) == 0, "cannot stat %s", path);
        sum += (uint64_t)sb.st_size;
        (*nfiles)++;
        unlink(path); /* the next run of the test creates them again */
    }
    free(names);
    return sum;
}

/* What every run must show, whatever its mode: the row's columns agree with each other and
 * with the files; arrival latency covers the write; the stages tile elapsed. */
static void check_common(struct th_ctx *c, const char *what, uint64_t buffer_bytes)
{
    uint64_t bytes = u64(c, COL_xferred_bytes), buffers = u64(c, COL_buffers);
    int nfiles = 0;
    uint64_t disk = bytes_on_disk(c, &nfiles);
    TH_EXPECT(&c->r, (uint64_t)nfiles == u64(c, COL_pipelines),
              "%s: %d data files, %" PRIu64 " pipelines", what, nfiles, u64(c, COL_pipelines));
    TH_EXPECT(&c->r, disk == bytes, "%s: %" PRIu64 " bytes on disk, %" PRIu64 " reported", what,
              disk, bytes);
    TH_EXPECT(&c->r, bytes == buffers * buffer_bytes,
              "%s: %" PRIu64 " bytes, %" PRIu64 " buffers of %" PRIu64, what, bytes, buffers,
              buffer_bytes);
    double mib = f64(c, COL_xferred_mib), el = f64(c, COL_elapsed_s);
    TH_EXPECT(&c->r, fabs(mib - (double)bytes / 1048576.0) < 0.0006,
              "%s: %.3f MiB reported for %" PRIu64 " bytes", what, mib, bytes);
    double tp = f64(c, COL_throughput_mib_s);
    TH_EXPECT(&c->r, el > 0 && fabs(tp - mib / el) < 0.002 * (1 + mib / el),
              "%s: throughput %.3f MiB/s is not %.3f MiB / %.3f s", what, tp, mib, el);
    /* each buffer's arrival latency contains its write (and its fsync): the percentiles of
     * the histograms keep that order bucket for bucket */
    double a50 = f64(c, COL_arrival_p50_s), a99 = f64(c, COL_arrival_p99_s);
    TH_EXPECT(&c->r, isfinite(a50) && isfinite(a99) && a50 > 0 && a50 <= a99,
              "%s: arrival p50 %g, p99 %g", what, a50, a99);
    TH_EXPECT(&c->r, a50 >= f64(c, COL_write_p50_s) && a99 >= f64(c, COL_write_p99_s),
              "%s: arrival p50/p99 %g/%g below write p50/p99 %g/%g", what, a50, a99,
              f64(c, COL_write_p50_s), f64(c, COL_write_p99_s));
    double gap = f64(c, COL_stage_gap_max_s), elp = f64(c, COL_elapsed_precise_s);
    TH_EXPECT(&c->r, gap >= 0 && gap <= STAGE_GAP_REL * elp,
              "%s: a pipeline's stages differ from its elapsed time by %.3g s", what, gap);
}

/* Arrivals in [0, duration) of one pipeline for the exact schedules above. */
static uint64_t scheduled(double duration, double delay)
{
    return (uint64_t)(duration / delay) - 1;
}

static void check_accounted(struct th_ctx *c, const char *what, uint64_t per_pipeline)
{
    uint64_t want = per_pipeline * u64(c, COL_pipelines);
    uint64_t got = u64(c, COL_buffers) + u64(c, COL_dropped) + u64(c, COL_left_waiting);
    TH_EXPECT(&c->r, got == want,
              "%s: buffers %" PRIu64 " + dropped %" PRIu64 " + left waiting %" PRIu64 " = %" PRIu64
              ", but %" PRIu64 " arrivals were scheduled",
              what, u64(c, COL_buffers), u64(c, COL_dropped), u64(c, COL_left_waiting), got, want);
}

/* ---- every method, both modes, at low load ------------------------------------------------- */

struct method_case {
    const char *method, *engine;
    unsigned np;
    const char *concurrency;
};

static const struct method_case method_cases[] = {
    {"sequential", NULL, 2, "1"}, {"openmp", NULL, 1, "3"}, {"fork", NULL, 2, "2"},
    {"aio", "io_uring", 3, "2"},  {"aio", "posix", 1, "3"},
};
#define NMETHODS (sizeof method_cases / sizeof method_cases[0])

static void test_every_method_both_modes(void **state)
{
    struct th_ctx *c = *state;
    const double duration = 0.5, delay = 0.0078125; /* 2^-7 s: 63 arrivals per pipeline */
    for (size_t i = 0; i < NMETHODS; i++)
        for (int open = 0; open <= 1; open++) {
            const struct method_case *m = &method_cases[i];
            const char *args[32] = {"--method",      m->method,
                                    "--concurrency", m->concurrency,
                                    "--duration",    "0.5",
                                    "--buffer-size", "64",
                                    "--recv-delay",  "0.0078125",
                                    "--recv-phase",  "aligned",
                                    "--arrivals",    open ? "open" : "closed",
                                    "--output-file", "%s/d",
                                    "--keep-files"};
            size_t n = 17;
            if (m->engine) {
                args[n++] = "--aio-engine";
                args[n++] = m->engine;
            }
            args[n] = NULL;
            char what[96];
            snprintf(what, sizeof what, "%s%s%s, %s, %u rank(s)", m->method, m->engine ? " " : "",
                     m->engine ? m->engine : "", open ? "open" : "closed", m->np);
            th_ctx_run(c, m->np, 40, args);
            th_ctx_expect_success(c, 1);
            check_common(c, what, 64 * 1024);
            TH_EXPECT(&c->r, strcmp(col(c, COL_arrivals), open ? "open" : "closed") == 0,
                      "%s: <arrivals> is %s", what, col(c, COL_arrivals));
            if (!open) {
                TH_EXPECT(&c->r,
                          u64(c, COL_backlog_bound) == 0 && u64(c, COL_backlog_max) == 0 &&
                              f64(c, COL_backlog_mean) == 0.0 && u64(c, COL_dropped) == 0 &&
                              u64(c, COL_left_waiting) == 0 &&
                              strcmp(col(c, COL_backlog_policy), "-") == 0,
                          "%s: a closed run with a backlog, drops or waiting buffers", what);
                continue;
            }
            TH_EXPECT(&c->r,
                      u64(c, COL_backlog_bound) == 16 &&
                          strcmp(col(c, COL_backlog_policy), "block") == 0 &&
                          u64(c, COL_dropped) == 0,
                      "%s: bound %s, policy %s, dropped %s (block drops nothing)", what,
                      col(c, COL_backlog_bound), col(c, COL_backlog_policy), col(c, COL_dropped));
            check_accounted(c, what, scheduled(duration, delay));
            /* low load (64 KiB every 7.8 ms): the schedule is kept */
            double ideal = (double)(scheduled(duration, delay) * u64(c, COL_pipelines));
            TH_EXPECT(&c->r, (double)u64(c, COL_buffers) >= 0.95 * ideal,
                      "%s: %" PRIu64 " buffers of %.0f scheduled at low load", what,
                      u64(c, COL_buffers), ideal);
        }
}

/* ---- a pipeline slower than its arrivals --------------------------------------------------- */

/* 1 MiB buffers, compute on every byte, an fsync each, 1024 arrivals per second per pipeline:
 * several times what two pipelines on two shared cores and one disk get through. */
static void run_overloaded(struct th_ctx *c, const char *method, const char *mode,
                           const char *backlog, const char *policy)
{
    const char *args[32] = {"--method",           method,    "--concurrency", "2",
                            "--duration",         "1",       "--buffer-size", "1024",
                            "--compute-sparsity", "1",       "--recv-delay",  "0.0009765625",
                            "--recv-phase",       "aligned", "--arrivals",    mode,
                            "--output-file",      "%s/d",    "--keep-files"};
    size_t n = 19;
    if (backlog) {
        args[n++] = "--backlog";
        args[n++] = backlog;
        args[n++] = "--backlog-policy";
        args[n++] = policy;
    }
    args[n] = NULL;
    th_ctx_run(c, 1, 60, args);
    th_ctx_expect_success(c, 1);
}

static void test_overload_block_drop_closed(void **state)
{
    struct th_ctx *c = *state;
    const double delay = 0.0009765625;
    const uint64_t per_pipeline = scheduled(1.0, delay); /* 1023 */
    const char *methods[] = {"openmp", "aio"};
    for (int m = 0; m < 2; m++) {
        char what[64];

        /* closed: the sender waits for the pipeline, so nothing queues and latency looks
         * small: the coordinated omission open arrivals exist to expose */
        snprintf(what, sizeof what, "%s closed, overloaded", methods[m]);
        run_overloaded(c, methods[m], "closed", NULL, NULL);
        check_common(c, what, 1 << 20);
        TH_EXPECT(&c->r,
                  u64(c, COL_backlog_max) == 0 && u64(c, COL_dropped) == 0 &&
                      u64(c, COL_left_waiting) == 0,
                  "%s: backlog max %s, dropped %s", what, col(c, COL_backlog_max),
                  col(c, COL_dropped));
        double closed_p99 = f64(c, COL_arrival_p99_s);

        /* block: the queue fills to its bound and latency from the intended arrival grows */
        snprintf(what, sizeof what, "%s open block, overloaded", methods[m]);
        run_overloaded(c, methods[m], "open", "4", "block");
        check_common(c, what, 1 << 20);
        check_accounted(c, what, per_pipeline);
        TH_EXPECT(&c->r, u64(c, COL_backlog_max) == 4 && u64(c, COL_dropped) == 0,
                  "%s: backlog max %s (bound 4), dropped %s", what, col(c, COL_backlog_max),
                  col(c, COL_dropped));
        TH_EXPECT(&c->r, u64(c, COL_left_waiting) > u64(c, COL_pipelines) * 4,
                  "%s: %s left waiting: the sender should be holding buffers", what,
                  col(c, COL_left_waiting));
        double p99 = f64(c, COL_arrival_p99_s), mx = f64(c, COL_arrival_max_s);
        TH_EXPECT(&c->r, p99 > 50 * delay && mx > 0.25 && p99 > 3 * closed_p99,
                  "%s: arrival p99 %.6f s, max %.6f s (delay %.6f s, closed p99 %.6f s): "
                  "latency should grow far above the delay",
                  what, p99, mx, delay, closed_p99);
        TH_EXPECT(&c->r, f64(c, COL_backlog_mean) > 1.0 && f64(c, COL_backlog_mean) <= 4.0,
                  "%s: backlog mean %s", what, col(c, COL_backlog_mean));

        /* drop: what finds the queue full is lost; the rest is accounted for */
        snprintf(what, sizeof what, "%s open drop, overloaded", methods[m]);
        run_overloaded(c, methods[m], "open", "2", "drop");
        check_common(c, what, 1 << 20);
        check_accounted(c, what, per_pipeline);
        TH_EXPECT(
            &c->r,
            u64(c, COL_dropped) > 0 && u64(c, COL_backlog_max) == 2 &&
                u64(c, COL_backlog_bound) == 2 && strcmp(col(c, COL_backlog_policy), "drop") == 0,
            "%s: dropped %s, backlog max %s", what, col(c, COL_dropped), col(c, COL_backlog_max));
        /* nothing is held by a sender that drops: at most the queues are left */
        TH_EXPECT(&c->r, u64(c, COL_left_waiting) <= 2 * u64(c, COL_pipelines),
                  "%s: %s left waiting with queues of 2", what, col(c, COL_left_waiting));
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, th_ctx_teardown)

int main(int argc, char **argv)
{
    th_init(argc, argv);
    const struct CMUnitTest tests[] = {
        T(test_every_method_both_modes),
        T(test_overload_block_drop_closed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
