/* Unit tests for src/options.c: the command line (docs/design.md, "Command line" and "Errors"). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipb_status.h"
#include "method.h"
#include "options.h"

#define KIB 1024u

/* ---- helpers ------------------------------------------------------------------------------- */

static void assert_contains_(const char *hay, const char *needle, const char *file, int line)
{
    if (hay == NULL || strstr(hay, needle) == NULL) {
        print_error("\"%s\" does not contain \"%s\"\n", hay ? hay : "(null)", needle);
        _fail(file, line);
    }
}
#define assert_contains(hay, needle) assert_contains_((hay), (needle), __FILE__, __LINE__)

/* Run the parser over defaults on a NULL-terminated list of arguments (argv[0] added here). */
static int parse_list(struct ipb_options *o, char *err, size_t errlen, const char *const *args)
{
    const char *argv[64];
    int argc = 0;
    argv[argc++] = "io-pipeline-bench";
    for (size_t i = 0; args[i] != NULL; i++) {
        assert_true(argc < 63);
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;
    ipb_options_defaults(o);
    /* A stale message must not survive a successful parse. */
    memset(err, 'X', errlen - 1);
    err[errlen - 1] = '\0';
    return ipb_options_parse(argc, (char *const *)argv, o, err, errlen);
}
#define PARSE(o, err, ...)                                                                         \
    parse_list((o), (err), sizeof(err), (const char *const[]){__VA_ARGS__, NULL})

/* The arguments parse, and leave no message behind. */
static void parse_ok_(struct ipb_options *o, const char *const *args, const char *file, int line)
{
    char err[IPB_ERRMSG_LEN];
    int rc = parse_list(o, err, sizeof(err), args);
    if (rc != IPB_OK || err[0] != '\0') {
        print_error("parse of '%s ...' returned %d with \"%s\", expected IPB_OK and no message\n",
                    args[0] ? args[0] : "", rc, err);
        _fail(file, line);
    }
}
#define PARSE_OK(o, ...)                                                                           \
    parse_ok_((o), (const char *const[]){__VA_ARGS__, NULL}, __FILE__, __LINE__)

/* The arguments are refused as bad input with one message line naming the option and (when
 * given) the value. */
static void parse_bad_(const char *const *args, const char *optname, const char *value,
                       const char *file, int line)
{
    struct ipb_options o;
    char err[IPB_ERRMSG_LEN];
    int rc = parse_list(&o, err, sizeof(err), args);
    char argstr[512] = "";
    for (size_t i = 0; args[i] != NULL; i++) {
        strncat(argstr, args[i], sizeof(argstr) - strlen(argstr) - 2);
        strncat(argstr, " ", sizeof(argstr) - strlen(argstr) - 1);
    }
    if (rc != IPB_EBADINPUT) {
        print_error("parse of '%s' returned %d (\"%s\"), expected IPB_EBADINPUT\n", argstr, rc,
                    err);
        _fail(file, line);
    }
    if (err[0] == '\0' || strchr(err, '\n') != NULL || strstr(err, "XXXX") != NULL) {
        print_error("parse of '%s': message \"%s\" is not one line\n", argstr, err);
        _fail(file, line);
    }
    if (optname != NULL && strstr(err, optname) == NULL) {
        print_error("parse of '%s': message \"%s\" does not name the option %s\n", argstr, err,
                    optname);
        _fail(file, line);
    }
    if (value != NULL && strstr(err, value) == NULL) {
        print_error("parse of '%s': message \"%s\" does not name the value '%s'\n", argstr, err,
                    value);
        _fail(file, line);
    }
}
#define PARSE_BAD(opt, value, ...)                                                                 \
    parse_bad_((const char *const[]){__VA_ARGS__, NULL}, (opt), (value), __FILE__, __LINE__)

static void check_defaults(const struct ipb_options *o)
{
    assert_non_null(o->method);
    assert_string_equal(o->method->name, "sequential");
    assert_ptr_equal(o->method, &ipb_method_sequential);
    assert_dbl_eq(o->duration_s, 10.0);
    assert_int_equal(o->buffer_bytes, 256 * KIB);
    assert_int_equal(o->concurrency, 1);
    assert_dbl_eq(o->recv_delay_s, 0.1);
    assert_string_equal(o->output_base, "io-pipeline-bench.out");
    assert_int_equal(o->compute_sparsity, 8);
    assert_int_equal(o->sync, IPB_SYNC_EVERY);
    assert_int_equal(o->aio_engine, IPB_AIO_AUTO);
    assert_string_equal(o->dat_path, "");
    assert_string_equal(o->hdf5_path, "");
    assert_false(o->keep_files);
    assert_string_equal(o->label, "");
    assert_int_equal(o->seed, 1);
    assert_int_equal(o->recv_phase, IPB_RECV_PHASE_RANDOM);
    assert_int_equal(o->arrivals, IPB_ARRIVALS_CLOSED);
    assert_int_equal(o->backlog, 16);
    assert_int_equal(o->backlog_policy, IPB_BACKLOG_BLOCK);
    assert_false(o->help);
    assert_false(o->version);
}

/* ---- --recv-phase ------------------------------------------------------------------------------
 */

static void test_recv_phase(void **state)
{
    (void)state;
    struct ipb_options o;
    PARSE_OK(&o, "--recv-phase", "aligned");
    assert_int_equal(o.recv_phase, IPB_RECV_PHASE_ALIGNED);
    PARSE_OK(&o, "--recv-phase=random");
    assert_int_equal(o.recv_phase, IPB_RECV_PHASE_RANDOM);
    assert_string_equal(ipb_recv_phase_name(IPB_RECV_PHASE_ALIGNED), "aligned");
    assert_string_equal(ipb_recv_phase_name(IPB_RECV_PHASE_RANDOM), "random");
    PARSE_BAD("--recv-phase", "lockstep", "--recv-phase", "lockstep");
    PARSE_BAD("--recv-phase", "", "--recv-phase", "");
}

/* ---- --arrivals, --backlog, --backlog-policy ------------------------------------------------- */

static void test_arrivals_options(void **state)
{
    (void)state;
    struct ipb_options o;
    PARSE_OK(&o, "--arrivals", "open");
    assert_int_equal(o.arrivals, IPB_ARRIVALS_OPEN);
    assert_int_equal(o.backlog, 16);
    assert_int_equal(o.backlog_policy, IPB_BACKLOG_BLOCK);
    PARSE_OK(&o, "--arrivals=closed");
    assert_int_equal(o.arrivals, IPB_ARRIVALS_CLOSED);
    PARSE_OK(&o, "--arrivals", "open", "--backlog", "1", "--backlog-policy", "drop");
    assert_int_equal(o.backlog, 1);
    assert_int_equal(o.backlog_policy, IPB_BACKLOG_DROP);
    PARSE_OK(&o, "--backlog-policy=block", "--backlog", "65536", "--arrivals", "open");
    assert_int_equal(o.backlog, 65536);
    assert_int_equal(o.backlog_policy, IPB_BACKLOG_BLOCK);
    PARSE_OK(&o, "--arrivals", "open", "--recv-delay", "0.00001", "--recv-model", "exponential");
    assert_string_equal(ipb_arrival_mode_name(IPB_ARRIVALS_OPEN), "open");
    assert_string_equal(ipb_arrival_mode_name(IPB_ARRIVALS_CLOSED), "closed");
    assert_string_equal(ipb_backlog_policy_name(IPB_BACKLOG_BLOCK), "block");
    assert_string_equal(ipb_backlog_policy_name(IPB_BACKLOG_DROP), "drop");

    PARSE_BAD("--arrivals", "poisson", "--arrivals", "poisson");
    PARSE_BAD("--arrivals", "", "--arrivals", "");
    PARSE_BAD("--arrivals", NULL, "--arrivals");
    PARSE_BAD("--backlog", "0", "--arrivals", "open", "--backlog", "0");
    PARSE_BAD("--backlog", "65537", "--arrivals", "open", "--backlog", "65537");
    PARSE_BAD("--backlog", "-1", "--arrivals", "open", "--backlog", "-1");
    PARSE_BAD("--backlog", "2.5", "--arrivals", "open", "--backlog", "2.5");
    PARSE_BAD("--backlog", "x", "--arrivals", "open", "--backlog", "x");
    PARSE_BAD("--backlog-policy", "wait", "--arrivals", "open", "--backlog-policy", "wait");
    /* meaningless with closed arrivals, given or defaulted */
    PARSE_BAD("--backlog", "4", "--backlog", "4");
    PARSE_BAD("--backlog", "16", "--arrivals", "closed", "--backlog", "16");
    PARSE_BAD("--backlog-policy", "drop", "--backlog-policy", "drop");
    PARSE_BAD("--backlog-policy", "block", "--backlog-policy", "block", "--arrivals", "closed");
    /* open arrivals need a rate */
    PARSE_BAD("--recv-delay", "0", "--arrivals", "open", "--recv-delay", "0");
    PARSE_BAD("--recv-delay", "5e-06", "--arrivals", "open", "--recv-delay", "0.000005");
    char err[IPB_ERRMSG_LEN];
    assert_int_equal(PARSE(&o, err, "--backlog", "4"), IPB_EBADINPUT);
    assert_contains(err, "only applies to --arrivals open");
    assert_int_equal(PARSE(&o, err, "--arrivals", "open", "-r", "0"), IPB_EBADINPUT);
    assert_contains(err, "at least 1e-05 s");
}

/* ---- defaults ------------------------------------------------------------------------------ */

static void test_defaults(void **state)
{
    (void)state;
    struct ipb_options o;
    memset(&o, 0x5a, sizeof(o)); /* defaults must set everything, not rely on a zeroed struct */
    ipb_options_defaults(&o);
    check_defaults(&o);
}

static void test_no_arguments_gives_defaults(void **state)
{
    (void)state;
    struct ipb_options o;
    char err[IPB_ERRMSG_LEN];
    const char *argv[] = {"io-pipeline-bench", NULL};
    ipb_options_defaults(&o);
    strcpy(err, "stale");
    assert_int_equal(ipb_options_parse(1, (char *const *)argv, &o, err, sizeof(err)), IPB_OK);
    assert_string_equal(err, "");
    check_defaults(&o);
}

static void test_sync_and_engine_names(void **state)
{
    (void)state;
    assert_string_equal(ipb_sync_name(IPB_SYNC_EVERY), "every");
    assert_string_equal(ipb_sync_name(IPB_SYNC_END), "end");
    assert_string_equal(ipb_sync_name(IPB_SYNC_NONE), "none");
    assert_string_equal(ipb_aio_engine_name(IPB_AIO_AUTO), "auto");
    assert_string_equal(ipb_aio_engine_name(IPB_AIO_IO_URING), "io_uring");
    assert_string_equal(ipb_aio_engine_name(IPB_AIO_POSIX), "posix");
}

/* ---- every option, in every spelling -------------------------------------------------------- */

/* Parse "<pre...> --name value", "<pre...> --name=value" and "<pre...> -s value" (when the
 * option has a short form) and run check on each result. pre may be NULL. */
static void each_form_(const char *pre1, const char *pre2, const char *name, char short_name,
                       const char *value, void (*check)(const struct ipb_options *),
                       const char *file, int line)
{
    char longeq[256], shortopt[3] = {'-', short_name, '\0'}, longopt[128];
    snprintf(longopt, sizeof(longopt), "--%s", name);
    snprintf(longeq, sizeof(longeq), "--%s=%s", name, value);
    const char *forms[3][6];
    int nforms = 0;
    int npre = 0;
    const char *pre[2];
    if (pre1)
        pre[npre++] = pre1;
    if (pre2)
        pre[npre++] = pre2;
    for (int f = 0; f < 3; f++) {
        int n = 0;
        if (f == 2 && short_name == 0)
            break;
        for (int i = 0; i < npre; i++)
            forms[f][n++] = pre[i];
        if (f == 0) {
            forms[f][n++] = longopt;
            forms[f][n++] = value;
        } else if (f == 1) {
            forms[f][n++] = longeq;
        } else {
            forms[f][n++] = shortopt;
            forms[f][n++] = value;
        }
        forms[f][n] = NULL;
        nforms++;
    }
    for (int f = 0; f < nforms; f++) {
        struct ipb_options o;
        char err[IPB_ERRMSG_LEN];
        int rc = parse_list(&o, err, sizeof(err), forms[f]);
        if (rc != IPB_OK || err[0] != '\0') {
            print_error("form %d of --%s %s: returned %d, \"%s\"\n", f, name, value, rc, err);
            _fail(file, line);
        }
        check(&o);
    }
}
#define EACH_FORM(pre1, pre2, name, short_name, value, check)                                      \
    each_form_((pre1), (pre2), (name), (short_name), (value), (check), __FILE__, __LINE__)

static void is_openmp(const struct ipb_options *o)
{
    assert_ptr_equal(o->method, &ipb_method_openmp);
    assert_string_equal(o->method->name, "openmp");
}
static void is_fork(const struct ipb_options *o)
{
    assert_ptr_equal(o->method, &ipb_method_fork);
    assert_string_equal(o->method->name, "fork");
}
static void is_aio(const struct ipb_options *o)
{
    assert_ptr_equal(o->method, &ipb_method_aio);
    assert_string_equal(o->method->name, "aio");
}
static void is_sequential(const struct ipb_options *o)
{
    assert_ptr_equal(o->method, &ipb_method_sequential);
}

static void test_method(void **state)
{
    (void)state;
    EACH_FORM(NULL, NULL, "method", 'm', "openmp", is_openmp);
    EACH_FORM(NULL, NULL, "method", 'm', "fork", is_fork);
    EACH_FORM(NULL, NULL, "method", 'm', "aio", is_aio);
    EACH_FORM(NULL, NULL, "method", 'm', "sequential", is_sequential);
}

static void test_method_aliases(void **state)
{
    (void)state;
    /* The Python original's names. */
    EACH_FORM(NULL, NULL, "method", 'm', "threading", is_openmp);
    EACH_FORM(NULL, NULL, "method", 'm', "multiprocess", is_fork);
    EACH_FORM(NULL, NULL, "method", 'm', "asyncio", is_aio);
    assert_ptr_equal(ipb_method_find("threading"), &ipb_method_openmp);
    assert_ptr_equal(ipb_method_find("multiprocess"), &ipb_method_fork);
    assert_ptr_equal(ipb_method_find("asyncio"), &ipb_method_aio);
    assert_null(ipb_method_find("threads"));
    assert_null(ipb_method_find("Sequential"));
    assert_null(ipb_method_find(""));
}

static void dur_2_5(const struct ipb_options *o)
{
    assert_dbl_eq(o->duration_s, 2.5);
}
static void dur_tiny(const struct ipb_options *o)
{
    assert_dbl_eq(o->duration_s, 0.001);
}
static void dur_max(const struct ipb_options *o)
{
    assert_dbl_eq(o->duration_s, 1e6);
}

static void test_duration(void **state)
{
    (void)state;
    EACH_FORM(NULL, NULL, "duration", 'd', "2.5", dur_2_5);
    EACH_FORM(NULL, NULL, "duration", 'd', "0.001", dur_tiny);
    EACH_FORM(NULL, NULL, "duration", 'd', "1e6", dur_max);
}

static void buf_4k(const struct ipb_options *o)
{
    assert_int_equal(o->buffer_bytes, 4 * KIB);
}
static void buf_1m(const struct ipb_options *o)
{
    assert_int_equal(o->buffer_bytes, 1024 * KIB);
}
static void buf_100b(const struct ipb_options *o)
{
    assert_int_equal(o->buffer_bytes, 100);
}
static void buf_16g(const struct ipb_options *o)
{
    assert_int_equal(o->buffer_bytes, UINT64_C(16) << 30);
}

static void test_buffer_size(void **state)
{
    (void)state;
    EACH_FORM(NULL, NULL, "buffer-size", 'b', "4", buf_4k); /* bare number = KiB */
    EACH_FORM(NULL, NULL, "buffer-size", 'b', "4KiB", buf_4k);
    EACH_FORM(NULL, NULL, "buffer-size", 'b', "1M", buf_1m);
    EACH_FORM(NULL, NULL, "buffer-size", 'b', "1mib", buf_1m);
    EACH_FORM(NULL, NULL, "buffer-size", 'b', "100B", buf_100b);
    EACH_FORM(NULL, NULL, "buffer-size", 'b', "16G", buf_16g);
}

static void conc_4(const struct ipb_options *o)
{
    assert_int_equal(o->concurrency, 4);
}
static void conc_max(const struct ipb_options *o)
{
    assert_int_equal(o->concurrency, IPB_MAX_CONCURRENCY);
}
static void conc_1(const struct ipb_options *o)
{
    assert_int_equal(o->concurrency, 1);
}

static void test_concurrency(void **state)
{
    (void)state;
    EACH_FORM("--method", "openmp", "concurrency", 'c', "4", conc_4);
    EACH_FORM("--method", "fork", "concurrency", 'c', "4", conc_4);
    EACH_FORM("--method", "aio", "concurrency", 'c', "4096", conc_max);
    EACH_FORM(NULL, NULL, "concurrency", 'c', "1", conc_1); /* sequential takes 1 */
    /* The method may come after the concurrency: combinations are judged at the end. */
    struct ipb_options o;
    PARSE_OK(&o, "--concurrency", "4", "--method", "threading");
    assert_int_equal(o.concurrency, 4);
}

static void rd_0(const struct ipb_options *o)
{
    assert_dbl_eq(o->recv_delay_s, 0.0);
}
static void rd_0_25(const struct ipb_options *o)
{
    assert_dbl_eq(o->recv_delay_s, 0.25);
}
static void rd_max(const struct ipb_options *o)
{
    assert_dbl_eq(o->recv_delay_s, 3600.0);
}

static void test_recv_delay(void **state)
{
    (void)state;
    EACH_FORM(NULL, NULL, "recv-delay", 'r', "0", rd_0);
    EACH_FORM(NULL, NULL, "recv-delay", 'r', "0.25", rd_0_25);
    EACH_FORM(NULL, NULL, "recv-delay", 'r', "3600", rd_max);
}

static void out_base(const struct ipb_options *o)
{
    assert_string_equal(o->output_base, "/scratch/me/run1");
}

static void test_output_file(void **state)
{
    (void)state;
    EACH_FORM(NULL, NULL, "output-file", 'o', "/scratch/me/run1", out_base);
}

static void sp_0(const struct ipb_options *o)
{
    assert_int_equal(o->compute_sparsity, 0);
}
static void sp_1(const struct ipb_options *o)
{
    assert_int_equal(o->compute_sparsity, 1);
}
static void sp_4096(const struct ipb_options *o)
{
    assert_int_equal(o->compute_sparsity, 4096);
}
static void sp_max(const struct ipb_options *o)
{
    assert_int_equal(o->compute_sparsity, IPB_MAX_SPARSITY);
}

static void test_compute_sparsity(void **state)
{
    (void)state;
    EACH_FORM(NULL, NULL, "compute-sparsity", 'k', "0", sp_0);
    EACH_FORM(NULL, NULL, "compute-sparsity", 'k', "1", sp_1);
    EACH_FORM(NULL, NULL, "compute-sparsity", 'k', "4096", sp_4096);
    EACH_FORM(NULL, NULL, "compute-sparsity", 'k', "1073741824", sp_max);
}

static void sync_every(const struct ipb_options *o)
{
    assert_int_equal(o->sync, IPB_SYNC_EVERY);
}
static void sync_end(const struct ipb_options *o)
{
    assert_int_equal(o->sync, IPB_SYNC_END);
}
static void sync_none(const struct ipb_options *o)
{
    assert_int_equal(o->sync, IPB_SYNC_NONE);
}

static void test_sync(void **state)
{
    (void)state;
    EACH_FORM(NULL, NULL, "sync", 's', "end", sync_end);
    EACH_FORM(NULL, NULL, "sync", 's', "none", sync_none);
    /* Set something else first so "every" is seen to be parsed, not defaulted. */
    EACH_FORM("--sync", "none", "sync", 's', "every", sync_every);
}

static void eng_posix(const struct ipb_options *o)
{
    assert_int_equal(o->aio_engine, IPB_AIO_POSIX);
    is_aio(o);
}
static void eng_uring(const struct ipb_options *o)
{
    assert_int_equal(o->aio_engine, IPB_AIO_IO_URING);
}
static void eng_auto(const struct ipb_options *o)
{
    assert_int_equal(o->aio_engine, IPB_AIO_AUTO);
}

static void test_aio_engine(void **state)
{
    (void)state;
    EACH_FORM("--method", "aio", "aio-engine", 'e', "posix", eng_posix);
    EACH_FORM("--method", "asyncio", "aio-engine", 'e', "io_uring", eng_uring);
    EACH_FORM("-m", "aio", "aio-engine", 'e', "auto", eng_auto);
    /* Engine before method is fine too. */
    struct ipb_options o;
    PARSE_OK(&o, "--aio-engine", "posix", "--method", "aio");
    eng_posix(&o);
}

static void dat_path(const struct ipb_options *o)
{
    assert_string_equal(o->dat_path, "results.dat");
}
static void hdf5_path(const struct ipb_options *o)
{
    assert_string_equal(o->hdf5_path, "/tmp/results.h5");
}
static void label_text(const struct ipb_options *o)
{
    assert_string_equal(o->label, "nvme run #3, 2 ranks");
}
static void seed_big(const struct ipb_options *o)
{
    assert_int_equal(o->seed, UINT64_MAX);
}
static void seed_0(const struct ipb_options *o)
{
    assert_int_equal(o->seed, 0);
}

static void test_dat_hdf5_label_seed(void **state)
{
    (void)state;
    EACH_FORM(NULL, NULL, "dat", 0, "results.dat", dat_path);
    EACH_FORM(NULL, NULL, "hdf5", 0, "/tmp/results.h5", hdf5_path);
    EACH_FORM(NULL, NULL, "label", 'l', "nvme run #3, 2 ranks", label_text);
    EACH_FORM(NULL, NULL, "seed", 0, "18446744073709551615", seed_big);
    EACH_FORM(NULL, NULL, "seed", 0, "0", seed_0);
}

static void test_flags(void **state)
{
    (void)state;
    struct ipb_options o;
    PARSE_OK(&o, "--keep-files");
    assert_true(o.keep_files);
    assert_false(o.help);

    PARSE_OK(&o, "--help");
    assert_true(o.help);
    assert_false(o.version);
    PARSE_OK(&o, "-h");
    assert_true(o.help);

    PARSE_OK(&o, "--version");
    assert_true(o.version);
    assert_false(o.help);
    PARSE_OK(&o, "-V");
    assert_true(o.version);

    /* --help asks for the text, not a run: a combination that could not run does not stop it. */
    PARSE_OK(&o, "--concurrency", "4", "--help");
    assert_true(o.help);
}

static void test_everything_at_once(void **state)
{
    (void)state;
    struct ipb_options o;
    PARSE_OK(&o, "-m", "aio", "-d", "3", "-b", "64K", "-c", "8", "-r", "0.02", "-o", "/d/x", "-k",
             "16", "-s", "end", "-e", "posix", "--dat", "r.dat", "--hdf5", "r.h5", "--keep-files",
             "-l", "lbl", "--seed", "99");
    is_aio(&o);
    assert_dbl_eq(o.duration_s, 3.0);
    assert_int_equal(o.buffer_bytes, 64 * KIB);
    assert_int_equal(o.concurrency, 8);
    assert_dbl_eq(o.recv_delay_s, 0.02);
    assert_string_equal(o.output_base, "/d/x");
    assert_int_equal(o.compute_sparsity, 16);
    assert_int_equal(o.sync, IPB_SYNC_END);
    assert_int_equal(o.aio_engine, IPB_AIO_POSIX);
    assert_string_equal(o.dat_path, "r.dat");
    assert_string_equal(o.hdf5_path, "r.h5");
    assert_true(o.keep_files);
    assert_string_equal(o.label, "lbl");
    assert_int_equal(o.seed, 99);
    assert_false(o.help);
    assert_false(o.version);

    /* The last of a repeated option wins. */
    PARSE_OK(&o, "--duration", "1", "--duration=2", "-d", "4");
    assert_dbl_eq(o.duration_s, 4.0);
}

static void test_value_may_start_with_one_dash(void **state)
{
    (void)state;
    /* A value that starts with one dash is a value (refused by its range here), not an
     * option: only "--..." counts as a missing value. */
    PARSE_BAD("--recv-delay", "-1", "--recv-delay", "-1");
    struct ipb_options o;
    PARSE_OK(&o, "--label", "-x-");
    assert_string_equal(o.label, "-x-");
}

static void test_text_length_limits(void **state)
{
    (void)state;
    struct ipb_options o;
    char *s = malloc(IPB_PATH_MAX + 1);
    assert_non_null(s);

    /* Label: IPB_LABEL_MAX - 1 characters fit, one more does not. */
    memset(s, 'a', IPB_LABEL_MAX - 1);
    s[IPB_LABEL_MAX - 1] = '\0';
    PARSE_OK(&o, "--label", s);
    assert_int_equal(strlen(o.label), IPB_LABEL_MAX - 1);
    memset(s, 'a', IPB_LABEL_MAX);
    s[IPB_LABEL_MAX] = '\0';
    PARSE_BAD("--label", NULL, "--label", s);

    /* Output base: leaves room for ".<rank>.<pipeline>" (32 bytes). */
    size_t maxbase = sizeof(o.output_base) - 32 - 1;
    memset(s, 'b', maxbase);
    s[maxbase] = '\0';
    PARSE_OK(&o, "--output-file", s);
    assert_int_equal(strlen(o.output_base), maxbase);
    s[maxbase] = 'b';
    s[maxbase + 1] = '\0';
    PARSE_BAD("--output-file", NULL, "--output-file", s);

    /* --dat path: IPB_PATH_MAX - 1 fits. */
    memset(s, 'c', IPB_PATH_MAX - 1);
    s[IPB_PATH_MAX - 1] = '\0';
    PARSE_OK(&o, "--dat", s);
    assert_int_equal(strlen(o.dat_path), IPB_PATH_MAX - 1);
    memset(s, 'c', IPB_PATH_MAX);
    s[IPB_PATH_MAX] = '\0';
    PARSE_BAD("--dat", NULL, "--dat", s);
    free(s);
}

/* ---- bad input ----------------------------------------------------------------------------- */

static void test_unknown_options(void **state)
{
    (void)state;
    PARSE_BAD("--bogus", NULL, "--bogus");
    PARSE_BAD("--bogus", NULL, "--bogus=3");
    PARSE_BAD("--bogus", NULL, "--duration", "1", "--bogus", "2");
    PARSE_BAD("-x", NULL, "-x");
    PARSE_BAD("-dd", NULL, "-dd", "1");               /* no bundling of short options */
    PARSE_BAD("--dur", NULL, "--dur", "1");           /* no abbreviations */
    PARSE_BAD("--Duration", NULL, "--Duration", "1"); /* long names are case-sensitive */
    PARSE_BAD("positional", NULL, "positional");
    PARSE_BAD("'-'", NULL, "-");
    PARSE_BAD("'--'", NULL, "--");
    PARSE_BAD("---duration", NULL, "---duration", "1");
}

static void test_missing_value(void **state)
{
    (void)state;
    static const char *const with_value[] = {
        "--method",
        "--duration",
        "--buffer-size",
        "--concurrency",
        "--recv-delay",
        "--output-file",
        "--compute-sparsity",
        "--sync",
        "--aio-engine",
        "--dat",
        "--hdf5",
        "--label",
        "--seed",
    };
    for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++) {
        /* At the end of argv... */
        PARSE_BAD(with_value[i], NULL, with_value[i]);
        /* ...and followed by another long option, which must not be taken as the value. */
        PARSE_BAD(with_value[i], NULL, with_value[i], "--keep-files");
        PARSE_BAD(with_value[i], NULL, with_value[i], "--duration", "5");
    }
    /* Short forms report the long name. */
    PARSE_BAD("--duration", NULL, "-d");
    PARSE_BAD("--method", NULL, "-m");
    PARSE_BAD("--concurrency", NULL, "--method", "fork", "-c");
    PARSE_BAD("--label", NULL, "-l", "--help");
}

