#!/usr/bin/python3
"""Plots of io-pipeline-bench runs, to PNG and PDF.

  bars     clustered bar chart of aggregate throughput: one cluster per concurrency, one bar
           per method (as the Python original draws it)
  scaling  aggregate throughput against total pipelines, ranks or nodes (--x), one line per
           method, with the ideal recv-bound line (pipelines x buffer size / recv delay)
  stages   where the time went: stacked bars of the mean time a buffer spends in each stage
           (recv, compute, write, fsync) per method; needs the HDF5 file (.dat files have no
           per-stage times)
  timeseries  numbers over time: throughput (MiB/s) and p99 latency from arrival per interval,
           two panels, one line per run (coloured by method); needs runs recorded with
           --interval into the HDF5 file. "ipb_plot.py timeseries FILE" is short for
           "--kind timeseries"

Inputs are HDF5 results files and .dat files (the benchmark's and the Python original's), in any
mix. Titles carry the conditions that all selected runs share (buffer size, recv delay, ranks,
nodes, file system, ...); whatever varies becomes a series (source, GIL, nodes, ranks, and the
--by columns).

Examples:
  ipb_plot.py results.h5 -o figures/sweep
  ipb_plot.py results.h5 --kind scaling --x ranks --where method=fork,aio
  ipb_plot.py tests/data/original/polaris-results.gil.dat --kind bars -o polaris
  ipb_plot.py timeseries results.h5 --where method=openmp,aio -o figures/over-time
"""

import os
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import ipb_results as R  # noqa: E402

KINDS = ["bars", "scaling", "stages", "timeseries"]

METHOD_COLORS = {"sequential": "#7f7f7f", "openmp": "#1f77b4", "fork": "#ff7f0e",
                 "aio": "#2ca02c"}
STAGE_COLORS = {"recv": "#9ecae1", "compute": "#fdae6b", "write": "#74c476", "fsync": "#e6550d"}
HATCHES = ["", "//", "..", "xx", "\\\\", "oo", "--", "++"]

X_LABELS = {
    "pipelines": "total pipelines (ranks x concurrency)",
    "ranks": "MPI ranks",
    "nodes": "nodes",
    "concurrency": "concurrency (pipelines per rank)",
}
X_UNIT = {"pipelines": "pipeline", "ranks": "rank", "nodes": "node", "concurrency": "rank"}


def method_color(m):
    return METHOD_COLORS.get(R.METHOD_ALIASES.get(m, m), None)


def series_label(keys, key):
    key = key if isinstance(key, tuple) else (key,)
    parts = []
    for k, v in zip(keys, key):
        if k == "method":
            parts.append(str(v))
        elif k == "gil":
            parts.append(f"GIL {'on' if v == 'True' else 'off'}")
        elif k in ("ranks", "nodes"):
            parts.append(f"{int(v)} {k[:-1]}{'s' if int(v) != 1 else ''}")
        elif k == "concurrency":
            parts.append(f"c={int(v)}")
        elif k == "ranks_per_node":
            parts.append(f"{int(v)} rank{'s' if int(v) != 1 else ''}/node")
        else:
            parts.append(f"{k}={v}")
    # the method first: it is what the colours say
    if "method" in keys:
        i = list(keys).index("method")
        parts.insert(0, parts.pop(i))
    return ", ".join(parts)


def ordered_series(df, keys):
    series = list(df.groupby(keys).groups.keys())
    series = [s if isinstance(s, tuple) else (s,) for s in series]
    mi = keys.index("method")

    def sort_key(s):
        return tuple((R.method_key(x), x) if i == mi else (0, R._sortable(x))
                     for i, x in enumerate(s))
    series.sort(key=lambda s: (sort_key(s)[mi],) + sort_key(s))
    return series


def style_for(series, keys):
    """Colour by method, hatch by the rest of the key."""
    mi = keys.index("method")
    rests = []
    styles = []
    fallback = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, s in enumerate(series):
        rest = tuple(x for j, x in enumerate(s) if j != mi)
        if rest not in rests:
            rests.append(rest)
        color = method_color(s[mi]) or fallback[i % len(fallback)]
        styles.append((color, HATCHES[rests.index(rest) % len(HATCHES)]))
    return styles


