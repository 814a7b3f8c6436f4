#include "text_escape.h"

#include <stdio.h>

const char *ipb_text_escape(const char *value, char *out, size_t outlen)
{
    size_t n = 0;
    /* n + 5 < outlen: room for the longest escape ("\x1b", 4 bytes) and the NUL, so an escape is
     * never cut in half. */
    for (const unsigned char *c = (const unsigned char *)value; *c && n + 5 < outlen; c++) {
        if (*c == '\t' || *c == '\n' || *c == '\r') {
            out[n++] = '\\';
            out[n++] = *c == '\t' ? 't' : *c == '\n' ? 'n' : 'r';
        } else if (*c < 0x20 || *c == 0x7f) {
            n += (size_t)snprintf(out + n, outlen - n, "\\x%02x", *c);
        } else {
            out[n++] = (char)*c;
        }
    }
    out[n] = '\0';
    return out;
}