static void test_bad_numbers(void **state)
{
    (void)state;
    static const char *const durations[] = {"0",       "0.0",  "-1", "abc", "nan", "inf",  "1e400",
                                            "1000001", "0x10", " 5", "5 ",  "5s",  "1.5.5"};
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        PARSE_BAD("--duration", durations[i], "--duration", durations[i]);
        PARSE_BAD("--duration", durations[i], "-d", durations[i]);
    }
    PARSE_BAD("--duration", "''", "--duration=");
    PARSE_BAD("--duration", "''", "--duration", "");

    static const char *const sizes[] = {"0",   "-1",  "+4",           "4KB",
                                        "4MB", "17G", "17179869185B", "1.5M",
                                        "abc", "4x",  "99999999999G", "123456789012345678901"};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        PARSE_BAD("--buffer-size", sizes[i], "--buffer-size", sizes[i]);
    PARSE_BAD("--buffer-size", "''", "--buffer-size=");

    static const char *const concs[] = {"0",   "-1", "+2", "4097",
                                        "1.5", "x",  "2x", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(concs) / sizeof(concs[0]); i++)
        PARSE_BAD("--concurrency", concs[i], "--method", "openmp", "--concurrency", concs[i]);

    static const char *const delays[] = {"-0.1", "-1", "3600.5", "nan", "inf", "x", "0x1p-3"};
    for (size_t i = 0; i < sizeof(delays) / sizeof(delays[0]); i++)
        PARSE_BAD("--recv-delay", delays[i], "--recv-delay", delays[i]);

    static const char *const sparsities[] = {"-1", "1073741825", "x", "1.5", "+8"};
    for (size_t i = 0; i < sizeof(sparsities) / sizeof(sparsities[0]); i++)
        PARSE_BAD("--compute-sparsity", sparsities[i], "--compute-sparsity", sparsities[i]);

    static const char *const seeds[] = {"-1", "18446744073709551616", "x", "1e3"};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        PARSE_BAD("--seed", seeds[i], "--seed", seeds[i]);
}

