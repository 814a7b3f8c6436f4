/* Linked into the sanitizer builds only (tests/ci/sanitizers.sh), never into the program that
 * users run.
 *
 * Open MPI loads its components (PMIx, the BTLs, the PML, ...) with dlopen() and dlclose()s
 * them in MPI_Finalize. LeakSanitizer reports leaks at exit, after that, so every frame inside
 * an unloaded component prints as "<unknown module>": it can then be neither read nor
 * suppressed by library name, and a leak of ours would look exactly like one of theirs. A
 * dlclose() that keeps the object mapped (the executable's definition interposes on libc's:
 * configure links this object with -Wl,--export-dynamic-symbol=dlclose) keeps every frame
 * named. Nothing runs after MPI_Finalize that could notice: the process exits. */
int dlclose(void *handle);

int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
