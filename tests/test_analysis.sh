#!/bin/sh
# make check: the analysis tests (tests/test_analysis.py, pytest) on files that the benchmark
# writes during the test run. Prints pytest's own summary line, then the tally in cmocka's
# words so that tests/summary.sh counts these tests with the C ones.
srcdir=${srcdir:-$(dirname "$0")/..}
PY=/usr/bin/python3
if ! $PY -c 'import h5py, pandas, matplotlib, pytest' 2>/dev/null; then
    echo "test_analysis: needs $PY with h5py, pandas, matplotlib and pytest" \
        "(Debian: python3-h5py python3-pandas python3-matplotlib python3-pytest)"
    echo "[  FAILED  ] 1 test(s)."
    exit 1
fi
log=$(mktemp) || exit 1
# No .pyc and no .pytest_cache in the source tree (read-only under make distcheck).
PYTHONDONTWRITEBYTECODE=1 $PY -m pytest -q -p no:cacheprovider -r fE \
    "$srcdir/tests/test_analysis.py" >"$log" 2>&1
rc=$?
cat "$log"
summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed|error)' "$log" | tail -n 1)
passed=$(echo "$summary" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+')
failed=$(echo "$summary" | grep -Eo '[0-9]+ (failed|error)' | awk '{s += $1} END {print s + 0}')
rm -f "$log"
echo "pytest: ${summary:-no summary line (pytest did not run)}"
echo "[  PASSED  ] ${passed:-0} test(s)."
if [ "$rc" -ne 0 ]; then
    echo "[  FAILED  ] ${failed:-1} test(s)."
fi
exit $rc
