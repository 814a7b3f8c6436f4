#include "import.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipb_status.h"
#include "text_escape.h"
#include "options.h"

enum import_kind { IMPORT_STR, IMPORT_U64, IMPORT_F64 };

struct import_field {
    const char *name;
    enum import_kind kind;
    size_t offset, len;
};

#define IMPORT_FIELD(type, len, name, hdr, fmt, doc)                                               \
    {#name, IMPORT_##type, offsetof(struct ipb_record, name),                                      \
     sizeof(((struct ipb_record *)0)->name)},
static const struct import_field import_fields[] = {IPB_RESULT_FIELDS(IMPORT_FIELD)};
#undef IMPORT_FIELD
#define NIMPORT (sizeof(import_fields) / sizeof(import_fields[0]))

static int import_value(struct ipb_record *rec, const struct import_field *f, const char *v,
                        char *why, size_t whylen)
{
    char *p = (char *)rec + f->offset;
    char *end = NULL;
    switch (f->kind) {
    case IMPORT_STR:
        if (strlen(v) >= f->len) {
            snprintf(why, whylen, "longer than %zu characters", f->len - 1);
            return -1;
        }
        for (const char *c = v; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                snprintf(why, whylen, "contains a control character");
                return -1;
            }
        memcpy(p, v, strlen(v) + 1);
        return 0;
    case IMPORT_U64: {
        /* strtoull skips blanks and wraps a minus sign: " -1" would be 2^64 - 1. */
        if (!isdigit((unsigned char)*v)) {
            snprintf(why, whylen, "not a non-negative integer");
            return -1;
        }
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        if (errno != 0 || end == v || *end != '\0') {
            snprintf(why, whylen, "not a non-negative integer");
            return -1;
        }
        uint64_t u = x;
        memcpy(p, &u, sizeof(u));
        return 0;
    }
    case IMPORT_F64: {
        errno = 0;
        double d = strtod(v, &end);
        if (errno == ERANGE || end == v || *end != '\0') {
            snprintf(why, whylen, "not a number");
            return -1;
        }
        memcpy(p, &d, sizeof(d));
        return 0;
    }
    }
    return -1;
}

int ipb_record_import(struct ipb_record *rec, const char *text, const char *version,
                      const char *run_id, const char *timestamp, char *err, size_t errlen)
{
    memset(rec, 0, sizeof(*rec));
    for (size_t i = 0; i < NIMPORT; i++) {
        char *p = (char *)rec + import_fields[i].offset;
        if (import_fields[i].kind == IMPORT_STR)
            snprintf(p, import_fields[i].len, "-");
        else if (import_fields[i].kind == IMPORT_F64)
            *(double *)(void *)p = NAN;
    }
    snprintf(rec->version, sizeof(rec->version), "%s", version);
    snprintf(rec->run_id, sizeof(rec->run_id), "%s", run_id);
    snprintf(rec->timestamp, sizeof(rec->timestamp), "%s", timestamp);
    rec->repetitions = 1;
    snprintf(rec->interrupted, sizeof(rec->interrupted), "no");
    int have_series = 0;
    unsigned lineno = 0;
    for (const char *s = text; *s;) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        const char *next = e ? e + 1 : s + len;
        lineno++;
        char line[1024];
        if (len >= sizeof(line)) {
            snprintf(err, errlen, "line %u: longer than %zu characters", lineno, sizeof(line) - 1);
            return IPB_EBADINPUT;
        }
        memcpy(line, s, len);
        line[len] = '\0';
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        s = next;
        if (len == 0 || line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        if (tab == NULL) {
            snprintf(err, errlen, "line %u: expected 'field<TAB>value'", lineno);
            return IPB_EBADINPUT;
        }
        *tab = '\0';
        const struct import_field *f = NULL;
        for (size_t i = 0; i < NIMPORT && f == NULL; i++)
            if (strcmp(import_fields[i].name, line) == 0)
                f = &import_fields[i];
        /* The message quotes the line escaped: it stays one line whatever the file holds. */
        char shown[80];
        if (f == NULL) {
            snprintf(err, errlen, "line %u: unknown field '%.64s'", lineno,
                     ipb_text_escape(line, shown, sizeof(shown)));
            return IPB_EBADINPUT;
        }
        char why[128];
        if (import_value(rec, f, tab + 1, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "line %u: %s '%.64s': %s", lineno, f->name,
                     ipb_text_escape(tab + 1, shown, sizeof(shown)), why);
            return IPB_EBADINPUT;
        }
        have_series |= strcmp(f->name, "series_id") == 0;
    }
    /* Judged on the final value: a later "method<TAB>" or "method<TAB>-" line takes it back. */
    int have_method = rec->method[0] != '\0' && strcmp(rec->method, "-") != 0;
    if (!have_method) {
        snprintf(err, errlen, "no method given (a line 'method<TAB>fio-psync', say)");
        return IPB_EBADINPUT;
    }
    if (!have_series)
        snprintf(rec->series_id, sizeof(rec->series_id), "%s", rec->run_id);
    return IPB_OK;
}
