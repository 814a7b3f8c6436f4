/* Unit tests for src/units.c: strict number and size parsing.
 *
 * Every refusal is checked three ways: the return value, the output left untouched (a parser
 * that writes garbage before failing can leak it into the options), and a reason given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

#define GIB          (UINT64_C(1) << 30)
#define SENTINEL_U64 UINT64_C(0xdeadbeefcafef00d)
#define SENTINEL_DBL -12345.678

/* ---- helpers that say what they saw when they fail ----------------------------------------- */

static void u64_ok_(const char *s, uint64_t min, uint64_t max, uint64_t want, const char *file,
                    int line)
{
    uint64_t v = SENTINEL_U64;
    const char *why = NULL;
    int rc = ipb_parse_u64(s, min, max, &v, &why);
    if (rc != 0 || v != want) {
        print_error("ipb_parse_u64(\"%s\", %" PRIu64 ", %" PRIu64 ") = %d, value %" PRIu64
                    ", expected 0 and %" PRIu64 " (why: %s)\n",
                    s, min, max, rc, v, want, why ? why : "(none)");
        _fail(file, line);
    }
}
#define u64_ok(s, min, max, want) u64_ok_((s), (min), (max), (want), __FILE__, __LINE__)

static void u64_bad_(const char *s, uint64_t min, uint64_t max, const char *file, int line)
{
    uint64_t v = SENTINEL_U64;
    const char *why = NULL;
    int rc = ipb_parse_u64(s, min, max, &v, &why);
    if (rc != -1 || v != SENTINEL_U64 || why == NULL || why[0] == '\0') {
        print_error("ipb_parse_u64(\"%s\", %" PRIu64 ", %" PRIu64 ") = %d, value %" PRIu64
                    ", why %s: expected -1, value untouched and a reason\n",
                    s ? s : "(null)", min, max, rc, v, why ? why : "(none)");
        _fail(file, line);
    }
}
#define u64_bad(s, min, max) u64_bad_((s), (min), (max), __FILE__, __LINE__)

static void dbl_ok_(const char *s, double min, double max, double want, const char *file, int line)
{
    double v = SENTINEL_DBL;
    const char *why = NULL;
    int rc = ipb_parse_double(s, min, max, &v, &why);
    if (rc != 0 || v != want) {
        print_error("ipb_parse_double(\"%s\", %g, %g) = %d, value %.17g, expected 0 and %.17g "
                    "(why: %s)\n",
                    s, min, max, rc, v, want, why ? why : "(none)");
        _fail(file, line);
    }
}
#define dbl_ok(s, min, max, want) dbl_ok_((s), (min), (max), (want), __FILE__, __LINE__)

static void dbl_bad_(const char *s, double min, double max, const char *file, int line)
{
    double v = SENTINEL_DBL;
    const char *why = NULL;
    int rc = ipb_parse_double(s, min, max, &v, &why);
    if (rc != -1 || v != SENTINEL_DBL || why == NULL || why[0] == '\0') {
        print_error("ipb_parse_double(\"%s\", %g, %g) = %d, value %.17g, why %s: expected -1, "
                    "value untouched and a reason\n",
                    s ? s : "(null)", min, max, rc, v, why ? why : "(none)");
        _fail(file, line);
    }
}
#define dbl_bad(s, min, max) dbl_bad_((s), (min), (max), __FILE__, __LINE__)

static void size_ok_(const char *s, uint64_t max, uint64_t want, const char *file, int line)
{
    uint64_t v = SENTINEL_U64;
    const char *why = NULL;
    int rc = ipb_parse_size(s, max, &v, &why);
    if (rc != 0 || v != want) {
        print_error("ipb_parse_size(\"%s\", %" PRIu64 ") = %d, value %" PRIu64
                    ", expected 0 and %" PRIu64 " (why: %s)\n",
                    s, max, rc, v, want, why ? why : "(none)");
        _fail(file, line);
    }
}
#define size_ok(s, max, want) size_ok_((s), (max), (want), __FILE__, __LINE__)

