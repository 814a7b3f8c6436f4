#!/usr/bin/env bash
# A throw-away Slurm cluster on this machine, for the job-script tests (and for trying the
# sbatch scripts by hand). No systemd, no /etc changes: everything lives in one directory.
#
#   tests/slurm-cluster.sh start DIR [NODES]   start munged, slurmctld and NODES slurmd daemons
#                                               (default 1) and wait until the nodes are idle
#   tests/slurm-cluster.sh stop DIR            stop them by the pids this script recorded
#   tests/slurm-cluster.sh env DIR             print the `export SLURM_CONF=...` to use it
#
# DIR is created if missing; it holds slurm.conf, a fresh munge key and socket, the daemons'
# pid files, logs, spool and state. Clients (sbatch, srun, squeue) find the cluster through
# SLURM_CONF=DIR/slurm.conf. With NODES > 1 every node is this machine under its own name
# (node1, node2, ...: Slurm's "multiple slurmd" emulation), so srun -N 2 really starts one
# slurmstepd per node, and each slurmd runs in its own UTS namespace whose host name is its node
# name: the tasks of node2 see host name node2, as on a real cluster (the network, file system
# and CPUs are this machine's). Each node declares 8 CPUs (SlurmdParameters=config_overrides),
# so tests may start more tasks than this machine has cores without -O.
#
# Exit status: 0 started/stopped; 77 (automake's "skip") when Slurm or munge is not installed,
# so a test can skip with the reason printed here; 1 on any other failure (logs are printed).
set -uo pipefail

die() { echo "slurm-cluster: $*" >&2; exit 1; }
skip() { echo "slurm-cluster: SKIP: $*" >&2; exit 77; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,20p' "$0" >&2; exit 2; }

sbin_path() { # the daemons live in /usr/sbin, which a non-login PATH may lack
    local p
    p=$(command -v "$1" 2>/dev/null) && { echo "$p"; return 0; }
    for p in /usr/sbin/"$1" /sbin/"$1" /usr/local/sbin/"$1"; do
        [ -x "$p" ] && { echo "$p"; return 0; }
    done
    return 1
}

# Stop the daemons whose pid files are in $dir, newest first, then wait for each to go away
# (slurmd last: its steps must be cleaned up before munged, which it needs, disappears).
stop_all() {
    local pidfile pid i
    for pidfile in "$dir"/slurmd.*.pid "$dir"/slurmctld.pid "$dir"/munge/munged.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile" 2>/dev/null)
        case "$pid" in '' | *[!0-9]*) continue ;; esac
        # Only our daemon: the pid's command line must mention this directory's config or
        # socket (a recycled pid belongs to someone else and is left alone).
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir"; then
            kill -TERM "$pid" 2>/dev/null
            for i in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        fi
        rm -f "$pidfile"
    done
    # slurmstepd processes of steps still running belong to the slurmd just stopped
    for pid in $(pgrep -f "slurmstepd" 2>/dev/null); do
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$dir/slurm.conf"; then
            kill -KILL "$pid" 2>/dev/null
        fi
    done
    return 0
}

# Two free TCP ports after a random start, so that two clusters (or a system Slurm on the
# default 6817/6818) never collide.
free_ports() { # count
    local n=$1 port used out=()
    used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
    port=$((20000 + RANDOM % 30000))
    while [ ${#out[@]} -lt "$n" ]; do
        port=$((port + 1))
        grep -qx "$port" <<<"$used" || out+=("$port")
    done
    echo "${out[@]}"
}

case "$cmd" in
env)
    echo "export SLURM_CONF=$dir/slurm.conf"
    exit 0
    ;;
stop)
    [ -d "$dir" ] || exit 0
    stop_all
    echo "slurm-cluster: stopped ($dir)" >&2
    exit 0
    ;;
start) ;;
*) die "unknown command '$cmd' (start, stop, env)" ;;
esac

nodes=${3:-1}
case "$nodes" in '' | *[!0-9]* | 0) die "NODES must be a positive number, not '$nodes'" ;; esac