def title_for(df, what, extra=""):
    same, _ = R.describe_conditions(df)
    line2 = ", ".join(x for x in [same, extra] if x)
    return f"{what}\n{line2}" if line2 else what


def set_title(fig, ax, text):
    """Title lines wrapped to the figure's width (about 12 characters per inch at 10 pt)."""
    width = int(fig.get_figwidth() * 12)
    ax.set_title("\n".join(textwrap.fill(line, width) for line in text.split("\n")),
                 fontsize=10)


def place_legend(fig, ax):
    """Inside the axes when it is short; beside them (on a wider figure) when it would hide
    data."""
    n = len(ax.get_legend_handles_labels()[0])
    if n <= 8:
        ax.legend(fontsize=8)
    else:
        fig.set_figwidth(fig.get_figwidth() + 2.8)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def plot_bars(df, by=(), value="throughput_mib_s", title=None):
    if df.empty:
        raise R.InputError("no runs selected")
    keys = R.group_keys(df, by)
    stats = df.groupby(keys + ["concurrency"])[value].agg(["mean", "std", "count"])
    concs = sorted(df["concurrency"].unique())
    series = ordered_series(df, keys)
    styles = style_for(series, keys)
    n = len(series)
    width = 0.8 / n
    fig, ax = plt.subplots(figsize=(min(12.0, max(6.4, 1.0 + 0.3 * len(concs) * n)), 4.8))
    x = np.arange(len(concs))
    for i, s in enumerate(series):
        means, errs = [], []
        for c in concs:
            k = s + (c,)
            if k in stats.index:
                means.append(stats.loc[k, "mean"])
                errs.append(stats.loc[k, "std"] if stats.loc[k, "count"] > 1 else 0.0)
            else:
                means.append(np.nan)
                errs.append(0.0)
        color, hatch = styles[i]
        ax.bar(x + (i - (n - 1) / 2) * width, means, width, label=series_label(keys, s),
               color=color, hatch=hatch, edgecolor="black", linewidth=0.5,
               yerr=errs if any(e > 0 for e in errs) else None, capsize=2)
    ax.set_xticks(x)
    ax.set_xticklabels([str(int(c)) for c in concs])
    ax.set_xlabel("concurrency (pipelines per rank)")
    ax.set_ylabel("aggregate throughput (MiB/s)" if value == "throughput_mib_s" else value)
    set_title(fig, ax, title or title_for(df, "Aggregate throughput by method and concurrency"))
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    place_legend(fig, ax)
    fig.tight_layout()
    return fig


def ideal_lines(df, x):
    """(label, slope) of the recv-bound ideal: each pipeline writes one buffer per recv delay,
    so throughput = pipelines x buffer / delay, i.e. slope x (pipelines per x-unit)."""
    d = df[(df["recv_delay_s"] > 0)].copy()
    if d.empty:
        return []
    d["per_x"] = d["pipelines"] / d[x]
    d["mib_per_s_per_pipeline"] = d["buffer_kib"] / 1024.0 / d["recv_delay_s"]
    combos = d.groupby(["per_x", "buffer_kib", "recv_delay_s"]).size().index
    lines = []
    for per_x, buf, delay in combos:
        slope = per_x * buf / 1024.0 / delay
        what = f"{buf:g} KiB / {delay:g} s"
        if x == "pipelines":
            label = "ideal (recv-bound)" + (f": {what}" if len(combos) > 1 else "")
        else:
            label = (f"ideal (recv-bound): {per_x:g} pipeline{'s' if per_x != 1 else ''} "
                     f"per {X_UNIT[x]}"
                     + (f", {what}" if d["buffer_kib"].nunique() > 1
                        or d["recv_delay_s"].nunique() > 1 else ""))
        lines.append((label, slope))
    return lines


