"""The job scripts (job-scripts/) on real launchers: mpirun, and Slurm's sbatch and srun on a
throw-away cluster that this test starts (tests/slurm-cluster.sh) and stops by its pids.

- ipb-sweep.sh end to end under mpirun with short runs: one HDF5 file and one .dat with a row
  per run, plots, progress lines; a failed run is reported and the sweep goes on; --dry-run
  runs nothing; options win over IPB_* variables.
- Ranks with distinct host names under mpirun (a UTS namespace per rank): the nodes column and
  the per-rank hosts of the HDF5 file.
- fio-side-by-side.py with real fio: fio's rows imported beside the methods' in one .dat and
  one HDF5 file, their numbers adding up, and the Markdown table built from those runs.
- The PBS Pro scripts' dry-run launch lines (mpiexec -n --ppn --depth --cpu-bind --hostfile).
- Slurm, 4 emulated nodes (one slurmd per node name, each in a UTS namespace named after its
  node): slurm-sweep.sbatch and slurm-scaling.sbatch through sbatch; results checked for rows,
  the job id (label and HDF5 job_id), node counts and per-rank hosts; srun runs give the same
  rows as mpirun runs, apart from timing; srun with a plugin the MPI library does not speak
  creates nothing.

Both MPI builds: Open MPI's (srun --mpi=pmix) and MPICH's (srun --mpi=pmi2; IPB_MPI_FLAVOUR=mpich
from make check says which this is).

Run by `make check` (tests/test_jobscripts.sh, which exports IPB_BIN and IPB_MPIEXEC and stops
the cluster even if this is killed). By hand, from the build directory:
  IPB_BIN=$PWD/src/io-pipeline-bench /usr/bin/python3 -m pytest -v SRCDIR/tests/test_jobscripts.py
"""

import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time

import h5py
import pytest

from ipb_launch import bench_path as bench, launcher as mpirun_words, mpich, mpiexec

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
JOBS = os.path.join(TOP, "job-scripts")
SWEEP = os.path.join(JOBS, "ipb-sweep.sh")
CLUSTER = os.path.join(HERE, "slurm-cluster.sh")

# Short runs everywhere: the point is the plumbing, not the numbers.
SHORT = ["--duration", "0.3", "--recv-delay", "0.02", "--buffer-size", "64"]
SLURM_NODES = 4
JOB_TIMEOUT = 300  # seconds for one sbatch job, queueing included (a loaded CI machine)


def srun_mpi():
    """The srun plugin the library speaks: Debian's Open MPI only PMIx, its MPICH only PMI-1/2."""
    return "pmi2" if mpich() else "pmix"


def env(**extra):
    """The environment of a script under test: no IPB_* leaking in from outside except the
    program, and Open MPI allowed to run as root."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("IPB_")}
    e.update(IPB_BIN=bench(), IPB_MPIEXEC=mpiexec(), OMPI_ALLOW_RUN_AS_ROOT="1",
             OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    for k in ("SLURM_JOB_ID", "PBS_JOBID", "PBS_NODEFILE", "SLURM_JOB_NUM_NODES"):
        e.pop(k, None)
    e.update({k: str(v) for k, v in extra.items()})
    return e


def run(cmd, timeout, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    r.cmdline = " ".join(shlex.quote(c) for c in cmd)
    return r


def explain(r):
    return f"\n$ {r.cmdline}\nexit {r.returncode}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"


def dat_rows(path):
    """(header names, list of row dicts) of a .dat file."""
    with open(path) as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    headers = [l for l in lines if l.startswith("#")]
    assert len(headers) == 1, f"{path}: {len(headers)} header lines"
    names = re.findall(r"<([^>]*)>", headers[0])
    rows = []
    for l in lines:
        if l.startswith("#"):
            continue
        fields = l.split("\t")
        assert len(fields) == len(names), f"{path}: row has {len(fields)} fields: {l!r}"
        rows.append(dict(zip(names, fields)))
    return names, rows


def h5_runs(path):
    """/runs rows as dicts (strings decoded), each with its /run/<id> group's attributes and
    per-rank hosts."""
    out = []
    with h5py.File(path, "r") as f:
        runs = f["runs"][:]
        for row in runs:
            d = {k: (row[k].decode() if isinstance(row[k], bytes) else row[k].item())
                 for k in runs.dtype.names}
            g = f["run"][d["run_id"]]
            d["attrs"] = {k: g.attrs[k] for k in g.attrs}
            d["hosts"] = [h.decode() for h in g["ranks"][:]["host"]]
            d["n_pipeline_rows"] = g["pipelines"].shape[0]
            out.append(d)
        d_type = runs.dtype
    return d_type, out


def check_plots(plotdir, prefix, kinds=("bars", "scaling", "stages")):
    for kind in kinds:
        for ext in ("png", "pdf"):
            p = os.path.join(plotdir, f"{prefix}-{kind}.{ext}")
            assert os.path.exists(p), f"no plot {p}; have {os.listdir(plotdir)}"
            assert os.path.getsize(p) > 1000, f"plot {p} is nearly empty"


@pytest.fixture
def work():
    # under test_jobscripts.sh's directory, which it removes even if this process is killed
    d = tempfile.mkdtemp(prefix="ipb-jobs.", dir=os.environ.get("IPB_TEST_WORK"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


# ---- local sweep under mpirun --------------------------------------------------------------


def test_local_sweep_end_to_end(work):
    """Every method x concurrency 1,2 x ranks 1,2 under mpirun: 14 runs, one row each in the
    .dat and the HDF5 file (the same runs), the plots, and progress with run i of n and ETA."""
    r = run([SWEEP, "--concurrency", "1,2", "--ranks", "1 2", *SHORT, "--results",
             os.path.join(work, "res", "sw"), "--data-dir", os.path.join(work, "data")],
            timeout=150, env=env(), cwd=work)
    assert r.returncode == 0, explain(r)
    _, rows = dat_rows(os.path.join(work, "res", "sw.dat"))
    expected = sorted((rk, m, c) for rk in (1, 2) for m, cs in
                      (("sequential", [1]), ("openmp", [1, 2]), ("fork", [1, 2]), ("aio", [1, 2]))
                      for c in cs)
    got = sorted((int(x["ranks"]), x["method"], int(x["concurrency"])) for x in rows)
    assert got == expected, explain(r)
    labels = {x["label"] for x in rows}
    assert len(labels) == 1 and re.fullmatch(r"sweep sweep=\d{8}T\d{6}Z", labels.pop()), labels
    assert all(float(x["aggregate overall throughput (MiB/s)"]) > 0 for x in rows)
    _, runs = h5_runs(os.path.join(work, "res", "sw.h5"))
    assert sorted(x["run_id"] for x in runs) == sorted(x["run id"] for x in rows)
    for x in runs:
        assert x["attrs"]["job_id"] == "" and x["nodes"] == 1
        assert x["n_pipeline_rows"] == x["ranks"] * x["concurrency"]
    check_plots(os.path.join(work, "res", "sw-plots"), "sweep")
    # progress: every run announced as i of n with elapsed time and an estimate of what is left
    for i in range(1, 15):
        assert re.search(rf"\[{i}/14\] \d\d:\d\d:\d\d elapsed, ~\d\d:\d\d:\d\d left: ", r.stderr), \
            explain(r)
    assert r.stderr.count(" ok: ") == 14, explain(r)
    assert "14 of 14 runs succeeded" in r.stderr
    assert "method" in r.stdout and "c=2" in r.stdout, "summary table missing" + explain(r)
    # one log per run, starting with the exact command
    logs = sorted(glob.glob(os.path.join(work, "res", "sw-logs", "run-*.log")))
    assert len(logs) == 14
    assert not os.listdir(os.path.join(work, "data")) if os.path.isdir(
        os.path.join(work, "data")) else True, "data files left behind"


def test_local_sweep_failed_run_reported_and_sweep_goes_on(work):
    """A run that fails (here: a method the program refuses, exit 2) is reported with the
    program's message and its log, the later runs still happen, the results hold the other
    runs, and the sweep's exit status says something failed."""
    res = os.path.join(work, "r")
    # two earlier runs, so that "nothing earlier is lost" is checked against an existing file
    r0 = run([SWEEP, "--methods", "sequential", "--ranks", "1", *SHORT, "--results", res,
              "--no-plots", "--label", "before"], timeout=60, env=env(), cwd=work)
    assert r0.returncode == 0, explain(r0)
    r = run([SWEEP, "--methods", "aio,nosuchmethod,sequential", "--concurrency", "2",
             "--ranks", "1", *SHORT, "--results", res], timeout=90, env=env(), cwd=work)
    assert r.returncode == 1, explain(r)
    assert re.search(r"\[2/3\].*nosuchmethod", r.stderr), explain(r)
    m = re.search(r"FAILED \(exit status (\d+)\): io-pipeline-bench: --method 'nosuchmethod'.*"
                  r"log (\S+run-0002\.log)", r.stderr)
    assert m, explain(r)
    assert int(m.group(1)) != 0 and os.path.exists(m.group(2))
    assert "[3/3]" in r.stderr and "2 of 3 runs succeeded" in r.stderr, explain(r)
    _, rows = dat_rows(res + ".dat")
    assert [(x["method"], x["label"].split()[0]) for x in rows] == [
        ("sequential", "before"), ("aio", "sweep"), ("sequential", "sweep")]
    _, runs = h5_runs(res + ".h5")
    assert [x["method"] for x in runs] == ["sequential", "aio", "sequential"]
    check_plots(res + "-plots", "sweep")


