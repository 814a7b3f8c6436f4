/* What each saved crash and hostile input under tests/data/fuzz/<kind>/ must get from its fuzz
 * target (tests/test_fuzz.c): E(kind, file, status, words of the message...). Status is the
 * target's return: IPB_OK, IPB_EBADINPUT (2) or IPB_ERUN (1); the units target returns the
 * parser's 0 or -1. */
/* clang-format off */

/* options: argv[1..] separated by NULs */
E("options", "concurrency-huge", IPB_EBADINPUT, "--concurrency '99999999999999999999999'",
  "out of range"),
E("options", "buffer-size-shift-overflow", IPB_EBADINPUT, "--buffer-size '18014398509481984G'",
  "too large (at most 16 GiB)"),
E("options", "duration-1e400", IPB_EBADINPUT, "--duration '1e400'", "out of range"),
E("options", "escape-in-unknown-option", IPB_EBADINPUT, "unknown option '--\\x1b[2Jclear'"),
E("options", "escape-in-value-of-flag", IPB_EBADINPUT, "--keep-files takes no value",
  "'\\x1b[31mred'"),
E("options", "control-char-in-label", IPB_EBADINPUT, "--label 'a\\x01b'", "control character"),
/* the value is cut ("...") so that the reason still fits in the line */
E("options", "output-file-too-long", IPB_EBADINPUT, "--output-file 'aaaa", "aaa...'",
  "longer than 4063 characters"),
E("options", "missing-value-last", IPB_EBADINPUT, "--seed: missing value (N)"),
E("options", "sequential-concurrency-4", IPB_EBADINPUT, "--concurrency '4'",
  "method sequential runs exactly one pipeline"),
E("options", "embedded-nul-splits-argument", IPB_EBADINPUT, "unknown option 'run'"),

/* units: a letter naming the option, then the value */
E("units", "u64-one-past-max", -1, "out of range"),
E("units", "size-shift-overflow", -1, "too large"),
E("units", "size-ullong-overflow", -1, "out of range"),
E("units", "size-ambiguous-unit", -1, "not a size"),
E("units", "double-overflow", -1, "out of range"),
E("units", "double-hex", -1, "not a decimal number"),
E("units", "double-nan", -1, "not a finite number"),
E("units", "u64-leading-blank", -1, "not a non-negative integer"),
E("units", "u64-negative", -1, "not a non-negative integer"),
E("units", "u64-below-min", -1, "out of range"),

/* dat_header: the first bytes of an existing --dat file */
E("dat_header", "python-original", IPB_EBADINPUT, "--dat '", "at column 0"),
E("dat_header", "binary-garbage", IPB_EBADINPUT, "not a .dat file of this program"),
E("dat_header", "truncated-100-bytes", IPB_EBADINPUT, "cut short", "after 100 bytes"),
E("dat_header", "eleven-columns", IPB_EBADINPUT, "its header has 11 columns"),
E("dat_header", "nul-in-column-2", IPB_EBADINPUT, "at column 2", "'<method>'"),
E("dat_header", "crlf-eleven-columns", IPB_EBADINPUT, "at column 10"),
E("dat_header", "no-hash", IPB_EBADINPUT, "not a .dat file of this program"),

/* import: an --import record file */
/* the line is quoted escaped in the message: it stays one printable line */
E("import", "tab-in-value", IPB_EBADINPUT, "line 2: fsync_p99_s '0.004\\tjunk'", "not a number"),
E("import", "escape-in-field-name", IPB_EBADINPUT, "line 2: unknown field '\\x1b[31mred'"),
E("import", "control-char-in-label", IPB_EBADINPUT, "line 2: label 'a\\x01b'",
  "contains a control character"),
E("import", "u64-overflow", IPB_EBADINPUT, "line 2: xferred_bytes", "not a non-negative integer"),
/* strtoull skips blanks and wraps a minus sign: " -1" was taken as 2^64 - 1 */
E("import", "u64-negative-after-blank", IPB_EBADINPUT, "line 2: buffers ' -1'",
  "not a non-negative integer"),
