#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan + UBSan) and run each for a bounded time.
#
# Usage: fuzz/run.sh [SECONDS_PER_TARGET]      (default 20; 5 targets, about 3 minutes in all)
#        IPB_FUZZ_TARGETS="units import" fuzz/run.sh 60    (some targets only)
#
# Needs a configured tree for config.h and the compiler and library flags configure found: the
# source tree after ./setup.sh (an in-tree build), or IPB_BUILD_DIR=<build dir>. An unconfigured
# source tree with a ./configure script is configured in the work directory. Installs clang-14,
# libclang-rt-14-dev (libFuzzer, sanitizer runtimes) and libomp-14-dev (clang's OpenMP) with
# apt-get when they are missing (as root).
#
# Everything goes to IPB_FUZZ_OUT (default fuzz/out in the source tree, git-ignored):
#   build/              objects and the fuzz_<target> programs
#   corpus/<target>/    the working corpus: fuzz/corpus/<target> (the committed seeds) plus
#                       tests/data/fuzz/<target> (saved crashes and hostile inputs), plus what
#                       this run found; the committed directories are only read
#   crashes/            <target>-crash-*, -leak-*, -timeout-*, -oom-*: inputs that failed
#   logs/<target>.N.log libFuzzer's output (N: the restart after a finding of libhdf5's own)
# A target passes when it ran its time without a crash, leak, timeout (3 s per input; a healthy
# input takes milliseconds) or out-of-memory (2 GiB RSS); the last line is "N passed, N failed",
# and the exit status is 1 if any target failed or could not be built.
#
# libhdf5 1.10.8 has defects of its own on damaged files, which the h5 target reaches through
# this program's --hdf5 check and append. They are not hidden, but they do not fail the run:
# leaks on libhdf5's internal paths are suppressed (fuzz/libhdf5-1.10.8.supp, printed), and a
# hang, out-of-memory or memory error whose innermost frame is in libhdf5, on memory libhdf5
# allocated, is printed as "not counted: libhdf5's own ...", its input kept as
# crashes/<target>-libhdf5-*, and fuzzing goes on for the time left. Anything else fails the
# target. fuzz/libhdf5/README.md has the evidence and what would guard against them.
set -uo pipefail
export LC_ALL=C

seconds=${1:-20}
case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;; esac
top=$(cd "$(dirname "$0")/.." && pwd)
out=${IPB_FUZZ_OUT:-$top/fuzz/out}
targets=(${IPB_FUZZ_TARGETS:-options units dat_header import h5})

give_up() {
    echo "fuzz: $*"
    echo "fuzz: no target ran"
    echo "0 passed, ${#targets[@]} failed"
    exit 1
}

# ---- packages ------------------------------------------------------------------------------
missing=()
if command -v dpkg >/dev/null; then
    for p in clang-14 libclang-rt-14-dev libomp-14-dev; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
fi
if ((${#missing[@]})); then
    [ "$(id -u)" = 0 ] || give_up "missing Debian packages: ${missing[*]} (install them as root)"
    echo "fuzz: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" \
            >/dev/null; } || give_up "apt-get install ${missing[*]} failed"
fi
clang=$(command -v clang-14 || command -v clang) || give_up "no clang-14 or clang on PATH"

# ---- configuration: config.h and the flags configure chose ----------------------------------
build=${IPB_BUILD_DIR:-$top}
mkdir -p "$out/build" "$out/corpus" "$out/crashes" "$out/logs" || give_up "cannot create $out"
if [ ! -f "$build/config.h" ] || [ ! -f "$build/Makefile" ]; then
    [ -z "${IPB_BUILD_DIR:-}" ] && [ ! -f "$top/config.status" ] && [ -x "$top/configure" ] ||
        give_up "no configured build in $build: run ./setup.sh (or configure), or set IPB_BUILD_DIR"
    echo "fuzz: the source tree is not configured: configuring in $out/config"
    mkdir -p "$out/config"
    (cd "$out/config" && "$top/configure" --quiet --disable-tests >configure.log 2>&1) ||
        give_up "configure failed: see $out/config/configure.log"
    build=$out/config
fi
mkvar() { sed -n "s/^$1 = //p" "$build/Makefile" | head -n 1; }
mpicc=$(mkvar CC)
# The MPI wrapper's include and library flags, with clang as the compiler behind it.
export OMPI_CC=$clang MPICH_CC=$clang
cc=($mpicc)
flags=(-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -Wall -Wextra -D_GNU_SOURCE -I"$build" -I"$top/src" -I"$top/fuzz"
    $(mkvar OPENMP_CFLAGS) $(mkvar HDF5_CFLAGS) $(mkvar LIBURING_CFLAGS))
libs=($(mkvar OPENMP_CFLAGS) $(mkvar HDF5_LIBS) $(mkvar LIBURING_LIBS) $(mkvar LIBS) -lm)

# ---- build -------------------------------------------------------------------------------------
start=$SECONDS
sources=()
for f in "$top"/src/*.c; do
    case ${f##*/} in
    main.c) continue ;; # the targets call the library, not the program's main()
    aio_uring.c) grep -q '^#define HAVE_LIBURING 1' "$build/config.h" || continue ;;
    esac
    sources+=("$f")
