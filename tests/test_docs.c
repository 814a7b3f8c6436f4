/* The documentation cannot fall behind the program: --help of the real program (mpirun -np 1),
 * the man page as the build produced it, and the committed docs/reference.md must name the
 * same options with the same short names and arguments, the reference every result field, and
 * the committed reference's generated blocks must be what the generator writes today.
 *
 * $IPB_MANPAGE is the built page, $IPB_REFERENCE the committed reference (Makefile.am). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gendoc.h"
#include "harness.h"
#include "options.h"
#include "result_fields.h"

/* ---- options as a document names them ------------------------------------------------------ */

struct opt {
    char name[64];
    char short_name; /* 0: none */
    char arg[32];    /* "": a flag */
};

struct opts {
    struct opt v[128];
    size_t n;
};

static void add_opt(struct opts *o, const char *name, size_t namelen, char short_name,
                    const char *arg, size_t arglen)
{
    assert_true(o->n < sizeof(o->v) / sizeof(o->v[0]));
    struct opt *p = &o->v[o->n++];
    snprintf(p->name, sizeof(p->name), "%.*s", (int)namelen, name);
    p->short_name = short_name;
    snprintf(p->arg, sizeof(p->arg), "%.*s", (int)arglen, arg);
}

static const struct opt *find_opt(const struct opts *o, const char *name)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->v[i].name, name) == 0)
            return &o->v[i];
    return NULL;
}

static int find_short(const struct opts *o, char c)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].short_name == c)
            return 1;
    return 0;
}

/* "-m, --method NAME", "--keep-files", "--dat FILE" at s: the option that starts there; s is
 * moved past it. Returns 0 if s does not start with one. */
static int parse_opt_at(const char **s, struct opts *o)
{
    const char *p = *s;
    char short_name = 0;
    if (p[0] == '-' && p[1] != '-' && p[1] != '\0' && p[2] == ',' && p[3] == ' ') {
        short_name = p[1];
        p += 4;
    }
    if (strncmp(p, "--", 2) != 0 || !islower((unsigned char)p[2]))
        return 0;
    const char *name = p + 2;
    size_t namelen = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-");
    p = name + namelen;
    const char *arg = p;
    size_t arglen = 0;
    if (p[0] == ' ' && isupper((unsigned char)p[1])) {
        size_t n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
        if (p[1 + n] == '\0' || isspace((unsigned char)p[1 + n])) /* else a word of help text */
            arg = p + 1, arglen = n;
    }
    add_opt(o, name, namelen, short_name, arg, arglen);
    *s = arg + arglen;
    return 1;
}

/* The options of --help: the lines between "Options:" and the next blank line. */
static void help_options(const char *help, struct opts *o)
{
    o->n = 0;
    const char *p = strstr(help, "\nOptions:\n");
    assert_non_null(p);
    p += strlen("\nOptions:\n");
    while (*p != '\0' && *p != '\n') {
        const char *line = p;
        while (*line == ' ')
            line++;
        const char *q = line;
        if (!parse_opt_at(&q, o))
            fail_msg("--help: an option line that names no option: %.60s", p);
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    assert_true(o->n > 10);
}

/* Every "--name" in text (a man page already unescaped, a Markdown block). */
static void each_long_token(const char *text, void (*fn)(const char *name, size_t len, void *arg),
                            void *arg)
{
    for (const char *p = text; (p = strstr(p, "--")) != NULL; p += 2) {
        if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '-'))
            continue;
        if (!islower((unsigned char)p[2]))
            continue;
        size_t len = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
        while (len > 0 && p[2 + len - 1] == '-')
            len--;
        fn(p + 2, len, arg);
    }
}

struct stale_ctx {
    const struct opts *known;
    const char *where;
    unsigned checked;
};

static void expect_known(const char *name, size_t len, void *arg)
{
    struct stale_ctx *c = arg;
    char n[64];
    snprintf(n, sizeof(n), "%.*s", (int)len, name);
    if (find_opt(c->known, n) == NULL)
        fail_msg("%s names --%s, which --help does not have (a stale or misspelt option)", c->where,
                 n);
    c->checked++;
}