static void size_bad_(const char *s, uint64_t max, const char *file, int line)
{
    uint64_t v = SENTINEL_U64;
    const char *why = NULL;
    int rc = ipb_parse_size(s, max, &v, &why);
    if (rc != -1 || v != SENTINEL_U64 || why == NULL || why[0] == '\0') {
        print_error("ipb_parse_size(\"%s\", %" PRIu64 ") = %d, value %" PRIu64
                    ", why %s: expected -1, value untouched and a reason\n",
                    s ? s : "(null)", max, rc, v, why ? why : "(none)");
        _fail(file, line);
    }
}
#define size_bad(s, max) size_bad_((s), (max), __FILE__, __LINE__)

/* ---- ipb_parse_u64 ------------------------------------------------------------------------- */

static void test_u64_good(void **state)
{
    (void)state;
    u64_ok("0", 0, 10, 0);
    u64_ok("1", 0, 10, 1);
    u64_ok("7", 0, 10, 7);
    u64_ok("007", 0, 10, 7);
    u64_ok("4096", 1, 4096, 4096);
    u64_ok("123456789", 0, UINT64_MAX, 123456789);
    u64_ok("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
}

static void test_u64_bad_syntax(void **state)
{
    (void)state;
    u64_bad(NULL, 0, 10);
    u64_bad("", 0, 10);
    u64_bad(" 1", 0, 10);
    u64_bad("\t1", 0, 10);
    u64_bad("1 ", 0, 10);
    u64_bad("1\n", 0, 10);
    u64_bad("4x", 0, 10);
    u64_bad("1.5", 0, 10);
    u64_bad("1.5.5", 0, 10);
    u64_bad("1e3", 0, 10000);
    u64_bad("0x10", 0, 100);
    u64_bad("-1", 0, UINT64_MAX); /* strtoull would wrap this to UINT64_MAX */
    u64_bad("-0", 0, 10);
    u64_bad("+1", 0, 10);
    u64_bad("x", 0, 10);
    u64_bad("nan", 0, 10);
}

static void test_u64_overflow(void **state)
{
    (void)state;
    u64_bad("18446744073709551616", 0, UINT64_MAX); /* 2^64 */
    u64_bad("99999999999999999999", 0, UINT64_MAX); /* 20 digits */
    u64_bad("123456789012345678901234567890", 0, UINT64_MAX);
    u64_bad("36893488147419103232", 0, UINT64_MAX); /* 2^65: must not wrap to 0 */
}

static void test_u64_bounds(void **state)
{
    (void)state;
    /* [min, max] is inclusive at both ends, and nothing outside it passes. */
    u64_bad("4", 5, 10);
    u64_ok("5", 5, 10, 5);
    u64_ok("10", 5, 10, 10);
    u64_bad("11", 5, 10);
    u64_ok("7", 7, 7, 7);
    u64_bad("6", 7, 7);
    u64_bad("8", 7, 7);
    u64_bad("0", 1, 4096);
    u64_bad("4097", 1, 4096);
    u64_bad("18446744073709551615", 0, UINT64_MAX - 1);
}

/* ---- ipb_parse_double ---------------------------------------------------------------------- */

static void test_double_good(void **state)
{
    (void)state;
    dbl_ok("0", 0.0, 10.0, 0.0);
    dbl_ok("0.1", 0.0, 10.0, 0.1);
    dbl_ok(".5", 0.0, 10.0, 0.5);
    dbl_ok("5.", 0.0, 10.0, 5.0);
    dbl_ok("10", 0.0, 10.0, 10.0);
    dbl_ok("1e3", 0.0, 1e6, 1000.0);
    dbl_ok("2.5E-1", 0.0, 1.0, 0.25);
    dbl_ok("+1.5", 0.0, 10.0, 1.5);
    dbl_ok("-0.5", -1.0, 1.0, -0.5);
    dbl_ok("1000000", 0.0, 1e6, 1e6);
}

static void test_double_bad_syntax(void **state)
{
    (void)state;
    dbl_bad(NULL, 0.0, 10.0);
    dbl_bad("", 0.0, 10.0);
    dbl_bad(" 1", 0.0, 10.0);
    dbl_bad("\t1", 0.0, 10.0);
    dbl_bad("1 ", 0.0, 10.0);
    dbl_bad("1\n", 0.0, 10.0);
    dbl_bad("4x", 0.0, 10.0);
    dbl_bad("1.5.5", 0.0, 10.0);
    dbl_bad("1,5", 0.0, 10.0);
    dbl_bad("1e", 0.0, 10.0);
    dbl_bad(".", 0.0, 10.0);
    dbl_bad("-", 0.0, 10.0);
    dbl_bad("+", 0.0, 10.0);
    dbl_bad("e5", 0.0, 10.0);
    dbl_bad("1s", 0.0, 10.0);
}

static void test_double_not_finite(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "nan",
        "NaN",
        "NAN",
        "-nan",
        "+nan",
        "nan(123)",
        "inf",
        "Inf",
        "-inf",
        "+inf",
        "infinity",
        "INFINITY",
        "+infinity",
        "-Infinity",
        /* hex floats: strtod accepts them, a user typing seconds never means one */
        "0x1p3",
        "0X1P3",
        "0x10",
        "-0x1p-2",
        "0x.8p1",
        /* out of the double range (ERANGE) */
        "1e400",
        "-1e400",
        "1e309",
        "123456789e999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        dbl_bad(bad[i], -1e300, 1e300);
}

static void test_double_overflow_says_out_of_range(void **state)
{
    (void)state;
    /* The user typed a finite number that is too big: the reason must say so, not call it
     * "not a finite number" (units.c's ERANGE branch is placed after the isfinite() test and
     * can never run). */
    static const char *const big[] = {"1e400", "-1e400", "1e309"};
    for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
        double v = SENTINEL_DBL;
        const char *why = NULL;
        assert_int_equal(ipb_parse_double(big[i], -1e300, 1e300, &v, &why), -1);
        assert_non_null(why);
        assert_string_equal(why, "out of range");
    }
}

