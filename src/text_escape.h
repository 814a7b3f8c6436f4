/* Text from outside the program (an option's value, a line of an imported file, a name read
 * from an HDF5 file, libhdf5's own error text) as it may appear inside a one-line message.
 *
 * Messages are one line each: rank 0 prints them, tests and job scripts match them, and a log
 * keeps them whole. A value that holds a newline or an escape sequence would break the line or
 * the terminal, so control characters are shown escaped: "\t", "\n", "\r", and "\x1b" for the
 * others (and DEL). Other bytes, UTF-8 included, are copied as they are. Pure. */
#ifndef IPB_TEXT_ESCAPE_H
#define IPB_TEXT_ESCAPE_H

#include <stddef.h>

/* value escaped into out, cut (at a whole escape) to fit outlen; returns out. outlen must be at
 * least 1. */
const char *ipb_text_escape(const char *value, char *out, size_t outlen);

#endif
