/* libFuzzer entry point for one target: built once per target by fuzz/run.sh with
 * -DIPB_FUZZ_TARGET=ipb_fuzz_<kind>. A violated oracle prints what was violated and aborts:
 * libFuzzer reports it as a crash and keeps the input. */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef IPB_FUZZ_TARGET
#error "build with -DIPB_FUZZ_TARGET=ipb_fuzz_<kind> (see fuzz/run.sh)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[1024];
    IPB_FUZZ_TARGET(data, size, msg, sizeof(msg));
    return 0;
}

void ipb_fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\n==ipb-fuzz== oracle violated at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
