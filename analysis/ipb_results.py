"""Load io-pipeline-bench results into one pandas DataFrame, and select and group them.

Reads the HDF5 results file (``--hdf5``), the ``.dat`` files of the benchmark (``--dat`` or its
stdout) and the ``.dat`` files of the Python original, in any mix. Every row is one run; the
columns are the names of ``/runs`` in the HDF5 file (``src/result_fields.h``: ``method``,
``concurrency``, ``throughput_mib_s``, ...), plus:

``source``          ``io-pipeline-bench`` or ``python-original``
``file``            the file the row came from
``gil``             the original's "GIL enabled" column (``True``/``False``), else empty
``python_version``  the original's version column, else empty
and, from the HDF5 file only (per-run groups ``/run/<run_id>``):
``recv_s``, ``write_s``, ``fsync_s`` (``compute_s`` is a /runs column): seconds summed over all
pipelines of the run; ``fs_type``, ``mount_point``, ``job_id``, ``hosts`` (the context).

Only Debian's python3-h5py, python3-pandas and python3-numpy are needed.
"""

import argparse
import fnmatch
import math
import re
import sys

import numpy as np
import pandas as pd

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

# The .dat header text of each column -> its name in the HDF5 file. The benchmark writes both
# from one list (src/result_fields.h); the HDF5 file carries the mapping too (/runs attribute
# dat_headers), and the tests check that this table agrees with it.
DAT_COLUMNS = {
    "version": "version",
    "ranks": "ranks",
    "method": "method",
    "concurrency": "concurrency",
    "duration": "duration_s",
    "KiB buffer_size": "buffer_kib",
    "recv delay": "recv_delay_s",
    "MiB xferred": "xferred_mib",
    "sequential compute throughput (MiB/s)": "compute_throughput_mib_s",
    "seconds": "elapsed_s",
    "aggregate overall throughput (MiB/s)": "throughput_mib_s",
    "nodes": "nodes",
    "pipelines": "pipelines",
    "sync": "sync",
    "compute sparsity": "compute_sparsity",
    "aio engine": "aio_engine",
    "min rank throughput (MiB/s)": "rank_throughput_min_mib_s",
    "max rank throughput (MiB/s)": "rank_throughput_max_mib_s",
    "bytes": "xferred_bytes",
    "buffers": "buffers",
    "elapsed (s)": "elapsed_precise_s",
    "compute seconds": "compute_s",
    "seed": "seed",
    "run id": "run_id",
    "timestamp": "timestamp",
    "label": "label",
    # Columns 26 on (what a run shows of its inside), in src/result_fields.h order.
    "recv seconds": "recv_s",
    "write seconds": "write_s",
    "fsync seconds": "fsync_s",
    "stage bookkeeping gap (s)": "stage_gap_max_s",
    "bytes by deadline": "deadline_bytes",
    "deadline throughput (MiB/s)": "deadline_throughput_mib_s",
    "fsyncs": "fsyncs",
    "write p50 (s)": "write_p50_s",
    "write p90 (s)": "write_p90_s",
    "write p99 (s)": "write_p99_s",
    "write p99.9 (s)": "write_p999_s",
    "write max (s)": "write_max_s",
    "fsync p50 (s)": "fsync_p50_s",
    "fsync p90 (s)": "fsync_p90_s",
    "fsync p99 (s)": "fsync_p99_s",
    "fsync p99.9 (s)": "fsync_p999_s",
    "fsync max (s)": "fsync_max_s",
    "iteration p50 (s)": "iteration_p50_s",
    "iteration p90 (s)": "iteration_p90_s",
    "iteration p99 (s)": "iteration_p99_s",
    "iteration p99.9 (s)": "iteration_p999_s",
    "iteration max (s)": "iteration_max_s",
    "mean rank throughput (MiB/s)": "rank_throughput_mean_mib_s",
    "stddev rank throughput (MiB/s)": "rank_throughput_stddev_mib_s",
    "slowest rank": "slowest_rank",
    "slowest host": "slowest_host",
    "min pipeline throughput (MiB/s)": "pipeline_throughput_min_mib_s",
    "mean pipeline throughput (MiB/s)": "pipeline_throughput_mean_mib_s",
    "max pipeline throughput (MiB/s)": "pipeline_throughput_max_mib_s",
    "stddev pipeline throughput (MiB/s)": "pipeline_throughput_stddev_mib_s",
    "slowest pipeline rank": "slowest_pipeline_rank",
    "slowest pipeline": "slowest_pipeline",
    "series id": "series_id",
    "repetition": "repetition",
    "repetitions": "repetitions",
    "warmup (s)": "warmup_s",
    "recv model": "recv_model",
    "recv stddev (s)": "recv_stddev_s",
    "progress interval (s)": "progress_s",
    "recv phase": "recv_phase",
    "interrupted": "interrupted",
    # Open-loop arrivals, then the latency kinds added since (src/result_fields.h order).
    "arrivals": "arrivals",
    "backlog bound": "backlog_bound",
    "backlog policy": "backlog_policy",
    "backlog mean": "backlog_mean",
    "backlog max": "backlog_max",
    "dropped": "dropped",
    "left waiting": "left_waiting",
    "arrival p50 (s)": "arrival_p50_s",
    "arrival p90 (s)": "arrival_p90_s",
    "arrival p99 (s)": "arrival_p99_s",
    "arrival p99.9 (s)": "arrival_p999_s",
    "arrival max (s)": "arrival_max_s",
    # The Python original: column 0 is the Python version, column 1 the GIL flag.
    "Python version": "python_version",
    "GIL enabled": "gil",
}

