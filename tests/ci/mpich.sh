#!/usr/bin/env bash
# CI: the whole test suite with MPICH (Debian's mpich + libhdf5-mpich-dev, the MPI family of
# Cray systems), beside the Open MPI build that setup.sh made in the source tree.
#
#   tests/ci/mpich.sh [WORKDIR]      from the top of the source tree, as root
#
# Installs the MPICH packages (IPB_SKIP_APT=1 skips that), copies the source tree to
# WORKDIR/src (default: a new /tmp/ipb-mpich.XXXXXX), builds it out of tree in WORKDIR/build with
# CC=mpicc.mpich, runs `make check` there (launcher mpiexec.mpich) and prints
# tests/summary.sh's closing lines, ending with "N passed, N failed". Exit status 0 only if
# everything passed. WORKDIR is kept for its logs (WORKDIR/build/tests/*.log).
#
# Why a copy: automake refuses an out-of-tree build of a source directory that is configured
# in place (setup.sh's Open MPI build), and objects left there would be found through VPATH and
# linked into the MPICH build. The copy is cleaned (make distclean) so nothing of the Open MPI
# build crosses over; the original tree is not touched.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
export DEBIAN_FRONTEND=noninteractive

t0=$(date +%s)
say() { echo "mpich.sh: $*"; }
# A failure before make check: say why, then the closing line CI reads.
fail() {
    say "FAILED: $*"
    echo "0 passed, 1 failed"
    exit 1
}
step_log() { # file: the last lines of a step's log, after a failure
    echo "---- last lines of $1"
    tail -n 40 "$1"
    echo "----"
}

if [ "${IPB_SKIP_APT:-0}" != 1 ]; then
    say "installing mpich libmpich-dev libhdf5-mpich-dev (apt-get)"
    apt-get install -y -qq --no-install-recommends mpich libmpich-dev libhdf5-mpich-dev \
        >/tmp/ipb-mpich-apt.log 2>&1 || {
        step_log /tmp/ipb-mpich-apt.log
        fail "apt-get install of the MPICH packages failed"
    }
else
    say "IPB_SKIP_APT=1: not installing packages"
fi
command -v mpicc.mpich >/dev/null && command -v mpiexec.mpich >/dev/null ||
    fail "mpicc.mpich or mpiexec.mpich not found (Debian packages mpich, libmpich-dev)"

work=${1:-$(mktemp -d /tmp/ipb-mpich.XXXXXX)} || fail "cannot create a work directory"
mkdir -p "$work" && work=$(cd "$work" && pwd) || fail "cannot create $work"
src=$work/src build=$work/build
rm -rf "$src" "$build"
mkdir -p "$src" "$build" || fail "cannot create $src and $build"

say "copying $top to $src (without .git) and cleaning it"
tar -C "$top" --exclude=./.git -cf - . | tar -C "$src" -xf - || fail "cannot copy the source tree"
if [ -f "$src/Makefile" ]; then
    make -C "$src" distclean >"$work/distclean.log" 2>&1 || {
        step_log "$work/distclean.log"
        fail "make distclean in the copy failed"
    }
fi
[ ! -e "$src/config.status" ] || fail "the copy is still configured after make distclean"
(cd "$src" && autoreconf -fi) >"$work/autoreconf.log" 2>&1 || {
    step_log "$work/autoreconf.log"
    fail "autoreconf -fi failed"
}

say "configure CC=mpicc.mpich (out of tree: $build)"
(cd "$build" && "$src/configure" CC=mpicc.mpich) >"$work/configure.log" 2>&1 || {
    step_log "$work/configure.log"
    fail "configure CC=mpicc.mpich failed"
}
# What configure chose: the MPICH flavour, MPICH's launcher and the HDF5 built for MPICH.
sed -n '/^configure: *$/,$p' "$work/configure.log"
mk() { sed -n "s/^$1 = //p" "$build/Makefile"; }
[ "$(mk IPB_MPI_FLAVOUR)" = mpich ] || fail "configure found MPI flavour '$(mk IPB_MPI_FLAVOUR)', not mpich"
case "$(mk MPIEXEC)" in *mpiexec.mpich | *mpiexec.hydra) ;; *)
    fail "configure chose the launcher '$(mk MPIEXEC)', not mpiexec.mpich" ;;
esac
case "$(mk HDF5_LIBS)" in *mpich*) ;; *)
    fail "configure chose HDF5 '$(mk HDF5_LIBS)', not the MPICH build (pkg-config hdf5-mpich)" ;;
esac

# The program and the test programs, two at a time (make check would build the tests one by
# one), so that a warning in either shows here.
say "make -j2 (the program and the test programs)"
make -C "$build" -j2 all >"$work/make.log" 2>&1 && make -C "$build" -j2 check TESTS= \
    >>"$work/make.log" 2>&1 || {
    step_log "$work/make.log"
    fail "make failed"
}
if grep -q 'warning:' "$work/make.log"; then
    say "the build warned (it should not):"
    grep 'warning:' "$work/make.log"
fi

say "make check -j1 (4 to 6 minutes on 2 cores)"
make -C "$build" check -j1 2>&1 | grep --line-buffered -E '^(PASS|FAIL|SKIP|XFAIL|XPASS|ERROR):|^# [A-Z]+:'
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
    # the failed programs' logs, so that CI shows why without the work directory
    for trs in "$build"/tests/*.trs; do
        grep -qE '^:test-result: (FAIL|ERROR)' "$trs" || continue
        log=${trs%.trs}.log
        echo "==== $log (failed)"
        cat "$log"
    done
fi
say "done in $(($(date +%s) - t0)) s; logs in $build/tests/"
summary=$(bash "$top/tests/summary.sh" "$build")
last=$(tail -n 1 <<<"$summary")
failed=$(sed -n 's/^[0-9]* passed, \([0-9]*\) failed$/\1/p' <<<"$last")
if [ "$rc" -ne 0 ] && [ "${failed:-0}" = 0 ]; then
    # make check failed where no test program's log shows it (a test program that did not
    # build): never end on "0 failed" then.
    sed '$d' <<<"$summary"
    say "make check failed outside the test programs' logs (see above)"
    echo "${last%%,*}, 1 failed"
else
    echo "$summary"
fi
exit "$rc"