done
sources+=("$top/fuzz/fuzz_common.c")
for t in "${targets[@]}"; do sources+=("$top/fuzz/fuzz_$t.c"); done
rm -f "$out"/build/*.o
# Coverage instrumentation for the code under test, not libFuzzer's main (fuzzer-no-link).
printf '%s\n' "${sources[@]}" |
    xargs -P 2 -I{} sh -c 'f={}; o='"$out"'/build/$(basename "$f" .c).o; "$@" -fsanitize=fuzzer-no-link -c "$f" -o "$o" || exit 255' \
        sh "${cc[@]}" "${flags[@]}" 2>"$out/logs/build.log" ||
    { cat "$out/logs/build.log"; give_up "compiling failed (log above, in $out/logs/build.log)"; }
lib=$out/build/libipb-fuzz.a
rm -f "$lib"
ar rcs "$lib" $(ls "$out"/build/*.o | grep -v '/fuzz_') || give_up "ar failed"
for t in "${targets[@]}"; do
    "${cc[@]}" "${flags[@]}" -fsanitize=fuzzer -DIPB_FUZZ_TARGET="ipb_fuzz_$t" \
        "$top/fuzz/libfuzzer.c" "$out/build/fuzz_$t.o" "$out/build/fuzz_common.o" "$lib" \
        "${libs[@]}" -o "$out/build/fuzz_$t" 2>>"$out/logs/build.log" ||
        { cat "$out/logs/build.log"; give_up "linking fuzz_$t failed"; }
done
grep -q warning "$out/logs/build.log" && { echo "fuzz: compiler warnings:"; cat "$out/logs/build.log"; }
echo "fuzz: built ${#targets[@]} targets with $($clang --version | head -n 1) in $((SECONDS - start)) s"

# Dictionaries from the sources, so they follow new options and fields: option names and the
# words their values take; .dat column and record field names; unit suffixes.
dict=$out/build
{
    sed -n 's/^ *{"\([a-z0-9-]*\)", \(0\|'"'"'.'"'"'\), .*/"--\1"/p' "$top/src/options.c"
    sed -n 's/^ *{"[a-z0-9-]*", '"'"'\(.\)'"'"', .*/"-\1"/p' "$top/src/options.c"
    printf '"%s"\n' sequential openmp fork aio threading multiprocess asyncio every end none \
        auto io_uring posix constant uniform normal exponential random aligned KiB MiB GiB = \
        1e400 18446744073709551616 -0 0x1p3 nan inf
} >"$dict/options.dict"
printf '"%s"\n' KiB MiB GiB K M G B e+ e- . 0x nan inf 18446744073709551615 >"$dict/units.dict"
sed -n 's/^ *X([A-Z0-9]*, [0-9]*, \([a-z0-9_]*\), "\([^"]*\)".*/"\1"\n"<\2>"/p' \
    "$top/src/result_fields.h" >"$dict/fields.dict"
printf '"%s"\n' '\x09' '\x0a' '\x0d' '#<' >>"$dict/fields.dict"
dict_of() {
    case $1 in
    options) echo "$dict/options.dict" ;;
    units) echo "$dict/units.dict" ;;
    dat_header | import) echo "$dict/fields.dict" ;;
    *) echo "" ;;
    esac
}

# ---- run ---------------------------------------------------------------------------------------
# allocator_may_return_null: a size read from a malformed file makes libhdf5 ask for exabytes;
# glibc returns NULL (which libhdf5 handles), and so must ASan, or that is a false crash.
asan=abort_on_error=0:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1
# Frames of the sanitizer runtime, libFuzzer and libc, which say nothing about whose bug it is.
runtime='libclang_rt|__sanitizer|__asan|__lsan|__interceptor|fuzzer::|libc\.so|sysdeps/|stdlib/|in (malloc|calloc|realloc|free|abort|raise|strdup) '

# The frames of the first report in log $1.
stack_of() { sed -n '/ERROR: /,$p' "$1" | grep -E '^ *#[0-9]+ ' | head -n 60; }

# The innermost frame that is not the runtime's, of the first stack after the line matching $2
# in log $1.
innermost() {
    sed -n "/$2/,\$p" "$1" | grep -E '^ *#[0-9]+ ' | grep -vE "$runtime" | head -n 1
}

# Is the finding of log $1 (kind $2) libhdf5's own? A hang, an out-of-memory or a memory error
# whose innermost frame is in libhdf5, on memory that libhdf5 allocated (when the report names
# an allocation: an overflow of a buffer of ours would be our bug). Leaks are judged by the
# suppressions, not here: one that got through is counted as ours.
libhdf5s_own() {
    local alloc
    [ "$2" != leak ] || return 1
    case $(innermost "$1" 'ERROR: ') in *libhdf5*) ;; *) return 1 ;; esac
    # The memory touched, where the report names it: the chunk the address is inside of, or a
    # live chunk it ran past. A freed neighbour ("previously allocated") is only where a stray
    # access landed, and says nothing about whose buffer was overrun.
    if grep -q 'bytes inside of' "$1"; then
        alloc=$(innermost "$1" 'allocated by thread')
    elif grep -q '^allocated by thread' "$1"; then
        alloc=$(innermost "$1" '^allocated by thread')
    else
        return 0
    fi
    case $alloc in *libhdf5*) return 0 ;; esac
    return 1
}

