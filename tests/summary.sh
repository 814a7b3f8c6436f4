#!/usr/bin/env bash
# Print each test program's cmocka closing lines from tests/*.log, then one
# "N passed, N failed" line over all of them (what CI reads).
# Usage: tests/summary.sh [BUILD_DIR]   (default: the source tree, an in-tree build)
cd "${1:-$(dirname "$0")/..}" || exit 1
passed=0 failed=0 failed_logs=
for log in tests/test_*.log; do
    [ -f "$log" ] || continue
    echo "--- $log"
    grep -E '^\[  (PASSED|FAILED|SKIPPED) +\]|^\[==========\]' "$log" | tail -n 4
    p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
    f=$(grep -Eo '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
    # A program that crashed or hung prints no cmocka FAILED line: count it from automake's
    # .trs verdict so it can never look like a pass.
    trs=${log%.log}.trs
    if [ "$f" = 0 ] && [ -f "$trs" ] && grep -qE '^:test-result: (FAIL|ERROR)' "$trs"; then
        echo "(program failed without a cmocka verdict)"
        f=1
    fi
    passed=$((passed + p)) failed=$((failed + f))
    [ "$f" != 0 ] && failed_logs="$failed_logs $log"
done
# Say which tests failed and how, so that a CI log that keeps only its last lines still
# names them: cmocka's "[  FAILED  ] name" lines and pytest's "FAILED file::name - reason"
# lines, then each failing program's last lines.
for log in $failed_logs; do
    echo "=== failed in $log:"
    grep -E '^\[  FAILED  \] [a-z_]|^(FAILED|ERROR) ' "$log" | head -n 20
    echo "--- its last 40 lines:"
    tail -n 40 "$log"
done
echo "$passed passed, $failed failed"
