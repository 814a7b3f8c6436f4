"""The analysis (analysis/*.py) on files that the benchmark writes during this test run, and on
the Python original's published .dat files (tests/data/original/).

Tables are checked by value against numbers computed here independently (h5py, or a plain
split of the .dat text); plots are checked to exist as PNG and PDF files with content, and the
figures to hold the expected series with the expected heights.

Run by `make check` (through tests/run-pytest.sh), which exports IPB_BIN and IPB_MPIEXEC; by hand:
  IPB_BIN=build/src/io-pipeline-bench /usr/bin/python3 -m pytest -q tests/test_analysis.py
"""

import math
import os
import re
import struct
import subprocess
import sys

import h5py
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ANALYSIS = os.path.join(HERE, "..", "analysis")
ORIGINAL = os.path.join(HERE, "data", "original")
sys.path.insert(0, ANALYSIS)

from ipb_launch import bench_path, launcher  # noqa: E402
import ipb_plot as P  # noqa: E402
import ipb_results as R  # noqa: E402

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

# The sweep: (ranks, method, concurrency). Ranks vary, so tables and plots must split by them.
SWEEP = [
    (1, "sequential", 1),
    (1, "openmp", 1), (1, "openmp", 2),
    (1, "fork", 1), (1, "fork", 2),
    (1, "aio", 1), (1, "aio", 2),
    (2, "openmp", 2), (2, "fork", 2),
]
BUFFER_KIB = 64
RECV_DELAY = 0.02


@pytest.fixture(scope="session")
def sweep(tmp_path_factory):
    """Run the benchmark: every method, 1 and 2 ranks, into one HDF5 file and one .dat."""
    d = tmp_path_factory.mktemp("sweep")
    h5, dat = str(d / "sweep.h5"), str(d / "sweep.dat")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    runs = [(n, m, c, "pytest sweep") for n, m, c in SWEEP] + [(1, "openmp", 1, "other")]
    for i, (n, method, conc, label) in enumerate(runs):
        cmd = launcher(n) + [
            bench_path(), "--method", method, "--concurrency", str(conc), "--duration", "0.3",
            "--recv-delay", str(RECV_DELAY), "--buffer-size", str(BUFFER_KIB),
            "--output-file", str(d / f"data{i}"), "--hdf5", h5, "--dat", dat, "--label", label]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"{' '.join(cmd)}\nexit {p.returncode}\n{p.stderr}"
    return {"dir": d, "h5": h5, "dat": dat, "nruns": len(runs)}


def run_cmd(*args):
    return subprocess.run([PY] + list(args), capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))


def raw_dat(path):
    """The .dat as header names and rows of text cells, by a plain split."""
    header, rows = None, []
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("#"):
            header = [h.strip("<>") for h in line[1:].split("\t")]
        elif line.strip():
            rows.append(line.split("\t"))
    return header, rows


def h5_runs(path):
    with h5py.File(path, "r") as f:
        return f["runs"][:]


def s(x):
    return x.decode() if isinstance(x, bytes) else str(x)


# ---- the HDF5 file against the .dat ----------------------------------------------------------

def test_hdf5_rows_equal_dat_rows(sweep):
    header, rows = raw_dat(sweep["dat"])
    runs = h5_runs(sweep["h5"])
    assert len(rows) == len(runs) == sweep["nruns"]
    with h5py.File(sweep["h5"], "r") as f:
        dat_headers = [s(h) for h in f["runs"].attrs["dat_headers"]]
    assert dat_headers == header
    names = runs.dtype.names
    assert len(names) == len(header)
    for row, run in zip(rows, runs):
        for name, cell in zip(names, row):
            v = run[name]
            if isinstance(v, bytes):
                assert v.decode() == cell, (name, cell)
                continue
            t = float(cell)
            if math.isnan(t):
                assert math.isnan(float(v)), name
                continue
            decimals = len(cell.split(".")[1]) if "." in cell and "e" not in cell else 0
            tol = max(0.5 * 10 ** -decimals, 5e-6 * abs(float(v))) * (1 + 1e-9)
            assert abs(t - float(v)) <= tol, (name, cell, v)