def plot_scaling(df, by=(), x="pipelines", value="throughput_mib_s", title=None):
    if df.empty:
        raise R.InputError("no runs selected")
    if x not in X_LABELS:
        raise R.InputError(f"--x {x}: one of {', '.join(X_LABELS)}")
    keys = [k for k in R.group_keys(df, by) if k != x]
    if x == "nodes" and "ranks" in keys:
        # A node-scaling study keeps ranks per node fixed, so the rank count grows with the
        # node count: one series per ranks-per-node joins the node counts, one per rank count
        # would not.
        df = df.assign(ranks_per_node=df["ranks"] // df["nodes"].clip(lower=1))
        keys = ["ranks_per_node" if k == "ranks" else k for k in keys]
    if x in ("ranks", "nodes") and df["concurrency"].nunique() > 1 and "concurrency" not in keys:
        keys.insert(len(keys) - 1, "concurrency")
    stats = df.groupby(keys + [x])[value].agg(["mean", "std", "count"]).reset_index()
    series = ordered_series(df, keys)
    styles = style_for(series, keys)
    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    for i, s in enumerate(series):
        sel = np.ones(len(stats), dtype=bool)
        for k, v in zip(keys, s):
            sel &= (stats[k] == v).to_numpy()
        d = stats[sel].sort_values(x)
        color, hatch = styles[i]
        marker = "osD^v<>p"[HATCHES.index(hatch) % 8]
        ax.errorbar(d[x], d["mean"], yerr=np.where(d["count"] > 1, d["std"].fillna(0), 0),
                    marker=marker, color=color, label=series_label(keys, s), capsize=2,
                    linestyle="-" if hatch == "" else "--")
    xs = np.array(sorted(df[x].unique()), dtype=float)
    for j, (label, slope) in enumerate(ideal_lines(df, x)):
        ax.plot(xs, slope * xs, color="black", linestyle=[":", "-.", (0, (1, 3))][j % 3],
                linewidth=1.2, label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{v:g}" for v in xs])
    ax.set_xlabel(X_LABELS[x])
    ax.set_ylabel("aggregate throughput (MiB/s)" if value == "throughput_mib_s" else value)
    set_title(fig, ax, title or title_for(df, f"Scaling with {X_LABELS[x].split(' (')[0]}"))
    ax.grid(which="both", alpha=0.3)
    place_legend(fig, ax)
    fig.tight_layout()
    return fig


def has_stages(df):
    cols = [f"{s}_s" for s in R.STAGES]
    return all(c in df.columns for c in cols) and df[cols].notna().all(axis=1).any()


def plot_stages(df, by=(), title=None):
    if df.empty:
        raise R.InputError("no runs selected")
    if not has_stages(df):
        raise R.InputError("no per-stage times in the selected runs (the Python original's and "
                           "io-pipeline-bench < 0.2 .dat files have none: give the HDF5 results "
                           "file)")
    cols = [f"{s}_s" for s in R.STAGES]
    d = df[df[cols].notna().all(axis=1) & (df["buffers"] > 0)].copy()
    for s in R.STAGES:
        d[f"{s}_ms"] = d[f"{s}_s"] / d["buffers"] * 1e3
    keys = R.group_keys(d, by)
    if d["concurrency"].nunique() > 1:
        keys = keys[:-1] + ["concurrency", "method"]
    means = d.groupby(keys)[[f"{s}_ms" for s in R.STAGES]].mean()
    series = ordered_series(d, keys)
    mi = keys.index("method")
    ci = keys.index("concurrency") if "concurrency" in keys else None
    # methods together, concurrency rising within a method
    series.sort(key=lambda s: ((R.method_key(s[mi]), s[mi]),)
                + tuple(R._sortable(v) for j, v in enumerate(s) if j != mi))
    labels = []
    crowded = len(series) > 12
    for s in series:
        parts = [str(s[mi]) if not (crowded and s[mi] == "sequential") else "seq."]
        if ci is not None:
            parts.append(f"c={int(s[ci])}")
        rest = [(k, v) for j, (k, v) in enumerate(zip(keys, s)) if j not in (mi, ci)]
        parts += [series_label([k], (v,)) for k, v in rest]
        labels.append("\n".join(parts))
    # Top: the whole stack, where recv (the emulated network) usually dominates. Bottom: the
    # same bars without recv, where compute, write and fsync can be told apart.
    fig, (ax, zoom) = plt.subplots(
        2, 1, sharex=True, figsize=(min(14.0, max(6.4, 0.55 * len(series) + 2.5)), 7.2),
        gridspec_kw={"height_ratios": [3, 2]})
    x = np.arange(len(series))
    h = {st: np.array([means.loc[s if len(s) > 1 else s[0], f"{st}_ms"] for s in series])
         for st in R.STAGES}
    for axis, stages in ((ax, R.STAGES), (zoom, R.STAGES[1:])):
        bottom = np.zeros(len(series))
        for st in stages:
            axis.bar(x, h[st], 0.6, bottom=bottom, label=st, color=STAGE_COLORS[st],
                     edgecolor="black", linewidth=0.5)
            bottom += h[st]
        axis.grid(axis="y", alpha=0.3)
        axis.set_axisbelow(True)
    delays = d["recv_delay_s"].unique()
    if len(delays) == 1 and delays[0] > 0:
        ax.axhline(delays[0] * 1e3, color="black", linestyle=":", linewidth=1,
                   label=f"recv delay ({delays[0] * 1e3:g} ms)")
    zoom.set_xticks(x)
    zoom.set_xticklabels(labels, fontsize=7 if len(series) > 12 else 8)
    ax.set_ylabel("time per buffer (ms)")
    zoom.set_ylabel("without recv (ms)")
    what = "Where the time went: mean time per buffer in each stage"
    set_title(fig, ax, title or title_for(d, what))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


def parse_window(text):
    """--window START:END (seconds since t0) as a pair of floats, START < END."""
    try:
        a, b = (float(v) for v in text.split(":"))
    except ValueError:
        raise R.InputError(f"--window {text}: START:END in seconds since t0, e.g. 2:3") from None
    if not (0 <= a < b):
        raise R.InputError(f"--window {text}: needs 0 <= START < END")
    return a, b


def plot_timeseries(df, by=(), title=None, series=None, window=None):
    """Two panels over the timed phase: MiB/s per interval, and the interval's p99 latency
    from arrival. One line per run, drawn as steps over [start_s, end_s); colour by method.
    window (START, END): only the intervals inside it, e.g. one second at --interval 0.01 to
    see pipelines completing in step."""
    if df.empty:
        raise R.InputError("no runs selected")
    series = R.load_timeseries(df) if series is None else series
    if window is not None:
        series = {r: t[(t["start_s"] >= window[0] - 1e-9) & (t["end_s"] <= window[1] + 1e-9)]
                  for r, t in series.items()}
        series = {r: t for r, t in series.items() if len(t)}
        if not series:
            raise R.InputError(f"no interval of the selected runs lies inside --window "
                               f"{window[0]:g}:{window[1]:g}")
    d = df[df["run_id"].isin(list(series))] if "run_id" in df.columns else df.iloc[0:0]
    if d.empty:
        raise R.InputError("no time series in the selected runs: record one with --interval "
                           "SECONDS and --hdf5 FILE, and give that HDF5 file")
    keys = R.group_keys(d, by)
    order = ordered_series(d, keys)
    styles = style_for(order, keys)
    if d["method"].nunique() == 1 and len(order) > 1:
        # One method, several conditions (e.g. --by arrivals): lines of one colour told apart
        # by dashes alone are hard to follow where they cross, so each gets its own colour.
        cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        styles = [(cycle[i % len(cycle)], "") for i in range(len(order))]
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8.0, 6.4))
    for i, key in enumerate(order):
        sel = np.ones(len(d), dtype=bool)
        for k, v in zip(keys, key):
            sel &= (d[k] == v).to_numpy()
        runs = d[sel].sort_values(["timestamp", "run_id"])
        color, hatch = styles[i]
        for j, rid in enumerate(runs["run_id"]):
            t = series[rid]
            label = series_label(keys, key) + (f" (run {j + 1})" if len(runs) > 1 else "")
            # a step per interval: its value holds from start_s to end_s
            x = np.append(t["start_s"].to_numpy(), t["end_s"].to_numpy()[-1:])
            style = dict(color=color, linestyle="-" if hatch == "" else "--", where="post",
                         linewidth=1.2, alpha=1.0 if j == 0 else 0.6)
            for ax, col, scale in ((top, "mib_s", 1.0), (bottom, "arrival_p99_s", 1e3)):
                y = t[col].to_numpy(dtype=float) * scale
                ax.step(x, np.append(y, y[-1:]), label=label if ax is top else None, **style)
    intervals = sorted({series[r].attrs.get("interval_s") for r in d["run_id"]})
    extra = "interval " + ", ".join(f"{v:g} s" for v in intervals)
    if window is not None:
        extra += f", {window[0]:g}-{window[1]:g} s"
    top.set_ylabel("throughput (MiB/s)")
    bottom.set_ylabel("p99 latency from arrival (ms)")
    bottom.set_xlabel("time since t0 (s): each interval at its completions")
    p99 = np.concatenate([series[r]["arrival_p99_s"].to_numpy(dtype=float) for r in d["run_id"]])
    p99 = p99[np.isfinite(p99) & (p99 > 0)]
    if len(p99) and p99.max() / p99.min() > 20:
        bottom.set_yscale("log")  # a backlog building up spans decades
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.set_axisbelow(True)
    set_title(fig, top, title or title_for(d, "Throughput and latency over time", extra))
    place_legend(fig, top)
    fig.tight_layout()
    return fig