STRING_COLUMNS = {
    "version", "method", "sync", "aio_engine", "run_id", "timestamp", "label", "gil",
    "python_version", "source", "file", "fs_type", "mount_point", "job_id", "hosts",
    "slowest_host", "series_id", "recv_model", "recv_phase", "interrupted", "arrivals",
    "backlog_policy",
}

# Methods in the order the README introduces them; the original's names next to ours.
METHOD_ORDER = ["sequential", "openmp", "threading", "fork", "multiprocess", "aio", "asyncio"]

# The original's names for our methods (docs/design.md).
METHOD_ALIASES = {"threading": "openmp", "multiprocess": "fork", "asyncio": "aio"}

STAGES = ["recv", "compute", "write", "fsync"]

# Conditions of a run that are not the thing being compared: shown in plot titles and table
# footers, and grouped by automatically when they vary.
AUTO_GROUP = ["source", "python_version", "gil", "nodes", "ranks"]
CONDITIONS = ["buffer_kib", "recv_delay_s", "duration_s", "sync", "compute_sparsity", "fs_type"]


class InputError(Exception):
    """A file or an expression that cannot be used; the message says which and why."""


def snake(text):
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


def is_hdf5(path):
    with open(path, "rb") as f:
        return f.read(8) == HDF5_SIGNATURE


def _decode(df):
    for col in df.columns:
        if df[col].dtype == object and len(df) and isinstance(df[col].iloc[0], bytes):
            df[col] = df[col].str.decode("utf-8", errors="replace")
    return df


def _attr_str(attrs, name):
    v = attrs.get(name, "")
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace")
    if isinstance(v, np.ndarray):
        return ",".join(sorted(set(str(x.decode() if isinstance(x, bytes) else x) for x in v)))
    return str(v)


def load_hdf5(path, context=True):
    """The /runs rows of an HDF5 results file, with per-stage seconds and context columns."""
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"{path}: cannot open as HDF5: {e}") from e
    with f:
        if "runs" not in f:
            raise InputError(f"{path}: no /runs dataset: not an io-pipeline-bench results file")
        df = _decode(pd.DataFrame(f["runs"][:]))
        if context and len(df):
            extra = {k: [] for k in ["recv_s", "write_s", "fsync_s", "fs_type", "mount_point",
                                     "job_id", "hosts"]}
            for rid in df["run_id"]:
                g = f.get(f"run/{rid}")
                if g is None or "ranks" not in g:
                    for k in extra:
                        extra[k].append(np.nan if k.endswith("_s") else "")
                    continue
                ranks = g["ranks"][:]
                for stage in ("recv", "write", "fsync"):
                    extra[f"{stage}_s"].append(float(ranks[f"{stage}_s"].sum()))
                extra["fs_type"].append(_attr_str(g.attrs, "fs_type"))
                extra["mount_point"].append(_attr_str(g.attrs, "mount_point"))
                extra["job_id"].append(_attr_str(g.attrs, "job_id"))
                extra["hosts"].append(_attr_str(g.attrs, "hostnames"))
            for k, v in extra.items():
                # /runs has the summed stage seconds itself from layout 2 on (and rows imported
                # from fio have no ranks to sum): the per-rank sums fill in for older files only.
                if k in df.columns and k.endswith("_s"):
                    continue
                df[k] = v
    df["source"] = "io-pipeline-bench"
    df["file"] = str(path)
    return df


