"""How the pytest files find and start the program: the binary make check built (IPB_BIN) and
the launcher of the MPI library it was built with (IPB_MPIEXEC, IPB_MPI_FLAVOUR). One place,
so every Python test starts ranks the same way on an oversubscribed 2-core machine."""

import os
import shutil

import pytest


def bench_path():
    """The io-pipeline-bench program under test, as an absolute path."""
    b = os.environ.get("IPB_BIN") or shutil.which("io-pipeline-bench")
    if not b or not os.access(b, os.X_OK):
        pytest.fail("set IPB_BIN to the io-pipeline-bench program (make check does)")
    return os.path.abspath(b)


def mpiexec():
    return os.environ.get("IPB_MPIEXEC") or shutil.which("mpirun") or "mpirun"


def mpich():
    """Is the program built with MPICH (else Open MPI)?"""
    return os.environ.get("IPB_MPI_FLAVOUR", "openmpi") == "mpich"


def launcher(np_):
    """The launcher's words for np_ ranks on this oversubscribed machine: Open MPI needs
    --oversubscribe and --bind-to none (with 2 or fewer ranks it binds each to one core, which
    would serialise the threaded methods); MPICH's Hydra oversubscribes and binds nothing
    unasked."""
    if mpich():
        return [mpiexec(), "-n", str(np_)]
    return [mpiexec(), "--oversubscribe", "--bind-to", "none", "-np", str(np_)]
