#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions called indirectly ("run_$p"), after finish() exits
# Sanitizers and valgrind in CI. Run from anywhere in a checkout, as root, after
# setup.sh (which installs the build dependencies):
#
#     tests/ci/sanitizers.sh [asan] [tsan] [valgrind]      (default: all three)
#
#   asan      the whole make check in an out-of-tree build with
#             -fsanitize=address,undefined (gcc, through mpicc); any sanitizer report in any
#             process fails
#   tsan      --method openmp (4 pipelines; 1 and 2 ranks; --progress; repetitions) built
#             by clang with -fsanitize=thread against LLVM's libomp, with Archer loaded
#   valgrind  memcheck of every method (sequential, openmp, fork, aio io_uring, aio posix)
#             under mpirun -np 1
#
# Each part prints its own "N passed, N failed"; the last line is the total, and the exit
# status is 1 if anything failed. A part that cannot run says why and counts as failed.
#
# The builds are made from a copy of the checkout (tracked and untracked files, without what
# .gitignore names), because setup.sh configures the checkout in place and automake refuses
# an out-of-tree build from a source tree configured in place.
#
# Environment: IPB_SAN_WORK=DIR (work directory; default a new /tmp/ipb-sanitizers.XXXXXX,
# removed when everything passed), IPB_SAN_TESTS="tests/test_x ..." (asan: only these test
# programs, as make check TESTS=...), IPB_TEST_FILTER (asan: cmocka test-name filter),
# IPB_SKIP_APT=1 (do not install packages).
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
san=$repo/tests/sanitizers
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export DEBIAN_FRONTEND=noninteractive
# a make check run by CI sets nothing else that these builds would pick up
unset CC CFLAGS LDFLAGS LIBS OMPI_CC

parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(asan tsan valgrind)
for p in "${parts[@]}"; do
    case $p in
    asan | tsan | valgrind) ;;
    *)
        echo "usage: $0 [asan] [tsan] [valgrind]" >&2
        exit 2
        ;;
    esac
done

total_pass=0 total_fail=0
declare -a summary_lines=()
t_start=$SECONDS

# part_result NAME PASSED FAILED SECONDS
part_result() {
    local line
    line=$(printf '%-9s %d passed, %d failed (%d s)' "$1:" "$2" "$3" "$4")
    echo "=== $line"
    summary_lines+=("$line")
    total_pass=$((total_pass + $2))
    total_fail=$((total_fail + $3))
}

finish() {
    echo
    echo "=== summary"
    for l in "${summary_lines[@]}"; do echo "$l"; done
    echo "total time $((SECONDS - t_start)) s; work directory $work"
    if [ "$total_fail" -eq 0 ] && [ -z "${IPB_SAN_WORK:-}" ]; then
        rm -rf "$work"
        echo "(removed: everything passed)"
    fi
    echo "$total_pass passed, $total_fail failed"
    [ "$total_fail" -eq 0 ]
    exit $?
}

# ---- packages ----------------------------------------------------------------------------
# gcc's ASan/UBSan runtimes come with build-essential (setup.sh); clang's TSan runtime is in
# libclang-rt-14-dev, Archer in libomp-14-dev.
packages=(clang libomp-14-dev libclang-rt-14-dev valgrind)
if [ "${IPB_SKIP_APT:-0}" != 1 ] && ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
    echo "installing ${packages[*]}"
    if ! apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; then
        apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    fi
fi
missing=()
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done