def load_timeseries(df):
    """The --interval time series of the runs in df that have one: {run_id: DataFrame}, one row
    per interval (/run/<run_id>/timeseries: start_s, end_s, bytes, buffers, mib_s,
    backlog_mean, backlog_max, dropped, arrival_p50_s, arrival_p99_s, arrival_p999_s,
    arrival_max_s), read from each run's own HDF5 file; runs from .dat files have none."""
    import h5py

    out = {}
    if df.empty or "file" not in df.columns:
        return out
    for path, runs in df.groupby("file"):
        if not is_hdf5(path):
            continue
        with h5py.File(path, "r") as f:
            for rid in runs["run_id"]:
                d = f.get(f"run/{rid}/timeseries")
                if d is not None:
                    t = pd.DataFrame(d[:])
                    t.attrs["interval_s"] = float(d.attrs.get("interval_s", np.nan))
                    out[rid] = t
    return out


def load_dat(path):
    """Rows of a .dat file: the benchmark's or the Python original's (one header per run)."""
    names = None
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if line.startswith("#"):
                headers = re.findall(r"<([^>]*)>", line)
                if not headers:
                    continue
                names = [DAT_COLUMNS.get(h, snake(h)) for h in headers]
                continue
            if names is None:
                raise InputError(f"{path}:{lineno}: a row before any '#<...>' header line")
            cells = line.split("\t")
            if len(cells) != len(names):
                cells = line.split()
            if len(cells) != len(names):
                print(f"{path}:{lineno}: {len(cells)} fields for {len(names)} columns: skipped",
                      file=sys.stderr)
                continue
            rows.append(dict(zip(names, cells)))
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    original = "gil" in df.columns or "python_version" in df.columns
    for col in df.columns:
        if col not in STRING_COLUMNS:
            df[col] = pd.to_numeric(df[col], errors="coerce")
    if original:
        # The original: one rank, one node, concurrency pipelines.
        df["source"] = "python-original"
        df["version"] = "python " + df.get("python_version", pd.Series("", index=df.index))
        df["ranks"] = 1
        df["nodes"] = 1
        df["pipelines"] = df["concurrency"]
    else:
        df["source"] = "io-pipeline-bench"
    df["file"] = str(path)
    return df


def load(paths, context=True):
    """All runs of all files (HDF5 or .dat, told apart by content) in one DataFrame."""
    frames = []
    for p in paths:
        try:
            frames.append(load_hdf5(p, context) if is_hdf5(p) else load_dat(p))
        except FileNotFoundError as e:
            raise InputError(f"{p}: no such file") from e
        except IsADirectoryError as e:
            raise InputError(f"{p}: is a directory") from e
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["method", "concurrency", "throughput_mib_s", "source"])
    df = pd.concat(frames, ignore_index=True, sort=False)
    for col in ("gil", "python_version", "label", "fs_type"):
        if col not in df.columns:
            df[col] = ""
        df[col] = df[col].fillna("").astype(str)
    return df


# ---- selection ------------------------------------------------------------------------------

_OPS = ["!=", ">=", "<=", "=", "<", ">", "~"]


def parse_where(expr):
    """'method=fork,aio' -> ('method', '=', ['fork', 'aio']). Operators: = != < <= > >= and ~
    (regular expression). '=' and '!=' take a comma-separated list."""
    best = None
    for op in _OPS:
        i = expr.find(op)
        if i > 0 and (best is None or i < best[0] or (i == best[0] and len(op) > len(best[1]))):
            best = (i, op)
    if best is None:
        raise InputError(f"--where '{expr}': expected COLUMN=VALUE (or != < <= > >= ~)")
    i, op = best
    col, value = expr[:i].strip(), expr[i + len(op):].strip()
    if not col:
        raise InputError(f"--where '{expr}': no column name")
    values = value.split(",") if op in ("=", "!=") else [value]
    return col, op, values


def _column(df, col, what):
    if col not in df.columns:
        known = ", ".join(sorted(c for c in df.columns))
        raise InputError(f"{what}: no column '{col}' (columns: {known})")
    return df[col]