static void test_double_bounds(void **state)
{
    (void)state;
    char below_min[64], above_max[64];
    /* The doubles right next to the bounds, printed with enough digits to round-trip. */
    snprintf(below_min, sizeof(below_min), "%.17g", nextafter(0.5, 0.0));
    snprintf(above_max, sizeof(above_max), "%.17g", nextafter(2.0, 3.0));
    dbl_ok("0.5", 0.5, 2.0, 0.5);
    dbl_ok("2", 0.5, 2.0, 2.0);
    dbl_ok("2.0", 0.5, 2.0, 2.0);
    dbl_bad(below_min, 0.5, 2.0);
    dbl_bad(above_max, 0.5, 2.0);
    dbl_bad("0.4", 0.5, 2.0);
    dbl_bad("2.1", 0.5, 2.0);
    /* min 0: zero passes, anything negative does not. */
    dbl_ok("0", 0.0, 3600.0, 0.0);
    dbl_ok("0.0", 0.0, 3600.0, 0.0);
    dbl_bad("-0.1", 0.0, 3600.0);
    dbl_bad("-1", 0.0, 3600.0);
    dbl_ok("3600", 0.0, 3600.0, 3600.0);
    dbl_bad("3600.001", 0.0, 3600.0);
}

/* ---- ipb_parse_size ------------------------------------------------------------------------ */

static void test_size_every_suffix(void **state)
{
    (void)state;
    const uint64_t max = 16 * GIB;
    size_ok("4", max, 4 << 10); /* a bare number is KiB, as in the Python original */
    size_ok("256", max, 256 << 10);
    size_ok("4B", max, 4);
    size_ok("4K", max, 4 << 10);
    size_ok("4KiB", max, 4 << 10);
    size_ok("4M", max, 4 << 20);
    size_ok("4MiB", max, 4 << 20);
    size_ok("4G", max, 4 * GIB);
    size_ok("4GiB", max, 4 * GIB);
    size_ok("1B", max, 1);
    size_ok("1", max, 1024);
    size_ok("007K", max, 7 << 10);
}