static void test_bad_words(void **state)
{
    (void)state;
    PARSE_BAD("--method", "threads", "--method", "threads");
    PARSE_BAD("--method", "Sequential", "--method=Sequential");
    PARSE_BAD("--method", "''", "--method", "");
    PARSE_BAD("--sync", "always", "--sync", "always");
    PARSE_BAD("--sync", "EVERY", "-s", "EVERY");
    PARSE_BAD("--aio-engine", "uring", "--method", "aio", "--aio-engine", "uring");

    /* The unknown-method message lists what is known. */
    struct ipb_options o;
    char err[IPB_ERRMSG_LEN];
    assert_int_equal(PARSE(&o, err, "--method", "threads"), IPB_EBADINPUT);
    assert_contains(err, "sequential");
    assert_contains(err, "openmp");
    assert_contains(err, "fork");
    assert_contains(err, "aio");
}

static void test_bad_combinations(void **state)
{
    (void)state;
    /* sequential runs one pipeline: the option and the value are named. */
    PARSE_BAD("--concurrency", "4", "--method", "sequential", "--concurrency", "4");
    PARSE_BAD("--concurrency", "4", "--concurrency", "4"); /* sequential is the default */
    PARSE_BAD("--concurrency", "2", "-c", "2", "-m", "sequential");
    PARSE_BAD("--concurrency", "4", "--method", "fork", "--concurrency", "4", "--method",
              "sequential");
    /* --aio-engine only means something for aio. */
    PARSE_BAD("--aio-engine", "posix", "--aio-engine", "posix");
    PARSE_BAD("--aio-engine", "io_uring", "--method", "openmp", "--aio-engine", "io_uring");
    PARSE_BAD("--aio-engine", "auto", "--method", "fork", "--aio-engine=auto");
    PARSE_BAD("--aio-engine", "posix", "--aio-engine", "posix", "--method", "threading");

    struct ipb_options o;
    char err[IPB_ERRMSG_LEN];
    assert_int_equal(PARSE(&o, err, "--method", "openmp", "--aio-engine", "posix"), IPB_EBADINPUT);
    assert_contains(err, "openmp"); /* says which method it was */
}