def test_dat_header_names_match_the_hdf5_fields(sweep):
    """The .dat reader's table agrees with what the benchmark wrote into the file."""
    with h5py.File(sweep["h5"], "r") as f:
        headers = [s(h) for h in f["runs"].attrs["dat_headers"]]
        names = list(f["runs"].dtype.names)
        docs = list(f["runs"].attrs["field_docs"])
    assert [R.DAT_COLUMNS[h] for h in headers] == names
    assert len(docs) == len(names) and all(docs)
    dat = R.load_dat(sweep["dat"])
    h5 = R.load_hdf5(sweep["h5"])
    for n in names:
        assert n in dat.columns and n in h5.columns


def test_per_rank_and_per_pipeline_rows_add_up(sweep):
    with h5py.File(sweep["h5"], "r") as f:
        for run in f["runs"][:]:
            g = f["run"][s(run["run_id"])]
            ranks, pipes = g["ranks"][:], g["pipelines"][:]
            assert len(ranks) == run["ranks"]
            assert len(pipes) == run["ranks"] * run["concurrency"] == run["pipelines"]
            assert ranks["bytes"].sum() == run["xferred_bytes"] == pipes["bytes"].sum()
            assert pipes["iterations"].sum() == run["buffers"]
            assert ranks["elapsed_s"].max() == run["elapsed_s"]
            assert len(g.attrs["hostnames"]) == run["ranks"]
            assert g.attrs["runs_index"] == list(f["runs"]["run_id"]).index(run["run_id"])


def test_loaders_agree(sweep):
    """The HDF5 and the .dat loader give the same runs (to the .dat's printed precision)."""
    a = R.load_hdf5(sweep["h5"]).set_index("run_id").sort_index()
    b = R.load_dat(sweep["dat"]).set_index("run_id").sort_index()
    assert list(a.index) == list(b.index)
    for col in ("method", "label", "sync", "version"):
        assert list(a[col]) == list(b[col])
    for col in ("ranks", "concurrency", "pipelines", "xferred_bytes", "buffers"):
        assert list(a[col]) == list(b[col])
    np.testing.assert_allclose(a["throughput_mib_s"], b["throughput_mib_s"], atol=5e-4)


# ---- the summary table ------------------------------------------------------------------------

def expected_cells(path, value="throughput_mib_s"):
    """{(ranks, method, concurrency): mean} straight from h5py."""
    cells = {}
    for run in h5_runs(path):
        k = (int(run["ranks"]), s(run["method"]), int(run["concurrency"]))
        cells.setdefault(k, []).append(float(run[value]))
    return {k: sum(v) / len(v) for k, v in cells.items()}


def test_summary_table_by_value(sweep):
    df = R.load([sweep["h5"]])
    t = R.summary_table(df)
    assert list(t.index.names) == ["ranks", "method"]  # ranks vary: grouped by automatically
    want = expected_cells(sweep["h5"])
    got = {(int(r), m, int(c)): v for (r, m), row in t.iterrows() for c, v in row.items()
           if not math.isnan(v)}
    assert got.keys() == want.keys()
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-12), k
    # methods in the README's order within each rank count
    assert [m for r, m in t.index if r == 1] == ["sequential", "openmp", "fork", "aio"]


def test_summary_command(sweep):
    p = run_cmd(os.path.join(ANALYSIS, "ipb_summary.py"), sweep["h5"], "--format", "csv",
                "--digits", "3")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().split("\n")
    assert lines[0].split(",")[:2] == ["ranks", "method"]
    concs = [int(c) for c in lines[0].split(",")[2:]]
    want = expected_cells(sweep["h5"])
    seen = 0
    for line in lines[1:]:
        cells = line.split(",")
        for c, cell in zip(concs, cells[2:]):
            if cell:
                assert float(cell) == pytest.approx(want[(int(cells[0]), cells[1], c)],
                                                    abs=5e-4)
                seen += 1
    assert seen == len(want)
    text = run_cmd(os.path.join(ANALYSIS, "ipb_summary.py"), sweep["h5"])
    assert text.returncode == 0 and "conditions:" in text.stdout
    assert f"buffer {BUFFER_KIB} KiB" in text.stdout and f"recv delay {RECV_DELAY:g} s" in text.stdout


