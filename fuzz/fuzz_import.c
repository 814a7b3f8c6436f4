/* Fuzz target: the --import record parser (ipb_record_import in src/import.c).
 *
 * Input: the record file's text. The program refuses a file with a NUL byte before parsing
 * (bench.c reads it as a C string), so the parser sees the text up to the first NUL, as here.
 * Oracles: accepted or one printable line; an accepted record has a method, and every text
 * field fits its column and has no control character (a tab or newline would shift or split the
 * .dat row); its .dat row fits the buffer the program formats it in and has exactly one field
 * per column; an unsigned field is never taken from a negative number. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dat_format.h"
#include "import.h"
#include "ipb_status.h"

/* The unsigned fields, by name, from the one list of result fields. */
#define U64_NAME_U64(name) #name,
#define U64_NAME_STR(name)
#define U64_NAME_F64(name)
#define U64_NAME(type, len, name, hdr, fmt, doc) U64_NAME_##type(name)
static const char *const u64_fields[] = {IPB_RESULT_FIELDS(U64_NAME)};
#define NU64 (sizeof(u64_fields) / sizeof(u64_fields[0]))

static void check_text_fields(const struct ipb_record *rec)
{
#define CHECK_STR(name)                                                                            \
    do {                                                                                           \
        size_t n = strnlen(rec->name, sizeof(rec->name));                                          \
        FUZZ_CHECK(n < sizeof(rec->name), #name " not NUL-terminated");                            \
        for (size_t i = 0; i < n; i++)                                                             \
            FUZZ_CHECK((unsigned char)rec->name[i] >= 0x20 && rec->name[i] != 0x7f,                \
                       #name " has control character 0x%02x", (unsigned char)rec->name[i]);        \
    } while (0);
#define CHECK_STR_STR(name) CHECK_STR(name)
#define CHECK_STR_U64(name)
#define CHECK_STR_F64(name)
#define CHECK_FIELD(type, len, name, hdr, fmt, doc) CHECK_STR_##type(name)
    IPB_RESULT_FIELDS(CHECK_FIELD)
#undef CHECK_FIELD
}

/* Every line of an accepted record set its field (the parser refuses at the first bad one):
 * a line naming an unsigned field must hold a non-negative number. */
static void check_unsigned_lines(const char *text)
{
    for (const char *s = text; *s;) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        char line[1024];
        snprintf(line, sizeof(line), "%.*s", (int)len, s);
        s = e ? e + 1 : s + len;
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || tab == NULL)
            continue;
        *tab = '\0';
        for (size_t i = 0; i < NU64; i++)
            if (strcmp(line, u64_fields[i]) == 0)
                FUZZ_CHECK(strtod(tab + 1, NULL) >= 0.0 || strchr(tab + 1, '-') == NULL,
                           "unsigned field %s accepted from the negative value '%s'", line,
                           tab + 1);
    }
}

int ipb_fuzz_import(const uint8_t *data, size_t size, char *msg, size_t msglen)
{
    char *text = ipb_fuzz_strndup(data, size);
    struct ipb_record *rec = malloc(sizeof(*rec));
    FUZZ_CHECK(rec != NULL, "out of memory");
    /* the size bench.c gives it */
    char err[512];
    memset(err, 'x', sizeof(err));
    int rc = ipb_record_import(rec, text, "0.0.0-fuzz", "20250101T000000Z-fuzz",
                               "2025-01-01T00:00:00Z", err, sizeof(err));
    FUZZ_CHECK(rc == IPB_OK || rc == IPB_EBADINPUT, "status %d", rc);
    if (rc == IPB_OK) {
        FUZZ_CHECK(rec->method[0] != '\0' && strcmp(rec->method, "-") != 0,
                   "accepted without a method ('%s')", rec->method);
        check_text_fields(rec);
        check_unsigned_lines(text);
        /* bench.c formats the row into 8192 bytes and calls a longer one an internal error */
        char row[8192];
        int n = ipb_dat_row(rec, row, sizeof(row));
        FUZZ_CHECK(n > 0, "the .dat row of an accepted record does not fit in %zu bytes",
                   sizeof(row));
        unsigned tabs = 0;
        for (int i = 0; i < n; i++) {
            FUZZ_CHECK(row[i] != '\n' && row[i] != '\r', "newline in the .dat row");
            tabs += row[i] == '\t';
        }
        FUZZ_CHECK(tabs + 1 == ipb_dat_ncolumns(), "the .dat row has %u fields, %u columns",
                   tabs + 1, ipb_dat_ncolumns());
        err[0] = '\0';
    } else {
        ipb_fuzz_check_line("import", err, sizeof(err));
    }
    snprintf(msg, msglen, "%s", err);
    free(rec);
    free(text);
    return rc;
}
