/* Appending the result row to a .dat file. */
#ifndef IPB_DAT_WRITER_H
#define IPB_DAT_WRITER_H

#include <stddef.h>

/* Append row (and the header first when the file is new or empty) with one write() under an
 * exclusive flock(), then fsync: jobs of a sweep appending at the same moment never interleave
 * lines or write the header twice. Returns 0, or -1 with a message in err. */
int ipb_dat_append(const char *path, const char *header, const char *row, char *err,
                   size_t errlen);

#endif