# ---- the source copy ---------------------------------------------------------------------
if [ -n "${IPB_SAN_WORK:-}" ]; then
    work=$(realpath -m "$IPB_SAN_WORK")
    # the copy and the builds are made (and removed) under $work: neither inside the other
    if [[ "$repo/" == "$work"/* || "$work/" == "$repo"/* ]]; then
        echo "IPB_SAN_WORK=$work and the checkout $repo overlap: choose a directory outside it" >&2
        exit 2
    fi
    mkdir -p "$work" || exit 1
else
    work=$(mktemp -d /tmp/ipb-sanitizers.XXXXXX) || exit 1
fi
src=$work/src
echo "=== source copy of $repo in $src"
if ! git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    echo "FAILED: $repo is not a git checkout (the copy is made from git ls-files)"
    part_result setup 0 1 0
    finish
fi
rm -rf "$src" && mkdir -p "$src"
# tracked and untracked files, nothing .gitignore names (build products of setup.sh's in-place
# build); a tracked file deleted in the work tree is skipped by --ignore-failed-read
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$src"
if ! (cd "$src" && autoreconf -fi >"$work/autoreconf.log" 2>&1); then
    echo "FAILED: autoreconf in the copy (see $work/autoreconf.log)"
    part_result setup 0 1 0
    finish
fi

# keep-modules: dlclose() that keeps Open MPI's components mapped (see the file for why)
if ! gcc -c -O1 -fPIC -o "$work/keep-modules.o" "$san/keep-modules.c" ||
    ! gcc -shared -O1 -fPIC -o "$work/keep-modules.so" "$san/keep-modules.c"; then
    echo "FAILED: cannot compile $san/keep-modules.c"
    part_result setup 0 1 0
    finish
fi

# configure_build DIR LOG CONFIGURE-ARGS...: configure and build; 0 on success
configure_build() {
    local dir=$1 log=$2
    shift 2
    rm -rf "$dir" && mkdir -p "$dir" &&
        (cd "$dir" && "$src/configure" "$@" && make -j2) >"$log" 2>&1
}

# part_build PART OMPI_CC DIR CONFIGURE-ARGS...: the build a part runs, with the compiler mpicc
# is to wrap. A build that fails prints its log's end and returns 1 (the part cannot run); a
# warning is printed and counted in the calling part's $fail (bash locals are seen by callees).
part_build() {
    local part=$1 cc=$2 dir=$3 log=$work/$1-build.log
    shift 3
    if ! OMPI_CC=$cc configure_build "$dir" "$log" --quiet CC=mpicc "$@"; then
        tail -n 30 "$log"
        echo "FAILED: the $part build (log: $log)"
        return 1
    fi
    if grep -E 'warning:' "$log"; then
        echo "FAILED: the $part build has warnings (above)"
        fail=$((fail + 1))
    fi
}

# ---- 1. ASan + UBSan: the whole make check ------------------------------------------------
run_asan() {
    local t0=$SECONDS pass=0 fail=0
    local build=$work/asan reports=$work/asan-reports
    echo
    echo "=== asan: make check built with -fsanitize=address,undefined (gcc via mpicc)"
    local flags="-fsanitize=address,undefined -fno-omit-frame-pointer -g -O1"
    # gcc, the compiler users build with: the openmp method then runs on libgomp as it does
    # for them (with clang it runs on libomp, whose start-up opens a shared-memory file with
    # O_EXCL and aborts when test_failure's injected "create" fault refuses it).
    # -static-libasan -static-libubsan: gcc links ASan and UBSan as two runtimes, each with
    # its own copy of the common code (report file, options). Shared, UBSan's reports ignore
    # log_path and go to stderr only; with one static and one shared, the copies interpose on
    # each other and a report is split between the file and stderr. Both static: every
    # report whole in its file (tried here with GCC 12).
    # -Wl,--export-dynamic-symbol=dlclose: the executable's dlclose() must be in its dynamic
    # symbol table to interpose on libc's for Open MPI's libraries.
    local ldflags="-fsanitize=address,undefined -static-libasan -static-libubsan"
    ldflags+=" -Wl,--export-dynamic-symbol=dlclose"
    if ! part_build asan gcc "$build" CFLAGS="$flags" LDFLAGS="$ldflags" \
        LIBS="$work/keep-modules.o"; then
        part_result asan 0 1 $((SECONDS - t0))
        return
    fi
    local bin=$build/src/io-pipeline-bench
    # (grep reads whole outputs: with pipefail, grep -q could fail a pipe by closing it early)
    local syms dyn
    syms=$(nm "$bin")
    dyn=$(nm -D "$bin")
    if ! grep -q '__asan_init' <<<"$syms" || ! grep -q '__ubsan_handle_add_overflow' <<<"$syms" ||
        ! grep -qw 'T dlclose' <<<"$dyn"; then
        echo "FAILED: $bin lacks ASan, UBSan or the dlclose() of keep-modules.c"
        part_result asan "$pass" $((fail + 1)) $((SECONDS - t0))
        return
    fi
    rm -rf "$reports" && mkdir -p "$reports"
    # exitcode=86: a process with a report exits 86, a status no test expects (the program
    # exits 0, 1 or 2), so a report in a rank fails the test even where the test expects a
    # failure. log_path: every report also lands in a file, so that none is lost in a
    # process whose status no test looks at (a fork child, a helper); each file counts as a
    # failure below. fast_unwind_on_malloc=0: whole allocation stacks through libraries built
    # without frame pointers, which the suppressions need.
    local asan_opts="exitcode=86:log_path=$reports/asan:fast_unwind_on_malloc=0"
    asan_opts+=":malloc_context_size=64:detect_leaks=1"
    local ubsan_opts="halt_on_error=1:print_stacktrace=1:exitcode=86:log_path=$reports/ubsan"
    local lsan_opts="suppressions=$san/lsan.supp:print_suppressions=0"
    local tests_arg=()
    [ -n "${IPB_SAN_TESTS:-}" ] && tests_arg=("TESTS=$IPB_SAN_TESTS")
    echo "ASAN_OPTIONS=$asan_opts"
    echo "UBSAN_OPTIONS=$ubsan_opts"
    echo "LSAN_OPTIONS=$lsan_opts"
    # OMPI_CC again: make check compiles and links the test programs with the same mpicc
    (cd "$build" && OMPI_CC=gcc ASAN_OPTIONS=$asan_opts UBSAN_OPTIONS=$ubsan_opts \
        LSAN_OPTIONS=$lsan_opts make check -j1 "${tests_arg[@]}") >"$work/asan-check.log" 2>&1
    local rc=$?
    grep -E '^(PASS|FAIL|XPASS|XFAIL|SKIP|ERROR):' "$work/asan-check.log"
    local tally
    tally=$(bash "$repo/tests/summary.sh" "$build")
    echo "$tally" | grep -vE '^---' | grep -E 'FAILED|without a cmocka verdict' | head -n 20
    local line p f
    line=$(echo "$tally" | tail -n 1)
    p=$(echo "$line" | awk '/passed/ {print $1}')
    f=$(echo "$line" | awk '/passed/ {print $3}')
    pass=$((pass + ${p:-0}))
    fail=$((fail + ${f:-0}))
    echo "make check: $line (exit status $rc)"
    if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
        echo "FAILED: make check exited $rc without a failed test (see $work/asan-check.log)"
        fail=$((fail + 1))
    fi
    if [ "${p:-0}" -eq 0 ]; then
        echo "FAILED: no test passed: did make check run?"
        fail=$((fail + 1))
    fi
    local n=0 r
    for r in "$reports"/*; do
        [ -e "$r" ] || continue
        n=$((n + 1))
        echo "---- sanitizer report $r (first 60 lines):"
        head -n 60 "$r"
    done
    if [ "$n" -gt 0 ]; then
        echo "FAILED: $n sanitizer report(s) (one file per process, in $reports)"
        fail=$((fail + n))
    else
        echo "no sanitizer report from any process"
    fi
    part_result asan "$pass" "$fail" $((SECONDS - t0))
}

# ---- 2. TSan: the openmp method -----------------------------------------------------------
run_tsan() {
    local t0=$SECONDS pass=0 fail=0
    local build=$work/tsan reports=$work/tsan-reports
    echo
    echo "=== tsan: --method openmp built by clang -fsanitize=thread with LLVM's libomp"
    local archer
    archer=$(dpkg -L libomp-14-dev 2>/dev/null | grep '/libarcher\.so$' | head -n 1)
    if [ -z "$archer" ] || [ ! -e "$archer" ]; then
        echo "FAILED: libarcher.so not found (Debian package libomp-14-dev)"
        part_result tsan 0 1 $((SECONDS - t0))
        return
    fi
    local flags="-fsanitize=thread -fopenmp=libomp -fno-omit-frame-pointer -g -O1"
    # -fopenmp=libomp in CFLAGS: configure's OpenMP check then needs no flag of its own, and
    # the program is linked with LLVM's libomp (the runtime Archer knows), not gcc's libgomp.
    if ! part_build tsan clang "$build" --disable-tests CFLAGS="$flags" \
        LDFLAGS="-fsanitize=thread -fopenmp=libomp"; then
        part_result tsan 0 1 $((SECONDS - t0))
        return
    fi
    local bin=$build/src/io-pipeline-bench
    local libs syms
    libs=$(ldd "$bin")
    syms=$(nm "$bin")
    if ! grep -q 'libomp\.so' <<<"$libs" || grep -q libgomp <<<"$libs" ||
        ! grep -q '__tsan_init' <<<"$syms"; then
        echo "FAILED: $bin is not TSan-instrumented or not linked with libomp:"
        echo "$libs"
        part_result tsan "$pass" $((fail + 1)) $((SECONDS - t0))
        return
    fi
    rm -rf "$reports" && mkdir -p "$reports"
    local tsan_opts="halt_on_error=1 exitcode=66 suppressions=$san/tsan.supp"
    tsan_opts+=" log_path=$reports/tsan history_size=4"
    echo "TSAN_OPTIONS=$tsan_opts"
    echo "OMP_TOOL_LIBRARIES=$archer"
    # "RANKS ROWS NAME|OPTIONS": --progress starts a helper thread per rank that calls MPI
    # beside the pipelines; repetitions with a warm-up enter the parallel region three times
    # over the same per-pipeline counters.
    local runs=(
        "1 1 np1|"
        "1 1 np1-progress|--progress 0.2"
        "2 1 np2|"
        "2 1 np2-progress|--progress 0.2"
        "2 2 np2-repetitions|--repetitions 2 --warmup 0.3 --sync end --progress 0.2"
    )
    local run np nrows name opts out rc why rows archers reps r
    for run in "${runs[@]}"; do
        read -r np nrows name <<<"${run%%|*}"
        opts=${run#*|}
        out=$work/tsan-$name
        rm -rf "$out" && mkdir -p "$out"
        # setarch -R: TSan (LLVM 14) needs its fixed memory layout, which a kernel with more
        # ASLR bits than it expects breaks ("unexpected memory mapping"); the ranks inherit
        # the personality from mpirun.
        # shellcheck disable=SC2086
        setarch "$(uname -m)" -R mpirun --oversubscribe --bind-to none -np "$np" \
            -x TSAN_OPTIONS="$tsan_opts" -x OMP_TOOL_LIBRARIES="$archer" \
            -x ARCHER_OPTIONS=verbose=1 \
            "$bin" --method openmp --concurrency 4 --duration 1.5 --recv-delay 0.01 \
            --buffer-size 64 --output-file "$out/data" $opts \
            >"$out/stdout" 2>"$out/stderr"
        rc=$?
        why=""
        # (Archer prints its line on stdout, before the header and the rows)
        rows=$(awk -F'\t' '$3 == "openmp"' "$out/stdout" | wc -l)
        archers=$(cat "$out/stdout" "$out/stderr" | grep -c 'Archer detected OpenMP application')
        reps=$(grep -l -E '(WARNING|ERROR|FATAL): ThreadSanitizer' "$reports"/tsan.* \
            "$out/stderr" 2>/dev/null | wc -l)
        [ "$rc" -eq 0 ] || why+=" mpirun exited $rc;"
        [ "$rows" -eq "$nrows" ] || why+=" $rows result rows, expected $nrows;"
        [ "$archers" -eq "$np" ] || why+=" Archer active in $archers of $np ranks;"
        [ "$reps" -eq 0 ] || why+=" ThreadSanitizer reports;"
        if [[ $opts == *--progress* ]] && ! grep -q '\[progress\]' "$out/stderr"; then
            why+=" no progress line;"
        fi
        if [ -z "$why" ]; then
            echo "ok   mpirun -np $np openmp --concurrency 4 $opts"
            pass=$((pass + 1))
        else
            echo "FAIL mpirun -np $np openmp --concurrency 4 $opts:$why"
            tail -n 20 "$out/stderr"
            for r in "$reports"/tsan.*; do
                [ -e "$r" ] && { echo "---- $r"; head -n 60 "$r"; }
            done
            fail=$((fail + 1))
        fi
        rm -f "$reports"/tsan.*
    done
    part_result tsan "$pass" "$fail" $((SECONDS - t0))
}

# ---- 3. valgrind memcheck: every method, one rank ------------------------------------------
run_valgrind() {
    local t0=$SECONDS pass=0 fail=0
    local build=$work/plain
    echo
    echo "=== valgrind: memcheck of each method under mpirun -np 1"
    if ! part_build valgrind gcc "$build" --disable-tests; then
        part_result valgrind 0 1 $((SECONDS - t0))
        return
    fi
    local bin=$build/src/io-pipeline-bench
    local supp=(--suppressions="$san/valgrind.supp")
    local ompi_supp=/usr/share/openmpi/openmpi-valgrind.supp
    if [ -f "$ompi_supp" ]; then
        supp=(--suppressions="$ompi_supp" "${supp[@]}")
    else
        echo "note: $ompi_supp not found: running with our suppressions only"
    fi
    # --keep-debuginfo: name the frames of code unloaded before the leak check.
    # --child-silent-after-fork=no (the default, said out loud): the fork method's children,
    # forked before MPI_Init, stay under valgrind and are checked and leak-checked when they
    # _exit; each writes its own log (%p). --trace-children is not needed: nothing is exec'd.
    local vg=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
        --show-leak-kinds=definite --keep-debuginfo=yes --num-callers=40
        --child-silent-after-fork=no "${supp[@]}")
    echo "${vg[*]}"
    local common=(--duration 1 --recv-delay 0.05 --buffer-size 64)

    # vg_run NAME LOGS-EXPECTED ENGINE-EXPECTED PROGRAM-ARGS...: one memcheck run; sets
    # vg_why ("" when it passed)
    vg_run() {
        local name=$1 nlogs=$2 engine=$3
        shift 3
        local out=$work/valgrind-$name
        rm -rf "$out" && mkdir -p "$out"
        mpirun --bind-to none -np 1 -x LD_PRELOAD="$work/keep-modules.so" \
            "${vg[@]}" --log-file="$out/vg.%p.log" \
            "$bin" "$@" "${common[@]}" --output-file "$out/data" >"$out/stdout" 2>"$out/stderr"
        local rc=$? logs clean row
        vg_why=""
        # A process that exec'd another program (the HDF5 check's child, src/h5_check.c, which
        # valgrind does not follow without --trace-children) leaves a log with no summary: only
        # processes that ended under valgrind are counted.
        logs=$(grep -l 'ERROR SUMMARY:' "$out"/vg.*.log 2>/dev/null | wc -l)
        clean=$(grep -l 'ERROR SUMMARY: 0 errors' "$out"/vg.*.log 2>/dev/null | wc -l)
        row=$(grep -vE '^#' "$out/stdout" | head -n 1)
        [ "$rc" -eq 0 ] || vg_why+=" mpirun exited $rc;"
        [ "$logs" -eq "$nlogs" ] || vg_why+=" $logs valgrind logs, expected $nlogs;"
        [ "$clean" -eq "$logs" ] || vg_why+=" $((logs - clean)) process(es) with errors;"
        [ -n "$row" ] || vg_why+=" no result row;"
        if [ -n "$row" ] && [ "$(echo "$row" | cut -f16)" != "$engine" ]; then
            vg_why+=" aio engine column '$(echo "$row" | cut -f16)', expected '$engine';"
        fi
        if grep -q 'unhandled .*syscall' "$out"/vg.*.log 2>/dev/null; then
            vg_why+=" valgrind does not know a syscall the program made;"
        fi
    }
    # vg_report NAME DESCRIPTION
    vg_report() {
        local out=$work/valgrind-$1
        if [ -z "$vg_why" ]; then
            echo "ok   $2"
            pass=$((pass + 1))
        else
            echo "FAIL $2:$vg_why"
            tail -n 15 "$out/stderr"
            local l
            for l in "$out"/vg.*.log; do
                grep -q 'ERROR SUMMARY: 0 errors' "$l" && continue
                echo "---- $l"
                grep -vE '^==[0-9]+== *$' "$l" | head -n 80
            done
            fail=$((fail + 1))
        fi
    }

    local dat=$work/valgrind-sequential.dat h5=$work/valgrind-sequential.h5
    rm -f "$dat" "$h5"
    # sequential also writes the .dat and HDF5 results and runs the --progress thread
    # Every rank forks its janitor (src/janitor.c) twice before MPI_Init: 2 more processes, each
    # checked as it _exits. Hence rank + 2 (+ the fork method's children).
    vg_run sequential 3 - --method sequential --dat "$dat" --hdf5 "$h5" --progress 0.3
    vg_report sequential "sequential (with --dat, --hdf5, --progress; the rank and its janitor)"
    vg_run openmp 3 - --method openmp --concurrency 3
    vg_report openmp "openmp --concurrency 3"
    vg_run fork 6 - --method fork --concurrency 3
    vg_report fork "fork --concurrency 3 (the rank, its janitor and its 3 children)"
    vg_run io_uring 3 io_uring --method aio --aio-engine io_uring --concurrency 3
    if [ -n "$vg_why" ] && grep -qE 'unhandled .*syscall: *(425|426|427)' \
        "$work/valgrind-io_uring"/vg.*.log 2>/dev/null; then
        # valgrind without io_uring support: say so, and check what a user of this valgrind
        # gets instead, the auto engine's fallback
        echo "SKIPPED aio --aio-engine io_uring: this valgrind ($(valgrind --version)) does not" \
            "know the io_uring syscalls; running --aio-engine auto, which must fall back to posix"
        vg_run io_uring-fallback 3 posix --method aio --aio-engine auto --concurrency 3
        vg_report io_uring-fallback "aio --aio-engine auto (fell back to posix under valgrind)"
    else
        vg_report io_uring "aio --aio-engine io_uring --concurrency 3"
    fi
    vg_run posix 3 posix --method aio --aio-engine posix --concurrency 3
    vg_report posix "aio --aio-engine posix --concurrency 3"
    part_result valgrind "$pass" "$fail" $((SECONDS - t0))
}

for p in "${parts[@]}"; do
    need=()
    case $p in
    asan) ;;
    tsan) need=(clang libomp-14-dev libclang-rt-14-dev) ;;
    valgrind) need=(valgrind) ;;
    esac
    absent=()
    for pkg in "${need[@]}"; do
        [[ " ${missing[*]} " == *" $pkg "* ]] && absent+=("$pkg")
    done
    if [ ${#absent[@]} -gt 0 ]; then
        echo
        echo "=== $p: FAILED: not installed: ${absent[*]} (apt-get install -y ${absent[*]})"
        part_result "$p" 0 1 0
        continue
    fi
    "run_$p"
done
finish
