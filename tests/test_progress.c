/* Unit tests for src/progress.c: the progress line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "progress.h"

static void test_progress_line(void **state)
{
    (void)state;
    char line[256];
    ipb_progress_format(line, sizeof line, 4.0, 400ull << 20, 300ull << 20, 1.0, 2, 3, false);
    assert_string_equal(line, "[progress] 4.0 s: 400.0 MiB written, 100.000 MiB/s so far, "
                              "100.000 MiB/s in the last 1.0 s (2 of 3 ranks running)");
    ipb_progress_format(line, sizeof line, 2.0, 10ull << 20, 0, 2.0, 1, 1, true);
    assert_non_null(strstr(line, "rank 0 only: 10.0 MiB written, 5.000 MiB/s so far"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress_line),
    };
    return cmocka_run_group_tests_name("progress", tests, NULL, NULL);
}