def save(fig, prefix, kind, formats, dpi=120):
    paths = []
    d = os.path.dirname(prefix)
    if d:
        os.makedirs(d, exist_ok=True)
    for fmt in formats:
        path = f"{prefix}-{kind}.{fmt}"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
    plt.close(fig)
    return paths


def main(argv=None):
    p = R.command_parser("ipb_plot.py", __doc__)
    p.add_argument("--kind", default="all", metavar="KINDS",
                   help="comma-separated plots to draw: bars, scaling, stages, timeseries, or all "
                        "(the default: every plot the input allows)")
    p.add_argument("-o", "--output", default="ipb", metavar="PREFIX",
                   help="write PREFIX-<kind>.<format> (default: ipb); directories are created")
    p.add_argument("--format", default="png,pdf", metavar="FORMATS",
                   help="comma-separated file formats (default: png,pdf)")
    p.add_argument("--x", default="pipelines", choices=list(X_LABELS),
                   help="x axis of the scaling plot (default: pipelines, i.e. ranks x "
                        "concurrency)")
    p.add_argument("--title", default=None, help="replace the first title line")
    p.add_argument("--dpi", type=int, default=120, help="PNG resolution (default: 120)")
    p.add_argument("--window", default=None, metavar="START:END",
                   help="timeseries: only the intervals between START and END seconds since t0 "
                        "(e.g. 2:3 at --interval 0.01 shows pipelines completing in step)")
    argv = sys.argv[1:] if argv is None else list(argv)
    # "ipb_plot.py timeseries FILE...": the plot named first, as a word (unless a file of
    # that name is meant)
    if argv and argv[0] == "timeseries" and not os.path.exists(argv[0]):
        argv = argv[1:] + ["--kind", "timeseries"]
    a = p.parse_args(argv)
    kinds = KINDS if a.kind == "all" else R.split_cols(a.kind)
    for k in kinds:
        if k not in KINDS:
            print(f"ipb_plot.py: --kind {k}: one of {', '.join(KINDS)}, all", file=sys.stderr)
            return 2
    formats = R.split_cols(a.format)
    try:
        df = R.select(R.load(a.files), a.where, a.label, a.include_interrupted)
        by = R.split_cols(a.by)
        if df.empty:
            raise R.InputError("no runs selected")
        series = R.load_timeseries(df) if "timeseries" in kinds else {}
        window = parse_window(a.window) if a.window is not None else None
        for k in kinds:
            if k == "stages" and not has_stages(df) and a.kind == "all":
                print("ipb_plot.py: stages skipped: no per-stage times in the input (.dat files "
                      "have none: give the HDF5 results file)", file=sys.stderr)
                continue
            if k == "timeseries" and not series and a.kind == "all":
                continue  # runs without --interval: nothing to say
            t = None
            if a.title:
                t = title_for(df, a.title)
            if k == "bars":
                fig = plot_bars(df, by, title=t)
            elif k == "scaling":
                fig = plot_scaling(df, by, x=a.x, title=t)
            elif k == "timeseries":
                fig = plot_timeseries(df, by, title=t, series=series, window=window)
            else:
                fig = plot_stages(df, by, title=t)
            for path in save(fig, a.output, k, formats, a.dpi):
                print(path)
    except R.InputError as e:
        print(f"ipb_plot.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