# The targets' real files (fuzz_common.c) live here, on tmpfs where there is one; removed at the
# end, since a crashed target cannot remove its own.
scratch=$(mktemp -d /dev/shm/ipb-fuzz.XXXXXX 2>/dev/null || mktemp -d) || give_up "mktemp failed"
trap 'rm -rf "$scratch"' EXIT
export IPB_FUZZ_SCRATCH=$scratch

passed=0 failed=0
echo "fuzz: $seconds s per target; inputs that fail are kept in $out/crashes"
printf '%-11s %9s %7s %11s %8s  %s\n' target runs exec/s "new corpus" crashes verdict
for t in "${targets[@]}"; do
    corpus=$out/corpus/$t
    mkdir -p "$corpus"
    seeds=()
    for d in "$top/fuzz/corpus/$t" "$top/tests/data/fuzz/$t"; do [ -d "$d" ] && seeds+=("$d"); done
    d=$(dict_of "$t")
    opts=$asan
    if [ "$t" = h5 ]; then
        # Full stacks at every malloc, so that the suppressions can see libhdf5's free lists.
        opts=$asan:fast_unwind_on_malloc=0:malloc_context_size=30
        export LSAN_OPTIONS=suppressions=$top/fuzz/libhdf5-1.10.8.supp:print_suppressions=1
    else
        unset LSAN_OPTIONS
    fi
    rm -f "$out/logs/$t".*.log
    runs=0 new=0 crashes=0 verdict=passed notes=() t0=$SECONDS
    # libFuzzer stops at the first finding; after one of libhdf5's own it starts again for the
    # time that is left (the corpus it grew is kept), so that the target still runs its time.
    for ((round = 0; ; round++)); do
        left=$((seconds - (SECONDS - t0)))
        ((round == 0 || left >= 2)) || break
        log=$out/logs/$t.$round.log
        ASAN_OPTIONS=$opts "$out/build/fuzz_$t" "$corpus" "${seeds[@]}" -max_total_time="$left" \
            -timeout=3 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$out/crashes/$t-" ${d:+-dict="$d"} >"$log" 2>&1
        rc=$?
        r=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        n=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
        runs=$((runs + ${r:-0})) new=$((new + ${n:-0}))
        [ "$rc" = 0 ] && [ -n "$r" ] && break
        artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
        if [ -z "$artifact" ]; then
            verdict="FAILED (exit $rc without a saved input; see $log)"
            break
        fi
        kind=${artifact##*/$t-}
        kind=${kind%%-*}
        if libhdf5s_own "$log" "$kind"; then
            kept=$out/crashes/$t-libhdf5-${artifact##*/$t-}
            mv "$artifact" "$kept"
            what=$(grep -m 1 -E '^SUMMARY: |ERROR: libFuzzer' "$log" | sed 's/^SUMMARY: //; s/^==[0-9]*== *//')
            where=$(innermost "$log" 'ERROR: ' | sed -n 's/.* in \([^ ]*\) .*/\1/p')
            notes+=("libhdf5's own $kind${where:+ in $where}: $what; input $kept")
            continue
        fi
        crashes=$((crashes + 1))
        verdict="FAILED: $kind, input $artifact, log $log"
        break
    done
    secs=$((SECONDS - t0))
    speed=$((runs / (secs > 0 ? secs : 1)))
    [ "$verdict" = passed ] && passed=$((passed + 1)) || failed=$((failed + 1))
    printf '%-11s %9s %7s %11s %8s  %s\n' "$t" "$runs" "$speed" "$new" "$crashes" "$verdict"
    for note in "${notes[@]}"; do echo "    not counted: $note"; done
    # which lines of fuzz/libhdf5-1.10.8.supp LeakSanitizer used, in any of the target's logs
    supp=$(cat "$out/logs/$t".*.log | awk '/^Suppressions used:/ {on = 1; next}
        on && /count +bytes +template/ {next}
        on && /^ *[0-9]+ +[0-9]+ / {n[$3]++; next} {on = 0}
        END {for (k in n) printf "%s%s", (s++ ? ", " : ""), k}')
    [ -z "$supp" ] || echo "    not counted: leaks on libhdf5's internal paths $supp (fuzz/libhdf5-1.10.8.supp)"
    if [ "$verdict" != passed ]; then
        grep -E '^==[0-9]+== ?ERROR|^==ipb-fuzz==|runtime error|^SUMMARY' "$log" | head -n 6 |
            sed 's/^/    /'
        stack_of "$log" | head -n 12 | sed 's/^/    /'
    fi
done
echo "fuzz: $((SECONDS - start)) s in all; replay an input with: $out/build/fuzz_<target> FILE"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
