#!/bin/sh
# make check: the job scripts on real launchers (tests/test_jobscripts.py, pytest): the local
# sweep under mpirun, the PBS scripts' dry runs, and the Slurm scripts through sbatch on a
# throw-away 4-node cluster started on this machine (tests/slurm-cluster.sh). The cluster is
# stopped by the pids it recorded when pytest ends, and again here whatever happened (a
# killed pytest, a timeout). Prints pytest's summary, then the tally in cmocka's words so that
# tests/summary.sh counts these tests with the C ones. The Slurm tests skip, saying why, when
# Slurm or munge is not installed (setup.sh installs them) or this is not root.
srcdir=${srcdir:-$(dirname "$0")/..}
PY=/usr/bin/python3
if ! $PY -c 'import h5py, pandas, matplotlib, pytest' 2>/dev/null; then
    echo "test_jobscripts: needs $PY with h5py, pandas, matplotlib and pytest" \
        "(Debian: python3-h5py python3-pandas python3-matplotlib python3-pytest)"
    echo "[  FAILED  ] 1 test(s)."
    exit 1
fi
work=$(mktemp -d /tmp/ipb-test-jobscripts.XXXXXX) || exit 1
chmod 755 "$work"
IPB_TEST_SLURM_DIR=$work/slurm IPB_TEST_WORK=$work
export IPB_TEST_SLURM_DIR IPB_TEST_WORK
cleanup() {
    "$srcdir/tests/slurm-cluster.sh" stop "$IPB_TEST_SLURM_DIR" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
# pytest runs in the background so that a signal reaches this script at once (a shell runs
# its traps only after a foreground command ends): pytest is stopped, then the cluster.
pytest_pid=
trap '[ -n "$pytest_pid" ] && kill -TERM "$pytest_pid" 2>/dev/null; cat "$log"; exit 130' INT TERM HUP

log=$work/pytest.log
PYTHONDONTWRITEBYTECODE=1 $PY -m pytest -v -p no:cacheprovider -r fEs \
    "$srcdir/tests/test_jobscripts.py" >"$log" 2>&1 &
pytest_pid=$!
wait "$pytest_pid"
rc=$?
pytest_pid=
cat "$log"
summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed|error|skipped)' "$log" | tail -n 1)
passed=$(echo "$summary" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+')
failed=$(echo "$summary" | grep -Eo '[0-9]+ (failed|error)' | awk '{s += $1} END {print s + 0}')
skipped=$(echo "$summary" | grep -Eo '[0-9]+ skipped' | grep -Eo '[0-9]+')
echo "pytest: ${summary:-no summary line (pytest did not run)}"
echo "[  PASSED  ] ${passed:-0} test(s)."
[ -n "$skipped" ] && echo "[  SKIPPED ] $skipped test(s)."
if [ "$rc" -ne 0 ]; then
    echo "[  FAILED  ] ${failed:-1} test(s)."
fi
exit $rc