def test_interrupted_runs_left_out_unless_asked(sweep, tmp_path):
    """A run cut short by a signal (column interrupted) is left out of tables and plots, with a
    note saying so, unless --include-interrupted: here the sweep's .dat plus a copy of its
    last row marked SIGTERM with a throughput no real run has."""
    header, rows = raw_dat(sweep["dat"])
    col = header.index("interrupted")
    tput = header.index("aggregate overall throughput (MiB/s)")
    assert {r[col] for r in rows} == {"no"}
    cut = list(rows[-1])
    cut[col], cut[tput] = "SIGTERM", "99999.000"
    path = tmp_path / "with-cut.dat"
    text = open(sweep["dat"]).read()
    path.write_text(text + "\t".join(cut) + "\n")
    args = [os.path.join(ANALYSIS, "ipb_summary.py"), str(path), "--format", "csv", "--agg",
            "max", "--digits", "3"]
    p = run_cmd(*args)
    assert p.returncode == 0, p.stderr
    assert "1 interrupted run(s) left out" in p.stderr, p.stderr
    assert "99999" not in p.stdout
    p = run_cmd(*args, "--include-interrupted")
    assert p.returncode == 0 and "left out" not in p.stderr, p.stderr
    assert "99999.000" in p.stdout, p.stdout


