#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The leading decimal digits of s into *v, *end just past them, *overflow set on ERANGE.
 * strtoull accepts leading blanks and a minus sign (and wraps "-1" to UINT64_MAX); we accept
 * neither, so the first character must be a digit, else *why = not_what. */
static int leading_digits(const char *s, const char *not_what, unsigned long long *v, char **end,
                          int *overflow, const char **why)
{
    if (s == NULL || *s == '\0') {
        *why = "empty value";
        return -1;
    }
    if (!isdigit((unsigned char)s[0])) {
        *why = not_what;
        return -1;
    }
    errno = 0;
    *v = strtoull(s, end, 10);
    *overflow = errno == ERANGE;
    return 0;
}

int ipb_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why)
{
    unsigned long long v;
    char *end;
    int overflow;
    if (leading_digits(s, "not a non-negative integer", &v, &end, &overflow, why) != 0)
        return -1;
    if (*end != '\0') {
        *why = "not a non-negative integer";
        return -1;
    }
    if (overflow || v > max || v < min) {
        *why = "out of range";
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int ipb_parse_double(const char *s, double min, double max, double *out, const char **why)
{
    if (s == NULL || *s == '\0') {
        *why = "empty value";
        return -1;
    }
    /* Digits, sign, or a leading dot only: this refuses blanks and the words strtod knows
     * ("nan", "inf", "infinity") in one test. Hex floats ("0x1p3") are refused below. */
    if (!(isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.')) {
        *why = "not a number";
        return -1;
    }
    if (strchr(s, 'x') != NULL || strchr(s, 'X') != NULL) {
        *why = "not a decimal number";
        return -1;
    }
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0') {
        *why = "not a number";
        return -1;
    }
    /* Overflow before the finiteness test: strtod turns "1e400" into an infinity, but what the
     * user typed is a finite number that is too large. (ERANGE with |v| <= 1 is underflow to a
     * tiny number or zero, which is kept.) */
    if (errno == ERANGE && fabs(v) > 1.0) {
        *why = "out of range";
        return -1;
    }
    if (!isfinite(v)) {
        *why = "not a finite number";
        return -1;
    }
    if (!(v >= min && v <= max)) {
        *why = "out of range";
        return -1;
    }
    *out = v;
    return 0;
}

struct unit {
    const char *suffix;
    unsigned shift;
};

/* The bare number means KiB, as in the Python original's --buffer-size. */
static const struct unit units[] = {
    {"", 10},   {"B", 0},    {"K", 10},   {"KiB", 10}, {"M", 20},
    {"MiB", 20}, {"G", 30},  {"GiB", 30},
};

int ipb_parse_size(const char *s, uint64_t max, uint64_t *bytes, const char **why)
{
    static const char not_size[] =
        "not a size (an integer with an optional B, K, KiB, M, MiB, G or GiB suffix)";
    unsigned long long v;
    char *end;
    int overflow;
    if (leading_digits(s, not_size, &v, &end, &overflow, why) != 0)
        return -1;
    if (overflow) {
        *why = "out of range";
        return -1;
    }
    const struct unit *u = NULL;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(end, units[i].suffix) == 0) {
            u = &units[i];
            break;
        }
    }
    if (u == NULL) {
        *why = not_size;
        return -1;
    }
    if (v == 0) {
        *why = "must be at least 1 byte";
        return -1;
    }
    if (v > (max >> u->shift)) {
        *why = "too large";
        return -1;
    }
    *bytes = (uint64_t)v << u->shift;
    return 0;
}
