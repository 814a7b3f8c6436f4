#!/usr/bin/python3
"""Every io-pipeline-bench method beside fio on the same pattern, in one sweep, into one file.

For each receive delay D and job count N (one node, one rank), this runs fio with N jobs and
io-pipeline-bench with N pipelines per method, one after the other, on the same directory;
with --rounds R it does so R times, reversing the order every other round (fio first, then
fio last), and each method's ratio to fio is taken against the fio run of its own round:

    fio                              io-pipeline-bench
    --numjobs=N  --iodepth=1         --concurrency N (one rank)
    --rw=write --bs=BUF              --buffer-size BUF (each job/pipeline appends to its own
    --fallocate=none                   new file, nothing preallocated)
    --fsync=1 | --end_fsync=1 | -    --sync every | end | none
    --thinktime=D --thinktime_blocks=1   --recv-delay D (constant model)
    (no compute)                     --compute-sparsity K (default 0: none, like fio)
    --ioengine=psync                 sequential (N=1), openmp, fork: blocking pwrite + fsync
    --ioengine=io_uring              aio --aio-engine io_uring
    --ioengine=posixaio              aio --aio-engine posix  (with --fio-engines ...,posixaio)

fio's result goes into the same --dat and --hdf5 files as the methods, as method fio-<engine>,
through `io-pipeline-bench --import`: this script reads fio's JSON+ output (its full latency
histograms), merges the jobs, and writes a field<TAB>value record with the field names of the
HDF5 /runs table; the program itself appends it, with the same locking, compound type and .dat
columns as its own runs, so the two can never drift apart. Bytes: with --sync every, only
fio's writes whose fsync completed count, as for the benchmark (fio's time-based jobs end
between their last write and its fsync; see durable_writes). Latencies: fio's total write latency
(lat_ns: submission to completion, what our write stage times) and its fsync latency (sync
lat_ns), merged over jobs by nearest rank, as the benchmark does; fio's histogram resolution is
1/64, like ours.

The Markdown table at the end sets every method beside fio with the same engine.
"""
import argparse
import json
import os
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
    busy device, and whichever tool comes first in a group pays for it."""
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


def run_bench(args, method, n, delay):
    name, _, engine = method.partition("-")
    cmd = launcher(args) + [
        args.bin, "--method", name, "--concurrency", str(n), "--duration", str(args.duration),
        "--buffer-size", f"{args.buffer_bytes}B", "--recv-delay", str(delay),
        "--compute-sparsity", str(args.compute_sparsity), "--sync", args.sync,
        "--output-file", os.path.join(args.dir, "ipb"), "--label", args.label,
        "--recv-phase", args.recv_phase]
    if engine:
        cmd += ["--aio-engine", engine]
    for flag in ("dat", "hdf5"):
        if getattr(args, flag):
            cmd += [f"--{flag}", getattr(args, flag)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"fio-side-by-side: {' '.join(cmd)} failed ({res.returncode}):\n{res.stderr}")
    lines = [l for l in res.stdout.splitlines() if l.strip()]
    names = [h.strip("<>") for h in lines[0].lstrip("#").split("\t")]
    row = dict(zip(names, lines[-1].split("\t")))
    return {"mib_s": float(row["aggregate overall throughput (MiB/s)"]),
            "deadline_mib_s": float(row["deadline throughput (MiB/s)"]),
            "write_p99": float(row["write p99 (s)"]),
            "fsync_p50": float(row["fsync p50 (s)"]),
            "fsync_p99": float(row["fsync p99 (s)"])}


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


def durable_writes(args, job):
    """(writes, bytes) of a fio job that count as the benchmark counts its own: with --fsync=1,
    only writes whose fsync completed. A time-based fio job stops at its runtime between a
    write and that write's fsync, so it reports one write more than it synced (40 writes, 39
    fsyncs per job in a 2 s run); the benchmark counts a buffer only once its fsync returned.
    Counting fio's unsynced last write would favour fio by one buffer per job (2 % of a 5 s
    run at a 0.1 s think time)."""
    w = job["write"]
    ios, nbytes = w["total_ios"], w["io_bytes"]
    if args.sync == "every":
        synced = min(ios, job.get("sync", {}).get("total_ios", 0))
        nbytes -= (ios - synced) * args.buffer_bytes
        ios = synced
    return ios, nbytes


def fio_record(args, jobs, engine, n, delay):
    """The fields of one /runs row for a fio run (names of src/result_fields.h)."""
    durable = [durable_writes(args, j) for j in jobs]
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
    mib = io_bytes / 2**20
    rec = {
        "method": f"fio-{engine}", "ranks": 1, "concurrency": n, "duration_s": args.duration,
        "buffer_kib": args.buffer_bytes / 1024.0, "recv_delay_s": delay, "xferred_mib": mib,
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
        "repetitions": 1, "recv_model": "constant", "progress_s": 0.0, "warmup_s": 0.0,
    }
    for k, v in wlat.items():
        rec[f"write_{k}_s"] = v
    for k, v in flat.items():
        rec[f"fsync_{k}_s"] = v
    return rec


def run_fio(args, engine, n, delay):
    jobdir = tempfile.mkdtemp(dir=args.dir, prefix="fio.")
    cmd = ["fio", "--name=pipe", f"--directory={jobdir}", f"--numjobs={n}", "--iodepth=1",
           "--rw=write", f"--bs={args.buffer_bytes}", "--size=1t", "--fallocate=none",
           "--create_on_open=1", f"--ioengine={engine}", "--time_based",
           f"--runtime={args.duration}", "--lat_percentiles=1", "--output-format=json+"]
    if args.sync == "every":
        cmd.append("--fsync=1")
    elif args.sync == "end":
        cmd.append("--end_fsync=1")
    if delay > 0:
        cmd += [f"--thinktime={int(round(delay * 1e6))}", "--thinktime_blocks=1"]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        shutil.rmtree(jobdir, ignore_errors=True)
    if res.returncode != 0:
        sys.exit(f"fio-side-by-side: {' '.join(cmd)} failed:\n{res.stderr}")
    jobs = json.loads(res.stdout[res.stdout.index("{"):])["jobs"]
    rec = fio_record(args, jobs, engine, n, delay)
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
    return {"mib_s": rec["throughput_mib_s"], "deadline_mib_s": rec["deadline_throughput_mib_s"],
            "write_p99": rec["write_p99_s"], "fsync_p50": rec["fsync_p50_s"],
            "fsync_p99": rec["fsync_p99_s"]}


def ms(x):
    return "-" if x != x else f"{x * 1e3:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrency", default="1,4,16", help="job counts (default 1,4,16)")
    ap.add_argument("--recv-delay", default="0,0.1",
                    help="receive delays = fio think times, seconds (default 0,0.1)")
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
    ap.add_argument("--label", default="fio-side-by-side")
    ap.add_argument("--bin", default=os.path.join(TOP, "src", "io-pipeline-bench"))
    ap.add_argument("--mpirun", default="mpirun")
    ap.add_argument("--settle", type=float, default=10.0,
                    help="before each run, sync and wait until the data directory's disk has "
                         "been idle for 1 s, at most this many seconds (default 10; 0: no wait)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="repeat each configuration R times, order reversed every other round, "
                         "ratios paired by round (default 1)")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    args.buffer_bytes = parse_size(args.buffer_size)
    os.makedirs(args.dir, exist_ok=True)
    for p in ("dat", "hdf5"):
        if getattr(args, p):
            setattr(args, p, os.path.abspath(getattr(args, p)))
    if os.geteuid() == 0:
        os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")

    engines = [e for e in args.fio_engines.split(",") if e]
    methods = [m for m in args.methods.split(",") if m]
    results = []  # (delay, n, round, name, result)
    for delay in [float(x) for x in args.recv_delay.split(",")]:
        for n in [int(x) for x in args.concurrency.split(",")]:
            group = [("fio", e) for e in engines] + \
                    [("bench", m) for m in methods if not (m == "sequential" and n != 1)]
            for rnd in range(args.rounds):
                # ABBA: odd rounds run the group backwards, so neither fio nor any method
                # always runs first (on a file system still busy with the last deletes).
                for kind, what in (group if rnd % 2 == 0 else group[::-1]):
                    settle(args)
                    if kind == "fio":
                        name, r = f"fio-{what}", run_fio(args, what, n, delay)
                    else:
                        name, r = what, run_bench(args, what, n, delay)
                    results.append((delay, n, rnd, name, r))
                    print(f"recv {delay:g} N {n:3d} round {rnd} {name:14s} {r['mib_s']:9.2f} "
                          f"MiB/s  fsync p99 {ms(r['fsync_p99'])} ms", file=sys.stderr,
                          flush=True)
    print_table(args, results)


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def print_table(args, results):
    """One line per (delay, N, method): means over the rounds, and the ratio to fio with the
    same engine taken round by round (each method against the fio run of its own round)."""
    fio_at = {(d, n, rnd, name): r for d, n, rnd, name, r in results if name.startswith("fio-")}
    keys = []
    for d, n, _, name, _ in results:
        if (d, n, name) not in keys:
            keys.append((d, n, name))
    print(f"Buffer {args.buffer_bytes // 1024} KiB, --sync {args.sync}, compute sparsity "
          f"{args.compute_sparsity}, {args.duration:g} s per run, one node, one rank, "
          f"{args.rounds} round(s) per configuration (order alternated between rounds); "
          "MiB/s and latencies are means over the rounds.\n")
    print("| recv delay (s) | N | method | MiB/s | deadline MiB/s | vs fio same engine "
          "(mean [min-max] of paired rounds) | % of ideal | vs N x sequential | "
          "fsync p50 (ms) | fsync p99 (ms) | fio fsync p99 (ms) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    # the sequential method's one-pipeline rate at each delay, for N x sequential
    seq_at = {d: mean([r["mib_s"] for dd, nn, _, nm, r in results
                       if (dd, nn, nm) == (d, 1, "sequential")]) for d, _, _ in keys}
    for d, n, name in keys:
        runs = [(rnd, r) for dd, nn, rnd, nm, r in results if (dd, nn, nm) == (d, n, name)]
        ratios, refs = [], []
        for rnd, r in runs:
            ref = fio_at.get((d, n, rnd, "fio-" + SAME_ENGINE.get(name, "")))
            if ref is None:
                ref = fio_at.get((d, n, rnd, "fio-psync"))
            if ref is not None:
                refs.append(ref)
                if ref["mib_s"] > 0:
                    ratios.append(r["mib_s"] / ref["mib_s"])
        if name.startswith("fio-"):
            ratio = "1 (reference)"
        elif not ratios:
            ratio = "-"
        elif len(ratios) == 1:
            ratio = f"{ratios[0]:.2f}"
        else:
            ratio = f"{mean(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]"
        col = lambda key, rs: mean([r[key] for r in rs])
        rs = [r for _, r in runs]
        mib_s = col("mib_s", rs)
        # the ideal, when receives bound the run: every pipeline one buffer per delay
        ideal = n * args.buffer_bytes / 2**20 / d if d > 0 else float("nan")
        pct = "-" if ideal != ideal else f"{100 * mib_s / ideal:.1f}"
        seq = seq_at.get(d, float("nan"))
        vs_seq = "-" if seq != seq or name.startswith("fio-") else f"{mib_s / (n * seq):.2f}"
        print(f"| {d:g} | {n} | {name} | {mib_s:.1f} | "
              f"{col('deadline_mib_s', rs):.1f} | {ratio} | {pct} | {vs_seq} | "
              f"{ms(col('fsync_p50', rs))} | "
              f"{ms(col('fsync_p99', rs))} | "
              f"{ms(col('fsync_p99', refs)) if refs and not name.startswith('fio-') else '-'} |")

if __name__ == "__main__":
    main()