static void test_size_case_insensitive(void **state)
{
    (void)state;
    const uint64_t max = 16 * GIB;
    size_ok("4b", max, 4);
    size_ok("4k", max, 4 << 10);
    size_ok("4kib", max, 4 << 10);
    size_ok("4KIB", max, 4 << 10);
    size_ok("4Kib", max, 4 << 10);
    size_ok("4m", max, 4 << 20);
    size_ok("4mib", max, 4 << 20);
    size_ok("4MIB", max, 4 << 20);
    size_ok("4g", max, 4 * GIB);
    size_ok("4gib", max, 4 * GIB);
    size_ok("4GIB", max, 4 * GIB);
}

static void test_size_bad_syntax(void **state)
{
    (void)state;
    const uint64_t max = 16 * GIB;
    static const char *const bad[] = {
        "",    " 4",  "4 ",  "\t4", "4\n",   "4 K",  "4x",  "4KB",   "4kb", "4MB",
        "4GB", "4Ki", "4Mi", "4T",  "4KiBB", "1.5M", "1.5", "1.5.5", "-1",  "-1K",
        "+1",  "+4K", "K",   "KiB", "B",     "0x10", "1e3", "4 KiB", "4K ", "nan",
    };
    size_bad(NULL, max);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        size_bad(bad[i], max);
}

static void test_size_zero(void **state)
{
    (void)state;
    const uint64_t max = 16 * GIB;
    size_bad("0", max);
    size_bad("0B", max);
    size_bad("0K", max);
    size_bad("0KiB", max);
    size_bad("0M", max);
    size_bad("0G", max);
    size_bad("000", max);
}

static void test_size_overflow(void **state)
{
    (void)state;
    /* 20+ digits overflow strtoull; 99999999999G fits in 64 bits as a count but not as bytes. */
    size_bad("123456789012345678901", UINT64_MAX);
    size_bad("99999999999999999999B", UINT64_MAX);
    size_bad("18446744073709551616B", UINT64_MAX);
    size_bad("99999999999G", UINT64_MAX);
    size_bad("99999999999G", 16 * GIB);
    size_bad("99999999999999M", UINT64_MAX);
    /* The shift must not wrap: 2^34 GiB is 2^64 bytes, which would wrap to 0. */
    size_ok("17179869183G", UINT64_MAX, (UINT64_C(17179869183)) << 30);
    size_bad("17179869184G", UINT64_MAX);
    size_ok("18446744073709551615B", UINT64_MAX, UINT64_MAX);
    size_bad("18014398509481984", UINT64_MAX); /* 2^54 KiB = 2^64 bytes */
}

static void test_size_bounds(void **state)
{
    (void)state;
    const uint64_t max = 16 * GIB; /* IPB_MAX_BUFFER_BYTES */
    /* Exactly max is allowed in every unit; one more byte (or unit) is not. */
    size_ok("16G", max, max);
    size_ok("16GiB", max, max);
    size_ok("16384M", max, max);
    size_ok("16777216K", max, max);
    size_ok("16777216", max, max);
    size_ok("17179869184B", max, max);
    size_bad("17G", max);
    size_bad("16385M", max);
    size_bad("16777217K", max);
    size_bad("16777217", max);
    size_bad("17179869185B", max);
    /* A max that is not a multiple of the unit. */
    size_ok("1500B", 1500, 1500);
    size_bad("1501B", 1500);
    size_ok("1K", 1500, 1024);
    size_bad("2K", 1500);
    size_bad("1M", 1500);
    /* The smallest size. */
    size_ok("1B", 1, 1);
    size_bad("2B", 1);
    size_bad("1K", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64_good),
        cmocka_unit_test(test_u64_bad_syntax),
        cmocka_unit_test(test_u64_overflow),
        cmocka_unit_test(test_u64_bounds),
        cmocka_unit_test(test_double_good),
        cmocka_unit_test(test_double_bad_syntax),
        cmocka_unit_test(test_double_not_finite),
        cmocka_unit_test(test_double_overflow_says_out_of_range),
        cmocka_unit_test(test_double_bounds),
        cmocka_unit_test(test_size_every_suffix),
        cmocka_unit_test(test_size_case_insensitive),
        cmocka_unit_test(test_size_bad_syntax),
        cmocka_unit_test(test_size_zero),
        cmocka_unit_test(test_size_overflow),
        cmocka_unit_test(test_size_bounds),
    };
    return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
