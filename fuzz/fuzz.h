/* Fuzz targets of io-pipeline-bench: one per kind of input the program parses.
 *
 * Each ipb_fuzz_<kind>() takes arbitrary bytes, decodes them into the input of one real parser
 * (argv, a number, a file's first bytes, an --import record, an HDF5 results file), calls it,
 * and checks what came back against oracles: the outcome is "accepted" or "a clear error" (one
 * printable line), never a crash, a leak, undefined behaviour, or an accepted value that breaks
 * what the parser promises. It returns the parser's status and copies its message to msg, so
 * that a regression test can check the message of a saved input.
 *
 * The same sources build two ways: with clang and libFuzzer (fuzz/run.sh, fuzz/libfuzzer.c:
 * a violated oracle aborts, and libFuzzer keeps the input), and with the project's compiler in
 * `make check` (tests/test_fuzz.c: a violated oracle fails the cmocka test). */
#ifndef IPB_FUZZ_H
#define IPB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Input formats (every byte string is a valid input; see each source file):
 *   options     argv[1..] separated by NUL bytes
 *   units       one letter naming the option whose parser and range apply, then the value
 *   dat_header  the first bytes of an existing .dat file
 *   import      an --import record file
 *   h5          an existing HDF5 results file */
int ipb_fuzz_options(const uint8_t *data, size_t size, char *msg, size_t msglen);
int ipb_fuzz_units(const uint8_t *data, size_t size, char *msg, size_t msglen);
int ipb_fuzz_dat_header(const uint8_t *data, size_t size, char *msg, size_t msglen);
int ipb_fuzz_import(const uint8_t *data, size_t size, char *msg, size_t msglen);
int ipb_fuzz_h5(const uint8_t *data, size_t size, char *msg, size_t msglen);

/* A violated oracle: provided by the build (libFuzzer: print and abort; cmocka: fail the test).
 * Does not return. */
void ipb_fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ipb_fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                                        \
    } while (0)

/* ---- helpers shared by the targets (fuzz/fuzz_common.c) ------------------------------------ */

/* The message a user sees must be one line: non-empty, NUL-terminated within cap, and free of
 * control characters (a newline would split it, an escape sequence would hide it). Fails the
 * oracle naming what and where otherwise. */
void ipb_fuzz_check_line(const char *what, const char *msg, size_t cap);

/* A NUL-terminated copy of data (malloc'd; never NULL: the fuzzer treats out of memory as a
 * crash anyway). */
char *ipb_fuzz_strndup(const uint8_t *data, size_t size);

/* A scratch directory for targets that need real files, created on first use under
 * $IPB_FUZZ_SCRATCH, else /dev/shm when it exists (for speed), else $TMPDIR or /tmp, and removed
 * at a normal exit. */
const char *ipb_fuzz_scratch_dir(void);

/* Write data to path (truncating); fails the oracle if that is impossible. */
void ipb_fuzz_write_file(const char *path, const uint8_t *data, size_t size);

/* The whole file at path (malloc'd) and its size in *size; NULL if it cannot be read. */
uint8_t *ipb_fuzz_read_file(const char *path, size_t *size);

#endif
