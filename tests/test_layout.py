"""The results layout this build writes against files written by release 0.1.0
(tests/data/release-0.1.0/): the .dat header line, the HDF5 /runs compound type, the ranks,
pipelines and histograms datasets' types, and the names of every attribute. Readers of
existing results files (our analysis, users' h5py and pandas scripts, the Python original's
.dat readers) depend on these.

What a release wrote is a promise: its .dat columns and /runs members stay where they are, with
their names and types, and what comes later goes after them; its per-run tables and attributes
keep every name and type. So these tests check that the release's layout is a prefix (or a
subset, where order carries no meaning) of this build's, and pass unchanged when a field is
added. Values are not compared: the reference files hold one machine's run. Field descriptions
(field_docs) may be reworded.

Run by `make check` (tests/run-pytest.sh), which exports IPB_BIN and IPB_MPIEXEC; by hand:
  IPB_BIN=src/io-pipeline-bench /usr/bin/python3 -m pytest -q tests/test_layout.py
"""

import os
import shutil
import subprocess

import h5py
import pytest

from ipb_launch import bench_path, launcher

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "data", "release-0.1.0")
REF_H5 = os.path.join(REFERENCE, "run.h5")
REF_DAT = os.path.join(REFERENCE, "run.dat")


def run_bench(d, *extra):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = launcher(2) + [bench_path(), "-m", "openmp", "-c", "2", "-d", "0.3", "-r", "0.05",
                         "-b", "16K", "-o", str(d / "data")] + list(extra)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"{' '.join(cmd)}\nexit {p.returncode}\n{p.stderr}"
    return p


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """One run of this build, written the way the reference files were."""
    d = tmp_path_factory.mktemp("layout")
    run_bench(d, "--dat", str(d / "run.dat"), "--hdf5", str(d / "run.h5"))
    return d


def first_line(path):
    with open(path, encoding="utf-8") as f:
        return f.readline().rstrip("\n")


def the_run(f):
    names = list(f["run"])
    assert len(names) >= 1
    return f["run"][names[0]]


def members(dt):
    """A compound type's members in order: (name, format, offset)."""
    return [(n, dt.fields[n][0].str, dt.fields[n][1]) for n in dt.names]


def typed_names(dt):
    """A compound type's members by name: {name: format} (order and offsets aside)."""
    return {n: dt.fields[n][0].str for n in dt.names}


def release_columns_first(header):
    """The release's .dat columns are this header's first columns, in order."""
    ref = first_line(REF_DAT).split("\t")
    ours = header.split("\t")
    assert ours[:len(ref)] == ref


def test_dat_header_keeps_release_columns(written):
    release_columns_first(first_line(written / "run.dat"))


def test_stdout_header_keeps_release_columns(tmp_path):
    p = run_bench(tmp_path)
    release_columns_first(p.stdout.splitlines()[0])


def test_runs_compound_type_keeps_release_members(written):
    with h5py.File(REF_H5, "r") as ref, h5py.File(written / "run.h5", "r") as new:
        r, n = members(ref["runs"].dtype), members(new["runs"].dtype)
        assert n[:len(r)] == r
        assert new["runs"].maxshape == ref["runs"].maxshape
        assert new["runs"].chunks == ref["runs"].chunks


def test_runs_dat_headers_attribute_keeps_release_headers(written):
    with h5py.File(REF_H5, "r") as ref, h5py.File(written / "run.h5", "r") as new:
        r, n = list(ref["runs"].attrs["dat_headers"]), list(new["runs"].attrs["dat_headers"])
        assert n[:len(r)] == r
        assert len(new["runs"].attrs["field_docs"]) == len(new["runs"].dtype.names)


def test_file_attributes_kept(written):
    with h5py.File(REF_H5, "r") as ref, h5py.File(written / "run.h5", "r") as new:
        assert set(ref.attrs) <= set(new.attrs)
        assert new.attrs["layout_version"] >= ref.attrs["layout_version"]
        assert new.attrs["creator"] == ref.attrs["creator"]
        assert set(ref["runs"].attrs) <= set(new["runs"].attrs)


@pytest.mark.parametrize("table", ["ranks", "pipelines"])
def test_per_run_tables_keep_release_members(written, table):
    with h5py.File(REF_H5, "r") as ref, h5py.File(written / "run.h5", "r") as new:
        r, n = the_run(ref)[table], the_run(new)[table]
        rt, nt = typed_names(r.dtype), typed_names(n.dtype)
        assert {k: nt.get(k) for k in rt} == rt
        assert set(r.attrs) <= set(n.attrs)
        assert len(n.attrs["field_docs"]) == len(n.dtype.names)


