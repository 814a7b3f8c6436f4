/* Unit tests for src/dat_format.c: the .dat header and row (docs/design.md, ".dat record"). */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dat_format.h"
#include "method.h"
#include "options.h"
#include "results.h"

#define MIB (UINT64_C(1) << 20)

/* ---- helpers ------------------------------------------------------------------------------- */

/* Split a tab-separated line into at most max fields (in place). Returns the field count. */
static unsigned split_tabs(char *line, char **fields, unsigned max)
{
    unsigned n = 0;
    char *p = line;
    for (;;) {
        assert_true(n < max);
        fields[n++] = p;
        char *tab = strchr(p, '\t');
        if (tab == NULL)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

/* The column index whose header is "<name>", or fail. */
static unsigned column_of(const char *name)
{
    char header[8192];
    char *cols[256];
    assert_true(ipb_dat_header(header, sizeof(header)) > 0);
    unsigned n = split_tabs(header + 1, cols, 256); /* skip '#' */
    char want[256];
    snprintf(want, sizeof(want), "<%s>", name);
    for (unsigned i = 0; i < n; i++)
        if (strcmp(cols[i], want) == 0)
            return i;
    print_error("no column <%s> in the .dat header\n", name);
    fail();
    return 0;
}

struct row_fields {
    char text[8192];
    char *f[256];
    unsigned n;
};

static void format_row(const struct ipb_record *rec, struct row_fields *rf)
{
    int len = ipb_dat_row(rec, rf->text, sizeof(rf->text));
    assert_true(len > 0);
    assert_int_equal((size_t)len, strlen(rf->text));
    assert_null(strchr(rf->text, '\n'));
    rf->n = split_tabs(rf->text, rf->f, 256);
}

static void field_is_(const struct row_fields *rf, const char *column, const char *want,
                      const char *file, int line)
{
    unsigned c = column_of(column);
    if (c >= rf->n || strcmp(rf->f[c], want) != 0) {
        print_error("column <%s> (%u) is \"%s\", expected \"%s\"\n", column, c,
                    c < rf->n ? rf->f[c] : "(missing)", want);
        _fail(file, line);
    }
}
#define field_is(rf, column, want) field_is_((rf), (column), (want), __FILE__, __LINE__)

/* ---- the .dat header ----------------------------------------------------------------------- */

/* The Python original's header (from its published .dat files). Our column 0 is the version of
 * this program and column 1 the rank count; columns 2 to 10 keep its names exactly. */
static const char original_header[] =
    "#<Python version>\t<GIL enabled>\t<method>\t<concurrency>\t<duration>\t<KiB buffer_size>\t"
    "<recv delay>\t<MiB xferred>\t<sequential compute throughput (MiB/s)>\t<seconds>\t"
    "<aggregate overall throughput (MiB/s)>";

static void test_dat_header(void **state)
{
    (void)state;
    static const char prefix[] =
        "#<version>\t<ranks>\t<method>\t<concurrency>\t<duration>\t<KiB buffer_size>\t<recv "
        "delay>\t<MiB xferred>\t<sequential compute throughput (MiB/s)>\t<seconds>\t<aggregate "
        "overall throughput (MiB/s)>";
    char h[8192];
    int len = ipb_dat_header(h, sizeof(h));
    assert_true(len > 0);
    assert_int_equal((size_t)len, strlen(h));
    assert_int_equal(strncmp(h, prefix, strlen(prefix)), 0);
    /* New columns go after column 10: the next character ends column 10. */
    assert_true(h[strlen(prefix)] == '\t' || h[strlen(prefix)] == '\0');
    assert_null(strchr(h, '\n'));

    /* Columns 2..10 are the original's, by name. */
    char orig[sizeof(original_header)];
    memcpy(orig, original_header, sizeof(original_header));
    char *oc[16], *hc[256];
    unsigned on = split_tabs(orig + 1, oc, 16);
    unsigned hn = split_tabs(h + 1, hc, 256);
    assert_int_equal(on, 11);
    for (unsigned i = 2; i < 11; i++)
        assert_string_equal(hc[i], oc[i]);

    /* ipb_dat_ncolumns() columns, every one "<name>", names unique. */
    assert_int_equal(hn, ipb_dat_ncolumns());
    assert_true(hn > 11);
    for (unsigned i = 0; i < hn; i++) {
        size_t l = strlen(hc[i]);
        assert_true(l > 2);
        assert_int_equal(hc[i][0], '<');
        assert_int_equal(hc[i][l - 1], '>');
        assert_null(strchr(hc[i] + 1, '<'));
        for (unsigned j = 0; j < i; j++)
            assert_string_not_equal(hc[i], hc[j]);
    }
}

/* ---- the .dat row -------------------------------------------------------------------------- */

static void known_record(struct ipb_record *rec)
{
    struct ipb_options o;
    ipb_options_defaults(&o);
    o.method = &ipb_method_openmp;
    o.concurrency = 2;
    o.duration_s = 5.0;
    o.buffer_bytes = 256 * 1024;
    o.recv_delay_s = 0.1;
    o.compute_sparsity = 8;
    o.sync = IPB_SYNC_EVERY;
    o.seed = 7;
    strcpy(o.label, "run A");
    /* 10 MiB in 5 s (2 MiB/s) and 12 MiB in 4 s (3 MiB/s); 22 MiB in 5 s = 4.4 MiB/s;
     * compute 0.5 s in all: 44 MiB/s. */
    struct ipb_rank_row rows[2] = {unit_rank_row(0, "n1", 2, 10 * MIB, 40, 5.0, 0.25),
                                   unit_rank_row(1, "n2", 2, 12 * MIB, 48, 4.0, 0.25)};
    ipb_record_fill(rec, &o, UNIT_META, rows, 2);
}

static void test_dat_row_known_record(void **state)
{
    (void)state;
    struct ipb_record rec;
    known_record(&rec);
    struct row_fields rf;
    format_row(&rec, &rf);
    assert_int_equal(rf.n, ipb_dat_ncolumns());

    /* The original's 11 columns, as its own rows print them ("3.14 True sequential 1 15 256
     * 0.100 33.750 23.445 15.043 2.244"). */
    static const char *const first11[] = {"0.1.0", "2",      "openmp", "2",     "5",    "256",
                                          "0.100", "22.000", "44.000", "5.000", "4.400"};
    for (unsigned i = 0; i < 11; i++)
        assert_string_equal(rf.f[i], first11[i]);

    /* The rest, by name, so adding a column does not break this test. */
    field_is(&rf, "nodes", "2");
    field_is(&rf, "pipelines", "4");
    field_is(&rf, "sync", "every");
    field_is(&rf, "compute sparsity", "8");
    field_is(&rf, "aio engine", "-");
    field_is(&rf, "min rank throughput (MiB/s)", "2.000");
    field_is(&rf, "max rank throughput (MiB/s)", "3.000");
    field_is(&rf, "bytes", "23068672");
    field_is(&rf, "buffers", "88");
    field_is(&rf, "elapsed (s)", "5.000000000");
    field_is(&rf, "compute seconds", "0.500000");
    field_is(&rf, "seed", "7");
    field_is(&rf, "run id", "run-0001");
    field_is(&rf, "timestamp", "2025-01-02T03:04:05Z");
    field_is(&rf, "label", "run A");
}

static void test_dat_row_rounding(void **state)
{
    (void)state;
    struct ipb_record rec;
    known_record(&rec);
    rec.xferred_mib = 33.75;
    rec.elapsed_s = 15.0434;
    rec.throughput_mib_s = 2.2435; /* "%.3f": 2.243 or 2.244 by binary rounding; not 2.2435 */
    rec.recv_delay_s = 0.0;
    rec.elapsed_precise_s = 15.043412345;
    rec.duration_s = 0.25;
    rec.buffer_kib = 4.0;
    struct row_fields rf;
    format_row(&rec, &rf);
    assert_string_equal(rf.f[4], "0.25");
    assert_string_equal(rf.f[5], "4");
    assert_string_equal(rf.f[6], "0.000");
    assert_string_equal(rf.f[7], "33.750");
    assert_string_equal(rf.f[9], "15.043");
    assert_int_equal(strlen(rf.f[10]), 5);
    assert_int_equal(strncmp(rf.f[10], "2.24", 4), 0);
    field_is(&rf, "elapsed (s)", "15.043412345");
}

static void test_dat_row_large_values_exact(void **state)
{
    (void)state;
    /* The buffer size and duration columns must print the value, not a 6-digit rounding of it:
     * "%g" turns a 1 GiB buffer (1048576 KiB) into "1.04858e+06", which reads back as 1048580
     * KiB, and a 1234567 s duration into "1.23457e+06". */
    struct ipb_options o;
    ipb_options_defaults(&o);
    o.method = &ipb_method_fork;
    o.concurrency = 2;
    struct ipb_rank_row row = unit_rank_row(0, "n", 2, 64 * MIB, 64, 10.0, 1.0);
    static const struct {
        uint64_t bytes;
        const char *kib;
    } bufs[] = {
        {UINT64_C(1) << 30, "1048576"},
        {UINT64_C(16) << 30, "16777216"},
        {UINT64_C(3) << 20, "3072"},
        {1536, "1.5"},
        {100, "0.09765625"},
    };
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
        struct ipb_record rec;
        o.buffer_bytes = bufs[i].bytes;
        o.duration_s = 1234567.0;
        ipb_record_fill(&rec, &o, UNIT_META, &row, 1);
        struct row_fields rf;
        format_row(&rec, &rf);
        assert_string_equal(rf.f[5], bufs[i].kib);
        assert_string_equal(rf.f[4], "1234567");
    }
}

static void test_dat_small_buffers_never_overflow(void **state)
{
    (void)state;
    struct ipb_record rec;
    known_record(&rec);
    char full[8192];
    int hlen = ipb_dat_header(full, sizeof(full));
    int rlen = ipb_dat_row(&rec, full, sizeof(full));
    assert_true(hlen > 0);
    assert_true(rlen > 0);

    enum { GUARD = 64 };
    int maxlen = hlen > rlen ? hlen : rlen;
    unsigned char *buf = malloc((size_t)maxlen + 1 + GUARD);
    assert_non_null(buf);
    for (int which = 0; which < 2; which++) {
        int len = which == 0 ? hlen : rlen;
        for (int cap = 0; cap <= len + 1; cap++) {
            memset(buf, 0x5a, (size_t)len + 1 + GUARD);
            int rc = which == 0 ? ipb_dat_header((char *)buf, (size_t)cap)
                                : ipb_dat_row(&rec, (char *)buf, (size_t)cap);
            /* Needs len + 1 bytes (the terminating NUL); anything less is -1. */
            if (cap <= len)
                assert_int_equal(rc, -1);
            else
                assert_int_equal(rc, len);
            for (size_t i = (size_t)cap; i < (size_t)len + 1 + GUARD; i++)
                if (buf[i] != 0x5a) {
                    print_error("%s with %d bytes wrote byte %zu\n",
                                which == 0 ? "ipb_dat_header" : "ipb_dat_row", cap, i);
                    fail();
                }
        }
    }
    free(buf);
}

static void test_dat_row_strings_at_field_length(void **state)
{
    (void)state;
    /* A label of the longest allowed length goes out whole. */
    struct ipb_options o;
    ipb_options_defaults(&o);
    memset(o.label, 'L', IPB_LABEL_MAX - 1);
    o.label[IPB_LABEL_MAX - 1] = '\0';
    struct ipb_rank_row row = unit_rank_row(0, "n", 1, MIB, 4, 1.0, 0.5);
    struct ipb_record rec;
    ipb_record_fill(&rec, &o, UNIT_META, &row, 1);
    assert_int_equal(strlen(rec.label), IPB_LABEL_MAX - 1);
    struct row_fields rf;
    format_row(&rec, &rf);
    field_is(&rf, "label", o.label);
}

/* With compute off the record has no compute throughput (nan): the row says "nan", which every
 * reader of the .dat (numpy, pandas, awk) takes as a number. */
static void test_dat_row_compute_off_nan(void **state)
{
    (void)state;
    struct ipb_options o;
    ipb_options_defaults(&o);
    o.compute_sparsity = 0;
    struct ipb_rank_row row = unit_rank_row(0, "n", 1, 8 * MIB, 32, 2.0, 1e-6);
    struct ipb_record rec;
    ipb_record_fill(&rec, &o, UNIT_META, &row, 1);
    struct row_fields rf;
    format_row(&rec, &rf);
    field_is(&rf, "sequential compute throughput (MiB/s)", "nan");
    field_is(&rf, "compute sparsity", "0");
    field_is(&rf, "aggregate overall throughput (MiB/s)", "4.000");
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dat_header),
        cmocka_unit_test(test_dat_row_known_record),
        cmocka_unit_test(test_dat_row_rounding),
        cmocka_unit_test(test_dat_row_large_values_exact),
        cmocka_unit_test(test_dat_small_buffers_never_overflow),
        cmocka_unit_test(test_dat_row_strings_at_field_length),
        cmocka_unit_test(test_dat_row_compute_off_nan),
    };
    return cmocka_run_group_tests_name("dat_format", tests, NULL, NULL);
}
