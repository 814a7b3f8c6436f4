#include "dat_format.h"

#include <stdarg.h>
#include <stdio.h>

unsigned ipb_dat_ncolumns(void)
{
#define COUNT(type, len, name, hdr, fmt, doc) +1
    return 0 IPB_RESULT_FIELDS(COUNT);
#undef COUNT
}

/* Append to a fixed buffer; remembers overflow so callers check once at the end. */
struct sbuf {
    char *p;
    size_t len, cap;
    int overflow;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len)
        b->overflow = 1;
    else
        b->len += (size_t)n;
}

int ipb_dat_header(char *out, size_t outlen)
{
    struct sbuf b = {out, 0, outlen, 0};
    const char *sep = "#";
#define HEADER(type, len, name, hdr, fmt, doc)                                                     \
    sb_printf(&b, "%s<%s>", sep, hdr);                                                             \
    sep = "\t";
    IPB_RESULT_FIELDS(HEADER)
#undef HEADER
    return b.overflow ? -1 : (int)b.len;
}

int ipb_dat_row(const struct ipb_record *rec, char *out, size_t outlen)
{
    struct sbuf b = {out, 0, outlen, 0};
    const char *sep = "";
#define ROW(type, len, name, hdr, fmt, doc)                                                        \
    sb_printf(&b, "%s", sep);                                                                      \
    sb_printf(&b, fmt, rec->name);                                                                 \
    sep = "\t";
    IPB_RESULT_FIELDS(ROW)
#undef ROW
    return b.overflow ? -1 : (int)b.len;
}
