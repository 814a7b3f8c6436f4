#!/usr/bin/python3
"""Every io-pipeline-bench method beside fio on the same pattern, as a matrix, into one file.

A cell is (receive delay D, arrivals closed|open, job count N), one node, one rank. In each
cell the fio baselines run first, then io-pipeline-bench with N pipelines per method, one after
the other, on the same directory. --rounds R repeats the whole matrix; every other round runs
the cells, the baselines and the methods in reverse order, and each ratio is taken against the
fio run of its own round.

Our pipelines do: think (receive), write, fsync. fio 3.33 thinks only after an I/O, and with
--fsync=1 it issues the fsync at the start of the next cycle: write, think, fsync (strace -f
shows pwrite64, clock_nanosleep(~D), fsync, pwrite64, ...). So the closed-mode baselines are

    fio same-order          --sync=1 --thinktime=D   think, then an O_SYNC write that returns
                            (method fio-same-order)  when the data and metadata are durable:
                                                     the pipelines' order. THE baseline.
    fio fsync-after-think   --fsync=1 --thinktime=D  write, think, fsync: the same counts of
                            (method fio-fsync-after) writes, fsyncs and thinks, but every fsync
                                                     finds data that sat dirty for D.

and, with --arrivals open, fio's closest equivalent of the benchmark's open arrivals:

    fio rate                --rate_iops=1/D (or --rate=B/D bytes/s when 1/D is no whole number)
                            (method fio-open-rate)   with --sync=1, rate_process=poisson when
                                                     --recv-model exponential. Closest
                                                     equivalent, NOT the same schedule: fio never
                                                     has more than one write in flight per job
                                                     and catches up after a late write.

    fio                              io-pipeline-bench
    --numjobs=N  --iodepth=1         --concurrency N (one rank)
    --rw=write --bs=BUF              --buffer-size BUF (each job/pipeline appends to its own
    --fallocate=none --size=S          new file, nothing preallocated; S is what a job can
                                       write in the run, so it appends and never wraps when
                                       receives bound it; at D=0 half the free space / N)
    --sync=1 | --end_fsync=1 | -     --sync every | end | none
    --ioengine=psync                 sequential (N=1), openmp, fork: blocking pwrite + fsync
    --ioengine=io_uring              aio --aio-engine io_uring
    --ioengine=posixaio              aio --aio-engine posix  (with --fio-engines ...,posixaio)

fio's result goes into the same --dat and --hdf5 files as the methods, as method fio-same-order,
fio-fsync-after or fio-open-rate with fio's engine in the aio engine column, through
`io-pipeline-bench --import`: this script reads fio's JSON+ output (its full latency
histograms), merges the jobs, and writes a field<TAB>value record with the field names of the
HDF5 /runs table; the program itself appends it, with the same locking, compound type and .dat
columns as its own runs. Bytes: only fio's durable writes count, as for the benchmark: with
--fsync=1 the writes whose fsync completed (a time-based job stops between a write and its
fsync), with --sync=1 every completed write (each is its own fsync). Latencies: fio's write
latency (lat_ns, submission to completion, what our write stage times; for psync fio measures
no submission latency and lat_ns is clat_ns plus a few microseconds) and its fsync latency
(sync lat_ns), merged over jobs by nearest rank, as the benchmark does.

The table (stdout, and --markdown FILE) has a line per (delay, arrivals, N, run) with MiB/s mean
[min-max over rounds], % of the ideal N x BUF / D, the ratio to the same-order fio with the same
engine paired by round, deadline MiB/s and write, fsync and arrival p50/p99/p99.9.
"""
import argparse
import json
import math
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

# io-pipeline-bench method (and engine) -> the fio engine doing the same system calls
SAME_ENGINE = {"sequential": "psync", "openmp": "psync", "fork": "psync",
               "aio-io_uring": "io_uring", "aio-posix": "posixaio"}
