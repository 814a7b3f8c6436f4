#!/bin/sh
# make check's log compiler for the pytest files (TESTS entries ending in .py): runs one file
# with Debian's python3 (the python3 on PATH may be a pyenv shim without h5py), prints
# pytest's summary line, then the tally in cmocka's words so that tests/summary.sh counts
# these tests with the C ones.
# Usage: tests/run-pytest.sh tests/test_layout.py
test -n "$1" || { echo "usage: $0 TEST_FILE.py"; exit 2; }
PY=/usr/bin/python3
if ! $PY -c 'import h5py, pandas, matplotlib, pytest' 2>/dev/null; then
    echo "$1: needs $PY with h5py, pandas, matplotlib and pytest" \
        "(Debian: python3-h5py python3-pandas python3-matplotlib python3-pytest)"
    echo "[  FAILED  ] 1 test(s)."
    exit 1
fi
log=$(mktemp) || exit 1
# No .pyc and no .pytest_cache in the source tree (read-only under make distcheck).
PYTHONDONTWRITEBYTECODE=1 $PY -m pytest -q -p no:cacheprovider -r fEs "$1" >"$log" 2>&1
rc=$?
cat "$log"
summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed|error|skipped)' "$log" | tail -n 1)
passed=$(echo "$summary" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+')
failed=$(echo "$summary" | grep -Eo '[0-9]+ (failed|error)' | awk '{s += $1} END {print s + 0}')
skipped=$(echo "$summary" | grep -Eo '[0-9]+ skipped' | grep -Eo '[0-9]+')
rm -f "$log"
echo "pytest: ${summary:-no summary line (pytest did not run)}"
echo "[  PASSED  ] ${passed:-0} test(s)."
[ -n "$skipped" ] && echo "[  SKIPPED ] $skipped test(s)."
if [ "$rc" -ne 0 ]; then
    echo "[  FAILED  ] ${failed:-1} test(s)."
fi
exit $rc
