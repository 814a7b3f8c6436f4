"""Storage made slow on purpose: the open loop must show it as backlog, latency from arrival and
drops, where the closed loop only shows a quietly lower throughput (docs/user-guide.md, "Open-loop
arrivals").

The slow storage is real: the runs start inside a blkio cgroup (cgroup v1) whose
blkio.throttle.write_bps_device limits the data disk's writes. The fsync after every write
submits the buffer's pages from the pipeline's own process, so the throttle applies to them;
the cgroup's own counters (blkio.throttle.io_service_bytes) show that it saw the writes. Every
cgroup made here is removed, whatever happens.

Run by `make check` (through tests/run-pytest.sh); by hand, as root:
  IPB_BIN=build/src/io-pipeline-bench /usr/bin/python3 -m pytest -q tests/test_throttle.py
"""

import contextlib
import os
import re
import subprocess

import h5py
import pytest

from ipb_launch import bench_path, launcher

BLKIO = "/sys/fs/cgroup/blkio"
BUFFER_KIB = 256
DELAY_S = 0.05
PIPELINES = 4
DURATION_S = 4.0
THROTTLE_BPS = 2 << 20  # 2 MiB/s against an offered 20 MiB/s
IDEAL_MIB_S = PIPELINES * BUFFER_KIB / 1024 / DELAY_S
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def whole_disk(path):
    """major:minor of the disk that holds path (a partition's parent disk: the throttle is set
    on the disk's request queue), or None when path is not on a block device (tmpfs, overlay)."""
    st = os.stat(path)
    major, minor = os.major(st.st_dev), os.minor(st.st_dev)
    sysdir = f"/sys/dev/block/{major}:{minor}"
    if major == 0 or not os.path.isdir(sysdir):
        return None
    if os.path.exists(os.path.join(sysdir, "partition")):
        sysdir = os.path.dirname(os.path.realpath(sysdir))
    with open(os.path.join(sysdir, "dev")) as f:
        return f.read().strip()


def throttle_unavailable(path):
    if os.geteuid() != 0:
        return "needs root to make a blkio cgroup"
    if not os.path.exists(os.path.join(BLKIO, "blkio.throttle.write_bps_device")):
        return f"no cgroup v1 blkio controller at {BLKIO}"
    if whole_disk(path) is None:
        return f"{path} is not on a block device"
    return None


@contextlib.contextmanager
def throttled_cgroup(data_dir, bps):
    """A blkio cgroup limiting writes to data_dir's disk to bps bytes/s; removed on the way out
    (its processes, if any are left, moved back to the root group first)."""
    group = os.path.join(BLKIO, f"ipb-throttle-{os.getpid()}")
    os.mkdir(group)
    try:
        with open(os.path.join(group, "blkio.throttle.write_bps_device"), "w") as f:
            f.write(f"{whole_disk(data_dir)} {bps}\n")
        yield group
    finally:
        with open(os.path.join(group, "cgroup.procs")) as f:
            left = f.read().split()
        for pid in left:
            with contextlib.suppress(OSError), open(os.path.join(BLKIO, "cgroup.procs"), "w") as f:
                f.write(pid)
        os.rmdir(group)
    assert not os.path.exists(group)


def written_through(group, disk):
    """Bytes the group's throttle saw written to disk."""
    with open(os.path.join(group, "blkio.throttle.io_service_bytes")) as f:
        for line in f:
            w = line.split()
            if len(w) == 3 and w[0] == disk and w[1] == "Write":
                return int(w[2])
    return 0


def run(tmp_path, name, *opts, group=None):
    """One run of one rank, PIPELINES openmp pipelines (in group, when given); returns the
    /runs row as a dict and the bytes of its kept data files."""
    h5 = tmp_path / f"{name}.h5"
    base = tmp_path / name
    cmd = launcher(1) + [
        bench_path(), "--method", "openmp", "--concurrency", str(PIPELINES),
        "--buffer-size", str(BUFFER_KIB), "--recv-delay", str(DELAY_S),
        "--duration", str(DURATION_S), "--output-file", str(base), "--hdf5", str(h5),
        "--keep-files", *opts]
    if group is not None:
        # The shell joins the group, then becomes mpirun: every rank and thread inherits it.
        cmd = ["sh", "-c", f'echo $$ > "{group}/cgroup.procs" && exec "$@"', "sh"] + cmd
    p = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"{' '.join(cmd)}\nexit {p.returncode}\n{p.stderr}"
    with h5py.File(h5, "r") as f:
        runs = f["runs"][:]
        assert len(runs) == 1
        row = {k: runs[0][k] for k in runs.dtype.names}
        rid = row["run_id"].decode()
        series = f[f"run/{rid}/timeseries"][:] if f"run/{rid}/timeseries" in f else None
    data_file = re.compile(re.escape(name) + r"\.\d+\.\d+$")  # BASE.<rank>.<pipeline>
    on_disk = sum(os.path.getsize(tmp_path / n) for n in os.listdir(tmp_path)
                  if data_file.match(n))
    # Shown with pytest -s: the figures the docs quote.
    print(f"\n{name}: {row['throughput_mib_s']:.2f} MiB/s of {IDEAL_MIB_S:.0f} offered, "
          f"backlog mean {row['backlog_mean']:.2f} max {row['backlog_max']}, "
          f"dropped {row['dropped']}, left {row['left_waiting']}, arrival p50/p99/max "
          f"{row['arrival_p50_s']:.3f}/{row['arrival_p99_s']:.3f}/{row['arrival_max_s']:.3f} s")
    return row, on_disk, series