def wait_for_file(path, timeout):
    t0 = time.time()
    while not os.path.exists(path):
        assert time.time() - t0 < timeout, f"{path} did not appear within {timeout} s"
        time.sleep(0.05)


def wait_for_run_files(data, run, timeout):
    """Until run number `run` of a sweep has created its data files (set-up done: the timed
    phase starts right after), so that a signal sent next lands in the timed phase even on a
    loaded machine."""
    t0 = time.time()
    while not glob.glob(os.path.join(data, f"ipb-*-{run}.*")):
        assert time.time() - t0 < timeout, f"run {run}'s data files did not appear in {data}"
        time.sleep(0.05)


def check_cut_sweep(res, out, cut_signal, recorded=True):
    """After a sweep (sequential, openmp, aio) cut during its second run: the first run
    complete, the second recorded as interrupted by cut_signal (or, recorded=False, killed
    before it could record anything), no third, the sweep saying which run was cut."""
    want = [("sequential", "no")] + ([("openmp", cut_signal)] if recorded else [])
    _, rows = dat_rows(res + ".dat")
    assert [(x["method"], x["interrupted"]) for x in rows] == want, out
    if recorded:
        assert float(rows[1]["bytes"]) > 0, out
        assert rows[1]["deadline throughput (MiB/s)"] == "nan", out
    _, runs = h5_runs(res + ".h5")
    assert [(x["method"], x["interrupted"]) for x in runs] == want, out
    m = re.search(r"CUT \(exit status \d+\)(.*)", out)
    assert m and out.index("[2/3]") < m.start(), out
    if recorded:
        assert "interrupted by " + cut_signal in m.group(1), out
    assert re.search(r"cut short by (SIG\w+|an interrupted run): 1 run\(s\) not started",
                     out), out
    assert "[3/3]" not in out, out