munged=$(sbin_path munged) || skip "munged not found (Debian package: munge)"
mungekey=$(sbin_path mungekey) || skip "mungekey not found (Debian package: munge)"
slurmctld=$(sbin_path slurmctld) || skip "slurmctld not found (Debian package: slurmctld)"
slurmd=$(sbin_path slurmd) || skip "slurmd not found (Debian package: slurmd)"
command -v sbatch >/dev/null || skip "sbatch not found (Debian package: slurm-client)"
id munge >/dev/null 2>&1 || skip "no user 'munge' (Debian package: munge)"
[ "$(id -u)" = 0 ] || skip "must run as root (slurmd starts job steps as their user)"
[ -e "$(dirname "$(dirname "$(readlink -f "$slurmd")")")/lib/x86_64-linux-gnu/slurm-wlm/mpi_pmix.so" ] ||
    ls /usr/lib/*/slurm-wlm/mpi_pmix*.so >/dev/null 2>&1 ||
    skip "Slurm's PMIx plugin (mpi_pmix.so) not found: srun --mpi=pmix would not work"

if [ "$nodes" -gt 1 ]; then
    unshare --uts true 2>/dev/null ||
        skip "cannot create UTS namespaces (unshare --uts; needs CAP_SYS_ADMIN): no per-node host names"
fi

mkdir -p "$dir" || die "cannot create $dir"
dir=$(cd "$dir" && pwd)
stop_all # a previous cluster in the same directory

# munged runs as user munge and insists that its key, socket and log directories are its own
# and not writable by others: give it a subdirectory (the key inside it is 0600).
chmod 755 "$dir"
mkdir -p "$dir/munge" "$dir/state" "$dir/log"
if [ ! -s "$dir/munge/munge.key" ]; then
    "$mungekey" -c -k "$dir/munge/munge.key" 2>"$dir/log/mungekey.err" ||
        { cat "$dir/log/mungekey.err" >&2; die "mungekey failed"; }
fi
chown -R munge:munge "$dir/munge"
chmod 755 "$dir/munge" # munged: "execute permissions for all required" on the socket directory
chmod 600 "$dir/munge/munge.key"
# runuser (util-linux) switches user without PAM prompts; setpriv as a fall-back.
as_munge() {
    if command -v runuser >/dev/null; then
        runuser -u munge -- "$@"
    else
        setpriv --reuid=munge --regid=munge --init-groups -- "$@"
    fi
}
as_munge "$munged" --socket="$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
    --seed-file="$dir/munge/munged.seed" ||
    { cat "$dir/munge/munged.log" >&2 2>/dev/null; die "munged did not start"; }

read -r -a ports <<<"$(free_ports $((nodes + 1)))"
ctld_port=${ports[0]}

if [ "$nodes" -eq 1 ]; then
    nodelines="NodeName=localhost NodeAddr=127.0.0.1 Port=${ports[1]} CPUs=8 State=UNKNOWN"
    partnodes=localhost
    names=(localhost)
else
    nodelines=""
    names=()
    for i in $(seq 1 "$nodes"); do
        nodelines+="NodeName=node$i NodeHostname=localhost NodeAddr=127.0.0.1 Port=${ports[$i]} CPUs=8 State=UNKNOWN"$'\n'
        names+=("node$i")
    done
    partnodes="node[1-$nodes]"
fi

cat >"$dir/slurm.conf" <<EOF
# Written by tests/slurm-cluster.sh: a throw-away cluster of $nodes node(s) on this machine.
ClusterName=ipbtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.sock
MpiDefault=pmix
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
SlurmdParameters=config_overrides
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.%n.pid
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool.%n
TmpFS=$dir/tmp.%n
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.%n.log
SlurmctldDebug=info
SlurmdDebug=info
# Short timeouts: a test cluster that cannot reach a node should say so quickly.
SlurmctldTimeout=10
SlurmdTimeout=30
MessageTimeout=10
InactiveLimit=0
KillWait=5
MinJobAge=300
$nodelines
PartitionName=debug Nodes=$partnodes Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF

export SLURM_CONF="$dir/slurm.conf"
fail() {
    echo "slurm-cluster: $*" >&2
    for f in "$dir"/log/*.log "$dir"/munge/munged.log; do
        [ -f "$f" ] && { echo "---- $f (last lines)" >&2; tail -n 20 "$f" >&2; }
    done
    stop_all
    exit 1
}
# -i: ignore saved state (a fresh cluster every time)
"$slurmctld" -i -f "$dir/slurm.conf" || fail "slurmctld did not start"
for n in "${names[@]}"; do
    # TmpFS=$dir/tmp.%n: the PMIx plugin creates spmix_appdir_<uid>_<job>.<step> there, and
    # two slurmd daemons of one machine would collide in one /tmp.
    mkdir -p "$dir/tmp.$n"
    if [ "$nodes" -eq 1 ]; then
        "$slurmd" -f "$dir/slurm.conf" -N "$n" || fail "slurmd -N $n did not start"
    else
        # Its own UTS namespace whose host name is the node name: the batch script and every
        # task it starts on this node see that name (gethostname, MPI_Get_processor_name),
        # as they would on a real node. Nothing else is isolated: one file system, one network.
        unshare --uts sh -c 'hostname "$1" && exec "$2" -f "$3" -N "$1"' sh "$n" "$slurmd" \
            "$dir/slurm.conf" || fail "slurmd -N $n (in a UTS namespace) did not start"
    fi
done

# Ready when every node answers and is idle.
for i in $(seq 1 100); do
    idle=$(sinfo -h -N -o '%N %t' 2>/dev/null | awk '$2 == "idle"' | wc -l)
    [ "$idle" -ge "$nodes" ] && break
    sleep 0.1
done
[ "$idle" -ge "$nodes" ] || fail "nodes not idle after 10 s: $(sinfo -h -N -o '%N %t' 2>&1 | tr '\n' ' ')"
echo "slurm-cluster: $nodes node(s) idle (${names[*]}); export SLURM_CONF=$dir/slurm.conf" >&2
exit 0