def assert_bytes_add_up(row, on_disk):
    assert on_disk == row["xferred_bytes"]
    assert row["xferred_bytes"] == row["buffers"] * BUFFER_KIB * 1024
    mib_s = row["xferred_bytes"] / 2**20 / row["elapsed_precise_s"]
    assert abs(mib_s - row["throughput_mib_s"]) <= 0.001 + 1e-6 * mib_s


@pytest.fixture
def data_dir(tmp_path):
    why = throttle_unavailable(tmp_path)
    if why:
        pytest.skip(why)
    return tmp_path


def test_unthrottled_open_loop_keeps_up(data_dir):
    """The contrast: the same open-loop run on unthrottled storage keeps up, with no backlog to
    speak of and no drops."""
    row, on_disk, _ = run(data_dir, "free", "--arrivals", "open", "--backlog", "8")
    assert_bytes_add_up(row, on_disk)
    assert row["deadline_throughput_mib_s"] >= 0.9 * IDEAL_MIB_S
    assert row["dropped"] == 0
    assert row["backlog_max"] <= 2
    assert row["arrival_p99_s"] < 10 * DELAY_S


def test_throttled_open_block_shows_backlog_and_latency(data_dir):
    """Open loop, sender blocks at the bound: the queue fills to the bound, latency from the
    intended arrival grows far past the delay, buffers are left waiting at the end."""
    with throttled_cgroup(data_dir, THROTTLE_BPS) as group:
        row, on_disk, series = run(data_dir, "block", "--arrivals", "open", "--backlog", "8",
                                   "--backlog-policy", "block", "--interval", "0.5",
                                   group=group)
        seen = written_through(group, whole_disk(data_dir))
    assert_bytes_add_up(row, on_disk)
    assert seen >= 0.5 * row["xferred_bytes"], "the throttle did not see the writes"
    # The storage, not the arrivals, set the pace: well under the offered load.
    assert row["throughput_mib_s"] < 0.5 * IDEAL_MIB_S
    assert row["backlog_max"] == 8
    assert row["backlog_mean"] > 4
    assert row["dropped"] == 0
    assert row["left_waiting"] > 0
    # Latency from arrival grows: the median buffer waited many delays, the worst most of
    # the run.
    assert row["arrival_p50_s"] > 10 * DELAY_S
    assert row["arrival_max_s"] > 0.4 * DURATION_S
    assert row["arrival_p99_s"] > row["fsync_p99_s"]
    # ... and keeps growing over the run (the --interval series): the last full interval's
    # p99 is well above the first's, while the throughput per interval stays at the throttle.
    full = [r for r in series if r["end_s"] <= DURATION_S and r["buffers"] > 0]
    assert len(full) >= 6
    assert full[-1]["arrival_p99_s"] > 3 * full[0]["arrival_p99_s"]
    assert sum(r["bytes"] for r in series) == row["xferred_bytes"]


def test_throttled_open_drop_counts_drops(data_dir):
    """Open loop, drop past the bound: what the storage cannot take is dropped and counted,
    and every scheduled buffer is accounted for."""
    with throttled_cgroup(data_dir, THROTTLE_BPS) as group:
        row, on_disk, _ = run(data_dir, "drop", "--arrivals", "open", "--backlog", "2",
                           "--backlog-policy", "drop", group=group)
    assert_bytes_add_up(row, on_disk)
    assert row["throughput_mib_s"] < 0.5 * IDEAL_MIB_S
    assert row["backlog_max"] == 2
    offered = PIPELINES * DURATION_S / DELAY_S
    assert row["dropped"] > 0.5 * offered
    # Every buffer of the schedule was taken, dropped or left waiting (the random phase makes
    # each pipeline's count of arrivals in the run DURATION/DELAY or one fewer).
    accounted = row["buffers"] + row["dropped"] + row["left_waiting"]
    assert offered - PIPELINES <= accounted <= offered
    # A dropped buffer waits for nobody: latency stays bounded by the short queue (about
    # (bound + 1) service times of 0.5 s each here), where under block it grows with the run.
    assert row["arrival_max_s"] < 0.75 * DURATION_S


def test_throttled_closed_loop_is_quietly_slower(data_dir):
    """Closed loop on the same slow storage: throughput drops, but nothing shows a backlog or a
    drop (the next receive simply starts later: coordinated omission)."""
    with throttled_cgroup(data_dir, THROTTLE_BPS) as group:
        row, on_disk, _ = run(data_dir, "closed", "--arrivals", "closed", group=group)
    assert_bytes_add_up(row, on_disk)
    assert row["throughput_mib_s"] < 0.5 * IDEAL_MIB_S
    assert row["backlog_max"] == 0
    assert row["backlog_mean"] == 0
    assert row["dropped"] == 0
    assert row["left_waiting"] == 0


def test_no_cgroup_left_behind():
    """Each test removes its cgroup; none may be left from this run."""
    if os.path.isdir(BLKIO):
        assert not [n for n in os.listdir(BLKIO) if n == f"ipb-throttle-{os.getpid()}"]
