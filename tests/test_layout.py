"""The results layout this build writes against files written by release 0.1.0
(tests/data/release-0.1.0/): the .dat header line, the HDF5 /runs compound type, the ranks,
pipelines and histograms datasets' types, and the names of every attribute. Readers of
existing results files (our analysis, users' h5py and pandas scripts, the Python original's
.dat readers) depend on these; a restructuring of the code must leave them as they are.

Values are not compared: the reference files hold one machine's run. Field descriptions
(field_docs) may be reworded, so only their count is compared.

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


def dtype_layout(dt):
    """Names, formats, offsets and size of a compound type, comparable with ==."""
    return [(n, dt.fields[n][0].str, dt.fields[n][1]) for n in dt.names], dt.itemsize


def test_dat_header_unchanged(written):
    assert first_line(written / "run.dat") == first_line(REF_DAT)


def test_stdout_header_unchanged(tmp_path):
    p = run_bench(tmp_path)
    assert p.stdout.splitlines()[0] == first_line(REF_DAT)


def test_runs_compound_type_unchanged(written):
    with h5py.File(REF_H5, "r") as ref, h5py.File(written / "run.h5", "r") as new:
        assert dtype_layout(new["runs"].dtype) == dtype_layout(ref["runs"].dtype)
        assert new["runs"].maxshape == ref["runs"].maxshape
        assert new["runs"].chunks == ref["runs"].chunks


def test_runs_dat_headers_attribute_unchanged(written):
    with h5py.File(REF_H5, "r") as ref, h5py.File(written / "run.h5", "r") as new:
        assert list(new["runs"].attrs["dat_headers"]) == list(ref["runs"].attrs["dat_headers"])
        assert len(new["runs"].attrs["field_docs"]) == len(ref["runs"].attrs["field_docs"])


def test_file_attributes_unchanged(written):
    with h5py.File(REF_H5, "r") as ref, h5py.File(written / "run.h5", "r") as new:
        assert sorted(new.attrs) == sorted(ref.attrs)
        assert new.attrs["layout_version"] == ref.attrs["layout_version"]
        assert new.attrs["creator"] == ref.attrs["creator"]
        assert sorted(new["runs"].attrs) == sorted(ref["runs"].attrs)


@pytest.mark.parametrize("table", ["ranks", "pipelines"])
def test_per_run_tables_unchanged(written, table):
    with h5py.File(REF_H5, "r") as ref, h5py.File(written / "run.h5", "r") as new:
        r, n = the_run(ref)[table], the_run(new)[table]
        assert dtype_layout(n.dtype) == dtype_layout(r.dtype)
        assert sorted(n.attrs) == sorted(r.attrs)
        assert len(n.attrs["field_docs"]) == len(r.attrs["field_docs"])


def test_run_group_unchanged(written):
    with h5py.File(REF_H5, "r") as ref, h5py.File(written / "run.h5", "r") as new:
        r, n = the_run(ref), the_run(new)
        assert sorted(n.attrs) == sorted(r.attrs)
        assert sorted(n) == sorted(r)


def test_histograms_unchanged(written):
    with h5py.File(REF_H5, "r") as ref, h5py.File(written / "run.h5", "r") as new:
        r, n = the_run(ref)["histograms"], the_run(new)["histograms"]
        assert sorted(n) == sorted(r)
        assert sorted(n.attrs) == sorted(r.attrs)
        for name in r:
            assert n[name].dtype == r[name].dtype, name
            assert n[name].shape == r[name].shape, name
            assert sorted(n[name].attrs) == sorted(r[name].attrs), name
        # The bucket bounds are the histogram's definition, not a measurement.
        assert (n["bucket_lower_ns"][()] == r["bucket_lower_ns"][()]).all()
        assert (n["bucket_upper_ns"][()] == r["bucket_upper_ns"][()]).all()


def test_appends_to_a_release_file(tmp_path):
    """A results file written by 0.1.0 takes this build's runs, and h5py reads both."""
    h5 = tmp_path / "old.h5"
    shutil.copyfile(REF_H5, h5)
    dat = tmp_path / "old.dat"
    shutil.copyfile(REF_DAT, dat)
    run_bench(tmp_path, "--hdf5", str(h5), "--dat", str(dat))
    with h5py.File(h5, "r") as f:
        assert f["runs"].shape == (2,)
        assert len(f["run"]) == 2
        rows = f["runs"][()]
        assert all(r["method"] == b"openmp" for r in rows)
    with open(dat, encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert len(lines) == 3 and lines[0] == first_line(REF_DAT)
    assert len(lines[1].split("\t")) == len(lines[2].split("\t")) == len(lines[0].split("\t"))


def test_h5dump_shows_the_same_runs_type(written):
    """The same comparison through HDF5's own tool, as a user without h5py would make it."""
    h5dump = shutil.which("h5dump")
    if h5dump is None:
        pytest.skip("h5dump not installed (Debian: hdf5-tools)")

    def runs_type(path):
        out = subprocess.run([h5dump, "-H", "-d", "/runs", str(path)], capture_output=True,
                             text=True, timeout=60, check=True).stdout
        start = out.index("DATATYPE")
        return out[start:out.index("DATASPACE", start)]

    assert runs_type(written / "run.h5") == runs_type(REF_H5)
