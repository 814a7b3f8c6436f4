#!/usr/bin/env bash
# io-pipeline-bench sweep: methods x concurrency x ranks per node (x node counts), every run
# appended to one HDF5 file and one .dat, then the analysis plots. The successor of the
# Python original's run-all-basic.sh, and the engine of the Slurm and PBS scripts next to it
# (they call this with --launcher srun / pbs).
#
#   job-scripts/ipb-sweep.sh [OPTIONS] [-- EXTRA BENCHMARK OPTIONS]
#
# Every option has an environment variable (IPB_*), so a batch job can be steered with
# `sbatch --export=ALL,IPB_DURATION=30 ...` or `qsub -v IPB_DURATION=30 ...`; an option on
# the command line wins over the variable. Lists take spaces or commas.
#
#   --methods LIST         IPB_METHODS          sequential openmp fork aio
#   --concurrency LIST     IPB_CONCURRENCY      1 2 4 8 16 32 64   (sequential runs at 1 only)
#   --ranks LIST           IPB_RANKS            1 2                (ranks per node)
#   --nodes LIST|scaling   IPB_NODES            1                  (scaling: 1 2 4 ... up to the
#                                                                   allocation's node count)
#   --duration S           IPB_DURATION         15
#   --buffer-size SIZE     IPB_BUFFER_SIZE      256                (KiB, or with a unit)
#   --recv-delay S         IPB_RECV_DELAY       0.1
#   --sync POLICY          IPB_SYNC             every
#   --compute-sparsity K   IPB_COMPUTE_SPARSITY 8
#   --aio-engine E         IPB_AIO_ENGINE       (program default: auto; given to aio runs only)
#   --seed N               IPB_SEED             (program default)
#   --repeat N             IPB_REPEAT           1                  (runs of each point)
#   --data-dir DIR         IPB_DATA_DIR         ./ipb-data, or node-local /tmp/ipb-<job> in a
#                                               Slurm/PBS job: the file system being measured
#   --results PREFIX       IPB_RESULTS          results/<study>[-<job id>]: PREFIX.h5, PREFIX.dat,
#                                               PREFIX-logs/ (one log per run), PREFIX-plots/
#   --study NAME           IPB_STUDY            sweep (names the results and the label)
#   --label TEXT           IPB_LABEL            <study>; " job=<id>" (Slurm/PBS) or
#                                               " sweep=<start time>" is appended
#   --launcher L           IPB_LAUNCHER         mpirun | srun | pbs (PBS Pro/PALS mpiexec)
#   --launcher-cmd PROG    IPB_MPIEXEC (mpirun), IPB_SRUN (srun), IPB_PBS_MPIEXEC (pbs):
#                                               the launcher program (mpirun, srun, mpiexec)
#   --launcher-args WORDS  IPB_LAUNCHER_ARGS    extra launcher words (split on spaces)
#   --bind B               IPB_BIND             mpirun --bind-to (none), srun --cpu-bind (site
#                                               default), PBS --cpu-bind (depth)
#                          IPB_SRUN_MPI         srun --mpi plugin: pmix, or pmi2 when the program
#                                               is linked with MPICH (Cray MPICH: cray_shasta)
#   --cpus-per-rank N      IPB_CPUS_PER_RANK    srun --cpus-per-task / PBS --depth (default:
#                                               the node's CPUs / ranks per node)
#   --node-cpus N          IPB_NODE_CPUS        CPUs of a compute node (default: this node's;
#                                               give it for a --dry-run on a login node)
#   --wrapper WORDS        IPB_WRAPPER          command put before the program on every rank
#                                               (numactl ..., a profiler)
#   --bin PATH             IPB_BIN              src/io-pipeline-bench, else io-pipeline-bench on PATH
#   --run-timeout S        IPB_RUN_TIMEOUT      3 x duration + 300: a run still going gets
#                                               SIGTERM (SIGKILL 30 s later) and counts as failed
#   --no-plots             IPB_PLOTS=0          skip the summary table and plots at the end
#   --dry-run              IPB_DRY_RUN=1        print the launch commands, run nothing
#
# Progress (run i of n, elapsed, estimated time left) and each run's verdict go to stderr. A
# failed run is reported (exit status, the program's last line, its log) and the sweep goes
# on: the results files only ever get rows of successful runs (and of runs stopped by a signal,
# marked in their <interrupted> column), so nothing earlier is lost.
# A sweep cut short (SIGTERM at a Slurm job's time limit, SIGINT from Ctrl-C, SIGUSR1 from
# `sbatch --signal=USR1@60`, or a run that exits 3 because its ranks were signalled) stops
# after the run in progress: that run is recorded as interrupted by the program itself (column
# <interrupted>), every earlier run is complete, no later run starts, and the last lines say
# which run was cut.
# Exit status: 0 if every run succeeded, 1 if any failed, 2 for bad options, 3 if cut short.
set -uo pipefail # not -e: one failed run must not end the sweep

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")

usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "ipb-sweep: $*" >&2; exit 2; }

METHODS=${IPB_METHODS:-sequential openmp fork aio}
CONCURRENCY=${IPB_CONCURRENCY:-1 2 4 8 16 32 64}
RANKS=${IPB_RANKS:-1 2}
NODES=${IPB_NODES:-1}
DURATION=${IPB_DURATION:-15}
BUFFER_SIZE=${IPB_BUFFER_SIZE:-256}
RECV_DELAY=${IPB_RECV_DELAY:-0.1}
SYNC=${IPB_SYNC:-every}
SPARSITY=${IPB_COMPUTE_SPARSITY:-8}
AIO_ENGINE=${IPB_AIO_ENGINE:-}
SEED=${IPB_SEED:-}
REPEAT=${IPB_REPEAT:-1}
DATA_DIR=${IPB_DATA_DIR:-}
RESULTS=${IPB_RESULTS:-}
STUDY=${IPB_STUDY:-sweep}
LABEL=${IPB_LABEL:-}
LAUNCHER=${IPB_LAUNCHER:-mpirun}
MPIEXEC=
LAUNCHER_ARGS=${IPB_LAUNCHER_ARGS:-}
BIND=${IPB_BIND:-}
CPUS_PER_RANK=${IPB_CPUS_PER_RANK:-}
NODE_CPUS=${IPB_NODE_CPUS:-}
WRAPPER=${IPB_WRAPPER:-}
BIN=${IPB_BIN:-}
RUN_TIMEOUT=${IPB_RUN_TIMEOUT:-}
PLOTS=${IPB_PLOTS:-1}
DRY_RUN=${IPB_DRY_RUN:-0}
EXTRA=()

need() { [ $# -ge 2 ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
    case "$1" in
    --methods) need "$@"; METHODS=$2; shift ;;
    --concurrency) need "$@"; CONCURRENCY=$2; shift ;;
    --ranks) need "$@"; RANKS=$2; shift ;;
    --nodes) need "$@"; NODES=$2; shift ;;
    --duration) need "$@"; DURATION=$2; shift ;;
    --buffer-size) need "$@"; BUFFER_SIZE=$2; shift ;;
    --recv-delay) need "$@"; RECV_DELAY=$2; shift ;;
    --sync) need "$@"; SYNC=$2; shift ;;
    --compute-sparsity) need "$@"; SPARSITY=$2; shift ;;
    --aio-engine) need "$@"; AIO_ENGINE=$2; shift ;;
    --seed) need "$@"; SEED=$2; shift ;;
    --repeat) need "$@"; REPEAT=$2; shift ;;
    --data-dir) need "$@"; DATA_DIR=$2; shift ;;
    --results) need "$@"; RESULTS=$2; shift ;;
    --study) need "$@"; STUDY=$2; shift ;;
    --label) need "$@"; LABEL=$2; shift ;;
    --launcher) need "$@"; LAUNCHER=$2; shift ;;
    --launcher-cmd) need "$@"; MPIEXEC=$2; shift ;;
    --launcher-args) need "$@"; LAUNCHER_ARGS=$2; shift ;;
    --bind) need "$@"; BIND=$2; shift ;;
    --cpus-per-rank) need "$@"; CPUS_PER_RANK=$2; shift ;;
    --node-cpus) need "$@"; NODE_CPUS=$2; shift ;;
    --wrapper) need "$@"; WRAPPER=$2; shift ;;
    --bin) need "$@"; BIN=$2; shift ;;
    --run-timeout) need "$@"; RUN_TIMEOUT=$2; shift ;;
    --no-plots) PLOTS=0 ;;
    --dry-run) DRY_RUN=1 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) die "unknown option '$1' (--help lists them; benchmark options go after --)" ;;
    esac
    shift