static void test_bad_text(void **state)
{
    (void)state;
    PARSE_BAD("--output-file", "''", "--output-file", "");
    PARSE_BAD("--output-file", "''", "--output-file=");
    PARSE_BAD("--output-file", "''", "-o", "");
    PARSE_BAD("--dat", "''", "--dat", "");
    PARSE_BAD("--hdf5", "''", "--hdf5=");
    /* Control characters would break the tab-separated row and the one-line messages. */
    PARSE_BAD("--label", NULL, "--label", "a\tb");
    PARSE_BAD("--label", NULL, "--label", "a\x1b[31m");
    PARSE_BAD("--label", NULL, "--label", "a\x7f");
    PARSE_BAD("--output-file", NULL, "--output-file", "dir/a\tb");
    PARSE_BAD("--dat", NULL, "--dat", "r\t.dat");
    /* (newlines and carriage returns: test_control_characters_escaped_in_message) */
    /* An empty label is allowed (it means none). */
    struct ipb_options o;
    PARSE_OK(&o, "--label", "");
    assert_string_equal(o.label, "");
}

/* The error line for a value holding a control character stays one line and still shows the
 * value, escaped. */
static void test_control_characters_escaped_in_message(void **state)
{
    (void)state;
    static const struct {
        const char *args[3];
        const char *opt;
        const char *shown;
    } cases[] = {
        {{"--label", "a\tb", NULL}, "--label", "a\\tb"},
        {{"--label", "a\nb", NULL}, "--label", "a\\nb"},
        {{"--output-file", "x\ny", NULL}, "--output-file", "x\\ny"},
        {{"--duration", "5\n", NULL}, "--duration", "5\\n"},
        {{"--bo\ngus", NULL, NULL}, "--bo", "--bo\\ngus"},
        {{"--keep-files=\n", NULL, NULL}, "--keep-files", "\\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ipb_options o;
        char err[IPB_ERRMSG_LEN];
        assert_int_equal(parse_list(&o, err, sizeof(err), cases[i].args), IPB_EBADINPUT);
        for (const char *c = err; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                print_error("case %zu: message \"%s\" holds control character 0x%02x\n", i, err,
                            (unsigned char)*c);
                fail();
            }
        assert_contains(err, cases[i].opt);
        assert_contains(err, cases[i].shown);
    }
}

static void test_flag_given_a_value(void **state)
{
    (void)state;
    PARSE_BAD("--keep-files", "yes", "--keep-files=yes");
    PARSE_BAD("--keep-files", "''", "--keep-files=");
    PARSE_BAD("--help", "1", "--help=1");
    PARSE_BAD("--version", "now", "--version=now");
}

static void test_error_message_fits_small_buffer(void **state)
{
    (void)state;
    /* A short message buffer truncates, never overflows. */
    struct ipb_options o;
    char buf[32 + 8];
    memset(buf, 0x5a, sizeof(buf));
    const char *argv[] = {"ipb", "--method", "a-very-long-unknown-method-name-indeed", NULL};
    ipb_options_defaults(&o);
    assert_int_equal(ipb_options_parse(3, (char *const *)argv, &o, buf, 32), IPB_EBADINPUT);
    assert_int_equal(strlen(buf), 31);
    for (size_t i = 32; i < sizeof(buf); i++)
        assert_int_equal((unsigned char)buf[i], 0x5a);
}

/* ---- --help -------------------------------------------------------------------------------- */

/* What --help prints, as a string (malloc'd). */
static char *usage_text(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    ipb_options_usage(f, "io-pipeline-bench");
    assert_int_equal(fclose(f), 0);
    return text;
}

static void test_usage_mentions_everything(void **state)
{
    (void)state;
    char *text = usage_text();
    assert_non_null(text);

    static const char *const names[] = {
        "--method",
        "--duration",
        "--buffer-size",
        "--concurrency",
        "--recv-delay",
        "--output-file",
        "--compute-sparsity",
        "--sync",
        "--aio-engine",
        "--dat",
        "--hdf5",
        "--keep-files",
        "--label",
        "--seed",
        "--help",
        "--version",
        "-m,",
        "-d,",
        "-b,",
        "-c,",
        "-r,",
        "-o,",
        "-k,",
        "-s,",
        "-e,",
        "-l,",
        "-h,",
        "-V,",
        /* methods and the Python original's aliases */
        "sequential",
        "openmp",
        "fork",
        "aio",
        "threading",
        "multiprocess",
        "asyncio",
        /* the words the options accept */
        "every",
        "end",
        "none",
        "auto",
        "io_uring",
        "posix",
        "KiB",
        "MiB",
        "GiB",
        "io-pipeline-bench.out",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_contains(text, names[i]);
    assert_contains(text, "io-pipeline-bench [OPTIONS]");
    free(text);
}

static void test_method_names_list(void **state)
{
    (void)state;
    char names[256];
    ipb_method_names(names, sizeof(names));
    assert_string_equal(names, "sequential, openmp, fork, aio");
    /* Truncates without overflow. */
    char small[12];
    memset(small, 0x5a, sizeof(small));
    ipb_method_names(small, 8);
    assert_int_equal(strlen(small), 7);
    for (size_t i = 8; i < sizeof(small); i++)
        assert_int_equal((unsigned char)small[i], 0x5a);
}

static void test_method_flags(void **state)
{
    (void)state;
    /* The capability flags the parser's combination checks rely on. */
    assert_true(ipb_method_sequential.flags & IPB_METHOD_SINGLE_PIPELINE);
    assert_false(ipb_method_openmp.flags & IPB_METHOD_SINGLE_PIPELINE);
    assert_false(ipb_method_fork.flags & IPB_METHOD_SINGLE_PIPELINE);
    assert_false(ipb_method_aio.flags & IPB_METHOD_SINGLE_PIPELINE);
    assert_true(ipb_method_aio.flags & IPB_METHOD_USES_AIO_ENGINE);
    assert_false(ipb_method_sequential.flags & IPB_METHOD_USES_AIO_ENGINE);
    assert_false(ipb_method_openmp.flags & IPB_METHOD_USES_AIO_ENGINE);
    assert_false(ipb_method_fork.flags & IPB_METHOD_USES_AIO_ENGINE);
    assert_true(ipb_method_openmp.flags & IPB_METHOD_THREADED);
    assert_ptr_equal(ipb_method_default(), &ipb_method_sequential);
}

/* --recv-model, --recv-stddev, --repetitions, --warmup and --progress: parsed, and refused with
 * the option and value named. */
static void test_series_recv_model_progress_options(void **state)
{
    (void)state;
    struct ipb_options o;
    char err[512];
    char *ok[] = {"p", "--recv-model", "normal", "--recv-stddev", "0.01", "--repetitions",
                  "3", "--warmup",     "1.5",    "--progress",    "0.5"};
    ipb_options_defaults(&o);
    assert_int_equal(ipb_options_parse(11, ok, &o, err, sizeof err), IPB_OK);
    assert_int_equal(o.recv_model, IPB_RECV_NORMAL);
    assert_dbl_eq(ipb_options_recv_stddev(&o), 0.01);
    assert_int_equal(o.repetitions, 3);
    assert_dbl_eq(o.warmup_s, 1.5);
    assert_dbl_eq(o.progress_s, 0.5);
    ipb_options_defaults(&o);
    assert_int_equal(o.repetitions, 1);
    assert_dbl_eq(ipb_options_recv_stddev(&o), 0.1 / 4);

    struct {
        char *opt, *value, *needle;
    } bad[] = {
        {"--recv-model", "poisson", "--recv-model 'poisson': unknown"},
        {"--repetitions", "0", "--repetitions '0'"},
        {"--warmup", "-1", "--warmup '-1'"},
        {"--progress", "0.001", "--progress '0.001'"},
        {"--recv-stddev", "0.1", "--recv-stddev '0.1': only applies to --recv-model normal"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *argv[] = {"p", bad[i].opt, bad[i].value};
        ipb_options_defaults(&o);
        assert_int_equal(ipb_options_parse(3, argv, &o, err, sizeof err), IPB_EBADINPUT);
        if (strstr(err, bad[i].needle) == NULL) {
            print_error("message '%s' lacks '%s'\n", err, bad[i].needle);
            fail();
        }
    }
}

/* --interval: off by default; accepted from 1 ms to --duration with --hdf5; refused with the
 * option, the value and the reason (the figure, for the memory bound). */
static void test_interval(void **state)
{
    (void)state;
    struct ipb_options o;
    char err[IPB_ERRMSG_LEN];
    ipb_options_defaults(&o);
    assert_dbl_eq(o.interval_s, 0.0);
    PARSE_OK(&o, "--interval", "0.5", "--hdf5", "r.h5");
    assert_dbl_eq(o.interval_s, 0.5);
    PARSE_OK(&o, "--interval", "0.001", "--duration", "1", "--hdf5", "r.h5");
    assert_dbl_eq(o.interval_s, 0.001);
    PARSE_OK(&o, "--interval", "10", "--hdf5", "r.h5"); /* = --duration (default 10) */
    PARSE_OK(&o, "--interval", "0");                    /* off: no --hdf5 needed */
    assert_dbl_eq(o.interval_s, 0.0);
    /* --duration given after --interval: judged on the final values */
    PARSE_OK(&o, "--interval", "20", "--duration", "30", "--hdf5", "r.h5");
    /* 4096 pipelines x 3 intervals: 5.6 MiB, accepted */
    PARSE_OK(&o, "-m", "openmp", "-c", "4096", "-d", "1", "--interval", "1", "--hdf5", "r.h5");

    struct {
        const char *args[12];
        const char *needle;
    } bad[] = {
        {{"--interval", "abc", "--hdf5", "r.h5"}, "--interval 'abc': "},
        {{"--interval", "-0.5", "--hdf5", "r.h5"}, "--interval '-0.5': "},
        {{"--interval", "inf", "--hdf5", "r.h5"}, "--interval 'inf': "},
        {{"--interval", "0.0009", "--hdf5", "r.h5"}, "--interval '0.0009': shorter than 0.001 s"},
        {{"--interval", "11", "--hdf5", "r.h5"}, "--interval '11': longer than --duration 10 s"},
        {{"--interval", "0.5"}, "--interval '0.5': the time series is written to the HDF5"},
        {{"--duration", "200", "--interval", "0.001", "--hdf5", "r.h5"},
         "--interval '0.001': 201000 intervals for --duration 200 s plus 1 s of drain, at most "
         "100000"},
        {{"-m", "openmp", "-c", "64", "-d", "99", "--interval", "0.01", "--hdf5", "r.h5"},
         "--interval '0.01': the series would take 283.2 MiB per rank (64 pipelines x 10000 "
         "intervals x 464 bytes), more than 256 MiB"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse_list(&o, err, sizeof(err), bad[i].args), IPB_EBADINPUT);
        assert_contains(err, bad[i].needle);
        assert_null(strchr(err, '\n'));
    }
}

/* The default each option documents (--help, the man page, docs/reference.md) is the real
 * one: giving it explicitly changes nothing. */
static void test_documented_defaults_are_the_defaults(void **state)
{
    (void)state;
    struct ipb_options want, got;
    char err[512];
    unsigned checked = 0;
    for (size_t i = 0; i < ipb_options_count(); i++) {
        const struct ipb_option_doc *d = ipb_options_doc(i);
        assert_non_null(d->help);
        if (d->dflt == NULL)
            continue;
        assert_non_null(d->arg); /* a flag has no default to document */
        ipb_options_defaults(&want);
        if (strcmp(d->name, "recv-stddev") == 0) {
            /* not a value: "--recv-delay / 4" */
            assert_string_equal(d->dflt, "--recv-delay / 4");
            assert_true(ipb_options_recv_stddev(&want) == want.recv_delay_s / 4.0);
            continue;
        }
        char opt[80];
        snprintf(opt, sizeof(opt), "--%s", d->name);
        /* --aio-engine applies to the aio method only, --backlog and --backlog-policy to open
         * arrivals only */
        int aio = strcmp(d->name, "aio-engine") == 0;
        int open = strncmp(d->name, "backlog", 7) == 0;
        const char *argv[] = {
            "ipb", opt, d->dflt, aio ? "--method" : "--arrivals", aio ? "aio" : "open", NULL};
        if (aio)
            want.method = ipb_method_find("aio");
        if (open)
            want.arrivals = IPB_ARRIVALS_OPEN;
        ipb_options_defaults(&got);
        if (ipb_options_parse(aio || open ? 5 : 3, (char *const *)argv, &got, err, sizeof(err)) !=
            IPB_OK)
            fail_msg("--%s %s (its documented default) is refused: %s", d->name, d->dflt, err);
        if (memcmp(&want, &got, sizeof(want)) != 0)
            fail_msg("--%s %s (its documented default) is not the default", d->name, d->dflt);
        checked++;
    }
    assert_true(checked >= 12);
    assert_null(ipb_options_doc(ipb_options_count()));
}

/* Every exit status is documented once, in order, and --help lists them all. */
static void test_exit_statuses_documented(void **state)
{
    (void)state;
    assert_int_equal(ipb_status_count(), 4);
    for (size_t i = 0; i < ipb_status_count(); i++) {
        assert_int_equal(ipb_status_doc(i)->code, (int)i);
        assert_true(strlen(ipb_status_doc(i)->doc) > 20);
    }
    assert_null(ipb_status_doc(ipb_status_count()));
    char *text = usage_text();
    assert_non_null(strstr(text, "Exit status: 0 success, 1 failure while running, 2 bad input, "
                                 "3 interrupted by a stop signal.\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_recv_phase),
        cmocka_unit_test(test_arrivals_options),
        cmocka_unit_test(test_no_arguments_gives_defaults),
        cmocka_unit_test(test_sync_and_engine_names),
        cmocka_unit_test(test_method),
        cmocka_unit_test(test_method_aliases),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_buffer_size),
        cmocka_unit_test(test_concurrency),
        cmocka_unit_test(test_recv_delay),
        cmocka_unit_test(test_output_file),
        cmocka_unit_test(test_compute_sparsity),
        cmocka_unit_test(test_sync),
        cmocka_unit_test(test_aio_engine),
        cmocka_unit_test(test_dat_hdf5_label_seed),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_everything_at_once),
        cmocka_unit_test(test_value_may_start_with_one_dash),
        cmocka_unit_test(test_text_length_limits),
        cmocka_unit_test(test_unknown_options),
        cmocka_unit_test(test_missing_value),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_bad_words),
        cmocka_unit_test(test_bad_combinations),
        cmocka_unit_test(test_bad_text),
        cmocka_unit_test(test_control_characters_escaped_in_message),
        cmocka_unit_test(test_flag_given_a_value),
        cmocka_unit_test(test_error_message_fits_small_buffer),
        cmocka_unit_test(test_usage_mentions_everything),
        cmocka_unit_test(test_documented_defaults_are_the_defaults),
        cmocka_unit_test(test_exit_statuses_documented),
        cmocka_unit_test(test_method_names_list),
        cmocka_unit_test(test_method_flags),
        cmocka_unit_test(test_series_recv_model_progress_options),
        cmocka_unit_test(test_interval),
    };
    return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
