/* Unit tests for src/result_fields.h and the types generated from it (record.h): the generated
 * lists must give exactly the layout of the files release 0.1.0 wrote
 * (tests/data/release-0.1.0): the .dat header line, and the member names, order and types of
 * the HDF5 /runs, ranks and pipelines compound types. Readers of those files go by column
 * position and member order, so a list that generates the same fields in another order fails
 * here; fields added since (at the record's end, or between the rows' fields) do not. Also: the
 * latency kinds and stage counters generate what result_fields.h says.
 *
 * The release files are found under $srcdir (set by make check; default "."). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "pipeline.h"
#include "results.h"

#define RELEASE_DIR "tests/data/release-0.1.0"

static void release_path(char *out, size_t outlen, const char *file)
{
    const char *srcdir = getenv("srcdir");
    snprintf(out, outlen, "%s/" RELEASE_DIR "/%s", srcdir && *srcdir ? srcdir : ".", file);
}

/* ---- the .dat header ----------------------------------------------------------------------- */

static void test_dat_header_is_release_header(void **state)
{
    (void)state;
    char path[4096];
    release_path(path, sizeof(path), "run.dat");
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        print_error("cannot open %s\n", path);
        fail();
    }
    char line[16384];
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    char header[16384];
    assert_true(ipb_dat_header(header, sizeof(header)) > 0);
    /* Columns added after the release go at the end: the release's line is a prefix, ending
     * where one of our columns ends. */
    size_t n = strlen(line);
    if (strncmp(header, line, n) != 0 || (header[n] != '\0' && header[n] != '\t')) {
        print_error("release header:\n%s\nours:\n%s\n", line, header);
        fail();
    }
}

/* ---- the HDF5 compound types ----------------------------------------------------------------- */

enum kind { K_STR, K_U64, K_F64 };

struct field {
    const char *name;
    enum kind kind;
    size_t size;
};

#define FIELD(type, len, name, hdr, fmt, doc) {#name, K_##type, (len) ? (len) : 8},
static const struct field record_fields[] = {IPB_RESULT_FIELDS(FIELD)};
static const struct field rank_fields[] = {IPB_RANK_FIELDS(FIELD)};
static const struct field pipeline_fields[] = {IPB_PIPELINE_FIELDS(FIELD)};
#undef FIELD
#define NF(a) (sizeof(a) / sizeof((a)[0]))

static int same_field(hid_t mt, const char *name, const struct field *f)
{
    H5T_class_t cls = H5Tget_class(mt);
    if (strcmp(name, f->name) != 0 || H5Tget_size(mt) != f->size)
        return 0;
    if (f->kind == K_STR)
        return cls == H5T_STRING;
    if (f->kind == K_U64)
        return cls == H5T_INTEGER && H5Tget_sign(mt) == H5T_SGN_NONE;
    return cls == H5T_FLOAT;
}

/* Every member of the compound type of dataset path in the release file is in the list, same
 * name and type, in the same order. Fields added since may sit between them (prefix: only
 * after them, as for the record), so an added field never fails this, a moved one does. */
static void check_type(hid_t file, const char *path, const struct field *f, size_t n, int prefix)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) {
        print_error("no dataset %s in the release file\n", path);
        fail();
    }
    hid_t t = H5Dget_type(d);
    assert_true(t >= 0);
    assert_int_equal(H5Tget_class(t), H5T_COMPOUND);
    int nm = H5Tget_nmembers(t);
    assert_true(nm > 0);
    size_t j = 0;
    for (int i = 0; i < nm; i++) {
        char *name = H5Tget_member_name(t, (unsigned)i);
        hid_t mt = H5Tget_member_type(t, (unsigned)i);
        assert_non_null(name);
        size_t found = j;
        while (found < n && !same_field(mt, name, &f[found]) && !prefix)
            found++;
        if (found >= n || !same_field(mt, name, &f[found])) {
            print_error("%s: release member %d '%s' (class %d, %zu bytes) is not list entry %zu "
                        "('%s', %zu bytes)%s\n",
                        path, i, name, (int)H5Tget_class(mt), H5Tget_size(mt), j,
                        j < n ? f[j].name : "-", j < n ? f[j].size : 0,
                        prefix ? "" : " nor any after it");
            H5free_memory(name);
            fail();
        }
        j = found + 1;
        H5free_memory(name);
        H5Tclose(mt);
    }
    H5Tclose(t);
    H5Dclose(d);
}

