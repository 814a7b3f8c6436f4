#!/usr/bin/env python3
"""Write the hand-made HDF5 inputs of the h5 fuzz target and its regression test.

Each is a small HDF5 file that is wrong in one way the --hdf5 check must refuse with its own
message (tests/test_fuzz.c holds the expected messages), and a seed from which the fuzzer
reaches those branches cheaply (the real results file in fuzz/corpus/h5 is 130 KiB). They are
committed; re-run this (python3-h5py) only to change them:

    fuzz/make-h5-inputs.py tests/data/fuzz/h5 fuzz/corpus/h5/real-run.h5
"""
import os
import sys

import h5py
import numpy as np

out, real = sys.argv[1], sys.argv[2]
# The layout version of the real file (a results file of this build), so that the inputs are
# refused for what is wrong with them, not for their version.
with h5py.File(real, "r") as src:
    LAYOUT = np.int64(src.attrs["layout_version"])


def path(name):
    return os.path.join(out, name)


# An HDF5 file, but not ours: no creator attribute.
with h5py.File(path("not-ours.h5"), "w") as f:
    f["data"] = np.arange(4)

# Ours, but another (older) layout version.
with h5py.File(path("layout-version-1.h5"), "w") as f:
    f.attrs["creator"] = "io-pipeline-bench"
    f.attrs["layout_version"] = np.int64(1)

# Ours and the right version, but /runs is a group, and /run is missing.
with h5py.File(path("runs-is-a-group.h5"), "w") as f:
    f.attrs["creator"] = "io-pipeline-bench"
    f.attrs["layout_version"] = LAYOUT
    f.create_group("runs")

# /runs a dataset of plain numbers, not records.
with h5py.File(path("runs-not-records.h5"), "w") as f:
    f.attrs["creator"] = "io-pipeline-bench"
    f.attrs["layout_version"] = LAYOUT
    f["runs"] = np.zeros(3)
    f.create_group("run")

# /runs with the real file's first three members, with their exact HDF5 types (a build with
# other result fields): copied member by member with the low-level API.
with h5py.File(real, "r") as src:
    real_type = src["runs"].id.get_type()
    dt = src["runs"].dtype
    three = h5py.h5t.create(h5py.h5t.COMPOUND, sum(real_type.get_member_type(i).get_size()
                                                   for i in range(3)))
    offset = 0
    for i in range(3):
        member = real_type.get_member_type(i)
        three.insert(real_type.get_member_name(i), offset, member)
        offset += member.get_size()
with h5py.File(path("runs-three-fields.h5"), "w") as f:
    f.attrs["creator"] = "io-pipeline-bench"
    f.attrs["layout_version"] = LAYOUT
    space = h5py.h5s.create_simple((0,), (h5py.h5s.UNLIMITED,))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((4,))
    h5py.h5d.create(f.id, b"runs", three, space, dcpl=dcpl)
    f.create_group("run")

# The same three members as numpy makes them: its strings are NUL-padded, ours NUL-terminated,
# so the first member already differs in type.
with h5py.File(path("runs-nullpad-strings.h5"), "w") as f:
    f.attrs["creator"] = "io-pipeline-bench"
    f.attrs["layout_version"] = LAYOUT
    f.create_dataset("runs", shape=(0,), maxshape=(None,), chunks=(4,),
                     dtype=np.dtype([(n, dt[n]) for n in dt.names[:3]]))
    f.create_group("run")

# The creator attribute as a number, not a string.
with h5py.File(path("creator-is-a-number.h5"), "w") as f:
    f.attrs["creator"] = np.int64(7)
