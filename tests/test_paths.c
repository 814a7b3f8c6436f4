/* ipb_path_dir and ipb_path_base (paths.h): the POSIX dirname()/basename() cases, in-place use,
 * and outputs that do not fit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "paths.h"

static const struct {
    const char *path, *dir, *base;
} cases[] = {
    {"file", ".", "file"},   {"/file", "/", "file"}, {"a/b/", "a", "b"}, {"/", "/", "/"},
    {"", ".", "."},          {"a/b", "a", "b"},      {"a//b", "a", "b"}, {"a/b//", "a", "b"},
    {"///", "/", "/"},       {"//a", "/", "a"},      {"..", ".", ".."},  {"./x", ".", "x"},
    {"/a/b/c", "/a/b", "c"}, {"/a", "/", "a"},       {"a/", ".", "a"},
};

static void test_dir_and_base(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char dir[64], base[64];
        assert_int_equal(ipb_path_dir(cases[i].path, dir, sizeof(dir)), 0);
        assert_int_equal(ipb_path_base(cases[i].path, base, sizeof(base)), 0);
        if (strcmp(dir, cases[i].dir) != 0 || strcmp(base, cases[i].base) != 0) {
            print_error("'%s': dir '%s' base '%s', expected '%s' and '%s'\n", cases[i].path, dir,
                        base, cases[i].dir, cases[i].base);
            fail();
        }
    }
}

/* memcheck.c walks up a cgroup path with out == path. */
static void test_in_place(void **state)
{
    (void)state;
    char p[32] = "/x/yy/zzz";
    assert_int_equal(ipb_path_dir(p, p, sizeof(p)), 0);
    assert_string_equal(p, "/x/yy");
    assert_int_equal(ipb_path_dir(p, p, sizeof(p)), 0);
    assert_string_equal(p, "/x");
    assert_int_equal(ipb_path_dir(p, p, sizeof(p)), 0);
    assert_string_equal(p, "/");
    assert_int_equal(ipb_path_dir(p, p, sizeof(p)), 0);
    assert_string_equal(p, "/");
    char q[32] = "dir/name";
    assert_int_equal(ipb_path_base(q, q, sizeof(q)), 0);
    assert_string_equal(q, "name");
}

static void test_does_not_fit(void **state)
{
    (void)state;
    char out[4] = "zzz";
    assert_int_equal(ipb_path_dir("/abcd/e", out, sizeof(out)), -1);
    assert_string_equal(out, "");
    assert_int_equal(ipb_path_base("/e/abcd", out, sizeof(out)), -1);
    assert_string_equal(out, "");
    /* exactly fitting, with its NUL */
    assert_int_equal(ipb_path_dir("/ab/e", out, sizeof(out)), 0);
    assert_string_equal(out, "/ab");
    assert_int_equal(ipb_path_base("/x/abc", out, sizeof(out)), 0);
    assert_string_equal(out, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_and_base),
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_does_not_fit),
    };
    return cmocka_run_group_tests_name("paths", tests, NULL, NULL);
}