def select(df, wheres=(), labels=(), include_interrupted=False):
    """Rows matching every --where expression and, when labels are given, one of the --label
    patterns (shell wildcards). Runs cut short by a signal (interrupted != "no") are left out
    unless include_interrupted, with a note on stderr saying how many."""
    mask = pd.Series(True, index=df.index)
    if not include_interrupted and "interrupted" in df.columns:
        cut = ~df["interrupted"].fillna("no").astype(str).isin(["no", "nan", "-"])
        if cut.any():
            print(f"note: {int(cut.sum())} interrupted run(s) left out (--include-interrupted "
                  "to keep them)", file=sys.stderr)
            mask &= ~cut
    for expr in wheres:
        col, op, values = parse_where(expr)
        s = _column(df, col, f"--where '{expr}'")
        numeric = pd.api.types.is_numeric_dtype(s)
        if numeric and op != "~":
            try:
                vals = [float(v) for v in values]
            except ValueError as e:
                raise InputError(f"--where '{expr}': '{col}' is numeric, '{value_text(values)}' "
                                 "is not a number") from e
        else:
            s = s.astype(str)
            vals = values
        if op == "=":
            m = s.isin(vals) if not numeric else np.isclose(
                s.to_numpy(dtype=float)[:, None], np.array(vals)[None, :]).any(axis=1)
        elif op == "!=":
            m = ~(s.isin(vals) if not numeric else pd.Series(np.isclose(
                s.to_numpy(dtype=float)[:, None], np.array(vals)[None, :]).any(axis=1),
                index=s.index))
        elif op == "~":
            try:
                rx = re.compile(vals[0])
            except re.error as e:
                raise InputError(f"--where '{expr}': bad regular expression: {e}") from e
            m = s.astype(str).apply(lambda x: rx.search(x) is not None)
        else:
            v = vals[0]
            m = {"<": s < v, "<=": s <= v, ">": s > v, ">=": s >= v}[op]
        mask &= pd.Series(np.asarray(m), index=df.index)
    if labels:
        lab = df["label"].astype(str) if "label" in df.columns else pd.Series("", index=df.index)
        mask &= lab.apply(lambda x: any(fnmatch.fnmatchcase(x, p) for p in labels))
    return df[mask]


def value_text(values):
    return ",".join(values)


def varying(df, cols):
    """The columns of cols that exist and take more than one value in df."""
    return [c for c in cols if c in df.columns and df[c].astype(str).nunique() > 1]


def method_key(m):
    return METHOD_ORDER.index(m) if m in METHOD_ORDER else len(METHOD_ORDER)


def sort_methods(methods):
    return sorted(methods, key=lambda m: (method_key(m), m))


# ---- the summary table ------------------------------------------------------------------------

AGGS = {"mean": "mean", "median": "median", "max": "max", "min": "min", "std": "std",
        "count": "count"}


def group_keys(df, by=()):
    """Row keys of the summary: the automatic ones that vary (source, gil, nodes, ranks...),
    then --by columns, then method."""
    keys = [k for k in varying(df, AUTO_GROUP) if k not in by]
    for b in by:
        _column(df, b, f"--by {b}")
        if b not in keys and b not in ("method", "concurrency"):
            keys.append(b)
    return keys + ["method"]


def summary_table(df, value="throughput_mib_s", by=(), agg="mean"):
    """Pivot: one row per group (automatic keys, --by, method), one column per concurrency,
    cells the aggregate of value. Returns a DataFrame (rows in method order)."""
    _column(df, value, f"--value {value}")
    if agg not in AGGS:
        raise InputError(f"--agg {agg}: one of {', '.join(AGGS)}")
    keys = group_keys(df, by)
    if df.empty:
        return pd.DataFrame()
    t = df.pivot_table(index=keys, columns="concurrency", values=value, aggfunc=AGGS[agg])
    t.columns = [int(c) if float(c).is_integer() else c for c in t.columns]
    order = sorted(t.index, key=lambda k: tuple(
        (method_key(x), x) if i == len(keys) - 1 else (0, _sortable(x))
        for i, x in enumerate(k if isinstance(k, tuple) else (k,))))
    return t.loc[order]


def _sortable(x):
    if isinstance(x, (int, float, np.integer, np.floating)):
        return (0, float(x), "")
    return (1, 0.0, str(x))