def test_series_summary_matches_the_programs_own(tmp_path):
    """--repetitions 3: ipb_summary.py --series gives, per series, n and the mean, sample stddev,
    min and max of the three rows, and the same figures as the program's own [summary] line."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    h5 = str(tmp_path / "rep.h5")
    cmd = launcher(1) + [bench_path(), "--method", "aio", "--concurrency", "2", "--duration",
                         "0.3", "--recv-delay", "0.01", "--buffer-size", "64", "--repetitions",
                         "3", "--output-file", str(tmp_path / "d"), "--hdf5", h5]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    m = re.search(r"\[summary\] series (\S+), 3 repetitions .*drain throughput "
                  r"([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) MiB/s", p.stderr)
    assert m, p.stderr
    runs = h5_runs(h5)
    tp = [float(x) for x in runs["throughput_mib_s"]]
    q = run_cmd(os.path.join(ANALYSIS, "ipb_summary.py"), h5, "--series", "--format", "csv",
                "--digits", "6")
    assert q.returncode == 0, q.stderr
    lines = q.stdout.strip().split("\n")
    assert lines[0] == "series_id,method,ranks,concurrency,n,mean,stddev,min,max"
    assert len(lines) == 2, q.stdout
    cells = lines[1].split(",")
    assert cells[:5] == [m.group(1), "aio", "1", "2", "3"]
    mean = sum(tp) / 3
    sd = (sum((x - mean) ** 2 for x in tp) / 2) ** 0.5
    got = [float(x) for x in cells[5:]]
    assert got == pytest.approx([mean, sd, min(tp), max(tp)], abs=1e-6)
    assert got == pytest.approx([float(m.group(i)) for i in range(2, 6)], abs=1e-3)


def test_summary_of_the_original_by_value():
    path = os.path.join(ORIGINAL, "this-machine-results.dat")
    header, rows = raw_dat(path)
    assert header[1] == "GIL enabled"
    t = R.summary_table(R.load([path]))
    for row in rows:  # one run per cell: the cell is the file's column 10
        assert t.loc[row[2], int(row[3])] == pytest.approx(float(row[10]))
    p = run_cmd(os.path.join(ANALYSIS, "ipb_summary.py"), path)
    assert p.returncode == 0
    line = [ln for ln in p.stdout.split("\n") if ln.startswith("multiprocess")][0]
    assert line.split()[1:] == ["2.2", "8.3", "28.1", "32.8"]
    assert "GIL on" in p.stdout and "Python 3.11" in p.stdout


def test_summary_gil_and_nogil_files_split_by_gil():
    files = [os.path.join(ORIGINAL, f"polaris-results.{g}.dat") for g in ("gil", "nogil")]
    t = R.summary_table(R.load(files))
    assert list(t.index.names) == ["gil", "method"]
    # the published collapse of free-threaded threading, and the process method near ideal
    assert t.loc[("False", "threading"), 64] == pytest.approx(1.9, abs=0.05)
    assert t.loc[("True", "threading"), 64] == pytest.approx(23.5, abs=0.05)
    assert t.loc[("False", "multiprocess"), 64] > 130


# ---- selection --------------------------------------------------------------------------------

def test_where_and_label(sweep):
    df = R.load([sweep["h5"]])
    assert set(R.select(df, ["method=fork,aio"])["method"]) == {"fork", "aio"}
    assert set(R.select(df, ["method!=fork,aio"])["method"]) == {"sequential", "openmp"}
    assert (R.select(df, ["concurrency>=2"])["concurrency"] >= 2).all()
    assert len(R.select(df, ["ranks=2", "method=fork"])) == 1
    assert len(R.select(df, ["method~^(open|seq)"])) == 5
    assert list(R.select(df, labels=["other"])["label"]) == ["other"]
    assert len(R.select(df, labels=["pytest*"])) == len(SWEEP)
    with pytest.raises(R.InputError, match="no column 'nosuch'"):
        R.select(df, ["nosuch=1"])
    with pytest.raises(R.InputError, match="numeric"):
        R.select(df, ["concurrency=many"])
    p = run_cmd(os.path.join(ANALYSIS, "ipb_summary.py"), sweep["h5"], "--where", "nosuch=1")
    assert p.returncode == 2 and "nosuch" in p.stderr
    p = run_cmd(os.path.join(ANALYSIS, "ipb_summary.py"), sweep["h5"], "--label", "other",
                "--format", "csv")
    assert p.returncode == 0 and p.stdout.strip().split("\n")[1].startswith("openmp,")


# ---- plots ------------------------------------------------------------------------------------

def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def bar_containers(ax):
    from matplotlib.container import BarContainer
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def test_plot_command_writes_png_and_pdf(sweep, tmp_path):
    prefix = str(tmp_path / "fig" / "sweep")
    p = run_cmd(os.path.join(ANALYSIS, "ipb_plot.py"), sweep["h5"], "-o", prefix)
    assert p.returncode == 0, p.stderr
    written = p.stdout.split()
    for kind in ("bars", "scaling", "stages"):
        png, pdf = f"{prefix}-{kind}.png", f"{prefix}-{kind}.pdf"
        assert png in written and pdf in written
        w, h = png_size(png)
        assert w >= 600 and h >= 400 and os.path.getsize(png) > 10000
        with open(pdf, "rb") as f:
            assert f.read(5) == b"%PDF-"
        assert os.path.getsize(pdf) > 5000


def test_bars_hold_every_series_at_its_height(sweep):
    df = R.load([sweep["h5"]])
    fig = P.plot_bars(df)
    ax = fig.axes[0]
    bars = bar_containers(ax)
    want = expected_cells(sweep["h5"])
    series = sorted({(r, m) for r, m, c in want})
    labels = [b.get_label() for b in bars]
    assert sorted(labels) == sorted(f"{m}, {r} rank{'s' if r > 1 else ''}" for r, m in series)
    concs = [int(t.get_text()) for t in ax.get_xticklabels()]
    assert concs == sorted({c for _, _, c in want})
    for b in bars:
        m, r = b.get_label().split(", ")
        r = int(r.split()[0])
        for c, rect in zip(concs, b.patches):
            if (r, m, c) in want:
                assert rect.get_height() == pytest.approx(want[(r, m, c)])
            else:
                assert math.isnan(rect.get_height())
    assert "aggregate throughput (MiB/s)" == ax.get_ylabel()
    assert f"buffer {BUFFER_KIB} KiB" in ax.get_title()
    with h5py.File(sweep["h5"], "r") as f:
        fs_type = f["run"][s(f["runs"][0]["run_id"])].attrs["fs_type"]
    assert fs_type and fs_type in ax.get_title()  # the file system is one of the conditions


def test_scaling_has_methods_and_the_ideal_line(sweep):
    df = R.load([sweep["h5"]])
    fig = P.plot_scaling(df)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    ideal = [ln for ln in ax.get_lines() if ln.get_label() == "ideal (recv-bound)"]
    assert len(ideal) == 1
    x, y = ideal[0].get_data()
    # every pipeline writes one buffer per recv delay
    np.testing.assert_allclose(y, np.asarray(x) * BUFFER_KIB / 1024 / RECV_DELAY)
    for m in ("sequential", "openmp", "fork", "aio"):
        assert f"{m}, 1 rank" in labels
    for m in ("openmp", "fork"):
        assert f"{m}, 2 ranks" in labels
    assert ax.get_xlabel().startswith("total pipelines")
    fig = P.plot_scaling(df[df["method"] != "sequential"], x="ranks")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "openmp, c=2" in labels and any(lb.startswith("ideal (recv-bound): 2 pipelines per rank")
                                           for lb in labels)


def test_stages_stack_recv_compute_write_fsync(sweep):
    df = R.load([sweep["h5"]])
    fig = P.plot_stages(df)
    ax = fig.axes[0]
    bars = bar_containers(ax)
    assert [b.get_label() for b in bars] == ["recv", "compute", "write", "fsync"]
    # heights: mean over runs of (stage seconds summed over pipelines / buffers), in ms,
    # computed here from the per-rank rows
    per = {}
    with h5py.File(sweep["h5"], "r") as f:
        for run in f["runs"][:]:
            ranks = f["run"][s(run["run_id"])]["ranks"][:]
            k = (int(run["ranks"]), s(run["method"]), int(run["concurrency"]))
            per.setdefault(k, []).append(
                [ranks[f"{st}_s"].sum() / run["buffers"] * 1e3 for st in R.STAGES])
    zoom = fig.axes[1]  # the same stack without recv, and the tick labels
    assert [b.get_label() for b in bar_containers(zoom)] == ["compute", "write", "fsync"]
    for top, bottom in zip(bars[1:], bar_containers(zoom)):
        assert [p.get_height() for p in top.patches] == pytest.approx(
            [p.get_height() for p in bottom.patches], rel=1e-9)
    ticks = [t.get_text() for t in zoom.get_xticklabels()]
    assert len(ticks) == len(per) == len(bars[0].patches)
    for i, tick in enumerate(ticks):
        lines = tick.split("\n")
        m, c = {"seq.": "sequential"}.get(lines[0], lines[0]), int(lines[1].split("=")[1])
        r = int(lines[2].split()[0])
        want = np.mean(per[(r, m, c)], axis=0)
        got = [b.patches[i].get_height() for b in bars]
        np.testing.assert_allclose(got, want, rtol=1e-9)
        # the recv stage is the emulated delay: about RECV_DELAY per buffer
        assert RECV_DELAY * 1e3 * 0.9 < got[0] < RECV_DELAY * 1e3 * 3


def test_stages_need_stage_columns(sweep, tmp_path):
    """Per-stage times come from the HDF5 file or, in .dat files of layout 2 on, from the columns <recv
    seconds>, <compute seconds>, <write seconds>, <fsync seconds>; the Python original's .dat
    has none, and asking for stages from it says what to give instead."""
    orig = os.path.join(ORIGINAL, "polaris-results.gil.dat")
    with pytest.raises(R.InputError, match="HDF5"):
        P.plot_stages(R.load([orig]))
    p = run_cmd(os.path.join(ANALYSIS, "ipb_plot.py"), orig, "--kind", "stages",
                "-o", str(tmp_path / "x"))
    assert p.returncode == 2 and "HDF5" in p.stderr
    p = run_cmd(os.path.join(ANALYSIS, "ipb_plot.py"), orig, "-o", str(tmp_path / "y"))
    assert p.returncode == 0 and "stages skipped" in p.stderr
    assert os.path.exists(tmp_path / "y-bars.png") and not os.path.exists(tmp_path / "y-stages.png")
    # The benchmark's own .dat: the same stage seconds as the HDF5 file's per-rank sums.
    dat, h5 = R.load([sweep["dat"]]), R.load([sweep["h5"]])
    P.plot_stages(dat)
    for stage in ("recv", "write", "fsync"):
        a = dat.sort_values("run_id")[f"{stage}_s"].to_numpy()
        b = h5.sort_values("run_id")[f"{stage}_s"].to_numpy()
        assert np.allclose(a, b, rtol=1e-5, atol=1e-5), stage


def test_original_bars_split_by_gil(tmp_path):
    files = [os.path.join(ORIGINAL, f"polaris-results.{g}.dat") for g in ("gil", "nogil")]
    fig = P.plot_bars(R.load(files))
    labels = {b.get_label() for b in bar_containers(fig.axes[0])}
    assert labels == {f"{m}, GIL {g}" for m in ("sequential", "threading", "multiprocess",
                                                 "asyncio") for g in ("on", "off")}
    assert "Python 3.14" in fig.axes[0].get_title()


@pytest.fixture(scope="session")
def series_file(tmp_path_factory):
    """Two runs recorded with --interval (openmp and aio), and one without, in one HDF5 file."""
    d = tmp_path_factory.mktemp("series")
    h5 = str(d / "series.h5")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    for i, (method, interval) in enumerate([("openmp", "0.1"), ("aio", "0.1"), ("fork", None)]):
        cmd = launcher(1) + [
            bench_path(), "--method", method, "--concurrency", "2", "--duration", "0.5",
            "--recv-delay", "0.01", "--buffer-size", "16", "--output-file", str(d / f"data{i}"),
            "--hdf5", h5] + (["--interval", interval] if interval else [])
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"{' '.join(cmd)}\nexit {p.returncode}\n{p.stderr}"
    return h5


def test_timeseries_loaded_and_adding_up(series_file):
    df = R.load([series_file])
    series = R.load_timeseries(df)
    with h5py.File(series_file, "r") as f:
        runs = f["runs"][:]
        have = {s(r["run_id"]): s(r["method"]) for r in runs if "timeseries" in f["run"][s(r["run_id"])]}
    assert sorted(have.values()) == ["aio", "openmp"]  # the fork run has no series
    assert set(series) == set(have)
    for r in runs:
        rid = s(r["run_id"])
        if rid not in series:
            continue
        t = series[rid]
        assert t.attrs["interval_s"] == 0.1
        assert t["bytes"].sum() == r["xferred_bytes"] and t["buffers"].sum() == r["buffers"]
        assert (t["end_s"].to_numpy()[:-1] == t["start_s"].to_numpy()[1:]).all()
        np.testing.assert_allclose(t["mib_s"], t["bytes"] / 2**20 / (t["end_s"] - t["start_s"]),
                                   rtol=1e-12)


def test_timeseries_plot_draws_each_run(series_file, tmp_path):
    df = R.load([series_file])
    series = R.load_timeseries(df)
    fig = P.plot_timeseries(df)
    top, bottom = fig.axes[0], fig.axes[1]
    labels = [t.get_text() for t in top.get_legend().get_texts()]
    assert sorted(labels) == ["aio", "openmp"]
    by_method = dict(zip(df["method"], df["run_id"]))
    for ax, col, scale in ((top, "mib_s", 1.0), (bottom, "arrival_p99_s", 1e3)):
        lines = ax.get_lines()
        assert len(lines) == 2
        for ln, m in zip(lines, ["openmp", "aio"]):  # methods in the README's order
            t = series[by_method[m]]
            x, y = ln.get_data()
            np.testing.assert_allclose(x[:-1], t["start_s"])
            assert x[-1] == pytest.approx(t["end_s"].iloc[-1])
            np.testing.assert_allclose(y[:-1], t[col].to_numpy(dtype=float) * scale)
    assert "interval 0.1 s" in top.get_title()
    assert "p99 latency from arrival" in bottom.get_ylabel()
    # the command, with the plot named first
    prefix = str(tmp_path / "ts")
    p = run_cmd(os.path.join(ANALYSIS, "ipb_plot.py"), "timeseries", series_file, "-o", prefix,
                "--format", "png")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [f"{prefix}-timeseries.png"]
    w, h = png_size(f"{prefix}-timeseries.png")
    assert w >= 600 and h >= 400


def test_timeseries_needs_a_series(sweep, series_file, tmp_path):
    with pytest.raises(R.InputError, match="--interval"):
        P.plot_timeseries(R.load([sweep["h5"]]))
    p = run_cmd(os.path.join(ANALYSIS, "ipb_plot.py"), "timeseries", sweep["h5"],
                "-o", str(tmp_path / "x"))
    assert p.returncode == 2 and "no time series" in p.stderr and "--interval" in p.stderr
    assert not os.path.exists(tmp_path / "x-timeseries.png")
    # a .dat has none either; --where can leave only the run without one
    p = run_cmd(os.path.join(ANALYSIS, "ipb_plot.py"), "--kind", "timeseries", series_file,
                "--where", "method=fork", "-o", str(tmp_path / "y"))
    assert p.returncode == 2 and "no time series" in p.stderr
    # --kind all draws it when there is one, and says nothing when there is none
    p = run_cmd(os.path.join(ANALYSIS, "ipb_plot.py"), sweep["h5"], "-o", str(tmp_path / "z"),
                "--format", "png")
    assert p.returncode == 0 and p.stderr == "" and "z-timeseries" not in p.stdout
    p = run_cmd(os.path.join(ANALYSIS, "ipb_plot.py"), series_file, "-o", str(tmp_path / "w"),
                "--format", "png")
    assert p.returncode == 0 and f"{tmp_path}/w-timeseries.png" in p.stdout.split()


def test_timeseries_window(series_file, tmp_path):
    """--window START:END keeps only the intervals inside it, in the figure and its title."""
    df = R.load([series_file])
    series = R.load_timeseries(df)
    fig = P.plot_timeseries(df, window=(0.2, 0.4))
    for ln, rid in zip(fig.axes[0].get_lines(), [dict(zip(df["method"], df["run_id"]))[m]
                                                   for m in ("openmp", "aio")]):
        t = series[rid]
        inside = t[(t["start_s"] >= 0.2 - 1e-9) & (t["end_s"] <= 0.4 + 1e-9)]
        assert len(inside) == 2
        x, _ = ln.get_data()
        np.testing.assert_allclose(x, [0.2, 0.3, 0.4])
    assert "0.2-0.4 s" in fig.axes[0].get_title()
    with pytest.raises(R.InputError, match="inside --window"):
        P.plot_timeseries(df, window=(50, 60))
    for bad in ("3", "a:b", "2:1", "-1:2"):
        p = run_cmd(os.path.join(ANALYSIS, "ipb_plot.py"), "timeseries", series_file,
                    "--window", bad, "-o", str(tmp_path / "bad"))
        assert p.returncode == 2 and "--window" in p.stderr, bad
        assert not os.path.exists(tmp_path / "bad-timeseries.png")


def test_commands_have_help():
    for cmd in ("ipb_summary.py", "ipb_plot.py"):
        p = run_cmd(os.path.join(ANALYSIS, cmd), "--help")
        assert p.returncode == 0 and "--where" in p.stdout and "--label" in p.stdout
