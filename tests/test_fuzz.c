/* The fuzz targets' inputs in `make check`, built with the project's compiler (no clang, no
 * libFuzzer): each input goes through the same ipb_fuzz_<kind>() function as under libFuzzer,
 * so the same oracles judge it (fuzz/fuzz.h), and here a violated oracle fails the test.
 *
 *   replay     every committed input: the seed corpora (fuzz/corpus/<kind>) and the saved
 *              crashes and hostile inputs (tests/data/fuzz/<kind>);
 *   expect     each saved crash or hostile input gets the clear error written down below (the
 *              status and words of its message); an input file without an entry fails, so a
 *              crash cannot be saved without saying what its input must now get;
 *   dat header the .dat header check on variants of this build's own header (they change when
 *              columns are added, so they are made here, not committed).
 *
 * To see what an input gets:  tests/test_fuzz --show KIND FILE...
 * Inputs are found under $srcdir (set by make check; default "."). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dat_format.h"
#include "dat_writer.h"
#include "fuzz.h"
#include "ipb_status.h"

static const char *current = "(no input)"; /* the input being replayed, for failure messages */

void ipb_fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    char what[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    print_error("%s: oracle violated: %s\n", current, what);
    _fail(file, line);
    abort(); /* _fail() leaves the test by longjmp; not reached */
}

typedef int (*target_fn)(const uint8_t *data, size_t size, char *msg, size_t msglen);

static const struct target {
    const char *name;
    target_fn fn;
} targets[] = {
    {"options", ipb_fuzz_options}, {"units", ipb_fuzz_units}, {"dat_header", ipb_fuzz_dat_header},
    {"import", ipb_fuzz_import},   {"h5", ipb_fuzz_h5},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static const struct target *find_target(const char *name)
{
    for (size_t i = 0; i < NTARGETS; i++)
        if (strcmp(targets[i].name, name) == 0)
            return &targets[i];
    return NULL;
}

static const char *srcdir(void)
{
    const char *s = getenv("srcdir");
    return s && *s ? s : ".";
}

/* Run one input file through its target; status and message out. */
static int run_file(const struct target *t, const char *path, char *msg, size_t msglen)
{
    size_t size = 0;
    uint8_t *data = ipb_fuzz_read_file(path, &size);
    if (data == NULL) {
        print_error("cannot read %s\n", path);
        fail();
    }
    current = path;
    int rc = t->fn(data, size, msg, msglen);
    current = "(no input)";
    free(data);
    return rc;
}

/* The regular files of dir, sorted (readdir order is not stable); count in *n. */
static char **list_dir(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    char **names = NULL;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (*n + 1) * sizeof(*names));
        assert_non_null(names);
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    for (size_t i = 1; i < *n; i++) /* insertion sort: a few dozen names */
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *tmp = names[j];
            names[j] = names[j - 1];
            names[j - 1] = tmp;
        }
    return names;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- replay: every committed input through the oracles ------------------------------------- */

static void test_replay(void **state)
{
    const struct target *t = *state;
    size_t total = 0;
    for (int which = 0; which < 2; which++) {
        char dir[4096];
        snprintf(dir, sizeof(dir), which == 0 ? "%s/fuzz/corpus/%s" : "%s/tests/data/fuzz/%s",
                 srcdir(), t->name);
        size_t n;
        char **names = list_dir(dir, &n);
        if (which == 0 && n == 0) {
            print_error("no seed inputs in %s\n", dir);
            fail();
        }
        for (size_t i = 0; i < n; i++) {
            char path[8192], msg[1024];
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
            run_file(t, path, msg, sizeof(msg));
        }
        total += n;
        free_list(names, n);
    }
    print_message("%zu %s inputs replayed\n", total, t->name);
}

/* ---- expect: what each saved crash and hostile input gets ---------------------------------- */

struct expect {
    const char *target;
    const char *file;   /* under tests/data/fuzz/<target>/ */
    int status;         /* the target's return: IPB_* (units: 0 or -1) */
    const char *has[3]; /* words the message must contain (NULL-terminated list) */
};

#define E(target, file, status, ...)                                                               \
    {                                                                                              \
        target, file, status,                                                                      \
        {                                                                                          \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }

static const struct expect expects[] = {
#include "test_fuzz_expect.h"
};
#define NEXPECTS (sizeof(expects) / sizeof(expects[0]))

static void test_expect(void **state)
{
    const struct expect *e = *state;
    const struct target *t = find_target(e->target);
    assert_non_null(t);
    char path[8192], msg[1024];
    snprintf(path, sizeof(path), "%s/tests/data/fuzz/%s/%s", srcdir(), e->target, e->file);
    if (strncmp(e->file, "libhdf5-", 8) == 0)
        print_message("%s: a defect of libhdf5 itself (fuzz/libhdf5/README.md); libhdf5 may print "
                      "'HDF5: infinite loop closing library' when this program exits\n",
                      e->file);
    int rc = run_file(t, path, msg, sizeof(msg));
    int ok = rc == e->status;
    for (size_t i = 0; i < 3 && e->has[i] != NULL; i++)
        ok = ok && strstr(msg, e->has[i]) != NULL;
    if (!ok) {
        print_error("%s: status %d, message \"%s\"\nexpected status %d and a message with", path,
                    rc, msg, e->status);
        for (size_t i = 0; i < 3 && e->has[i] != NULL; i++)
            print_error(" \"%s\"", e->has[i]);
        print_error("\n");
        fail();
    }
}

static void test_every_input_has_an_expectation(void **state)
{
    (void)state;
    int missing = 0;
    for (size_t k = 0; k < NTARGETS; k++) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/tests/data/fuzz/%s", srcdir(), targets[k].name);
        size_t n;
        char **names = list_dir(dir, &n);
        for (size_t i = 0; i < n; i++) {
            size_t j = 0;
            while (j < NEXPECTS && !(strcmp(expects[j].target, targets[k].name) == 0 &&
                                     strcmp(expects[j].file, names[i]) == 0))
                j++;
            if (j == NEXPECTS) {
                print_error("%s/%s has no entry in tests/test_fuzz_expect.h\n", dir, names[i]);
                missing++;
            }
        }
        free_list(names, n);
    }
    assert_int_equal(missing, 0);
}