/* a and b name the same options with the same short names and arguments. */
static void expect_same_options(const struct opts *a, const char *aname, const struct opts *b,
                                const char *bname)
{
    for (size_t i = 0; i < a->n; i++) {
        const struct opt *x = &a->v[i];
        const struct opt *y = find_opt(b, x->name);
        if (y == NULL)
            fail_msg("--%s is in %s but not in %s", x->name, aname, bname);
        if (x->short_name != y->short_name)
            fail_msg("--%s: short option '%c' in %s, '%c' in %s", x->name,
                     x->short_name ? x->short_name : ' ', aname,
                     y->short_name ? y->short_name : ' ', bname);
        if (strcmp(x->arg, y->arg) != 0)
            fail_msg("--%s: argument '%s' in %s, '%s' in %s", x->name, x->arg, aname, y->arg,
                     bname);
    }
    for (size_t i = 0; i < b->n; i++)
        if (find_opt(a, b->v[i].name) == NULL)
            fail_msg("--%s is in %s but not in %s", b->v[i].name, bname, aname);
}

/* ---- the documents ------------------------------------------------------------------------- */

static char *real_help;  /* stdout of the real program's --help */
static struct opts help; /* its options */
static char *manpage;    /* the built page, roff */
static char *manplain;   /* the same, unescaped */
static char *reference;  /* the committed docs/reference.md */

static const char *env_path(const char *name)
{
    const char *p = getenv(name);
    if (p == NULL || *p == '\0')
        fail_msg("$%s is not set (run this test through make check)", name);
    return p;
}

static char *read_or_fail(const char *path)
{
    char *text = th_read_file(path, NULL);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    return text;
}