def describe_conditions(df):
    """'buffer 256 KiB, recv delay 0.100 s, ...' for what is the same in every run, and the
    list of conditions that vary."""
    parts, varies = [], []
    fmt = {
        "buffer_kib": lambda v: f"buffer {v:g} KiB",
        "recv_delay_s": lambda v: f"recv delay {v:g} s",
        "duration_s": lambda v: f"{v:g} s runs",
        "sync": lambda v: f"sync {v}",
        "compute_sparsity": lambda v: f"compute every {int(v)}th byte" if v else "compute off",
        "fs_type": lambda v: f"{v}" if v else "",
        "ranks": lambda v: f"{int(v)} rank{'s' if v != 1 else ''}",
        "nodes": lambda v: f"{int(v)} node{'s' if v != 1 else ''}",
        "gil": lambda v: f"GIL {'on' if v == 'True' else 'off'}" if v else "",
        "python_version": lambda v: f"Python {v}" if v else "",
    }
    for col in ["ranks", "nodes", "buffer_kib", "recv_delay_s", "duration_s", "sync",
                "compute_sparsity", "fs_type", "gil", "python_version"]:
        if col not in df.columns or df.empty:
            continue
        vals = [v for v in df[col].dropna().unique() if not (isinstance(v, str) and v == "")]
        if len(vals) == 1:
            v = vals[0]
            if isinstance(v, float) and math.isnan(v):
                continue
            text = fmt[col](v)
            if text:
                parts.append(text)
        elif len(vals) > 1:
            varies.append(col)
    return ", ".join(parts), varies


def series_table(df, value="throughput_mib_s"):
    """One row per series (the runs of one --repetitions invocation, tied by series_id): its
    method, ranks and concurrency, how many repetitions are in the files, and the mean, sample
    stddev (n-1; nan for one), min and max of value over them."""
    _column(df, value, f"--value {value}")
    _column(df, "series_id", "--series (the Python original's files have no series)")
    if df.empty:
        return pd.DataFrame()
    g = df.groupby(["series_id", "method", "ranks", "concurrency"], sort=False)[value]
    t = g.agg(["count", "mean", "std", "min", "max"])
    t.columns = ["n", "mean", "stddev", "min", "max"]
    return t


def format_table(t, fmt="text", digits=1, col_label=lambda c: f"c={c}"):
    """The pivot as aligned text, CSV or Markdown."""
    if t.empty:
        return "(no runs selected)\n"
    names = list(t.index.names)
    header = names + [col_label(c) for c in t.columns]
    rows = []
    for key, row in t.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        cells = [_fmt_key(k) for k in key]
        cells += ["" if pd.isna(v) else (str(int(v)) if c == "n" else f"{v:.{digits}f}")
                  for c, v in zip(t.columns, row)]
        rows.append(cells)
    if fmt == "csv":
        header = names + [str(c) for c in t.columns]
        return "\n".join(",".join(r) for r in [header] + rows) + "\n"
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join("---" if i < len(names) else "---:" for i in range(len(header)))
                 + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    out = []
    for r in [header] + rows:
        out.append("  ".join(
            str(x).ljust(w) if i < len(names) else str(x).rjust(w)
            for i, (x, w) in enumerate(zip(r, widths))).rstrip())
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out) + "\n"


def _fmt_key(k):
    if isinstance(k, (float, np.floating)) and float(k).is_integer():
        return str(int(k))
    return str(k)


def command_parser(prog, doc):
    """The argument parser of a command (ipb_summary.py, ipb_plot.py): its docstring's first
    paragraph as the description, the rest as the epilog, and the options they share."""
    p = argparse.ArgumentParser(
        prog=prog, description=doc.split("\n\n")[0],
        epilog="\n\n".join(doc.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(p)
    return p


def add_common_arguments(p):
    """Options shared by the commands: inputs, selection, grouping."""
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="HDF5 results file(s) (--hdf5) and/or .dat file(s) (the benchmark's or "
                        "the Python original's), in any mix")
    p.add_argument("--where", action="append", default=[], metavar="EXPR",
                   help="keep runs where EXPR holds: COLUMN=V[,V...], COLUMN!=V[,V...], "
                        "COLUMN<V, <=, >, >=, or COLUMN~REGEX; repeat to combine (and). "
                        "Example: --where method=fork,aio --where concurrency>=4")
    p.add_argument("--label", action="append", default=[], metavar="PATTERN",
                   help="keep runs whose --label matches PATTERN (shell wildcards: 'sweep-*'); "
                        "repeat for any of several")
    p.add_argument("--include-interrupted", action="store_true",
                   help="keep runs cut short by a signal (column interrupted != no); by default "
                        "they are left out, with a note on stderr: their drain throughput covers "
                        "only the time before the signal")
    p.add_argument("--by", default="", metavar="COLS",
                   help="also group by these comma-separated columns (e.g. label,sync,fs_type); "
                        "source, gil, nodes and ranks are grouped by whenever they vary")


def split_cols(text):
    return [c.strip() for c in text.split(",") if c.strip()]
