/* Unit tests for src/import.c: --import of a run measured by another tool, and the one-line
 * errors for what it cannot take. */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dat_format.h"
#include "import.h"
#include "ipb_status.h"

/* The fio side-by-side script's rows. */
static void test_record_import(void **state)
{
    (void)state;
    struct ipb_record rec;
    char err[256];
    const char *text = "# fio 3.33\n"
                       "method\tfio-psync\n"
                       "concurrency\t4\r\n"
                       "throughput_mib_s\t123.5\n"
                       "fsync_p99_s\t0.0042\n"
                       "\n"
                       "label\tfio side by side\n";
    assert_int_equal(ipb_record_import(&rec, text, "0.1.0", "RID", "TS", err, sizeof err), IPB_OK);
    assert_string_equal(rec.method, "fio-psync");
    assert_int_equal(rec.concurrency, 4);
    assert_near(rec.throughput_mib_s, 123.5, 0);
    assert_near(rec.fsync_p99_s, 0.0042, 0);
    assert_string_equal(rec.label, "fio side by side");
    assert_string_equal(rec.run_id, "RID");
    assert_string_equal(rec.series_id, "RID");
    assert_string_equal(rec.version, "0.1.0");
    assert_string_equal(rec.aio_engine, "-");
    assert_true(isnan(rec.compute_s));
    assert_int_equal(rec.ranks, 0);
    char row[8192];
    assert_true(ipb_dat_row(&rec, row, sizeof row) > 0);
    assert_int_equal(ipb_dat_ncolumns(), 79);
    assert_string_equal(rec.interrupted, "no"); /* fio runs are never cut */
    /* how another tool's buffers arrived is not known: not "closed", not 0 */
    assert_string_equal(rec.arrivals, "-");
    assert_true(isnan(rec.backlog_mean));

    struct {
        const char *text, *needle;
    } bad[] = {
        {"method\tfio\nbogus\t1\n", "line 2: unknown field 'bogus'"},
        {"method fio\n", "line 1: expected 'field<TAB>value'"},
        {"method\tfio\nconcurrency\t-1\n", "line 2: concurrency '-1': not a non-negative"},
        {"method\tfio\nthroughput_mib_s\t12x\n", "throughput_mib_s '12x': not a number"},
        {"concurrency\t1\n", "no method given"},
        {"method\t0123456789abcdefg\n", "longer than 15 characters"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ipb_record_import(&rec, bad[i].text, "v", "r", "t", err, sizeof err),
                         IPB_EBADINPUT);
        if (strstr(err, bad[i].needle) == NULL) {
            print_error("message '%s' lacks '%s'\n", err, bad[i].needle);
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_import),
    };
    return cmocka_run_group_tests_name("import", tests, NULL, NULL);
}