def test_run_group_keeps_release_names(written):
    with h5py.File(REF_H5, "r") as ref, h5py.File(written / "run.h5", "r") as new:
        r, n = the_run(ref), the_run(new)
        assert set(r.attrs) <= set(n.attrs)
        assert set(r) <= set(n)


def test_histograms_keep_release_layout(written):
    with h5py.File(REF_H5, "r") as ref, h5py.File(written / "run.h5", "r") as new:
        r, n = the_run(ref)["histograms"], the_run(new)["histograms"]
        assert set(r) <= set(n)
        assert set(r.attrs) <= set(n.attrs)
        for name in r:
            assert n[name].dtype == r[name].dtype, name
            assert n[name].shape == r[name].shape, name
            assert sorted(n[name].attrs) == sorted(r[name].attrs), name
        # The bucket bounds are the histogram's definition, not a measurement.
        assert (n["bucket_lower_ns"][()] == r["bucket_lower_ns"][()]).all()
        assert (n["bucket_upper_ns"][()] == r["bucket_upper_ns"][()]).all()


def test_release_file_appended_to_or_refused_untouched(tmp_path):
    """A results file written by 0.1.0 takes this build's runs while the layout version is the
    same (and h5py reads both); once it differs, the run is refused before it starts (exit 2, a
    message naming the layout version) and the file is left byte for byte as it was."""
    h5 = tmp_path / "old.h5"
    shutil.copyfile(REF_H5, h5)
    with h5py.File(REF_H5, "r") as ref:
        release_version = int(ref.attrs["layout_version"])
    with h5py.File(written_version_probe(tmp_path), "r") as f:
        ours = int(f.attrs["layout_version"])
    if ours != release_version:
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        cmd = launcher(2) + [bench_path(), "-d", "0.2", "-o", str(tmp_path / "d"),
                             "--hdf5", str(h5)]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode == 2, p.stderr
        assert "layout" in p.stderr
        with open(h5, "rb") as a, open(REF_H5, "rb") as b:
            assert a.read() == b.read()
        return
    run_bench(tmp_path, "--hdf5", str(h5))
    with h5py.File(h5, "r") as f:
        assert f["runs"].shape == (2,)
        assert len(f["run"]) == 2
        rows = f["runs"][()]
        assert all(r["method"] == b"openmp" for r in rows)


def written_version_probe(d):
    """A results file of this build's own, to read its layout version from."""
    h5 = d / "probe.h5"
    run_bench(d, "--hdf5", str(h5), "-d", "0.1")
    return h5


def test_release_dat_appended_to_or_refused_untouched(tmp_path):
    """A .dat written by 0.1.0 takes this build's rows while the header is the same; once
    columns were added the header differs and the run is refused before it starts (exit 2), the
    file untouched: rows under another header would be misread."""
    dat = tmp_path / "old.dat"
    shutil.copyfile(REF_DAT, dat)
    probe = run_bench(tmp_path, "-d", "0.1")
    if probe.stdout.splitlines()[0] != first_line(REF_DAT):
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        cmd = launcher(2) + [bench_path(), "-d", "0.2", "-o", str(tmp_path / "d"),
                             "--dat", str(dat)]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode == 2, p.stderr
        with open(dat, "rb") as a, open(REF_DAT, "rb") as b:
            assert a.read() == b.read()
        return
    run_bench(tmp_path, "--dat", str(dat))
    with open(dat, encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert len(lines) == 3 and lines[0] == first_line(REF_DAT)
    assert len(lines[1].split("\t")) == len(lines[2].split("\t")) == len(lines[0].split("\t"))


def test_h5dump_shows_the_release_runs_members_first(written):
    """The same comparison through HDF5's own tool, as a user without h5py would make it."""
    h5dump = shutil.which("h5dump")
    if h5dump is None:
        pytest.skip("h5dump not installed (Debian: hdf5-tools)")

    def runs_members(path):
        out = subprocess.run([h5dump, "-H", "-d", "/runs", str(path)], capture_output=True,
                             text=True, timeout=60, check=True).stdout
        start = out.index("DATATYPE")
        block = out[start:out.index("DATASPACE", start)]
        # One line per member, H5T_... "name"; (a string member spans several lines: keep the
        # lines that end a member, which carry its name, with the lines before them joined).
        members, current = [], []
        for line in block.splitlines()[1:]:
            current.append(line.strip())
            if line.rstrip().endswith('";'):
                members.append(" ".join(current))
                current = []
        return members

    ref, ours = runs_members(REF_H5), runs_members(written / "run.h5")
    assert len(ref) == 67
    assert ours[:len(ref)] == ref
