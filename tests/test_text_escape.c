/* ipb_text_escape (text_escape.h): every control character shown escaped so a message stays one
 * line, other bytes (UTF-8 included) kept, and a value cut to fit without half an escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "text_escape.h"

static void test_escapes(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"a\tb", "a\\tb"},
        {"line\nnext\r", "line\\nnext\\r"},
        {"\x1b[31mred", "\\x1b[31mred"},
        {"\x01\x1f\x7f", "\\x01\\x1f\\x7f"},
        {"caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93"}, /* UTF-8 is not a control */
        {"back\\slash 'quote'", "back\\slash 'quote'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[64];
        assert_ptr_equal(ipb_text_escape(cases[i].in, out, sizeof(out)), out);
        assert_string_equal(out, cases[i].out);
    }
}

/* Whatever the value, the result has no byte below 0x20 and no DEL. */
static void test_every_byte_gives_one_line(void **state)
{
    (void)state;
    char in[256], out[1100];
    for (int c = 1; c < 256; c++)
        in[c - 1] = (char)c;
    in[255] = '\0';
    ipb_text_escape(in, out, sizeof(out));
    for (const unsigned char *p = (const unsigned char *)out; *p; p++)
        assert_true(*p >= 0x20 && *p != 0x7f);
    /* 255 input bytes: \t \n \r as two bytes each, the other 28 controls below 0x20 and DEL
     * as four ("\x01"), the other 223 kept. */
    assert_int_equal(strlen(out), 3 * 2 + 29 * 4 + 223);
}

/* Cut to fit: never past outlen, and never in the middle of an escape. */
static void test_cut_to_fit(void **state)
{
    (void)state;
    for (size_t len = 1; len < 24; len++) {
        char out[24];
        memset(out, 'X', sizeof(out));
        ipb_text_escape("ab\x1b"
                        "cd\ne",
                        out, len);
        assert_true(strlen(out) < len);
        assert_int_equal(out[sizeof(out) - 1], 'X'); /* nothing written past len */
        size_t n = strlen(out);
        /* A cut escape would end in a lone backslash or "\x" or "\x1". */
        assert_false(n >= 1 && out[n - 1] == '\\');
        assert_true(n < 2 || strcmp(out + n - 2, "\\x") != 0);
        assert_true(n < 3 || strcmp(out + n - 3, "\\x1") != 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_every_byte_gives_one_line),
        cmocka_unit_test(test_cut_to_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
