/* Fuzz target: number and unit parsing (src/units.c) with the ranges the options use.
 *
 * Input: one letter naming the option (c concurrency, k compute-sparsity, S seed, n repetitions,
 * d duration, r recv-delay, b buffer-size; any other byte picks one by its value), then the
 * value. Oracles, from a reading of the same grammar written independently here:
 *   - accepted: the value has the documented shape (digits; a plain decimal number; digits and
 *     a binary suffix), the result equals what the digits say, and lies in [min, max];
 *   - refused: a reason is given (one line) and the output is left untouched;
 *   - and the converse: a value of the right shape whose number is in range is accepted (a
 *     parser that refuses everything passes the first two). */
#include "fuzz.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"
#include "units.h"

enum kind { U64, DBL, SIZE };

struct site {
    char letter;
    enum kind kind;
    double min, max;     /* the range of a decimal number */
    uint64_t umin, umax; /* the range of an integer; of a size, umax only (at least 1 byte) */
};

static const struct site sites[] = {
    {'c', U64, 0, 0, 1, IPB_MAX_CONCURRENCY},
    {'k', U64, 0, 0, 0, IPB_MAX_SPARSITY},
    {'S', U64, 0, 0, 0, UINT64_MAX},
    {'n', U64, 0, 0, 1, IPB_MAX_REPETITIONS},
    {'d', DBL, 0.0, IPB_MAX_DURATION_S, 0, 0},
    {'r', DBL, 0.0, IPB_MAX_RECV_DELAY_S, 0, 0},
    {'b', SIZE, 0, 0, 1, IPB_MAX_BUFFER_BYTES},
};
#define NSITES (sizeof(sites) / sizeof(sites[0]))

#define SENTINEL_U64 UINT64_C(0x5a5a5a5a5a5a5a5a)
#define SENTINEL_DBL -4242.4242

/* digits: the decimal value of s[0..n) into *v; 0 if it does not fit in 64 bits. */
static int digits_value(const char *s, size_t n, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (*v > (UINT64_MAX - d) / 10)
            return 0;
        *v = *v * 10 + d;
    }
    return 1;
}

static size_t count_digits(const char *s)
{
    size_t n = 0;
    while (isdigit((unsigned char)s[n]))
        n++;
    return n;
}

static void check_u64(const struct site *st, const char *s)
{
    uint64_t v = SENTINEL_U64;
    const char *why = NULL;
    int rc = ipb_parse_u64(s, st->umin, st->umax, &v, &why);
    size_t n = count_digits(s);
    uint64_t want;
    int shape = n > 0 && s[n] == '\0';
    int fits = shape && digits_value(s, n, &want);
    if (rc == 0) {
        FUZZ_CHECK(shape, "'%s' accepted as an integer", s);
        FUZZ_CHECK(fits && v == want, "'%s' parsed as %llu", s, (unsigned long long)v);
        FUZZ_CHECK(v >= st->umin && v <= st->umax, "'%s' accepted out of range", s);
    } else {
        FUZZ_CHECK(rc == -1 && why != NULL, "refused without a reason");
        ipb_fuzz_check_line("units", why, 256);
        FUZZ_CHECK(v == SENTINEL_U64, "'%s' refused, but the output was written", s);
        FUZZ_CHECK(!(fits && want >= st->umin && want <= st->umax),
                   "'%s' refused (%s), but it is an integer in range", s, why);
    }
}

/* A plain decimal number: optional sign, digits with at most one dot (at least one digit),
 * optional exponent. What strtod accepts beyond that (blanks, hex, inf, nan) is refused. */
static int decimal_shape(const char *s)
{
    size_t i = 0, mant = 0;
    if (s[i] == '+' || s[i] == '-')
        i++;
    mant += count_digits(s + i);
    i += count_digits(s + i);
    if (s[i] == '.') {
        i++;
        mant += count_digits(s + i);
        i += count_digits(s + i);
    }
    if (mant == 0)
        return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        i++;
        if (s[i] == '+' || s[i] == '-')
            i++;
        if (count_digits(s + i) == 0)
            return 0;
        i += count_digits(s + i);
    }
    return s[i] == '\0';
}