/* roff to the text a reader sees, as far as this page uses roff: \- \e \& and font changes. */
static char *unroff(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    assert_non_null(out);
    for (const char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] == '-') {
            *o++ = '-';
            p++;
        } else if (p[0] == '\\' && p[1] == 'e') {
            *o++ = '\\';
            p++;
        } else if (p[0] == '\\' && p[1] == '&') {
            p++;
        } else if (p[0] == '\\' && p[1] == 'f' && p[2] != '\0') {
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

/* The text of man section name (from its .SH line to the next .SH), malloc'd. */
static char *man_section(const char *page, const char *name)
{
    char head[64];
    snprintf(head, sizeof(head), "\n.SH %s\n", name);
    const char *s = strstr(page, head);
    if (s == NULL)
        fail_msg("the man page has no section %s", name);
    s += strlen(head);
    const char *e = strstr(s, "\n.SH ");
    return strndup(s, e ? (size_t)(e - s) + 1 : strlen(s));
}

static int setup_group(void **state)
{
    (void)state;
    manpage = read_or_fail(env_path("IPB_MANPAGE"));
    manplain = unroff(manpage);
    reference = read_or_fail(env_path("IPB_REFERENCE"));
    return 0;
}

static int teardown_group(void **state)
{
    (void)state;
    free(real_help);
    free(manpage);
    free(manplain);
    free(reference);
    return 0;
}

static int setup(void **state)
{
    return th_ctx_setup_tagged(state, "docs");
}

/* Runs first: the real program's --help, which every other test compares with. */
static void test_real_help_is_the_table(void **state)
{
    struct th_ctx *c = *state;
    const char *args[] = {"--help", NULL};
    th_ctx_run(c, 1, 60.0, args);
    TH_EXPECT(&c->r, c->r.exited && c->r.status == 0, "--help did not exit 0");
    real_help = strdup(c->r.out);
    assert_non_null(real_help);
    help_options(real_help, &help); /* what the other tests compare with */

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    ipb_options_usage(f, "io-pipeline-bench");
    assert_int_equal(fclose(f), 0);
    TH_EXPECT(&c->r, strcmp(text, real_help) == 0,
              "the program's --help differs from ipb_options_usage():\n%s", text);
    free(text);

    struct opts table = {.n = 0};
    for (size_t i = 0; i < ipb_options_count(); i++) {
        const struct ipb_option_doc *d = ipb_options_doc(i);
        add_opt(&table, d->name, strlen(d->name), d->short_name, d->arg ? d->arg : "",
                d->arg ? strlen(d->arg) : 0);
    }
    expect_same_options(&help, "--help", &table, "the option table");
}

static void need_help(void)
{
    if (real_help == NULL || help.n == 0)
        fail_msg("no --help output (test_real_help_is_the_table failed)");
}

/* ---- the man page -------------------------------------------------------------------------- */

static void test_man_options_are_help_options(void **state)
{
    (void)state;
    need_help();
    char *sec = man_section(manpage, "OPTIONS");
    struct opts man = {.n = 0};
    for (const char *p = sec; (p = strstr(p, ".TP\n")) != NULL;) {
        p += 4;
        const char *e = strchr(p, '\n');
        assert_non_null(e);
        char *tag = strndup(p, (size_t)(e - p));
        char *plain = unroff(tag);
        const char *q = plain;
        if (!parse_opt_at(&q, &man) || *q != '\0')
            fail_msg("man page OPTIONS: an entry that is not one option: %s", plain);
        free(plain);
        free(tag);
    }
    expect_same_options(&help, "--help", &man, "the man page's OPTIONS");
    free(sec);
}

static void test_man_names_no_stale_option(void **state)
{
    (void)state;
    need_help();
    /* Every --word in these sections is one of ours. */
    static const char *const sections[] = {"DESCRIPTION", "OPTIONS",     "METHODS", "OUTPUT",
                                           "EXIT STATUS", "ENVIRONMENT", "FILES"};
    struct stale_ctx c = {.known = &help, .checked = 0};
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        char *sec = man_section(manplain, sections[i]);
        c.where = sections[i];
        each_long_token(sec, expect_known, &c);
        free(sec);
    }
    assert_true(c.checked > 30);

    /* EXAMPLES and SYNOPSIS also name other programs' options: there, only the words after
     * "io-pipeline-bench" in a command (continued lines joined). */
    unsigned commands = 0;
    static const char *const with_commands[] = {"SYNOPSIS", "EXAMPLES"};
    for (size_t s = 0; s < 2; s++) {
        char *sec = man_section(manplain, with_commands[s]);
        for (char *p = sec; (p = strstr(p, "\\\n")) != NULL;)
            memmove(p, p + 2, strlen(p + 2) + 1); /* join "...\" + newline */
        for (char *line = strtok(sec, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            char *prog = strstr(line, "io-pipeline-bench");
            if (prog == NULL || (prog > line && prog[-1] != ' ') || line[0] == '.')
                continue;
            commands++;
            char *rest = prog + strlen("io-pipeline-bench");
            for (char *w = strtok_r(rest, " ", &rest); w != NULL; w = strtok_r(NULL, " ", &rest)) {
                if (strncmp(w, "--", 2) == 0) {
                    w[strcspn(w, "=")] = '\0';
                    if (find_opt(&help, w + 2) == NULL)
                        fail_msg("%s: io-pipeline-bench %s: no such option in --help",
                                 with_commands[s], w);
                } else if (w[0] == '-' && w[1] != '\0' && w[2] == '\0') {
                    if (!find_short(&help, w[1]))
                        fail_msg("%s: io-pipeline-bench %s: no such short option in --help",
                                 with_commands[s], w);
                }
            }
        }
        free(sec);
    }
    assert_true(commands >= 3);
}

/* The built page is what the generator writes now (make rebuilt it when the code changed). */
static void test_man_is_generated(void **state)
{
    (void)state;
    const char *th = strstr(manpage, "\n.TH IO-PIPELINE-BENCH 1 ");
    assert_non_null(th);
    char date[32];
    assert_int_equal(sscanf(th, "\n.TH IO-PIPELINE-BENCH 1 %31s", date), 1);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    ipb_gendoc_man(f, date);
    assert_int_equal(fclose(f), 0);
    if (strcmp(text, manpage) != 0)
        fail_msg("%s is not what ipb-gendoc writes now: rebuild it (make)", getenv("IPB_MANPAGE"));
    free(text);
}

/* Run cmd (a shell command line); its output, malloc'd; *status its exit status. */
static char *run_capture(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    assert_non_null(m);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        fwrite(buf, 1, n, m);
    int st = pclose(p);
    assert_int_equal(fclose(m), 0);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    return out;
}

/* man -l renders it without a warning: groff with every warning on, and mandoc's linter when it
 * is installed. */
static void test_man_renders_cleanly(void **state)
{
    (void)state;
    const char *page = env_path("IPB_MANPAGE");
    char cmd[8192];
    int status, checked = 0;
    snprintf(cmd, sizeof(cmd), "command -v groff >/dev/null && groff -man -Tutf8 -ww -z '%s' 2>&1",
             page);
    char *out = run_capture(cmd, &status);
    if (status == 0 || *out != '\0') {
        if (*out != '\0' || status != 0)
            fail_msg("groff -man -ww: %s", out);
        checked++;
    }
    free(out);
    snprintf(cmd, sizeof(cmd), "command -v mandoc >/dev/null && mandoc -Tlint -W warning '%s' 2>&1",
             page);
    out = run_capture(cmd, &status);
    if (status == 0 || *out != '\0') {
        if (*out != '\0' || status != 0)
            fail_msg("mandoc -Tlint: %s", out);
        checked++;
    }
    free(out);
    if (checked == 0)
        skip(); /* neither groff nor mandoc */
}

/* ---- docs/reference.md --------------------------------------------------------------------- */

static char *ref_block(const char *begin, const char *end)
{
    char why[512];
    char *b = ipb_gendoc_block_get(reference, begin, end, why, sizeof(why));
    if (b == NULL)
        fail_msg("docs/reference.md: %s", why);
    return b;
}

static void test_reference_options_are_help_options(void **state)
{
    (void)state;
    need_help();
    char *block = ref_block(IPB_GENDOC_OPTIONS_BEGIN, IPB_GENDOC_OPTIONS_END);
    struct opts ref = {.n = 0};
    /* | `--method` | `-m` | `NAME` | meaning | default |: the first three cells */
    for (const char *p = block; (p = strstr(p, "\n| `--")) != NULL; p++) {
        char cell[3][64];
        const char *c = p + 2;
        for (int i = 0; i < 3; i++) {
            const char *bar = strchr(c, '|');
            const char *nl = strchr(c, '\n');
            if (bar == NULL || (nl != NULL && nl < bar))
                fail_msg("docs/reference.md: an options row with too few cells: %.60s", p + 1);
            /* the cell without its spaces and backquotes */
            while (*c == ' ' || *c == '`')
                c++;
            const char *e = bar;
            while (e > c && (e[-1] == ' ' || e[-1] == '`'))
                e--;
            snprintf(cell[i], sizeof(cell[i]), "%.*s", (int)(e - c), c);
            c = bar + 1;
        }
        if (strncmp(cell[0], "--", 2) != 0 || (cell[1][0] != '\0' && strlen(cell[1]) != 2))
            fail_msg("docs/reference.md: a malformed options row: %.60s", p + 1);
        add_opt(&ref, cell[0] + 2, strlen(cell[0] + 2), cell[1][0] ? cell[1][1] : 0, cell[2],
                strlen(cell[2]));
    }
    expect_same_options(&help, "--help", &ref, "docs/reference.md");
    struct stale_ctx c = {.known = &help, .where = "docs/reference.md (options)", .checked = 0};
    each_long_token(block, expect_known, &c);
    free(block);
    char *fields = ref_block(IPB_GENDOC_FIELDS_BEGIN, IPB_GENDOC_FIELDS_END);
    c.where = "docs/reference.md (fields)";
    each_long_token(fields, expect_known, &c);
    free(fields);
}

static void expect_row(const char *block, const char *where, const char *row)
{
    if (strstr(block, row) == NULL)
        fail_msg("docs/reference.md (%s) has no row starting %s", where, row + 1);
}

static void test_reference_has_every_field(void **state)
{
    (void)state;
    char *block = ref_block(IPB_GENDOC_FIELDS_BEGIN, IPB_GENDOC_FIELDS_END);
    char *ranks = strstr(block, "\n`/run/<run_id>/ranks`");
    char *pipelines = strstr(block, "\n`/run/<run_id>/pipelines`");
    assert_non_null(ranks);
    assert_non_null(pipelines);
    assert_true(ranks < pipelines);
    *ranks++ = '\0';
    pipelines[0] = '\0';
    pipelines++;
    char row[512];
    size_t col = 0;
#define RUNS_ROW(type, len, name, header, fmt, doc)                                                \
    snprintf(row, sizeof(row), "\n| %zu | `<%s>` | `%s` | ", col++, header, #name);                \
    expect_row(block, "/runs", row);
    IPB_RESULT_FIELDS(RUNS_ROW)
#undef RUNS_ROW
#define MEMBER_ROW(type, len, name, header, fmt, doc)                                              \
    snprintf(row, sizeof(row), "\n| `%s` | ", #name);                                              \
    expect_row(table, where, row);
    const char *table = ranks, *where = "ranks";
    IPB_RANK_FIELDS(MEMBER_ROW)
    table = pipelines, where = "pipelines";
    IPB_PIPELINE_FIELDS(MEMBER_ROW)
#undef MEMBER_ROW
    assert_true(col > 50);
    free(block);
}

static void test_reference_blocks_are_current(void **state)
{
    (void)state;
    static const char *const markers[][2] = {
        {IPB_GENDOC_OPTIONS_BEGIN, IPB_GENDOC_OPTIONS_END},
        {IPB_GENDOC_FIELDS_BEGIN, IPB_GENDOC_FIELDS_END},
    };
    for (size_t i = 0; i < 2; i++) {
        char *have = ref_block(markers[i][0], markers[i][1]);
        char *want = ipb_gendoc_block_expected(markers[i][0]);
        assert_non_null(want);
        if (strcmp(have, want) != 0) {
            size_t at = 0;
            while (have[at] == want[at])
                at++;
            fail_msg("docs/reference.md: the block after \"%s\" is not what the generator "
                     "writes (first difference at byte %zu: \"%.40s\" instead of \"%.40s\"): "
                     "run make reference and commit docs/reference.md",
                     markers[i][0], at, have + at, want + at);
        }
        free(have);
        free(want);
    }
}

/* The units the reference and the man page give come from the field names. */
static void test_units_from_names(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"duration_s", "s"},
        {"throughput_mib_s", "MiB/s"},
        {"buffer_kib", "KiB"},
        {"xferred_mib", "MiB"},
        {"xferred_bytes", "bytes"},
        {"bytes", "bytes"},
        {"ranks", "-"},
        {"run_id", "-"},
        {"pipe_tp_m2", "(MiB/s)^2"},
        {"write_p999_s", "s"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(ipb_gendoc_unit(cases[i][0]), cases[i][1]);
}

int main(int argc, char **argv)
{
    th_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_real_help_is_the_table, setup, th_ctx_teardown),
        cmocka_unit_test(test_man_options_are_help_options),
        cmocka_unit_test(test_man_names_no_stale_option),
        cmocka_unit_test(test_man_is_generated),
        cmocka_unit_test(test_man_renders_cleanly),
        cmocka_unit_test(test_reference_options_are_help_options),
        cmocka_unit_test(test_reference_has_every_field),
        cmocka_unit_test(test_reference_blocks_are_current),
        cmocka_unit_test(test_units_from_names),
    };
    return cmocka_run_group_tests_name("docs: --help, man page, docs/reference.md", tests,
                                       setup_group, teardown_group);
}
