/* A dlclose() that does nothing, for the leak checkers of tests/ci/sanitizers.sh only: linked
 * into the ASan build (with -Wl,--export-dynamic-symbol=dlclose, so that the executable's
 * definition interposes on libc's) and preloaded (LD_PRELOAD) into the valgrind runs. Never
 * part of the program that users run.
 *
 * Open MPI dlopen()s its components (PMIx, the BTLs, the PML, ...) and dlclose()s them in
 * MPI_Finalize. The leak check runs at exit, after that, which costs twice:
 *   - memory that only an unloaded component's data pointed to is now unreachable and is
 *     reported as lost (about 100 KiB in 3,300 blocks per rank here), though nothing leaked;
 *   - every frame inside an unloaded component prints as "<unknown module>" (valgrind: "???"),
 *     so a report can be neither read nor suppressed by library or function name, and a leak
 *     of ours through such a frame would look exactly like one of theirs.
 * Keeping the components mapped removes both. Nothing runs after MPI_Finalize that could
 * notice: the process exits. */
#include <dlfcn.h>

int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