static void check_double(const struct site *st, const char *s)
{
    double v = SENTINEL_DBL;
    const char *why = NULL;
    int rc = ipb_parse_double(s, st->min, st->max, &v, &why);
    int shape = decimal_shape(s);
    if (rc == 0) {
        FUZZ_CHECK(shape, "'%s' accepted as a decimal number", s);
        FUZZ_CHECK(isfinite(v) && v >= st->min && v <= st->max, "'%s' accepted as %g", s, v);
        FUZZ_CHECK(v == strtod(s, NULL), "'%s' parsed as %.17g", s, v);
    } else {
        FUZZ_CHECK(rc == -1 && why != NULL, "refused without a reason");
        ipb_fuzz_check_line("units", why, 256);
        FUZZ_CHECK(v == SENTINEL_DBL, "'%s' refused, but the output was written", s);
        if (shape) {
            errno = 0;
            double want = strtod(s, NULL);
            int overflow = errno == ERANGE && fabs(want) > 1.0;
            FUZZ_CHECK(overflow || !(want >= st->min && want <= st->max),
                       "'%s' refused (%s), but it is a decimal number in range", s, why);
        }
    }
}

static const struct {
    const char *suffix;
    unsigned shift;
} suffixes[] = {{"", 10},  {"b", 0},    {"k", 10}, {"kib", 10},
                {"m", 20}, {"mib", 20}, {"g", 30}, {"gib", 30}};

static void check_size(const struct site *st, const char *s)
{
    uint64_t v = SENTINEL_U64;
    const char *why = NULL;
    int rc = ipb_parse_size(s, st->umax, &v, &why);
    size_t n = count_digits(s);
    int unit = -1;
    for (size_t i = 0; n > 0 && i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (strcasecmp(s + n, suffixes[i].suffix) == 0)
            unit = (int)i;
    uint64_t digits = 0, want = 0;
    int fits = unit >= 0 && digits_value(s, n, &digits);
    if (fits) {
        unsigned shift = suffixes[unit].shift;
        fits = digits <= (UINT64_MAX >> shift);
        want = digits << shift;
    }
    if (rc == 0) {
        FUZZ_CHECK(unit >= 0, "'%s' accepted as a size", s);
        FUZZ_CHECK(fits && v == want, "'%s' parsed as %llu bytes", s, (unsigned long long)v);
        FUZZ_CHECK(v >= 1 && v <= st->umax, "'%s' accepted out of range", s);
    } else {
        FUZZ_CHECK(rc == -1 && why != NULL, "refused without a reason");
        ipb_fuzz_check_line("units", why, 256);
        FUZZ_CHECK(v == SENTINEL_U64, "'%s' refused, but the output was written", s);
        FUZZ_CHECK(!(fits && want >= 1 && want <= st->umax),
                   "'%s' refused (%s), but it is a size in range", s, why);
    }
}

int ipb_fuzz_units(const uint8_t *data, size_t size, char *msg, size_t msglen)
{
    if (size == 0)
        return 0;
    const struct site *st = &sites[data[0] % NSITES];
    for (size_t i = 0; i < NSITES; i++)
        if (sites[i].letter == (char)data[0])
            st = &sites[i];
    char *s = ipb_fuzz_strndup(data + 1, size - 1);
    const char *why = NULL;
    int rc;
    /* the checks call the parser themselves; this call only reports the outcome to the caller */
    switch (st->kind) {
    case U64: {
        uint64_t v;
        check_u64(st, s);
        rc = ipb_parse_u64(s, st->umin, st->umax, &v, &why);
        break;
    }
    case DBL: {
        double v;
        check_double(st, s);
        rc = ipb_parse_double(s, st->min, st->max, &v, &why);
        break;
    }
    case SIZE:
    default: {
        uint64_t v;
        check_size(st, s);
        rc = ipb_parse_size(s, st->umax, &v, &why);
        break;
    }
    }
    snprintf(msg, msglen, "%s", rc == 0 ? "" : why);
    free(s);
    return rc;
}