def test_local_sweep_cut_by_sigterm(work):
    """SIGTERM to the whole sweep (as Slurm signals every process of a job at its time limit)
    during run 2 of 3: run 1 is kept, run 2 is recorded as interrupted, run 3 never starts,
    the sweep says which run was cut and exits 3, and no data file or process is left."""
    res = os.path.join(work, "r")
    data = os.path.join(work, "data")
    os.mkdir(data)
    # 6 s runs: the cut comes 2 s into the second, long before its end.
    cmd = [SWEEP, "--methods", "sequential,openmp,aio", "--concurrency", "2", "--ranks", "2",
           "--duration", "6", "--recv-delay", "0.02", "--buffer-size", "64", "--results", res,
           "--data-dir", data, "--no-plots"]
    p = subprocess.Popen(cmd, cwd=work, env=env(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_for_file(os.path.join(res + "-logs", "run-0002.log"), 60)
        wait_for_run_files(data, 2, 60)
        time.sleep(1.5)  # into run 2's timed phase
        t_sig = time.time()
        os.killpg(p.pid, signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    took = time.time() - t_sig
    text = out + err
    assert p.returncode == 3, f"exit {p.returncode}\n{text}"
    assert took < 10, f"the sweep took {took:.1f} s to stop after SIGTERM\n{text}"
    check_cut_sweep(res, text, "SIGTERM")
    assert os.listdir(data) == [], f"data files left: {os.listdir(data)}\n{text}"
    left = subprocess.run(["pgrep", "-f", data], capture_output=True, text=True).stdout
    assert left == "", f"processes left: {left}"


def test_local_sweep_run_timeout(work):
    """--run-timeout: a run still going after it gets one SIGTERM (through `timeout
    --foreground`, so mpirun is not signalled twice, which it would take as "kill the ranks
    now"), records itself as interrupted, is reported as failed, and the sweep goes on to the
    next run; exit 1, no data file or process left."""
    res = os.path.join(work, "r")
    data = os.path.join(work, "data")
    os.mkdir(data)
    r = run([SWEEP, "--methods", "openmp,aio", "--concurrency", "2", "--ranks", "2",
             "--duration", "30", "--recv-delay", "0.02", "--buffer-size", "64", "--results", res,
             "--data-dir", data, "--no-plots", "--run-timeout", "4"],
            timeout=60, env=env(), cwd=work)
    assert r.returncode == 1, explain(r)
    failed = re.findall(r"FAILED \(still running after 4 s \(--run-timeout\): stopped\)"
                        r"(.*); log \S+run-000(\d)\.log; going on", r.stderr)
    assert [n for _, n in failed] == ["1", "2"], explain(r)
    assert all("interrupted by SIGTERM" in m for m, _ in failed), explain(r)
    assert "0 of 2 runs succeeded" in r.stderr and "CUT" not in r.stderr, explain(r)
    _, rows = dat_rows(res + ".dat")
    assert [(x["method"], x["interrupted"]) for x in rows] == [
        ("openmp", "SIGTERM"), ("aio", "SIGTERM")], explain(r)
    # measured up to the signal: 4 s after the launch, plus mpirun's second or so in passing it on
    assert all(float(x["bytes"]) > 0 and 1 < float(x["elapsed (s)"]) < 7 for x in rows), rows
    assert os.listdir(data) == [], f"data files left: {os.listdir(data)}"
    left = subprocess.run(["pgrep", "-f", data], capture_output=True, text=True).stdout
    assert left == "", f"processes left: {left}"


def test_local_sweep_dry_run_and_settings(work):
    """--dry-run prints one launch line per run and creates nothing; IPB_* variables set
    every parameter and an option beats its variable."""
    e = env(IPB_DURATION=7, IPB_BUFFER_SIZE="1M", IPB_RECV_DELAY=0.5, IPB_METHODS="fork aio",
            IPB_CONCURRENCY="3,5", IPB_RANKS=2, IPB_SYNC="end", IPB_COMPUTE_SPARSITY=0,
            IPB_AIO_ENGINE="posix", IPB_SEED=9, IPB_LABEL="mine", IPB_DATA_DIR="/nonexistent/d")
    r = run([SWEEP, "--dry-run", "--concurrency", "4", "--results", os.path.join(work, "x"),
             "--", "--keep-files"], timeout=30, env=e, cwd=work)
    assert r.returncode == 0, explain(r)
    assert os.listdir(work) == [], "a dry run created files"
    lines = [l for l in r.stdout.splitlines() if l and not l.startswith("#")]
    assert len(lines) == 2, explain(r)
    for line, method in zip(lines, ("fork", "aio")):
        w = shlex.split(line)
        if mpich():  # Hydra: -n, and no binding unless --bind asks (its default is none)
            assert w[0] == mpiexec() and w[w.index("-n") + 1] == "2"
            assert not {"--bind-to", "-bind-to", "--oversubscribe"} & set(w), line
        else:
            assert w[0] == mpiexec() and w[w.index("-np") + 1] == "2"
            assert w[w.index("--bind-to") + 1] == "none"
        prog = w.index(bench())
        opts = w[prog + 1:]
        kv = dict(zip(opts[0::2], opts[1::2]))
        assert kv["--method"] == method and kv["--concurrency"] == "4"  # option beat IPB_
        assert kv["--duration"] == "7" and kv["--buffer-size"] == "1M"
        assert kv["--recv-delay"] == "0.5" and kv["--sync"] == "end"
        assert kv["--compute-sparsity"] == "0" and kv["--seed"] == "9"
        assert kv["--output-file"].startswith("/nonexistent/d/ipb-")
        assert kv["--hdf5"] == os.path.join(work, "x.h5") and kv["--dat"] == os.path.join(work, "x.dat")
        assert re.fullmatch(r"mine sweep=\S+", kv["--label"])
        assert opts[-1] == "--keep-files"
        assert ("--aio-engine" in opts) == (method == "aio")
    assert "ipb_plot.py" in r.stdout
    # bad input to the script itself: status 2 and a message naming the option
    bad = run([SWEEP, "--dry-run", "--concurrency", "0"], timeout=30, env=env(), cwd=work)
    assert bad.returncode == 2 and "--concurrency" in bad.stderr, explain(bad)
    bad = run([SWEEP, "--dry-run", "--launcher", "qrun"], timeout=30, env=env(), cwd=work)
    assert bad.returncode == 2 and "--launcher" in bad.stderr, explain(bad)


UTS_WRAPPER = """#!/bin/sh
# Give this rank the host name node<rank / PPN> in its own UTS namespace, then run the program:
# ranks on one machine that look like PPN ranks on each of several nodes.
r=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-${PMI_RANK:?no rank in the environment}}}
exec unshare --uts sh -c 'hostname "$0" && exec "$@"' "node$((r / PPN))" "$@"
"""


def can_unshare_uts():
    return subprocess.run(["unshare", "--uts", "true"], capture_output=True).returncode == 0


def test_mpirun_ranks_on_distinct_hosts(work):
    """4 ranks under mpirun, each pair in UTS namespaces named node0 and node1 (through the
    sweep's --wrapper): the nodes column says 2 and the HDF5 file names each rank's host. So
    the program's host detection (MPI_Get_processor_name) sees the host name a rank runs
    under, which is what makes the nodes column right on a real cluster."""
    if not can_unshare_uts():
        pytest.skip("cannot create UTS namespaces here (unshare --uts needs CAP_SYS_ADMIN)")
    wrapper = os.path.join(work, "uts-rank.sh")
    with open(wrapper, "w") as f:
        f.write(UTS_WRAPPER)
    os.chmod(wrapper, 0o755)
    res = os.path.join(work, "hosts")
    r = run([SWEEP, "--methods", "fork,aio", "--concurrency", "2", "--ranks", "4", *SHORT,
             "--results", res, "--no-plots", "--wrapper", wrapper], timeout=90,
            env=env(PPN=2), cwd=work)
    assert r.returncode == 0, explain(r)
    _, rows = dat_rows(res + ".dat")
    assert [(x["method"], x["ranks"], x["nodes"]) for x in rows] == [
        ("fork", "4", "2"), ("aio", "4", "2")], explain(r)
    _, runs = h5_runs(res + ".h5")
    for x in runs:
        assert x["hosts"] == ["node0", "node0", "node1", "node1"], x["hosts"]
        assert list(x["attrs"]["hostnames"]) == x["hosts"]


# ---- PBS Pro: dry run ----------------------------------------------------------------------

PBS_HOSTS = ["x3001c0s1b0n0", "x3001c0s7b1n0", "x3001c0s13b0n0", "x3001c0s19b1n0",
             "x3001c0s25b0n0"]


def pbs_dry_run(work, script, *args, **extra):
    nodefile = os.path.join(work, "PBS_NODEFILE")
    with open(nodefile, "w") as f:  # PBS lists a host once per mpiprocs chunk: duplicates
        f.write("".join(f"{h}\n{h}\n" for h in PBS_HOSTS))
    e = env(PBS_NODEFILE=nodefile, PBS_JOBID="4242.polaris-pbs-01", PBS_O_WORKDIR=work,
            IPB_DRY_RUN=1, IPB_NODE_CPUS=64, **extra)
    e.pop("IPB_BIN")
    r = run(["bash", os.path.join(JOBS, script), *args], timeout=30, env=e, cwd="/")
    assert r.returncode == 0, explain(r)
    assert sorted(os.listdir(work)) == ["PBS_NODEFILE"], "a dry run created files"
    launches = [shlex.split(l) for l in r.stdout.splitlines() if l and not l.startswith("#")]
    return r, launches


def split_launch(w):
    """(mpiexec options as a dict, program options as a dict, label)"""
    # The program is named by path when the script finds a build (src/io-pipeline-bench in a
    # configured tree), by name when it relies on PATH: accept either.
    prog = next(i for i, a in enumerate(w) if os.path.basename(a) == "io-pipeline-bench")
    launcher = dict(zip(w[1:prog:2], w[2:prog:2]))
    opts = dict(zip(w[prog + 1::2], w[prog + 2::2]))
    return w[0], launcher, opts


FIO_SCRIPT = os.path.join(JOBS, "fio-side-by-side.py")
TABLE_HEAD = ("| recv delay (s) | arrivals | N | run | MiB/s mean [min-max] | % of ideal | "
              "vs fio same-order (paired rounds) | deadline MiB/s | write p50 / p99 / p99.9 | "
              "fsync p50 / p99 / p99.9 | arrival p50 / p99 / p99.9 |")


def need_fio():
    if shutil.which("fio") is None:
        pytest.fail("fio is not installed (setup.sh installs it)")


def table_rows(text):
    """{run name: cells} of the table lines in text (the header and rule left out)."""
    rows = {}
    for l in text.splitlines():
        if l.startswith("| ") and not l.startswith("| recv delay"):
            cells = [c.strip() for c in l.split("|")[1:-1]]
            rows[(cells[1], cells[3])] = cells
    return rows


def fio_json_ios(path):
    """(writes, fsyncs) fio itself reports, summed over the jobs of one kept JSON+ output."""
    import json
    with open(path) as f:
        jobs = json.load(f)["jobs"]
    return (sum(j["write"]["total_ios"] for j in jobs),
            sum(j.get("sync", {}).get("total_ios", 0) for j in jobs))


def test_fio_side_by_side(work):
    """fio-side-by-side.py, real fio and the real program, closed arrivals: both fio baselines
    (same-order and fsync-after-think, psync and io_uring) and two methods at N=2 land in one
    .dat and one HDF5 file; every row's numbers add up (bytes = buffers x buffer size, one fsync
    per buffer, MiB / seconds = throughput, deadline = MiB / duration); fio's rows count its
    durable writes only, checked against fio's own JSON (fsync-after-think: the writes whose
    fsync completed, fewer than it issued; same-order: every O_SYNC write); the --markdown file
    is the printed table, with its columns, the same-order fio as the reference and the
    methods' ratios to it and % of the ideal from the very rows."""
    need_fio()
    dat, h5 = os.path.join(work, "r.dat"), os.path.join(work, "r.h5")
    data, md, kept = (os.path.join(work, x) for x in ("data", "t.md", "fio-json"))
    r = run([FIO_SCRIPT, "--concurrency", "2", "--arrivals", "closed",
             "--recv-delay", "0.05", "--duration", "2", "--buffer-size", "64",
             "--methods", "openmp,aio-io_uring", "--fio-engines", "psync,io_uring",
             "--dir", data, "--dat", dat, "--hdf5", h5, "--bin", bench(), "--markdown", md,
             "--keep-fio-output", kept, "--mpirun", mpiexec(), "--label", "side",
             "--settle", "1"], timeout=180, env=env(), cwd=work)
    assert r.returncode == 0, explain(r)
    _, rows = dat_rows(dat)
    assert [(x["method"], x["aio engine"]) for x in rows] == [
        ("fio-same-order", "psync"), ("fio-fsync-after", "psync"),
        ("fio-same-order", "io_uring"), ("fio-fsync-after", "io_uring"),
        ("openmp", "-"), ("aio", "io_uring")], explain(r)
    buf = 64 * 1024
    for x in rows:
        what = f"{x['method']}: {x}"
        nbytes, nbuf = int(x["bytes"]), int(x["buffers"])
        assert nbuf > 0 and nbytes == nbuf * buf, what
        assert int(x["fsyncs"]) == nbuf, what
        mib, secs = float(x["MiB xferred"]), float(x["elapsed (s)"])
        assert abs(mib - nbytes / 2**20) <= 0.0005, what
        assert abs(float(x["aggregate overall throughput (MiB/s)"]) - mib / secs) <= 0.002, what
        assert x["label"] == "side" and x["concurrency"] == "2", what
    for x in rows[:4]:  # fio's time-based runs stop issuing at the runtime
        assert abs(float(x["deadline throughput (MiB/s)"]) - float(x["MiB xferred"]) / 2) \
            <= 0.002, x
        variant = "same-order" if x["method"] == "fio-same-order" else "fsync-after-think"
        writes, syncs = fio_json_ios(os.path.join(
            kept, f"r0-d0.05-closed-n2-{x['aio engine']}-{variant}.json"))
        if variant == "same-order":  # O_SYNC: every write durable, no separate fsync
            assert syncs == 0 and int(x["buffers"]) == writes, (x, writes, syncs)
            assert x["fsync p99 (s)"] == "nan", x
        else:  # only the writes whose fsync completed; the job ends before its last fsync
            assert int(x["buffers"]) == syncs < writes, (x, writes, syncs)
    assert not os.listdir(data), f"files left in {data}: {os.listdir(data)}"
    _, runs = h5_runs(h5)
    assert [x["method"] for x in runs] == [x["method"] for x in rows]
    assert [x["xferred_bytes"] for x in runs] == [int(x["bytes"]) for x in rows]
    # the table: printed and in --markdown, a line per run; same-order fio the reference
    with open(md) as f:
        table = f.read()
    assert table in r.stdout and TABLE_HEAD in table.splitlines(), explain(r)
    lines = table_rows(table)
    assert sorted(lines) == sorted(("closed", n) for n in (
        "fio-psync same-order", "fio-psync fsync-after-think", "fio-io_uring same-order",
        "fio-io_uring fsync-after-think", "openmp", "aio-io_uring")), table
    assert all(len(c) == 11 and c[0] == "0.05" and c[2] == "2" for c in lines.values()), table
    tput = {(x["method"], x["aio engine"]): float(x["aggregate overall throughput (MiB/s)"])
            for x in rows}
    ideal = 2 * 64 / 1024 / 0.05
    for name, key, ref in (
            ("fio-psync same-order", ("fio-same-order", "psync"), None),
            ("fio-psync fsync-after-think", ("fio-fsync-after", "psync"),
             ("fio-same-order", "psync")),
            ("openmp", ("openmp", "-"), ("fio-same-order", "psync")),
            ("aio-io_uring", ("aio", "io_uring"), ("fio-same-order", "io_uring"))):
        c = lines[("closed", name)]
        assert abs(float(c[4].split()[0]) - tput[key]) <= 0.051, (name, c)
        if ref is None:
            assert c[6] == "1 (reference)", c
        else:  # one round: mean, min and max are that round's ratio
            want = tput[key] / tput[ref]
            assert all(abs(float(v) - want) <= 0.006
                       for v in re.findall(r"[0-9.]+", c[6])), (name, c, want)
        assert abs(float(c[5]) - 100 * tput[key] / ideal) <= 0.1, (name, c)
        if name.startswith("fio"):
            assert c[10] == "-", c  # fio's closed jobs have no arrival to measure from
        else:  # closed: from the end of the receive, so the modes compare in one column
            p50, p99, p999 = (float(v) for v in c[10].split(" / "))
            assert 0 < p50 <= p99 <= p999, c
    # the same-order fio's sync is inside its write: no fsync figure of its own
    assert lines[("closed", "fio-psync same-order")][9] == "- / - / -", table


def strace_events(prefix, datafile):
    """The system calls of the thread (strace -ff: one file per thread) that opened datafile:
    (open flags, [(seconds, call, argument text)]) for writes, syncs and sleeps."""
    for path in glob.glob(prefix + ".*"):
        with open(path) as f:
            lines = f.read().splitlines()
        opened = [l for l in lines if "openat(" in l and datafile in l]
        if not opened:
            continue
        events = []
        for l in lines:
            m = re.match(r"(\d+):(\d+):(\d+\.\d+) (\w+)\((.*)", l)
            if m and m.group(4) in ("pwrite64", "fsync", "fdatasync", "clock_nanosleep",
                                     "nanosleep"):
                t = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
                events.append((t, m.group(4), m.group(5)))
        return opened[0], events
    pytest.fail(f"no thread of {prefix}.* opened {datafile}")


def sleep_ns(arg):
    m = re.search(r"tv_sec=(\d+), tv_nsec=(\d+)", arg)
    return int(m.group(1)) * 10**9 + int(m.group(2))


def test_fio_same_order_per_op_order(work):
    """The order of fio's system calls, from strace on the very fio commands the script runs
    (its --dry-run lines), one job, 1 s, 0.1 s think time. Same-order: the file opened O_SYNC,
    never an fsync, and every write but the first comes right after a think-time sleep (think,
    then a write that returns when durable: the pipelines' order). fsync-after-think: write,
    sleep, fsync, write...: every fsync comes after a think time, not after its write."""
    need_fio()
    if shutil.which("strace") is None:
        pytest.fail("strace is not installed (setup.sh installs it)")
    data = os.path.join(work, "data")
    os.mkdir(data)
    r = run([FIO_SCRIPT, "--dry-run", "--concurrency", "1", "--recv-delay", "0.1",
             "--duration", "1", "--buffer-size", "64", "--methods", "openmp",
             "--fio-engines", "psync", "--dir", data, "--bin", bench(), "--mpirun", mpiexec()],
            timeout=60, env=env(), cwd=work)
    assert r.returncode == 0, explain(r)
    cmds = {l.split(" | ")[4]: l.split(" | ", 5)[5] for l in r.stdout.splitlines()
            if l.startswith("round ") and "| fio-psync " in l}
    assert sorted(cmds) == ["fio-psync fsync-after-think", "fio-psync same-order"], explain(r)
    for name, cmd in cmds.items():
        jobdir = tempfile.mkdtemp(dir=data)
        words = [w if not w.startswith("--directory=") else f"--directory={jobdir}"
                 for w in shlex.split(cmd)]
        prefix = os.path.join(work, name.split()[1])
        s = run(["strace", "-ff", "-tt", "-o", prefix, "-e",
                 "trace=openat,pwrite64,fsync,fdatasync,clock_nanosleep,nanosleep"] + words,
                timeout=60)
        assert s.returncode == 0, explain(s)
        shutil.rmtree(jobdir)
        opened, ev = strace_events(prefix, os.path.join(jobdir, "pipe.0.0"))
        calls = [c for _, c, _ in ev]
        writes = [i for i, c in enumerate(calls) if c == "pwrite64"]
        assert 8 <= len(writes) <= 12, (name, calls)  # 1 s at one write per 0.1 s
        thinks = lambda i: calls[i].endswith("nanosleep") and sleep_ns(ev[i][2]) >= 0.09e9
        if name.endswith("same-order"):
            assert "O_SYNC" in opened, opened
            assert "fsync" not in calls and "fdatasync" not in calls, calls
            for i in writes[1:]:  # a think gap before each write, after the previous write
                assert thinks(i - 1) and calls[i - 2] == "pwrite64", (i, calls)
                assert ev[i][0] - ev[i - 1][0] >= 0.09, (i, ev[i - 1:i + 1])
        else:
            assert "O_SYNC" not in opened, opened
            syncs = [i for i, c in enumerate(calls) if c == "fsync"]
            assert len(syncs) >= len(writes) - 1, calls
            for i in syncs:  # write, think, fsync: the think falls between a write and its sync
                assert thinks(i - 1) and calls[i - 2] == "pwrite64", (i, calls)


def dry_run_names(text):
    return [tuple(l.split(" | ")[:5]) for l in text.splitlines() if l.startswith("round ")]


def test_fio_side_by_side_dry_run(work):
    """--dry-run prints every run of the matrix and runs nothing: cells (delay, arrivals, N),
    in each the fio baselines just before the methods, the second round backwards; fio's
    same-order job thinks then writes O_SYNC (--sync=1), fsync-after-think has --fsync=1, the
    open-mode fio job a rate of 1/delay per job and a Poisson process with --recv-model
    exponential, and the benchmark's open runs --arrivals open."""
    data = os.path.join(work, "data")
    r = run([FIO_SCRIPT, "--dry-run", "--concurrency", "1,2", "--recv-delay", "0.05",
             "--arrivals", "closed,open", "--rounds", "2", "--recv-model", "exponential",
             "--methods", "sequential,openmp", "--fio-engines", "psync", "--dir", data,
             "--bin", bench(), "--mpirun", mpiexec()], timeout=60, env=env(), cwd=work)
    assert r.returncode == 0, explain(r)
    assert not os.path.exists(data), "a dry run created the data directory"
    so, fa = "fio-psync same-order", "fio-psync fsync-after-think"
    rate = "fio-psync rate (closest equivalent, not the same schedule)"
    cell = {("closed", 1): [so, fa, "sequential", "openmp"], ("closed", 2): [so, fa, "openmp"],
            ("open", 1): [rate, "sequential", "openmp"], ("open", 2): [rate, "openmp"]}
    want = []
    order = [("closed", 1), ("closed", 2), ("open", 1), ("open", 2)]
    for rnd in (0, 1):
        for arr, n in (order if rnd == 0 else order[::-1]):
            fio = [x for x in cell[(arr, n)] if x.startswith("fio-")]
            meth = [x for x in cell[(arr, n)] if not x.startswith("fio-")]
            names = fio + meth if rnd == 0 else fio[::-1] + meth[::-1]
            want += [(f"round {rnd}", "recv 0.05", arr, f"N {n}", x) for x in names]
    assert dry_run_names(r.stdout) == want, explain(r)
    for l in r.stdout.splitlines():
        if not l.startswith("round "):
            continue
        name, cmd = l.split(" | ")[4], l.split(" | ", 5)[5]
        if name == so:
            assert "--sync=1" in cmd and "--thinktime=50000" in cmd and "--fsync" not in cmd
        elif name == fa:
            assert "--fsync=1" in cmd and "--thinktime=50000" in cmd and "--sync=1" not in cmd
        elif name == rate:
            assert "--rate_iops=20" in cmd and "--rate_process=poisson" in cmd and \
                "--sync=1" in cmd and "thinktime" not in cmd, l
        else:
            assert "--recv-model exponential" in cmd, l
            assert ("--arrivals open" in cmd) == (" | open | " in l), l
        if name.startswith("fio-"):
            assert "--fallocate=none" in cmd and "--size=" in cmd, l


def test_fio_side_by_side_open_mode(work):
    """--arrivals open with real fio: fio's rate job is labelled the closest equivalent and its
    arrival column is its write + sync latency, marked as a proxy and explained under the table;
    its .dat row counts every O_SYNC write. The benchmark's open run is in the table with its
    own arrival percentiles when its --help under the launcher lists --arrivals open, and is
    otherwise skipped with a message saying so."""
    need_fio()
    dat, md = os.path.join(work, "r.dat"), os.path.join(work, "t.md")
    r = run([FIO_SCRIPT, "--concurrency", "1", "--recv-delay", "0.05", "--duration", "1",
             "--buffer-size", "64", "--arrivals", "open", "--methods", "openmp",
             "--fio-engines", "psync", "--dir", os.path.join(work, "data"), "--dat", dat,
             "--markdown", md, "--bin", bench(), "--mpirun", mpiexec(), "--settle", "1"],
            timeout=120, env=env(), cwd=work)
    assert r.returncode == 0, explain(r)
    with open(md) as f:
        table = f.read()
    lines = table_rows(table)
    rate = lines[("open", "fio-psync rate (closest equivalent, not the same schedule)")]
    assert rate[6] == "1 (reference)" and rate[10].endswith("(*)"), rate
    assert rate[10].split(" (*)")[0] == rate[8], rate  # O_SYNC: the write holds the sync
    assert "(*) fio has no arrival times" in table and "schedule lag" in table, table
    help_ = run(mpirun_words(1) + [bench(), "--help"], timeout=60, env=env())
    if re.search(r"--arrivals\b.*\bopen\b", help_.stdout):
        c = lines[("open", "openmp")]
        assert all(re.fullmatch(r"[0-9.]+", v) for v in c[10].split(" / ")), c
    else:
        assert ("open", "openmp") not in lines, table
        assert "has no --arrivals open" in r.stderr and "has no --arrivals open" in table, \
            explain(r)
    _, rows = dat_rows(dat)
    fio = [x for x in rows if x["method"] == "fio-open-rate"]
    assert len(fio) == 1 and int(fio[0]["buffers"]) == int(fio[0]["fsyncs"]) > 0, rows


def test_pbs_scaling_dry_run(work):
    """pbs-scaling.pbs on a 5-node allocation: 1, 2, 4 and 5 nodes, 2 ranks per node,
    --depth = 64 CPUs / 2, --cpu-bind depth, a hostfile of the first N nodes, the job id in
    every label, results named after the job."""
    r, launches = pbs_dry_run(work, "pbs-scaling.pbs")
    assert len(launches) == 4 * 3, explain(r)
    seen = []
    for w in launches:
        exe, l, o = split_launch(w)
        assert exe == "mpiexec"
        n = int(l["-n"]) // 2
        assert l["--ppn"] == "2" and l["--depth"] == "32" and l["--cpu-bind"] == "depth"
        assert l["--hostfile"].endswith(f"pbs-scaling-4242.polaris-pbs-01-logs/hosts.{n}")
        assert f"# {l['--hostfile']}: {' '.join(PBS_HOSTS[:n])}" in r.stdout
        assert o["--label"] == "pbs-scaling job=4242.polaris-pbs-01"
        assert o["--hdf5"] == os.path.join(work, "results", "pbs-scaling-4242.polaris-pbs-01.h5")
        assert o["--concurrency"] == "16" and o["--duration"] == "30"
        seen.append((n, o["--method"]))
    assert seen == [(n, m) for n in (1, 2, 4, 5) for m in ("openmp", "fork", "aio")]


def test_pbs_sweep_dry_run(work):
    """pbs-sweep.pbs: method x concurrency x ranks per node on the first node only."""
    r, launches = pbs_dry_run(work, "pbs-sweep.pbs", IPB_CONCURRENCY="1 8", IPB_RANKS="1 4",
                              IPB_BIND="core", IPB_CPUS_PER_RANK=4)
    got = []
    for w in launches:
        _, l, o = split_launch(w)
        assert l["-n"] == l["--ppn"], "the sweep runs on one node"
        assert l["--depth"] == "4" and l["--cpu-bind"] == "core"
        assert l["--hostfile"].endswith("hosts.1")
        assert o["--label"] == "pbs-sweep job=4242.polaris-pbs-01"
        got.append((int(l["-n"]), o["--method"], int(o["--concurrency"])))
    assert got == [(r_, m, c) for r_ in (1, 4) for m, cs in
                   (("sequential", [1]), ("openmp", [1, 8]), ("fork", [1, 8]), ("aio", [1, 8]))
                   for c in cs], explain(r)


# ---- Slurm ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slurm():
    """A 4-node Slurm cluster on this machine, stopped by its pids whatever happens (here,
    and again by tests/test_jobscripts.sh's trap if this process is killed)."""
    d = os.environ.get("IPB_TEST_SLURM_DIR")
    made = d is None
    if made:
        d = tempfile.mkdtemp(prefix="ipb-slurm.", dir=os.environ.get("IPB_TEST_WORK"))
    r = run([CLUSTER, "start", d, str(SLURM_NODES)], timeout=60)
    try:
        if r.returncode == 77:
            pytest.skip("no Slurm cluster: " + r.stderr.strip().splitlines()[-1])
        assert r.returncode == 0, "the test cluster did not start" + explain(r)
        yield {"dir": d, "env": {"SLURM_CONF": os.path.join(d, "slurm.conf")}}
    finally:
        run([CLUSTER, "stop", d], timeout=60)
        if made:
            shutil.rmtree(d, ignore_errors=True)


def wait_job(jobid, e, timeout=JOB_TIMEOUT):
    """Poll squeue (sbatch --wait sleeps 10 s between its polls) until the job is gone."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        q = run(["squeue", "-h", "-j", jobid, "-o", "%T"], timeout=30, env=e)
        if q.returncode == 0 and q.stdout.strip() == "":
            return
        if q.returncode != 0 and "Invalid job id" in q.stderr:
            return
        time.sleep(0.2)
    run(["scancel", jobid], timeout=30, env=e)
    pytest.fail(f"job {jobid} still queued or running after {timeout} s")


def job_state(jobid, e):
    """The state the controller records (COMPLETED, FAILED, ...) and the batch exit code."""
    s = run(["scontrol", "show", "job", jobid], timeout=30, env=e).stdout
    state = re.search(r"JobState=(\S+)", s)
    code = re.search(r"ExitCode=(\S+)", s)
    return (state.group(1) if state else "?"), (code.group(1) if code else "?")


# Open MPI 4.1.4's TCP transport between the test cluster's emulated nodes (one machine, one IP
# address, several host names) sometimes fails a connect with EINPROGRESS and then crashes a
# rank with SIGSEGV: 1 to 2 in 25 eight-rank, four-node steps here, with this program as it is
# and as it was before the crash was first seen (a build of 2a6497e: 1 in 25), with any method.
# Real clusters have one address per node. A multi-node job whose only failures carry exactly
# that signature is submitted once more, saying so; anything else fails the test.
OMPI_TCP_CRASH = ("Open MPI failed to TCP connect to a peer", "Process received signal")


def only_known_ompi_tcp_crash(text, logs_dir):
    failed = re.findall(r"FAILED \(exit status \d+\).*?log (\S+run-\d+\.log)", text)
    if not failed:
        return False
    for log in failed:
        body = open(log).read() if os.path.exists(log) else ""
        if not all(sig in body for sig in OMPI_TCP_CRASH):
            return False
    return True


def sbatch(slurm, work, args, script_args, retry_known_ompi_crash=False, **extra):
    e = env(**slurm["env"], **extra)
    for attempt in (1, 2):
        r = run(["sbatch", "--parsable", f"--chdir={work}", *args, *script_args], timeout=30,
                env=e, cwd=work)
        assert r.returncode == 0, explain(r)
        jobid = r.stdout.strip().split(";")[0]
        wait_job(jobid, e)
        out = glob.glob(os.path.join(work, f"*-{jobid}.out"))
        text = open(out[0]).read() if out else "(no job output file)"
        state = job_state(jobid, e)
        if (state != ("COMPLETED", "0:0") and attempt == 1 and retry_known_ompi_crash
                and only_known_ompi_tcp_crash(text, work)):
            print(f"job {jobid}: Open MPI's known TCP crash on the emulated nodes; once more\n"
                  f"{text}")
            continue
        break
    assert state == ("COMPLETED", "0:0"), f"job {jobid}: {state}\n{text}"
    return jobid, text


def test_slurm_sweep_sbatch(slurm, work):
    """slurm-sweep.sbatch through sbatch: every run an srun step of one job, results in
    results/slurm-sweep-<job>.h5/.dat with the job id in every label and HDF5 context."""
    jobid, out = sbatch(slurm, work, ["-N", "1"], [
        os.path.join(JOBS, "slurm-sweep.sbatch"), "--concurrency", "2", "--ranks", "1,2",
        *SHORT])
    res = os.path.join(work, "results", f"slurm-sweep-{jobid}")
    _, rows = dat_rows(res + ".dat")
    got = sorted((int(x["ranks"]), x["method"], int(x["concurrency"])) for x in rows)
    assert got == sorted((rk, m, 1 if m == "sequential" else 2) for rk in (1, 2)
                         for m in ("sequential", "openmp", "fork", "aio")), out
    assert {x["label"] for x in rows} == {f"slurm-sweep job={jobid}"}
    assert {x["nodes"] for x in rows} == {"1"}
    _, runs = h5_runs(res + ".h5")
    assert len(runs) == len(rows)
    for x in runs:
        assert x["attrs"]["job_id"] == jobid and x["attrs"]["job_scheduler"] == "slurm"
        assert set(x["hosts"]) == {"node1"}, x["hosts"]
        assert "srun" not in x["attrs"]["command_line"]  # the program's argv, not the launcher's
    assert "8 of 8 runs succeeded" in out, out
    check_plots(res + "-plots", "slurm-sweep")


def slurm_sweep_cut(slurm, work, scancel_args):
    """slurm-sweep.sbatch (sequential, openmp, aio; 6 s runs), signalled with scancel
    2.5 s into its second run. Returns (results prefix, job output, job state, seconds the
    job took to end after the signal)."""
    e = env(**slurm["env"])
    r = run(["sbatch", "--parsable", f"--chdir={work}", "-N", "1",
             os.path.join(JOBS, "slurm-sweep.sbatch"), "--methods", "sequential,openmp,aio",
             "--concurrency", "2", "--ranks", "2", "--duration", "6", "--recv-delay", "0.02",
             "--buffer-size", "64", "--no-plots", "--data-dir", os.path.join(work, "data")],
            timeout=30, env=e, cwd=work)
    assert r.returncode == 0, explain(r)
    jobid = r.stdout.strip().split(";")[0]
    res = os.path.join(work, "results", f"slurm-sweep-{jobid}")
    try:
        wait_for_file(os.path.join(res + "-logs", "run-0002.log"), JOB_TIMEOUT)
        wait_for_run_files(os.path.join(work, "data"), 2, JOB_TIMEOUT)
        time.sleep(1.5)  # into run 2's timed phase
        t_sig = time.time()
        k = run(["scancel", *scancel_args, jobid], timeout=30, env=e)
        assert k.returncode == 0, explain(k)
        wait_job(jobid, e, timeout=60)
    finally:
        run(["scancel", jobid], timeout=30, env=e)
    took = time.time() - t_sig
    out = glob.glob(os.path.join(work, f"*-{jobid}.out"))
    text = open(out[0]).read() if out else "(no job output file)"
    data = glob.glob(os.path.join(work, "data", "*"))
    assert data == [], f"data files left: {data}\n{text}"
    return res, text, job_state(jobid, e), took


def test_slurm_sweep_warned_before_its_time_limit(slurm, work):
    """The graceful way (slurm-sweep.sbatch asks for it with #SBATCH --signal=USR1@60): SIGUSR1
    to the job's steps, as Slurm sends it a minute before the limit (here scancel
    --signal=USR1): the run in progress stops within seconds and records what it measured
    (interrupted = SIGUSR1), srun exits 3, the sweep stops there and says so; run 1 kept, no
    run 3, exit 3, no data file."""
    res, text, state, took = slurm_sweep_cut(slurm, work, ["--signal=USR1"])
    assert took < 15, f"the job took {took:.1f} s to end after SIGUSR1\n{text}"
    assert state[1] == "3:0", f"{state}\n{text}"
    check_cut_sweep(res, text, "SIGUSR1")


def test_slurm_sweep_cut_at_its_time_limit(slurm, work):
    """What Slurm does at the limit itself, SIGTERM to the batch shell and to every step
    (scancel --signal=TERM --full). srun, on SIGTERM, kills its step with SIGKILL at once
    ("forcing job termination"), so the run in progress cannot record anything: its janitors
    remove its data files; run 1 is kept, no run 3, and the sweep says which run was cut
    (exit 3)."""
    res, text, state, took = slurm_sweep_cut(slurm, work, ["--signal=TERM", "--full"])
    assert took < 15, f"the job took {took:.1f} s to end after SIGTERM\n{text}"
    assert state[1] == "3:0", f"{state}\n{text}"
    check_cut_sweep(res, text, "SIGTERM", recorded=False)


def skip_emulated_nodes_under_asan():
    """Open MPI's TCP crash between emulated nodes (OMPI_TCP_CRASH above) becomes an
    AddressSanitizer report in the sanitizer run, and every report fails that run; the
    multi-node cases run in the plain make check."""
    if os.environ.get("ASAN_OPTIONS") and os.environ.get("IPB_MPI_FLAVOUR", "openmpi") == "openmpi":
        pytest.skip("under AddressSanitizer: Open MPI's known TCP crash between the emulated "
                    "nodes would be an ASan report; runs in the plain make check")


def test_slurm_scaling_sbatch(slurm, work):
    """slurm-scaling.sbatch on a 4-node allocation: 1, 2 and 4 nodes with 2 ranks per node,
    the nodes column and each rank's host as Slurm placed it."""
    skip_emulated_nodes_under_asan()
    # The job's node-local data directory goes under $TMPDIR: one of the test's own, so a
    # directory left by an earlier, killed test run cannot be mistaken for this job's.
    tmpdir = os.path.join(work, "node-tmp")
    os.makedirs(tmpdir)
    jobid, out = sbatch(slurm, work, ["-N", str(SLURM_NODES)], [
        os.path.join(JOBS, "slurm-scaling.sbatch"), "--concurrency", "2", "--methods",
        "fork,aio", *SHORT], retry_known_ompi_crash=True, TMPDIR=tmpdir)
    res = os.path.join(work, "results", f"slurm-scaling-{jobid}")
    _, rows = dat_rows(res + ".dat")
    assert [(x["nodes"], x["ranks"], x["method"]) for x in rows] == [
        (str(n), str(2 * n), m) for n in (1, 2, 4) for m in ("fork", "aio")], out
    assert {x["label"] for x in rows} == {f"slurm-scaling job={jobid}"}
    _, runs = h5_runs(res + ".h5")
    for x in runs:
        assert x["attrs"]["job_id"] == jobid
        assert x["hosts"] == [f"node{i // 2 + 1}" for i in range(x["ranks"])], x["hosts"]
    check_plots(res + "-plots", "slurm-scaling")
    # the node-local data directory was created on every node and removed again
    assert os.listdir(tmpdir) == [], "data directory left behind"


# Columns that describe what was asked for and where it ran, not what was measured: these must
# be equal between two launches of the same command (a list of the stable columns, not of the
# varying ones, so that a new measured column cannot break the comparison).
CONFIG = {"version", "ranks", "method", "concurrency", "duration", "KiB buffer_size",
          "recv delay", "nodes", "pipelines", "sync", "compute sparsity", "aio engine", "seed",
          "repetition", "repetitions", "warmup (s)", "recv model", "recv stddev (s)",
          "progress interval (s)", "recv phase"}


def test_srun_rank_killed(slurm, work):
    """A rank of an srun step killed with SIGKILL: the step ends within seconds (Slurm's PMIx
    plugin cancels it, or under pmi2 --kill-on-bad-exit, SIGKILL to the other tasks), srun
    names the task, no process is left,
    and no data file: each rank's janitor, outside the step's process tree, removes its rank's
    files, the dead one's and the survivor's (killed without a chance to clean up)."""
    e = env(**slurm["env"])
    data = os.path.join(work, "data")
    os.mkdir(data)
    base = os.path.join(data, "k")
    # Under --mpi=pmi2 (MPICH) nothing cancels the step when a task dies: the survivor waits
    # in its next collective for good (seen here, MPICH 4.0 over UCX). --kill-on-bad-exit=1
    # does what the PMIx plugin does by itself, and what ipb-sweep.sh asks for every step.
    kill_on_bad_exit = ["--kill-on-bad-exit=1"] if mpich() else []
    cmd = ["srun", f"--mpi={srun_mpi()}", *kill_on_bad_exit, "-N", "1", "-n", "2",
           "--cpus-per-task=2", bench(), "--method", "openmp", "--concurrency", "2",
           "--duration", "30", "--recv-delay", "0.05", "--buffer-size", "64",
           "--output-file", base]
    p = subprocess.Popen(cmd, env=e, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        victim = None
        t0 = time.time()
        while victim is None and time.time() - t0 < 60:
            time.sleep(0.2)
            for pid in subprocess.run(["pgrep", "-f", base], capture_output=True,
                                      text=True).stdout.split():
                try:
                    environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
                    comm = open(f"/proc/{pid}/comm").read().strip()
                except OSError:
                    continue
                if b"SLURM_PROCID=1" in environ and comm != "ipb-janitor":
                    victim = int(pid)
        assert victim is not None, "rank 1 did not start"
        time.sleep(1.0)  # into the timed phase
        assert len(os.listdir(data)) == 4, os.listdir(data)
        t_kill = time.time()
        os.kill(victim, signal.SIGKILL)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    took = time.time() - t_kill
    assert p.returncode != 0, err
    assert took < 10, f"the step took {took:.1f} s to end after rank 1 was killed\n{err}"
    assert re.search(r"task 1: Killed", err), err
    time.sleep(0.5)  # the janitors' unlink follows their rank's death by microseconds
    assert os.listdir(data) == [], f"data files left: {os.listdir(data)}\n{err}"
    assert "janitor removed" in err, err
    left = subprocess.run(["pgrep", "-f", base], capture_output=True, text=True).stdout
    assert left == "", f"processes left: {left}"


def test_srun_gives_the_same_rows_as_mpirun(slurm, work):
    """Each method, 2 ranks x 2 pipelines, once under mpirun and once under srun (--mpi=pmix
    for Open MPI, pmi2 for MPICH): the same .dat header, the same values in every column that
    does not depend on timing, the same HDF5 row type, rank and pipeline rows and context
    attributes; the srun run records its job id."""
    e = env(**slurm["env"])
    for launcher in ("mpirun", "srun"):
        for method in ("sequential", "openmp", "fork", "aio"):
            c = "1" if method == "sequential" else "2"
            if launcher == "mpirun":
                cmd = mpirun_words(2)
            else:
                cmd = ["srun", f"--mpi={srun_mpi()}", "-N", "1", "-n", "2", "--cpus-per-task=2"]
            cmd += [bench(), "--method", method, "--concurrency", c, *SHORT, "--seed", "7",
                    "--output-file", os.path.join(work, f"d-{launcher}-{method}"),
                    "--dat", os.path.join(work, f"{launcher}.dat"),
                    "--hdf5", os.path.join(work, f"{launcher}.h5")]
            r = run(cmd, timeout=60, env=e)
            assert r.returncode == 0, explain(r)
    names_m, rows_m = dat_rows(os.path.join(work, "mpirun.dat"))
    names_s, rows_s = dat_rows(os.path.join(work, "srun.dat"))
    assert names_m == names_s
    assert len(rows_m) == len(rows_s) == 4
    for a, b in zip(rows_m, rows_s):
        assert CONFIG <= set(names_m), CONFIG - set(names_m)
        for col in CONFIG:
            assert a[col] == b[col], f"column <{col}>: mpirun {a[col]!r}, srun {b[col]!r}"
        assert int(a["buffers"]) > 0 and int(b["buffers"]) > 0
    type_m, runs_m = h5_runs(os.path.join(work, "mpirun.h5"))
    type_s, runs_s = h5_runs(os.path.join(work, "srun.h5"))
    assert type_m == type_s
    for a, b in zip(runs_m, runs_s):
        assert a["n_pipeline_rows"] == b["n_pipeline_rows"] == a["ranks"] * a["concurrency"]
        assert len(a["hosts"]) == len(b["hosts"]) == 2
        assert set(a["attrs"]) == set(b["attrs"])
        for k in ("mpi_library_version", "hdf5_version", "kernel", "fs_type", "mpi_thread_level"):
            assert a["attrs"][k] == b["attrs"][k], k
        assert a["attrs"]["job_id"] == "" and a["attrs"]["job_scheduler"] in ("", "none")
        assert re.fullmatch(r"\d+", b["attrs"]["job_id"]) and b["attrs"]["job_scheduler"] == "slurm"


def test_srun_with_a_plugin_the_library_does_not_speak_creates_nothing(slurm, work):
    """srun with the other plugin (pmi2 for Open MPI, pmix for MPICH) cannot make the tasks one
    job. MPICH then starts each task as a singleton: the program's launch check must refuse with
    status 2 and say so (srun's task count against a world of 1) before creating anything.
    Open MPI refuses by itself in MPI_Init. Either way: no row, no file."""
    e = env(**slurm["env"])
    wrong = "pmix" if mpich() else "pmi2"
    cmd = ["srun", f"--mpi={wrong}", "-N", "1", "-n", "2", "--cpus-per-task=2", bench(),
           "--method", "openmp", "--concurrency", "2", *SHORT, "--keep-files",
           "--output-file", os.path.join(work, "data"), "--dat", os.path.join(work, "r.dat"),
           "--hdf5", os.path.join(work, "r.h5")]
    r = run(cmd, timeout=60, env=e, cwd=work)
    assert r.stdout == "", "a row was printed" + explain(r)
    assert os.listdir(work) == [], f"files were created: {os.listdir(work)}" + explain(r)
    if mpich():
        assert r.returncode == 2, explain(r)
        lines = [l for l in r.stderr.splitlines() if l.startswith("io-pipeline-bench: ")]
        assert 1 <= len(lines) <= 2, explain(r)
        for l in lines:
            assert "launched as one of 2 tasks by srun (SLURM_STEP_NUM_TASKS=2)" in l, explain(r)
            assert "MPI_COMM_WORLD has 1 rank" in l and "srun --mpi=pmi2" in l, explain(r)
    else:
        assert r.returncode != 0, explain(r)
