/* The .dat text of a record (docs/design.md, ".dat record"): a header line naming the columns
 * and one tab-separated row per run, both generated from IPB_RESULT_FIELDS (result_fields.h).
 * Pure; dat_writer.h appends them to a file. */
#ifndef IPB_DAT_FORMAT_H
#define IPB_DAT_FORMAT_H

#include <stddef.h>

#include "record.h"

/* The .dat header line ("#<version>\t<ranks>\t...") and one row, each without the trailing
 * newline. Return the length written, or -1 if outlen is too small (out is then not a whole
 * line, and nothing beyond outlen is written). */
int ipb_dat_header(char *out, size_t outlen);
int ipb_dat_row(const struct ipb_record *rec, char *out, size_t outlen);

/* Number of .dat columns. */
unsigned ipb_dat_ncolumns(void);

#endif
