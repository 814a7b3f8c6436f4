#!/usr/bin/python3
"""Run every method and fio on the same pattern, side by side, and print a Markdown table.

For each concurrency N: io-pipeline-bench with each method (N pipelines in one rank; sequential
only at N=1) and fio with N jobs doing the same thing: 256 KiB sequential writes to its own
file, fsync after each, and a think time equal to the receive delay. Both run in this one
invocation, on the same directory, one after the other, so the ratio is meaningful even on a
noisy machine. Results of both tools also go to a .dat file (fio rows as method fio-<engine>).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def mpirun_cmd(args, ranks):
    cmd = [args.mpirun, "-np", str(ranks)]
    out = subprocess.run([args.mpirun, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in out:
        cmd += ["--bind-to", "none", "--oversubscribe"]
    return cmd


def run_bench(args, method, n, engine=None):
    cmd = mpirun_cmd(args, 1) + [
        args.bin, "--method", method, "--concurrency", str(n),
        "--duration", str(args.duration), "--buffer-size", args.buffer_size,
        "--recv-delay", str(args.recv_delay), "--compute-sparsity", str(args.sparsity),
        "--output-file", os.path.join(args.dir, "ipb"), "--label", args.label,
        "--recv-phase", args.recv_phase]
    if engine:
        cmd += ["--aio-engine", engine]
    if args.dat:
        cmd += ["--dat", args.dat]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    row = [l for l in out.splitlines() if l and not l.startswith("#")][-1].split("\t")
    return float(row[10]), float(row[7]), float(row[9])


def run_fio(args, n, engine):
    jobdir = tempfile.mkdtemp(dir=args.dir, prefix="fio.")
    cmd = ["fio", "--name=pipe", f"--directory={jobdir}", f"--numjobs={n}",
           "--rw=write", f"--bs={args.fio_bs}", "--size=16g", "--fsync=1",
           f"--ioengine={engine}", "--time_based", f"--runtime={args.duration}",
           "--group_reporting", "--output-format=json", "--create_on_open=1",
           # io-pipeline-bench appends to files that grow; fio preallocates them by default
           # (fallocate), which makes its fsyncs cheaper: same pattern means no preallocation.
           "--fallocate=none"]
    if args.recv_delay > 0:
        cmd += [f"--thinktime={int(args.recv_delay * 1e6)}", "--thinktime_blocks=1"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        shutil.rmtree(jobdir, ignore_errors=True)
    job = json.loads(out[out.index("{"):])["jobs"][0]
    w = job["write"]
    mib = w["io_bytes"] / 2**20
    secs = w["runtime"] / 1000.0
    return w["bw_bytes"] / 2**20, mib, secs


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrency", default="1,4,16,64", help="comma list (default 1,4,16,64)")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per run (default 10)")
    ap.add_argument("--buffer-size", default="256", help="KiB or with suffix (default 256)")
    ap.add_argument("--fio-bs", default="256k", help="fio block size, same as --buffer-size")
    ap.add_argument("--recv-delay", type=float, default=0.1, help="seconds (default 0.1)")
    ap.add_argument("--sparsity", type=int, default=8, help="compute sparsity (default 8)")
    ap.add_argument("--dir", default=os.path.join(TOP, "data"), help="data directory")
    ap.add_argument("--dat", default=None, help="also append io-pipeline-bench rows here")
    ap.add_argument("--label", default="bench-vs-fio")
    ap.add_argument("--recv-phase", default="random", choices=["random", "aligned"],
                    help="io-pipeline-bench --recv-phase (default random, the program's default)")
    ap.add_argument("--bin", default=os.path.join(TOP, "src", "io-pipeline-bench"))
    ap.add_argument("--mpirun", default="mpirun")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    if os.geteuid() == 0:
        os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")

    kib = {"k": 1, "m": 1024}.get(args.fio_bs[-1].lower(), None)
    buf_mib = (int(args.fio_bs[:-1]) * kib) / 1024.0 if kib else None
    rows = []
    seq = None
    for n in [int(x) for x in args.concurrency.split(",")]:
        runs = [("fio psync", lambda: run_fio(args, n, "psync")),
                ("fio io_uring", lambda: run_fio(args, n, "io_uring"))]
        if n == 1:
            runs.append(("sequential", lambda: run_bench(args, "sequential", 1)))
        runs += [("openmp", lambda: run_bench(args, "openmp", n)),
                 ("fork", lambda: run_bench(args, "fork", n)),
                 ("aio io_uring", lambda: run_bench(args, "aio", n, "io_uring")),
                 ("aio posix", lambda: run_bench(args, "aio", n, "posix"))]
        for name, fn in runs:
            mib_s, mib, secs = fn()
            if name == "sequential":
                seq = mib_s
            rows.append((n, name, mib_s, mib, secs))
            print(f"{n:3d} {name:14s} {mib_s:9.2f} MiB/s  ({mib:.1f} MiB in {secs:.2f} s)",
                  file=sys.stderr, flush=True)

    ideal = (lambda n: n * buf_mib / args.recv_delay) if (buf_mib and args.recv_delay > 0) \
        else (lambda n: float("nan"))
    fio_at = {n: mib_s for n, name, mib_s, _, _ in rows if name == "fio psync"}
    print(f"| N | method | MiB/s | % of ideal | / fio psync | / (N x sequential) |")
    print("|---|---|---|---|---|---|")
    for n, name, mib_s, _, _ in rows:
        pct = 100.0 * mib_s / ideal(n)
        vs_fio = mib_s / fio_at[n] if fio_at.get(n) else float("nan")
        vs_seq = mib_s / (n * seq) if seq else float("nan")
        print(f"| {n} | {name} | {mib_s:.1f} | {pct:.1f} | {vs_fio:.2f} | {vs_seq:.2f} |")


if __name__ == "__main__":
    main()
