/* What the unit test programs share: cmocka, a tolerance assertion, and the hand-made rank rows
 * and run identity that the record's tests build results from. Header-only (static inline), so
 * each program takes what it uses and no program needs another source file. */
#ifndef IPB_TESTS_UNIT_H
#define IPB_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "record.h"

/* |got - want| <= tol, or the test fails naming the expression and both values. */
static inline void assert_near_(double got, double want, double tol, const char *expr,
                                const char *file, int line)
{
    if (!(fabs(got - want) <= tol)) {
        print_error("%s = %.17g, expected %.17g within %.3g\n", expr, got, want, tol);
        _fail(file, line);
    }
}
#define assert_near(got, want, tol) assert_near_((got), (want), (tol), #got, __FILE__, __LINE__)

/* got == want exactly (values that are binary-exact by construction), or the test fails naming
 * the expression and both values. */
static inline void assert_dbl_eq_(double got, double want, const char *expr, const char *file,
                                  int line)
{
    if (!(got == want)) {
        print_error("%s = %.17g, expected exactly %.17g\n", expr, got, want);
        _fail(file, line);
    }
}
#define assert_dbl_eq(got, want) assert_dbl_eq_((got), (want), #got, __FILE__, __LINE__)

/* A rank's row as the record sees it: only what ipb_record_fill reads for throughput. */
static inline struct ipb_rank_row unit_rank_row(unsigned rank, const char *host, uint64_t pipelines,
                                                uint64_t bytes, uint64_t buffers, double elapsed,
                                                double compute)
{
    struct ipb_rank_row r;
    memset(&r, 0, sizeof(r));
    r.rank = rank;
    snprintf(r.host, sizeof(r.host), "%s", host);
    r.pipelines = pipelines;
    r.bytes = bytes;
    r.buffers = buffers;
    r.elapsed_s = elapsed;
    r.compute_s = compute;
    return r;
}

/* The identity of a run that the tests record (no aio engine, repetition 0), as a pointer to a
 * compound literal of the calling block. */
#define UNIT_META                                                                                  \
    (&(const struct ipb_run_meta){                                                                 \
        .version = "0.1.0", .run_id = "run-0001", .timestamp = "2025-01-02T03:04:05Z"})

#endif
