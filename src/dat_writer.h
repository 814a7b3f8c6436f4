/* Appending the result row to a .dat file. */
#ifndef IPB_DAT_WRITER_H
#define IPB_DAT_WRITER_H

#include <stddef.h>

/* Append row (and the header first when the file is new or empty) with one write() under an
 * exclusive flock(), then fsync: jobs of a sweep appending at the same moment never interleave
 * lines or write the header twice. A non-empty file must start with header (checked again under
 * the lock: see ipb_dat_preflight). Returns 0, or -1 with a message in err. */
int ipb_dat_append(const char *path, const char *header, const char *row, char *err,
                   size_t errlen);

/* Does an existing .dat file start with our header line? head is the file's first len bytes
 * (any bytes, NULs included; fewer than a line when the file is short): at least
 * strlen(header) + 1 of them are needed to see the whole line and its newline. 0 when head is
 * empty (the append writes the header) or is header followed by '\n'; otherwise -1 with one
 * line in why saying where the headers part (it never quotes the file's bytes). Pure. */
int ipb_dat_header_check(const char *head, size_t len, const char *header, char *why,
                         size_t whylen);

/* Before the run: a .dat at path that exists and is not empty must start with this program's
 * header (ipb_dat_header), or our rows would land under another program's or version's columns
 * (readers, ours included, skip rows whose field count differs from their header). Returns
 * IPB_OK (also when path does not exist) or IPB_EBADINPUT with one line in err naming --dat and
 * the path. */
int ipb_dat_preflight(const char *path, char *err, size_t errlen);

#endif