E("import", "u64-plus-sign", IPB_EBADINPUT, "line 2: fsyncs '+7'", "not a non-negative integer"),
E("import", "f64-overflow", IPB_EBADINPUT, "line 2: throughput_mib_s '1e999'", "not a number"),
E("import", "label-too-long", IPB_EBADINPUT, "line 2: label", "longer than 255 characters"),
E("import", "line-too-long", IPB_EBADINPUT, "line 2: longer than 1023 characters"),
E("import", "no-method", IPB_EBADINPUT, "no method given"),
/* a later method line with no name took the method back: found by the fuzzer in 2 s (its input:
 * found-method-taken-back, whose second method line ends at a NUL; the program refuses files with
 * a NUL before parsing, so method-then-empty is that case in a real file) */
E("import", "method-then-empty", IPB_EBADINPUT, "no method given"),
E("import", "method-then-dash", IPB_EBADINPUT, "no method given"),
E("import", "found-method-taken-back", IPB_EBADINPUT, "no method given"),
E("import", "no-tab", IPB_EBADINPUT, "line 2: expected 'field<TAB>value'"),

/* h5: an existing --hdf5 results file */
E("h5", "text-file.h5", IPB_EBADINPUT, "not an HDF5 file"),
E("h5", "signature-only.h5", IPB_EBADINPUT, "cannot open as HDF5"),
E("h5", "signature-at-512.h5", IPB_EBADINPUT, "not an HDF5 file"),
E("h5", "truncated-300-bytes.h5", IPB_EBADINPUT, "cannot open as HDF5"),
E("h5", "not-ours.h5", IPB_EBADINPUT, "not an io-pipeline-bench results file"),
E("h5", "creator-is-a-number.h5", IPB_EBADINPUT, "not an io-pipeline-bench results file"),
E("h5", "layout-version-1.h5", IPB_EBADINPUT, "results layout version 1"),
E("h5", "runs-is-a-group.h5", IPB_EBADINPUT, "no /runs dataset"),
E("h5", "runs-not-records.h5", IPB_EBADINPUT, "/runs is not a table of records"),
E("h5", "runs-three-fields.h5", IPB_EBADINPUT, "/runs has 3 fields", "from 'concurrency' on"),
E("h5", "runs-nullpad-strings.h5", IPB_EBADINPUT, "/runs field 0 is 'version'", "of another type"),
/* libhdf5 1.10.8 leaks the object header it failed to load (H5Oopen -> H5O_protect ->
 * H5C_protect) on this file, the real results file with 56 bytes changed; our check refuses it. */
E("h5", "libhdf5-leak-object-header.h5", IPB_EBADINPUT, "--hdf5 '"),
/* libhdf5 1.10.8 overflowed a heap buffer (H5HG_insert, a write) appending to this file, whose
 * global heap collection is damaged but readable: the real file with bytes changed. The append
 * reads it in a session of its own (src/h5_writer.c, write_run) and succeeded with layout 2.
 * Since layout 3 (the <interrupted> column) the file, written with 66 fields, is refused before
 * any append; its layout_version attribute is set to the current layout (h5py: 3, then 4 for
 * the open arrivals' columns) so that the refusal is the field check, the deepest one left. The
 * words checked do not count this program's fields, which grow. The overflow itself shows only
 * under ASan: fuzz/run.sh loads this input as a seed of the h5 target. */
E("h5", "libhdf5-heap-insert-overflow.h5", IPB_EBADINPUT, "/runs has 66 fields",
  "from 'interrupted' on"),
/* libhdf5 1.10.8 loops forever reading the creator attribute's value from this file's damaged
 * global heap (H5Aread -> H5HG_read -> H5C_protect): the program hung on every rank. The check
 * no longer reads that value (src/h5_writer.c, check_layout); the file is refused at once.
 * Should that come back, the alarm in tests/test_fuzz.c ends the hang as a failure. */
E("h5", "libhdf5-hang-global-heap.h5", IPB_EBADINPUT, "not an io-pipeline-bench results file"),
/* ... and copied ~50 TB out of bounds reading the creator of this one (memcpy in H5HG_read). */
E("h5", "libhdf5-heap-read-overflow.h5", IPB_EBADINPUT, "/runs has 3 fields"),
/* a /runs member name with a control character went raw into the error line: found by the h5
 * target in a 150 s run (the three-field seed with bytes changed) */
E("h5", "found-control-char-in-field-name.h5", IPB_EBADINPUT, "/runs field 2 is 'me\\x01",
  "this program writes 'method'"),
/* clang-format on */