/* ---- the .dat header check on variants of this build's header ------------------------------- */

static void dat_case(const char *head, size_t len, int want_ok, const char *has)
{
    char header[8192], why[512] = "";
    assert_true(ipb_dat_header(header, sizeof(header)) > 0);
    int rc = ipb_dat_header_check(head, len, header, why, sizeof(why));
    if ((rc == 0) != want_ok || (has != NULL && strstr(why, has) == NULL)) {
        print_error("header check of \"%.*s\" (%zu bytes): %d \"%s\", expected %s%s%s\n",
                    (int)(len < 120 ? len : 120), head, len, rc, why,
                    want_ok ? "acceptance" : "a refusal saying: ", has ? has : "",
                    want_ok ? "" : "");
        fail();
    }
    /* and through the fuzz target's oracles */
    ipb_fuzz_dat_header((const uint8_t *)head, len, why, sizeof(why));
}

static void test_dat_header_variants(void **state)
{
    (void)state;
    char header[8192], buf[16384];
    int hlen = ipb_dat_header(header, sizeof(header));
    assert_true(hlen > 0);
    unsigned ncols = ipb_dat_ncolumns();
    char want[128];

    dat_case("", 0, 1, NULL); /* empty file: the append writes the header */
    snprintf(buf, sizeof(buf), "%s\n", header);
    dat_case(buf, strlen(buf), 1, NULL);
    snprintf(buf, sizeof(buf), "%s\nrow\t1\n", header); /* rows after it are not read */
    dat_case(buf, strlen(buf), 1, NULL);
    dat_case(header, (size_t)hlen, 0, "not ended by a newline");
    dat_case(header, (size_t)hlen - 1, 0, "cut short");
    dat_case(header, 1, 0, "cut short");
    snprintf(buf, sizeof(buf), "%s\r\n", header); /* CRLF: the last column is "<label>\r" */
    dat_case(buf, strlen(buf), 0, "differs from this program's at column");
    snprintf(buf, sizeof(buf), "%s\t<new column>\n", header);
    snprintf(want, sizeof(want), "more than the %u columns", ncols);
    dat_case(buf, strlen(buf), 0, want);
    snprintf(buf, sizeof(buf), "%s", header);
    *strrchr(buf, '\t') = '\0'; /* one column fewer: an older version */
    strcat(buf, "\n");
    snprintf(want, sizeof(want), "has %u columns, this program writes %u", ncols - 1, ncols);
    dat_case(buf, strlen(buf), 0, want);
    snprintf(buf, sizeof(buf), "%s\n", header);
    buf[hlen - 2] = 'X'; /* the last column's name changed */
    snprintf(want, sizeof(want), "at column %u", ncols - 1);
    dat_case(buf, strlen(buf), 0, want);
    snprintf(buf, sizeof(buf), "%s\n", header);
    buf[3] = '\0'; /* a NUL in column 0 */
    dat_case(buf, strlen(header) + 1, 0, "at column 0");
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--show") == 0) {
        const struct target *t = find_target(argv[2]);
        if (t == NULL) {
            fprintf(stderr, "usage: %s --show options|units|dat_header|import|h5 FILE...\n",
                    argv[0]);
            return 2;
        }
        for (int i = 3; i < argc; i++) {
            char msg[1024];
            int rc = run_file(t, argv[i], msg, sizeof(msg));
            printf("%s: status %d: %s\n", argv[i], rc, msg);
        }
        return 0;
    }

    /* A saved input that makes a parser loop (libhdf5-hang-global-heap.h5 did) must fail this
     * program, not hang it: the whole run takes seconds. */
    alarm(300);

    static struct CMUnitTest tests[NTARGETS + NEXPECTS + 2];
    static char names[NTARGETS + NEXPECTS][160];
    size_t n = 0;
    for (size_t i = 0; i < NTARGETS; i++) {
        snprintf(names[n], sizeof(names[n]), "replay %s", targets[i].name);
        tests[n] = (struct CMUnitTest){names[n], test_replay, NULL, NULL, (void *)&targets[i]};
        n++;
    }
    for (size_t i = 0; i < NEXPECTS; i++) {
        snprintf(names[n], sizeof(names[n]), "%s/%s", expects[i].target, expects[i].file);
        tests[n] = (struct CMUnitTest){names[n], test_expect, NULL, NULL, (void *)&expects[i]};
        n++;
    }
    tests[n++] = (struct CMUnitTest){"every saved input has an expectation",
                                     test_every_input_has_an_expectation, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){".dat header variants of this build's header",
                                     test_dat_header_variants, NULL, NULL, NULL};
    return _cmocka_run_group_tests("fuzz inputs (replay, saved crashes, hostile inputs)", tests, n,
                                   NULL, NULL);
}