done

# ---- checks and derived settings ------------------------------------------------------------

words() { echo "${1//,/ }"; } # "1,2 4" -> "1 2 4"
is_count() { case "$1" in '' | *[!0-9]* | 0*) return 1 ;; esac; }
for v in $(words "$CONCURRENCY") $(words "$RANKS") "$REPEAT"; do
    is_count "$v" || die "'$v' is not a positive whole number (--concurrency, --ranks, --repeat)"
done
[ -n "$(words "$METHODS")" ] || die "--methods is empty"
case "$LAUNCHER" in mpirun | srun | pbs) ;; *) die "--launcher must be mpirun, srun or pbs, not '$LAUNCHER'" ;; esac
case "$DRY_RUN" in 0 | 1) ;; *) die "IPB_DRY_RUN must be 0 or 1" ;; esac
awk -v d="$DURATION" 'BEGIN { exit !(d + 0 > 0) }' || die "--duration must be a number > 0, not '$DURATION'"
[ -z "$RUN_TIMEOUT" ] && RUN_TIMEOUT=$(awk -v d="$DURATION" 'BEGIN { printf "%d", 3 * d + 300 }')

# The job this runs in: its id goes into every run's label (the .dat) and the HDF5 run
# context records it too (SLURM_JOB_ID / PBS_JOBID).
JOBID=${SLURM_JOB_ID:-${PBS_JOBID:-}}
STARTED=$(date -u +%Y%m%dT%H%M%SZ)
if [ -n "$JOBID" ]; then tag="job=$JOBID" idtag=$JOBID; else tag="sweep=$STARTED" idtag=$STARTED; fi
LABEL="${LABEL:-$STUDY} $tag"
[ -n "$RESULTS" ] || RESULTS=${SLURM_SUBMIT_DIR:-${PBS_O_WORKDIR:-.}}/results/$STUDY${JOBID:+-$JOBID}
case "$RESULTS" in /*) ;; *) RESULTS=$PWD/${RESULTS#./} ;; esac
H5=$RESULTS.h5 DAT=$RESULTS.dat LOGS=$RESULTS-logs PLOTDIR=$RESULTS-plots

# Nodes in the allocation (1 outside a batch job).
if [ "$LAUNCHER" = srun ]; then
    ALLOC_NODES=${SLURM_JOB_NUM_NODES:-${SLURM_NNODES:-1}}
elif [ "$LAUNCHER" = pbs ] && [ -n "${PBS_NODEFILE:-}" ]; then
    [ -r "$PBS_NODEFILE" ] || die "PBS_NODEFILE=$PBS_NODEFILE is not readable"
    mapfile -t PBS_HOSTS < <(awk '!seen[$1]++ { print $1 }' "$PBS_NODEFILE")
    ALLOC_NODES=${#PBS_HOSTS[@]}
else
    ALLOC_NODES=1
fi
if [ "$NODES" = scaling ]; then
    NODES="" n=1
    while [ "$n" -lt "$ALLOC_NODES" ]; do NODES+="$n " n=$((n * 2)); done
    NODES+=$ALLOC_NODES # the whole allocation, even when it is not a power of two
fi
for n in $(words "$NODES"); do
    is_count "$n" || die "--nodes: '$n' is not a positive whole number (or use 'scaling')"
    [ "$LAUNCHER" = mpirun ] || [ "$n" -le "$ALLOC_NODES" ] ||
        die "--nodes $n: the allocation has $ALLOC_NODES node(s)"
done

# CPUs of one node (the one this runs on; batch nodes are alike).
[ -n "$NODE_CPUS" ] || NODE_CPUS=${SLURM_CPUS_ON_NODE:-$(nproc --all 2>/dev/null || echo 1)}
for v in "$NODE_CPUS" ${CPUS_PER_RANK:+"$CPUS_PER_RANK"}; do
    is_count "$v" || die "'$v' is not a positive whole number (--node-cpus, --cpus-per-rank)"
done

if [ -z "$BIN" ]; then
    if [ -x "$top/src/io-pipeline-bench" ]; then BIN=$top/src/io-pipeline-bench
    else BIN=$(command -v io-pipeline-bench) || BIN=""; fi
fi
[ -n "$BIN" ] || [ "$DRY_RUN" = 0 ] || BIN=io-pipeline-bench # a dry run prints the name
[ -n "$BIN" ] || die "cannot find io-pipeline-bench: build it (setup.sh) or give --bin / IPB_BIN"
[ "$DRY_RUN" = 1 ] || [ -x "$BIN" ] || die "--bin $BIN is not an executable"
[[ "$BIN" == */* && "$BIN" != /* ]] && BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

if [ -z "$DATA_DIR" ]; then
    # Node-local scratch inside a job (every node writes its own files; /tmp is usually local);
    # ./ipb-data for a local sweep. Give --data-dir to measure a shared file system.
    if [ -n "$JOBID" ]; then DATA_DIR=${TMPDIR:-/tmp}/ipb-data-$JOBID; else DATA_DIR=$PWD/ipb-data; fi
fi

case "$LAUNCHER" in
mpirun) MPIEXEC=${MPIEXEC:-${IPB_MPIEXEC:-mpirun}} ;;
srun) MPIEXEC=${MPIEXEC:-${IPB_SRUN:-srun}} ;;
pbs) MPIEXEC=${MPIEXEC:-${IPB_PBS_MPIEXEC:-mpiexec}} ;;
esac
OPENMPI=0
if [ "$LAUNCHER" = mpirun ] && "$MPIEXEC" --version 2>/dev/null | grep -q -E "Open MPI|OpenRTE"; then
    OPENMPI=1
    # Open MPI refuses to start as root without these; whoever runs this as root chose to.
    [ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# srun's MPI plugin: pmix for Open MPI (Debian's starts under nothing else), pmi2 for an MPICH
# build (Debian's MPICH speaks PMI-1/PMI-2 only: under pmix every task would start as a
# singleton, which the program refuses). IPB_SRUN_MPI overrides (Cray MPICH: cray_shasta).
SRUN_MPI=${IPB_SRUN_MPI:-}
if [ -z "$SRUN_MPI" ]; then
    SRUN_MPI=pmix
    ldd "$BIN" 2>/dev/null | grep -q 'libmpich\.so' && SRUN_MPI=pmi2
fi
read -r -a LAUNCHER_EXTRA <<<"$LAUNCHER_ARGS"
read -r -a WRAP <<<"$WRAPPER"

cpus_per_rank() { # ranks-per-node
    if [ -n "$CPUS_PER_RANK" ]; then echo "$CPUS_PER_RANK"; return; fi
    local c=$((NODE_CPUS / $1))
    [ "$c" -ge 1 ] && echo "$c" || echo 1
}

# The launch command of one run: nodes, ranks per node -> the array LAUNCH.
launch_words() {
    local nodes=$1 ppn=$2 total=$(($1 * $2)) cpr
    cpr=$(cpus_per_rank "$ppn")
    LAUNCH=("$MPIEXEC")
    case "$LAUNCHER" in
    mpirun)
        if [ "$OPENMPI" = 1 ]; then
            # --bind-to none by default: with 2 or fewer ranks Open MPI binds each rank to one
            # core, and the threads of openmp (and fork's children) would all share it.
            LAUNCH+=(--bind-to "${BIND:-none}" --oversubscribe -np "$total")
            [ "$nodes" -gt 1 ] && LAUNCH+=(--map-by "ppr:$ppn:node")
        else
            LAUNCH+=(-n "$total")
            [ "$nodes" -gt 1 ] && LAUNCH+=(-ppn "$ppn")
            [ -n "$BIND" ] && LAUNCH+=(-bind-to "$BIND")
        fi
        ;;
    srun)
        # --mpi: see SRUN_MPI above. --kill-on-bad-exit=1: a rank that dies ends the step (the
        # PMIx plugin does that by itself; under pmi2 the other ranks of an MPICH job would wait
        # in their next collective until --run-timeout). --cpus-per-task gives each rank the
        # CPUs its threads or children run on; more CPUs than the node has would make srun wait
        # forever, hence --overcommit.
        LAUNCH+=(--mpi="$SRUN_MPI" --kill-on-bad-exit=1 --nodes="$nodes" --ntasks-per-node="$ppn"
            --ntasks="$total" --cpus-per-task="$cpr")
        [ $((ppn * cpr)) -gt "$NODE_CPUS" ] && LAUNCH+=(--overcommit)
        [ -n "$BIND" ] && LAUNCH+=(--cpu-bind="$BIND")
        ;;
    pbs)
        # PBS Pro with HPE/Cray PALS (ALCF Polaris): --depth is the CPUs per rank, and
        # --cpu-bind depth binds each rank to that many consecutive CPUs; a hostfile of the
        # first N nodes runs a scaling point on N nodes of the allocation.
        LAUNCH+=(-n "$total" --ppn "$ppn" --depth "$cpr" --cpu-bind "${BIND:-depth}")
        if [ -n "${PBS_NODEFILE:-}" ]; then
            LAUNCH+=(--hostfile "$LOGS/hosts.$nodes")
        fi
        ;;
    esac
    LAUNCH+=("${LAUNCHER_EXTRA[@]}")
}

hostfile_for() { # nodes: the first N unique hosts of the PBS allocation
    [ "$LAUNCHER" = pbs ] && [ -n "${PBS_NODEFILE:-}" ] || return 0
    printf '%s\n' "${PBS_HOSTS[@]:0:$1}" >"$LOGS/hosts.$1"
}

# Run a command once on each of the first N nodes (to create or remove the data directory
# where it is node-local).
on_nodes() { # nodes cmd...
    local nodes=$1
    shift
    case "$LAUNCHER" in
    srun) "$MPIEXEC" --nodes="$nodes" --ntasks-per-node=1 --ntasks="$nodes" "$@" ;;
    pbs) hostfile_for "$nodes"
        "$MPIEXEC" -n "$nodes" --ppn 1 ${PBS_NODEFILE:+--hostfile "$LOGS/hosts.$nodes"} "$@" ;;
    *) "$@" ;;
    esac
}

# ---- the runs ---------------------------------------------------------------------------------

POINTS=() # "nodes ppn method concurrency repeat"
for nodes in $(words "$NODES"); do
    for ppn in $(words "$RANKS"); do
        for method in $(words "$METHODS"); do
            if [ "$method" = sequential ]; then clist=1; else clist=$(words "$CONCURRENCY"); fi
            for c in $clist; do
                for rep in $(seq 1 "$REPEAT"); do POINTS+=("$nodes $ppn $method $c $rep"); done
            done
        done
    done
done
total_runs=${#POINTS[@]}
max_nodes=$(words "$NODES" | tr " " "\n" | sort -n | tail -n 1)

q() { printf '%q ' "$@" | sed 's/ $//'; } # one shell-quoted line

plot_cmds() {
    local py=/usr/bin/python3 x=pipelines
    [ -x "$py" ] || py=python3
    [ "$(words "$NODES" | wc -w)" -gt 1 ] && x=nodes
    SUMMARY=("$py" "$top/analysis/ipb_summary.py" "$H5" --label "$LABEL")
    PLOT=("$py" "$top/analysis/ipb_plot.py" "$H5" --label "$LABEL" --x "$x" -o "$PLOTDIR/$STUDY")
}

bench_words() { # method concurrency run-index
    BENCH=("${WRAP[@]}" "$BIN" --method "$1" --concurrency "$2" --duration "$DURATION"
        --buffer-size "$BUFFER_SIZE" --recv-delay "$RECV_DELAY" --sync "$SYNC"
        --compute-sparsity "$SPARSITY")
    [ "$1" = aio ] && [ -n "$AIO_ENGINE" ] && BENCH+=(--aio-engine "$AIO_ENGINE")
    [ -n "$SEED" ] && BENCH+=(--seed "$SEED")
    # A fresh base per run: the program refuses existing data paths (O_EXCL), so files left
    # by a killed run can never stop the next one.
    BENCH+=(--output-file "$DATA_DIR/ipb-$idtag-$3" --dat "$DAT" --hdf5 "$H5" --label "$LABEL"
        "${EXTRA[@]}")
}

if [ "$DRY_RUN" = 1 ]; then
    echo "# ipb-sweep --dry-run: $total_runs runs, launcher $LAUNCHER, allocation $ALLOC_NODES node(s)"
    echo "# results: $H5 $DAT; data directory: $DATA_DIR; label: $LABEL"
    if [ "$LAUNCHER" = pbs ] && [ -n "${PBS_NODEFILE:-}" ]; then
        for nodes in $(words "$NODES"); do
            echo "# $LOGS/hosts.$nodes: ${PBS_HOSTS[*]:0:$nodes}"
        done
    fi
    i=0
    for p in "${POINTS[@]}"; do
        read -r nodes ppn method c rep <<<"$p"
        i=$((i + 1))
        launch_words "$nodes" "$ppn"
        bench_words "$method" "$c" "$i"
        q "${LAUNCH[@]}" "${BENCH[@]}"
        echo
    done
    plot_cmds
    echo "# then: $(q "${SUMMARY[@]}")"
    [ "$PLOTS" = 1 ] && echo "# then: $(q "${PLOT[@]}")"
    exit 0
fi

mkdir -p "$LOGS" "$(dirname "$H5")" || die "cannot create the results directory $(dirname "$H5")"
made_data_dir=0
if [ "$LAUNCHER" = mpirun ]; then
    [ -d "$DATA_DIR" ] || { mkdir -p "$DATA_DIR" && made_data_dir=1; } || die "cannot create --data-dir $DATA_DIR"
else
    # Node-local or shared, the directory must exist on every node that writes.
    [ -d "$DATA_DIR" ] || made_data_dir=1
    on_nodes "$max_nodes" mkdir -p "$DATA_DIR" || die "cannot create --data-dir $DATA_DIR on $max_nodes node(s)"
fi

fmt_time() { printf '%02d:%02d:%02d' $(($1 / 3600)) $(($1 % 3600 / 60)) $(($1 % 60)); }
# The program's own message (rank 0 prints one line starting "io-pipeline-bench: "), else the
# launcher's first line (the headline of Open MPI's box, srun's "error:"): why a run failed.
run_message() {
    local m
    m=$(grep -m 1 '^io-pipeline-bench: ' "$1")
    [ -n "$m" ] || m=$(sed 1d "$1" | grep -v -E '^(-{10,}|={10,})$|^\s*$' | head -n 1)
    echo "$m"
}

echo "ipb-sweep: $total_runs runs ($STUDY; $(words "$METHODS" | wc -w) methods, concurrency $(words "$CONCURRENCY"), ranks/node $(words "$RANKS"), nodes $(words "$NODES"); ${DURATION} s each) via $LAUNCHER" >&2
echo "ipb-sweep: label '$LABEL'; data in $DATA_DIR; results $H5 and $DAT; logs in $LOGS/" >&2
t_start=$(date +%s)
i=0 ok=0 failed=0 FAILED_RUNS=() CUT_BY="" CUT_RUN="" run_pid=""
# A stop signal to this script is noted, and passed on to the run in progress as one SIGTERM.
# The run must get exactly one: mpirun takes a second SIGTERM as "forcibly terminate" and
# SIGKILLs its ranks before they record anything. So the run is started by `setsid` in a
# session (and process group) of its own, which a signal to this script's group (Ctrl-C in a
# terminal, kill -- -PGID) does not reach, and `timeout --foreground` passes a signal on to
# the launcher only (without --foreground it sends it to the launcher and again to its group,
# which is the launcher twice). It is started in the background and waited for, because bash
# runs a trap only once a foreground command has returned. USR1 is not passed as such:
# timeout would die of it and leave the run behind.
for sig in TERM INT USR1; do
    trap "CUT_BY=\${CUT_BY:-SIG$sig}; [ -n \"\$run_pid\" ] && kill -TERM \"\$run_pid\" 2>/dev/null" "$sig"
done
for p in "${POINTS[@]}"; do
    [ -n "$CUT_BY" ] && break
    read -r nodes ppn method c rep <<<"$p"
    i=$((i + 1))
    now=$(date +%s)
    elapsed=$((now - t_start))
    if [ "$i" -gt 1 ]; then
        eta=$((elapsed * (total_runs - i + 1) / (i - 1)))
    else # before the first run: the durations plus a few seconds of start-up each
        eta=$(awk -v n="$total_runs" -v d="$DURATION" 'BEGIN { printf "%d", n * (d + 2) }')
    fi
    what="$method c=$c, $ppn rank(s)/node x $nodes node(s)"
    [ "$REPEAT" -gt 1 ] && what+=", repeat $rep"
    printf 'ipb-sweep: [%d/%d] %s elapsed, ~%s left: %s\n' "$i" "$total_runs" \
        "$(fmt_time "$elapsed")" "$(fmt_time "$eta")" "$what" >&2
    hostfile_for "$nodes"
    launch_words "$nodes" "$ppn"
    bench_words "$method" "$c" "$i"
    log=$(printf '%s/run-%04d.log' "$LOGS" "$i")
    q "${LAUNCH[@]}" "${BENCH[@]}" >"$log"
    echo >>"$log"
    setsid timeout --foreground --kill-after=30 "$RUN_TIMEOUT" "${LAUNCH[@]}" "${BENCH[@]}" \
        >>"$log" 2>&1 </dev/null &
    run_pid=$!
    while :; do
        wait "$run_pid"
        rc=$?
        # above 128 with the run still there: a trapped signal cut the wait short, not the run
        [ "$rc" -gt 128 ] && kill -0 "$run_pid" 2>/dev/null && continue
        break
    done
    run_pid=""
    row=$(grep -v '^#' "$log" | awk -F'\t' 'NF > 20' | tail -n 1)
    # The row's <interrupted> column: MPICH's mpiexec exits 0 even when its ranks exited 3.
    icol=$(grep -m 1 '^#' "$log" | tr '\t' '\n' | grep -n -x '<interrupted>' | cut -d: -f1)
    cut_sig=""
    [ -n "$icol" ] && [ -n "$row" ] && cut_sig=$(cut -f "$icol" <<<"$row")
    [ "$cut_sig" = no ] && cut_sig=""
    if [ "$rc" = 0 ] && [ -n "$row" ] && [ -z "$cut_sig" ]; then
        ok=$((ok + 1))
        printf 'ipb-sweep:         ok: %s MiB/s over %s s\n' "$(cut -f 11 <<<"$row")" "$(cut -f 10 <<<"$row")" >&2
    elif [ "$rc" != 124 ] && { [ "$rc" = 3 ] || [ -n "$CUT_BY" ] || [ -n "$cut_sig" ]; }; then
        # Interrupted: the program recorded what it measured (if it reached its timed phase).
        msg=$(run_message "$log")
        CUT_BY=${CUT_BY:-an interrupted run}
        CUT_RUN="[$i] $what: exit status $rc${msg:+: $msg} ($log)"
        printf 'ipb-sweep:         CUT (exit status %s)%s; log %s; no further run starts\n' \
            "$rc" "${msg:+: $msg}" "$log" >&2
        break
    else
        failed=$((failed + 1))
        [ "$rc" = 124 ] && why="still running after ${RUN_TIMEOUT} s (--run-timeout): stopped" || why="exit status $rc"
        msg=$(run_message "$log")
        FAILED_RUNS+=("[$i] $what: $why${msg:+: $msg} ($log)")
        printf 'ipb-sweep:         FAILED (%s)%s; log %s; going on\n' "$why" "${msg:+: $msg}" "$log" >&2
    fi
done
t_end=$(date +%s)

if [ "$made_data_dir" = 1 ]; then # only a directory this sweep created, and only if empty
    if [ "$LAUNCHER" = mpirun ]; then rmdir "$DATA_DIR" 2>/dev/null
    else on_nodes "$max_nodes" rmdir "$DATA_DIR" >/dev/null 2>&1; fi
fi

echo "ipb-sweep: $ok of $total_runs runs succeeded in $(fmt_time $((t_end - t_start)))" >&2
for f in "${FAILED_RUNS[@]}"; do echo "ipb-sweep: failed $f" >&2; done
if [ -n "$CUT_BY" ]; then
    trap - TERM INT USR1 # the summary and plots below may be cut again, then for good
    echo "ipb-sweep: cut short by $CUT_BY: $((total_runs - i)) run(s) not started" >&2
    [ -n "$CUT_RUN" ] && echo "ipb-sweep: cut $CUT_RUN" >&2
fi

plots_rc=0
if [ "$PLOTS" = 1 ] && [ "$ok" -gt 0 ]; then
    plot_cmds
    "${SUMMARY[@]}" || plots_rc=1
    mkdir -p "$PLOTDIR"
    if "${PLOT[@]}" >"$LOGS/plots.log" 2>&1; then
        echo "ipb-sweep: plots in $PLOTDIR/: $(cd "$PLOTDIR" && ls | tr '\n' ' ')" >&2
    else
        plots_rc=1
        echo "ipb-sweep: plotting failed (results are intact): $(tail -n 1 "$LOGS/plots.log")" >&2
    fi
fi
echo "ipb-sweep: results: $H5 $DAT" >&2
[ -n "$CUT_BY" ] && exit 3
[ "$failed" -eq 0 ] && [ "$plots_rc" -eq 0 ]