static void test_h5_types_are_release_types(void **state)
{
    (void)state;
    char path[4096];
    release_path(path, sizeof(path), "run.h5");
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        print_error("cannot open %s\n", path);
        fail();
    }
    check_type(file, "/runs", record_fields, NF(record_fields), 1);
    /* The run's group is named by its run id: the first (only) one under /run. */
    char id[256];
    ssize_t len = H5Lget_name_by_idx(file, "/run", H5_INDEX_NAME, H5_ITER_INC, 0, id, sizeof(id),
                                     H5P_DEFAULT);
    assert_true(len > 0 && (size_t)len < sizeof(id));
    char ds[512];
    snprintf(ds, sizeof(ds), "/run/%s/ranks", id);
    check_type(file, ds, rank_fields, NF(rank_fields), 0);
    snprintf(ds, sizeof(ds), "/run/%s/pipelines", id);
    check_type(file, ds, pipeline_fields, NF(pipeline_fields), 0);
    H5Fclose(file);
}

/* ---- latency kinds and stage counters ------------------------------------------------------ */

/* One enum value and one name per entry, in list order. */
static void test_lat_kinds_generate_enum_and_names(void **state)
{
    (void)state;
#define ENTRY(X, ID, kind, text, meaning) {IPB_LAT_##ID, text, #kind},
    static const struct {
        enum ipb_lat_kind id;
        const char *text, *prefix;
    } kinds[] = {IPB_LAT_KINDS(ENTRY, )};
#undef ENTRY
    assert_int_equal(NF(kinds), IPB_LAT_NKINDS);
    for (unsigned k = 0; k < NF(kinds); k++) {
        assert_int_equal(kinds[k].id, k);
        assert_string_equal(ipb_lat_kind_name(kinds[k].id), kinds[k].text);
    }
    assert_string_equal(ipb_lat_kind_name(IPB_LAT_NKINDS), "?");
}

/* Every kind and every stage has its columns in the record, the rank rows and the pipeline rows,
 * with the header text the list gives. */
static void test_kinds_and_stages_have_their_columns(void **state)
{
    (void)state;
    char header[16384];
    assert_true(ipb_dat_header(header, sizeof(header)) > 0);
    char want[256];
#define KIND_COLS(X, ID, kind, text, meaning)                                                      \
    {                                                                                              \
        static const char *const sfx[] = {"p50", "p90", "p99", "p99.9", "max"};                    \
        for (unsigned i = 0; i < 5; i++) {                                                         \
            snprintf(want, sizeof(want), "<%s %s (s)>", text, sfx[i]);                             \
            assert_non_null(strstr(header, want));                                                 \
        }                                                                                          \
        assert_true(sizeof(((struct ipb_rank_row *)0)->kind##_min_s) == sizeof(double));           \
        assert_true(sizeof(((struct ipb_pipeline_row *)0)->kind##_p99_s) == sizeof(double));       \
    }
    IPB_LAT_KINDS(KIND_COLS, )
#undef KIND_COLS
    unsigned nstages = 0;
#define STAGE_COLS(X, stage, text, meaning)                                                        \
    {                                                                                              \
        snprintf(want, sizeof(want), "<%s seconds>", text);                                        \
        assert_non_null(strstr(header, want));                                                     \
        /* the stats, rank and pipeline members sit in list order, one double apart */             \
        assert_int_equal(offsetof(struct ipb_pipeline_stats, stage##_s),                           \
                         offsetof(struct ipb_pipeline_stats, recv_s) + nstages * sizeof(double));  \
        assert_int_equal(offsetof(struct ipb_rank_row, stage##_s),                                 \
                         offsetof(struct ipb_rank_row, recv_s) + nstages * sizeof(double));        \
        assert_int_equal(offsetof(struct ipb_pipeline_row, stage##_s),                             \
                         offsetof(struct ipb_pipeline_row, recv_s) + nstages * sizeof(double));    \
        nstages++;                                                                                 \
    }
    IPB_STAGES(STAGE_COLS, )
#undef STAGE_COLS
    assert_true(nstages >= 4); /* release 0.1.0's four at least */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dat_header_is_release_header),
        cmocka_unit_test(test_h5_types_are_release_types),
        cmocka_unit_test(test_lat_kinds_generate_enum_and_names),
        cmocka_unit_test(test_kinds_and_stages_have_their_columns),
    };
    return cmocka_run_group_tests_name("result_fields", tests, NULL, NULL);
}
