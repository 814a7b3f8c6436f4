#!/usr/bin/python3
"""Summary table of io-pipeline-bench runs: throughput by method x concurrency.

Reads HDF5 results files and .dat files (the benchmark's and the Python original's) and prints
one row per method (and per source, GIL setting, node and rank count when they vary, and per
--by column), one column per concurrency (pipelines per rank). Cells are the mean of the runs
that fall in them, or --agg.

Examples:
  ipb_summary.py results.h5
  ipb_summary.py results.h5 --where method=fork,aio --by label
  ipb_summary.py tests/data/original/polaris-results.*.dat
  ipb_summary.py results.h5 --value compute_throughput_mib_s --agg max --format markdown
  ipb_summary.py results.h5 --series          # mean/stddev/min/max over --repetitions
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ipb_results as R  # noqa: E402


def main(argv=None):
    p = R.command_parser("ipb_summary.py", __doc__)
    p.add_argument("--value", default="throughput_mib_s", metavar="COLUMN",
                   help="the column to tabulate (default: throughput_mib_s, the aggregate "
                        "throughput in MiB/s; e.g. compute_throughput_mib_s, elapsed_s)")
    p.add_argument("--agg", default="mean", choices=sorted(R.AGGS),
                   help="how the runs in one cell combine (default: mean)")
    p.add_argument("--format", default="text", choices=["text", "csv", "markdown"],
                   help="output format (default: text)")
    p.add_argument("--digits", type=int, default=1, help="decimals in the cells (default: 1)")
    p.add_argument("--series", action="store_true",
                   help="one row per series of --repetitions (series_id): n, mean, stddev "
                        "(sample), min and max of --value over its repetitions")
    a = p.parse_args(argv)
    if a.series:
        try:
            df = R.select(R.load(a.files), a.where, a.label, a.include_interrupted)
            t = R.series_table(df, a.value)
        except R.InputError as e:
            print(f"ipb_summary.py: {e}", file=sys.stderr)
            return 2
        if a.format == "text":
            print(f"{a.value} over the repetitions of each series ({len(df)} runs)")
        print(R.format_table(t, a.format, a.digits, col_label=str), end="")
        return 0
    try:
        df = R.load(a.files)
        df = R.select(df, a.where, a.label, a.include_interrupted)
        by = R.split_cols(a.by)
        t = R.summary_table(df, a.value, by, a.agg)
    except R.InputError as e:
        print(f"ipb_summary.py: {e}", file=sys.stderr)
        return 2
    same, varies = R.describe_conditions(df)
    if a.format == "text":
        print(f"{a.value} ({a.agg} of {len(df)} run{'s' if len(df) != 1 else ''}) by method "
              f"and concurrency (pipelines per rank)")
        if same:
            print(f"conditions: {same}")
    print(R.format_table(t, a.format, a.digits), end="")
    if a.format == "text":
        keys = set(R.group_keys(df, by))
        loose = [v for v in varies if v not in keys]
        if loose:
            print(f"note: runs differ in {', '.join(loose)}, which this table mixes: "
                  f"use --by {','.join(loose)} or --where")
        if not df.empty:
            n = df.groupby(R.group_keys(df, by) + ["concurrency"]).size()
            if n.max() > 1:
                print(f"note: up to {n.max()} runs per cell")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(0)
