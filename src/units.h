/* Strict number and unit parsing for the command line. Pure functions.
 *
 * "Strict" means: no leading blanks, no sign where none makes sense, no trailing junk, no
 * NaN or infinity, no silent wrap-around. Each returns 0 on success or -1 with a short reason
 * in why (e.g. "not a number", "out of range"). */
#ifndef IPB_UNITS_H
#define IPB_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Unsigned decimal integer in [min, max]. */
int ipb_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why);

/* Finite decimal floating-point number in [min, max]. */
int ipb_parse_double(const char *s, double min, double max, double *out, const char **why);

/* Buffer size: an integer with an optional binary unit suffix, case-insensitive:
 * none (KiB, as in the Python original), B, K/KiB, M/MiB, G/GiB. Result in bytes, in
 * [1, max]. "KB"/"MB" are refused rather than guessed at (1000 or 1024?). */
int ipb_parse_size(const char *s, uint64_t max, uint64_t *bytes, const char **why);

#endif