SUFFIX = {"": 1024, "b": 1, "k": 1024, "kib": 1024, "m": 1 << 20, "mib": 1 << 20,
          "g": 1 << 30, "gib": 1 << 30}
# fio variant -> (method column of its record, how the table names it)
VARIANTS = {
    "same-order": ("fio-same-order", "same-order"),
    "fsync-after-think": ("fio-fsync-after", "fsync-after-think"),
    "rate": ("fio-open-rate", "rate (closest equivalent, not the same schedule)"),
}
PCTS = (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9"))


def parse_size(text):
    """The benchmark's rule: a bare number is KiB; suffixes B K KiB M MiB G GiB."""
    t = text.strip().lower()
    num = t.rstrip("abcdefghijklmnopqrstuvwxyz")
    return int(float(num) * SUFFIX[t[len(num):]])


def device_writes(path):
    """(writes completed, I/Os in flight) of the block device holding path, from
    /sys/dev/block/MAJ:MIN/stat, or None where there is none (tmpfs, a network file system)."""
    st = os.stat(path)
    try:
        with open(f"/sys/dev/block/{os.major(st.st_dev)}:{os.minor(st.st_dev)}/stat") as f:
            fields = f.read().split()
        return int(fields[4]), int(fields[8])
    except (OSError, IndexError, ValueError):
        return None


def settle(args):
    """Before each run: flush, then wait until the data directory's disk has been idle for a
    second (at most --settle seconds). The previous run's files were just deleted; on a disk
    mounted with discard, or one still writing back, the next run would otherwise start on a
    busy device, and whichever tool comes first in a cell pays for it."""
    if args.settle <= 0:
        return
    os.sync()
    deadline = time.monotonic() + args.settle
    last, quiet_since = device_writes(args.dir), time.monotonic()
    if last is None:
        time.sleep(min(1.0, args.settle))
        return
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = device_writes(args.dir)
        if now != last or now[1] > 0:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= 1.0:
            return


def launcher(args):
    """The one-rank launch words; asks mpirun which MPI it is once, not before every run."""
    if getattr(args, "launch_words", None) is not None:
        return args.launch_words
    cmd = [args.mpirun, "-np", "1"]
    out = subprocess.run([args.mpirun, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in out:
        cmd += ["--bind-to", "none"]
    args.launch_words = cmd
    return cmd


def bench_supports_open(args):
    """Whether this build of the benchmark has --arrivals open, from its --help run under the
    launcher: a singleton run (no mpirun) of an ASan build crashes LeakSanitizer's tracer."""
    res = subprocess.run(launcher(args) + [args.bin, "--help"], capture_output=True, text=True)
    return res.returncode == 0 and re.search(r"--arrivals\b.*\bopen\b", res.stdout) is not None


def bench_command(args, method, n, delay, arrivals):
    name, _, engine = method.partition("-")
    cmd = launcher(args) + [
        args.bin, "--method", name, "--concurrency", str(n), "--duration", str(args.duration),
        "--buffer-size", f"{args.buffer_bytes}B", "--recv-delay", str(delay),
        "--recv-model", args.recv_model,
        "--compute-sparsity", str(args.compute_sparsity), "--sync", args.sync,
        "--output-file", os.path.join(args.dir, "ipb"), "--label", args.label,
        "--recv-phase", args.recv_phase]
    if arrivals == "open":
        cmd += ["--arrivals", "open"]
    if engine:
        cmd += ["--aio-engine", engine]
    for flag in ("dat", "hdf5"):
        if getattr(args, flag):
            cmd += [f"--{flag}", getattr(args, flag)]
    return cmd


def column_percentiles(row, kind):
    """{p50, p99, p999} seconds of one latency kind from a .dat row, nan where absent."""
    out = {}
    for key, text in PCTS:
        v = row.get(f"{kind} {text} (s)")
        out[key] = float(v) if v not in (None, "", "-") else float("nan")
    return out


def run_bench(args, method, n, delay, arrivals):
    cmd = bench_command(args, method, n, delay, arrivals)
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"fio-side-by-side: {' '.join(cmd)} failed ({res.returncode}):\n{res.stderr}")
    lines = [l for l in res.stdout.splitlines() if l.strip()]
    names = [h.strip("<>") for h in lines[0].lstrip("#").split("\t")]
    row = dict(zip(names, lines[-1].split("\t")))
    # the open-arrivals record's arrival latency columns, when this build writes them
    arrival = column_percentiles(row, "arrival") if "arrival p50 (s)" in row else None
    return {"mib_s": float(row["aggregate overall throughput (MiB/s)"]),
            "deadline_mib_s": float(row["deadline throughput (MiB/s)"]),
            "write": column_percentiles(row, "write"), "fsync": column_percentiles(row, "fsync"),
            "arrival": arrival, "arrival_proxy": False}


def merged_percentiles(jobs, section, key):
    """Nearest-rank percentiles and max of fio's latency bins merged over jobs (seconds)."""
    bins = {}
    vmax = 0
    for j in jobs:
        lat = j[section].get(key, {}) if section in j else {}
        for v, c in lat.get("bins", {}).items():
            bins[int(v)] = bins.get(int(v), 0) + c
        vmax = max(vmax, lat.get("max", 0))
    total = sum(bins.values())
    out = {}
    for p, name in ((50, "p50"), (90, "p90"), (99, "p99"), (99.9, "p999")):
        if total == 0:
            out[name] = float("nan")
            continue
        want = max(1, -(-int(round(p * 1000)) * total // 100000))  # ceil(p/100 * total)
        seen = 0
        for v in sorted(bins):
            seen += bins[v]
            if seen >= want:
                out[name] = v * 1e-9
                break
    out["max"] = vmax * 1e-9 if total else float("nan")
    return out, total


def fsync_after_write(args, variant):
    """Whether this fio job syncs with a separate fsync call after each write (--fsync=1)."""
    return args.sync == "every" and variant == "fsync-after-think"


def durable_writes(args, variant, job):
    """(writes, bytes) of a fio job that count as the benchmark counts its own buffers: once
    durable. With --fsync=1 only the writes whose fsync completed: a time-based fio job stops
    at its runtime between a write and that write's fsync, so it reports one write more than
    it synced (40 writes, 39 fsyncs per job in a 2 s run); counting that write would favour fio
    by one buffer per job (2 % of a 5 s run at a 0.1 s think time). With --sync=1 (O_SYNC)
    every completed write is durable when it returns."""
    w = job["write"]
    ios, nbytes = w["total_ios"], w["io_bytes"]
    if fsync_after_write(args, variant):
        synced = min(ios, job.get("sync", {}).get("total_ios", 0))
        nbytes -= (ios - synced) * args.buffer_bytes
        ios = synced
    return ios, nbytes


def fio_record(args, jobs, variant, engine, n, delay):
    """The fields of one /runs row for a fio run (names of src/result_fields.h)."""
    durable = [durable_writes(args, variant, j) for j in jobs]
    io_bytes = sum(b for _, b in durable)
    ios = sum(i for i, _ in durable)
    runtimes = [j["job_runtime"] / 1000.0 for j in jobs]
    elapsed = max(runtimes)
    per_job = [b / 2**20 / t for (_, b), t in zip(durable, runtimes)]
    mean = sum(per_job) / len(per_job)
    sd = (sum((x - mean) ** 2 for x in per_job) / len(per_job)) ** 0.5
    # fio's write "lat" is submission to completion (slat + clat): what our write stage times.
    wkey = "lat_ns" if jobs[0]["write"].get("lat_ns", {}).get("bins") else "clat_ns"
    wlat, _ = merged_percentiles(jobs, "write", wkey)
    flat, nsync = merged_percentiles(jobs, "sync", "lat_ns")
    if args.sync == "every" and not fsync_after_write(args, variant):
        # an O_SYNC write is its own fsync: one per durable write, its time inside the write's
        nsync = ios
    mib = io_bytes / 2**20
    rec = {
        "method": VARIANTS[variant][0], "ranks": 1, "concurrency": n,
        "duration_s": args.duration, "buffer_kib": args.buffer_bytes / 1024.0,
        "recv_delay_s": delay, "xferred_mib": mib,
        "elapsed_s": elapsed, "throughput_mib_s": mib / elapsed, "nodes": 1, "pipelines": n,
        "sync": args.sync, "compute_sparsity": 0, "aio_engine": engine,
        "rank_throughput_min_mib_s": mib / elapsed, "rank_throughput_max_mib_s": mib / elapsed,
        "xferred_bytes": io_bytes, "buffers": ios, "elapsed_precise_s": elapsed,
        "compute_s": 0.0, "seed": 0, "label": args.label,
        # time_based fio stops issuing at the runtime: everything it did was by the deadline
        "deadline_bytes": io_bytes, "deadline_throughput_mib_s": mib / args.duration,
        "fsyncs": nsync,
        "rank_throughput_mean_mib_s": mib / elapsed, "rank_throughput_stddev_mib_s": 0.0,
        "slowest_rank": 0, "slowest_host": socket.gethostname()[:63],
        "pipeline_throughput_min_mib_s": min(per_job), "pipeline_throughput_mean_mib_s": mean,
        "pipeline_throughput_max_mib_s": max(per_job), "pipeline_throughput_stddev_mib_s": sd,
        "slowest_pipeline_rank": 0, "slowest_pipeline": per_job.index(min(per_job)),
        "repetitions": 1,
        # fio's think time is constant; only its open-mode rate follows a Poisson process
        "recv_model": args.recv_model if variant == "rate" else "constant",
        "progress_s": 0.0, "warmup_s": 0.0,
    }
    for k, v in wlat.items():
        rec[f"write_{k}_s"] = v
    for k, v in flat.items():
        rec[f"fsync_{k}_s"] = v
    return rec


def job_size(args, n, delay):
    """fio's --size per job: what one job can write in the run (plus two buffers), so that it
    appends to a growing file as our pipelines do and never wraps around to overwrite; never
    more than half the data directory's free space over all jobs (fio with --fallocate=none
    writes no more than it is given time for, but a storage-bound run has no think time to
    bound it). The benchmark's files are deleted before fio's run and fio's after it."""
    cap = shutil.disk_usage(args.dir).free // (2 * n) if os.path.isdir(args.dir) else 1 << 40
    if delay > 0:
        cap = min(cap, args.buffer_bytes * (math.ceil(args.duration / delay) + 2))
    return max(args.buffer_bytes, cap // args.buffer_bytes * args.buffer_bytes)


def fio_command(args, variant, engine, n, delay, jobdir):
    cmd = ["fio", "--name=pipe", f"--directory={jobdir}", f"--numjobs={n}", "--iodepth=1",
           "--rw=write", f"--bs={args.buffer_bytes}", f"--size={job_size(args, n, delay)}",
           "--fallocate=none", "--create_on_open=1", f"--ioengine={engine}", "--time_based",
           f"--runtime={int(round(args.duration * 1000))}ms", "--lat_percentiles=1",
           "--output-format=json+"]
    if args.sync == "every":
        cmd.append("--fsync=1" if variant == "fsync-after-think" else "--sync=1")
    elif args.sync == "end":
        cmd.append("--end_fsync=1")
    if variant == "rate":
        iops = 1.0 / delay
        if abs(iops - round(iops)) < 1e-9:
            cmd.append(f"--rate_iops={int(round(iops))}")
        else:  # fio's rate_iops is a whole number; a byte rate gives the same spacing
            cmd.append(f"--rate={int(round(args.buffer_bytes / delay))}")
        if args.recv_model == "exponential":
            cmd.append("--rate_process=poisson")
    elif delay > 0:
        cmd += [f"--thinktime={int(round(delay * 1e6))}", "--thinktime_blocks=1"]
    return cmd


def run_fio(args, variant, engine, n, delay, tag):
    jobdir = tempfile.mkdtemp(dir=args.dir, prefix="fio.")
    cmd = fio_command(args, variant, engine, n, delay, jobdir)
    try:
        res = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        shutil.rmtree(jobdir, ignore_errors=True)
    if res.returncode != 0:
        sys.exit(f"fio-side-by-side: {' '.join(cmd)} failed:\n{res.stderr}")
    text = res.stdout[res.stdout.index("{"):]
    if args.keep_fio_output:
        with open(os.path.join(args.keep_fio_output, f"{tag}.json"), "w") as f:
            f.write(text)
    jobs = json.loads(text)["jobs"]
    size = job_size(args, n, delay)
    if any(j["write"]["io_bytes"] > size for j in jobs):
        print(f"fio-side-by-side: note: a fio job wrote past its --size={size} and wrapped "
              "around (overwrote its file) in this storage-bound run", file=sys.stderr)
    rec = fio_record(args, jobs, variant, engine, n, delay)
    if args.dat or args.hdf5:
        with tempfile.NamedTemporaryFile("w", suffix=".rec", dir=args.dir, delete=False) as f:
            f.write(f"# {' '.join(cmd)}\n")
            for k, v in rec.items():
                f.write(f"{k}\t{v}\n")
            recfile = f.name
        imp = launcher(args) + [args.bin, "--import", recfile,
                                "--output-file", os.path.join(args.dir, "fio")]
        for flag in ("dat", "hdf5"):
            if getattr(args, flag):
                imp += [f"--{flag}", getattr(args, flag)]
        r = subprocess.run(imp, capture_output=True, text=True)
        os.unlink(recfile)
        if r.returncode != 0:
            sys.exit(f"fio-side-by-side: {' '.join(imp)} failed:\n{r.stderr}")
    pick = lambda kind: {k: rec[f"{kind}_{k}_s"] for k, _ in PCTS}
    out = {"mib_s": rec["throughput_mib_s"], "deadline_mib_s": rec["deadline_throughput_mib_s"],
           "write": pick("write"), "fsync": pick("fsync"), "arrival": None,
           "arrival_proxy": False}
    if variant == "rate":
        # No arrival time exists in fio: its write + sync latency, percentile by percentile, is
        # the service time of a buffer, not the time since its scheduled arrival (fio's lag
        # behind its rate is left out).
        out["arrival"] = {k: out["write"][k] + (0.0 if out["fsync"][k] != out["fsync"][k]
                                                else out["fsync"][k]) for k, _ in PCTS}
        out["arrival_proxy"] = True
    return out


def run_name(run):
    if run["kind"] == "fio":
        return f"fio-{run['engine']} {VARIANTS[run['variant']][1]}"
    return run["method"]


def plan(args, delays, concurrency, arrivals_list, engines, methods):
    """Every run of the matrix in the order it will run: round by round; in each cell the fio
    baselines just before the methods; odd rounds take the cells, the baselines and the methods
    backwards, so no method always runs first or last after fio."""
    cells = []
    for d in delays:
        for arr in arrivals_list:
            if arr == "open" and d <= 0:
                continue  # no arrival rate without a delay; main() says so
            for n in concurrency:
                cells.append((d, arr, n))
    runs = []
    for rnd in range(args.rounds):
        back = rnd % 2 == 1
        for d, arr, n in (cells[::-1] if back else cells):
            if arr == "open":
                variants = ["rate"]
            elif args.sync == "every":
                variants = ["same-order", "fsync-after-think"]
            else:  # without a sync per write, fio's order and ours differ only by where the
                variants = ["same-order"]  # first think falls: one baseline
            fio = [dict(kind="fio", variant=v, engine=e) for e in engines for v in variants]
            bench = [dict(kind="bench", method=m) for m in methods
                     if not (m == "sequential" and n != 1)]
            for r in (fio[::-1] if back else fio) + (bench[::-1] if back else bench):
                r.update(round=rnd, delay=d, arrivals=arr, n=n)
                runs.append(r)
    return runs


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrency", default="1,4,16", help="job counts (default 1,4,16)")
    ap.add_argument("--recv-delay", default="0,0.1",
                    help="receive delays = fio think times, seconds (default 0,0.1)")
    ap.add_argument("--arrivals", default="closed",
                    help="closed,open: closed = think then write (fio same-order and "
                         "fsync-after-think); open = the benchmark's --arrivals open beside "
                         "fio's --rate_iops (default closed)")
    ap.add_argument("--recv-model", default="constant", choices=("constant", "exponential"),
                    help="the benchmark's --recv-model; exponential gives fio's open-mode "
                         "rate rate_process=poisson (fio's think time is always constant)")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per run (default 10)")
    ap.add_argument("--buffer-size", default="256",
                    help="as the benchmark's: bare number KiB, or B/K/M/G suffix (default 256)")
    ap.add_argument("--compute-sparsity", type=int, default=0,
                    help="the benchmark's compute stage (default 0: off, as fio has none)")
    ap.add_argument("--sync", default="every", choices=("every", "end", "none"))
    ap.add_argument("--recv-phase", default="random", choices=("random", "aligned"),
                    help="the benchmark's --recv-phase (default random, its default; fio's "
                         "jobs are never in lock-step)")
    ap.add_argument("--methods", default="sequential,openmp,fork,aio-io_uring,aio-posix")
    ap.add_argument("--fio-engines", default="psync,io_uring",
                    help="fio engines (add posixaio to compare aio-posix with its own engine)")
    ap.add_argument("--dir", default=os.path.join(TOP, "data"), help="data directory")
    ap.add_argument("--dat", help="append every row (fio too) to this .dat file")
    ap.add_argument("--hdf5", help="append every run (fio too) to this HDF5 results file")
    ap.add_argument("--markdown", help="also write the table to this file")
    ap.add_argument("--keep-fio-output", metavar="DIR",
                    help="keep each fio run's JSON+ output in DIR (for checking its counts)")
    ap.add_argument("--label", default="fio-side-by-side")
    ap.add_argument("--bin", default=os.path.join(TOP, "src", "io-pipeline-bench"))
    ap.add_argument("--mpirun", default="mpirun")
    ap.add_argument("--settle", type=float, default=10.0,
                    help="before each run, sync and wait until the data directory's disk has "
                         "been idle for 1 s, at most this many seconds (default 10; 0: no wait)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="repeat the whole matrix R times, order reversed every other round, "
                         "ratios paired by round (default 1)")
    ap.add_argument("--dry-run", action="store_true", help="print the runs, run nothing")
    args = ap.parse_args()
    try:
        delays = [float(x) for x in args.recv_delay.split(",") if x]
        concurrency = [int(x) for x in args.concurrency.split(",") if x]
        args.buffer_bytes = parse_size(args.buffer_size)
    except (ValueError, KeyError) as e:
        ap.error(f"bad number in --recv-delay, --concurrency or --buffer-size: {e}")
    arrivals_list = [a for a in args.arrivals.split(",") if a]
    if not arrivals_list or any(a not in ("closed", "open") for a in arrivals_list):
        ap.error(f"--arrivals takes closed, open or closed,open, not {args.arrivals!r}")
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if not delays or any(d < 0 for d in delays):
        ap.error("--recv-delay needs delays of 0 or more")
    if not concurrency or any(n < 1 for n in concurrency):
        ap.error("--concurrency needs job counts of 1 or more")
    if args.duration <= 0:
        ap.error("--duration must be more than 0")
    engines = [e for e in args.fio_engines.split(",") if e]
    methods = [m for m in args.methods.split(",") if m]
    for p in ("dat", "hdf5", "markdown", "dir", "keep_fio_output"):
        if getattr(args, p):
            setattr(args, p, os.path.abspath(getattr(args, p)))
    if os.geteuid() == 0:
        os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    if "open" in arrivals_list and 0 in delays:
        print("fio-side-by-side: --recv-delay 0 has no arrival rate: no open-arrivals runs "
              "at 0", file=sys.stderr)

    runs = plan(args, delays, concurrency, arrivals_list, engines, methods)
    if args.dry_run:
        print(f"# fio-side-by-side --dry-run: {len(runs)} runs, {args.rounds} round(s); at "
              f"least {len(runs) * (args.duration + 4) / 60:.0f} min (each run's duration "
              "plus about 4 s to settle, start and import, as measured)")
        for r in runs:
            if r["kind"] == "fio":
                what = shlex.join(fio_command(args, r["variant"], r["engine"], r["n"],
                                              r["delay"], os.path.join(args.dir, "fio.XXXX")))
            else:
                what = shlex.join(bench_command(args, r["method"], r["n"], r["delay"],
                                                r["arrivals"]))
            print(f"round {r['round']} | recv {r['delay']:g} | {r['arrivals']} | N {r['n']} | "
                  f"{run_name(r)} | {what}")
        return

    os.makedirs(args.dir, exist_ok=True)
    if args.keep_fio_output:
        os.makedirs(args.keep_fio_output, exist_ok=True)
    args.notes = []
    if any(r["kind"] == "bench" and r["arrivals"] == "open" for r in runs) \
            and not bench_supports_open(args):
        msg = (f"{args.bin} has no --arrivals open (its --help under {args.mpirun} does not "
               "list it): the benchmark's open-arrivals runs are skipped, fio's still run")
        print(f"fio-side-by-side: {msg}", file=sys.stderr)
        args.notes.append(msg)
        runs = [r for r in runs if not (r["kind"] == "bench" and r["arrivals"] == "open")]
    results = []
    for i, run in enumerate(runs):
        settle(args)
        d, n, arr, name = run["delay"], run["n"], run["arrivals"], run_name(run)
        if run["kind"] == "fio":
            tag = (f"r{run['round']}-d{d:g}-{arr}-n{n}-{run['engine']}-{run['variant']}")
            r = run_fio(args, run["variant"], run["engine"], n, d, tag)
        else:
            r = run_bench(args, run["method"], n, d, arr)
        results.append(dict(run, name=name, r=r))
        print(f"[{i + 1}/{len(runs)}] round {run['round']} recv {d:g} {arr} N {n:3d} "
              f"{name:32s} {r['mib_s']:9.2f} MiB/s  fsync p99 {ms(r['fsync']['p99'])} ms",
              file=sys.stderr, flush=True)
    table = format_table(args, results)
    print(table, end="")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table)


def ms(x):
    return "-" if x != x else f"{x * 1e3:.2f}"


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def reference(results, run, engines):
    """The run a row's ratio divides by: the fio baseline with the same engine in the same cell
    and round: same-order (closed) or the rate job (open); psync's, or the first engine's,
    where no fio engine makes the same system calls."""
    variant = "rate" if run["arrivals"] == "open" else "same-order"
    if run["kind"] == "fio":
        want = [run["engine"]]
    else:
        want = [SAME_ENGINE.get(run["method"], ""), "psync"] + engines
    for e in want:
        for x in results:
            if (x["kind"], x.get("variant"), x.get("engine")) == ("fio", variant, e) and \
                    (x["round"], x["delay"], x["arrivals"], x["n"]) == \
                    (run["round"], run["delay"], run["arrivals"], run["n"]):
                return x
    return None


def format_table(args, results):
    """One line per (delay, arrivals, N, run): MiB/s mean [min-max] over the rounds, % of the
    ideal, the ratio to the same-order fio taken round by round (each run against the fio
    baseline of its own round), the deadline rate and the latency percentiles (means over the
    rounds)."""
    engines = [e for e in args.fio_engines.split(",") if e]
    keys = []
    for x in results:
        k = (x["delay"], x["arrivals"], x["n"], x["name"])
        if k not in keys:
            keys.append(k)
    # the table in the matrix's own order, not the last round's (which may be reversed)
    order = {k: i for i, k in enumerate(sorted(
        {(x["delay"], x["arrivals"], x["n"]) for x in results},
        key=lambda c: (c[0], ("closed", "open").index(c[1]), c[2])))}
    first = {}
    for x in results:
        if x["round"] == 0:
            first.setdefault((x["delay"], x["arrivals"], x["n"], x["name"]), len(first))
    keys.sort(key=lambda k: (order[k[:3]], first.get(k, 1 << 30)))
    out = [f"Buffer {args.buffer_bytes // 1024} KiB, --sync {args.sync}, --recv-model "
           f"{args.recv_model}, compute sparsity {args.compute_sparsity}, {args.duration:g} s "
           f"per run, one node, one rank, {args.rounds} round(s) of the whole matrix (order "
           "reversed every other round). MiB/s: mean [min-max] over the rounds; latencies: "
           "means over the rounds, milliseconds, p50 / p99 / p99.9. fio same-order: think, "
           "then an O_SYNC write (its write latency holds the sync); fio fsync-after-think: "
           "write, think, fsync.", ""]
    out += [f"Note: {n}." for n in getattr(args, "notes", [])]
    if getattr(args, "notes", []):
        out.append("")
    out.append("| recv delay (s) | arrivals | N | run | MiB/s mean [min-max] | % of ideal | "
               "vs fio same-order (paired rounds) | deadline MiB/s | write p50 / p99 / p99.9 | "
               "fsync p50 / p99 / p99.9 | arrival p50 / p99 / p99.9 |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    proxy = False
    for d, arr, n, name in keys:
        runs = [x for x in results if (x["delay"], x["arrivals"], x["n"], x["name"]) ==
                (d, arr, n, name)]
        rs = [x["r"] for x in runs]
        rates = [r["mib_s"] for r in rs]
        ratios = []
        is_ref = False
        for x in runs:
            ref = reference(results, x, engines)
            if ref is x:
                is_ref = True
            elif ref is not None and ref["r"]["mib_s"] > 0:
                ratios.append(x["r"]["mib_s"] / ref["r"]["mib_s"])
        if is_ref:
            ratio = "1 (reference)"
        elif not ratios:
            ratio = "-"
        else:
            ratio = f"{mean(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]"
        # the ideal, when receives bound the run: every pipeline one buffer per delay
        ideal = n * args.buffer_bytes / 2**20 / d if d > 0 else float("nan")
        pct = "-" if ideal != ideal else f"{100 * mean(rates) / ideal:.1f}"
        lat = lambda kind: " / ".join(ms(mean([r[kind][k] for r in rs])) for k, _ in PCTS)
        arrival = "-"
        if all(r["arrival"] for r in rs):
            arrival = " / ".join(ms(mean([r["arrival"][k] for r in rs])) for k, _ in PCTS)
            if any(r["arrival_proxy"] for r in rs):
                arrival += " (*)"
                proxy = True
        out.append(f"| {d:g} | {arr} | {n} | {name} | {mean(rates):.1f} [{min(rates):.1f}-"
                   f"{max(rates):.1f}] | {pct} | {ratio} | "
                   f"{mean([r['deadline_mib_s'] for r in rs]):.1f} | {lat('write')} | "
                   f"{lat('fsync')} | {arrival} |")
    if proxy:
        out += ["", "(*) fio has no arrival times. Its open-mode figure is its write latency "
                "plus its sync latency, percentile by percentile (with --sync every the O_SYNC "
                "write holds the sync and there is no separate one): an upper-bound proxy of "
                "one buffer's service time that leaves out fio's schedule lag (how late each "
                "write was issued against its rate), so it is not the arrival-to-durable time "
                "the benchmark reports, which includes its waiting."]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
