#!/usr/bin/env bash
# One-shot set-up on a fresh Debian 12 / Ubuntu machine: install the packages, then
# configure and build io-pipeline-bench in this directory. Run as root (or with sudo).
# Set IPB_SKIP_APT=1 to skip the package step (packages already there, or no root).
set -euo pipefail
cd "$(dirname "$0")"

packages=(
    build-essential autoconf automake autoconf-archive libtool pkg-config
    openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
    libcmocka-dev liburing-dev fio
    # test_jobscripts.py checks the order of fio's system calls (think, write, fsync) under strace
    strace
    python3 python3-h5py python3-pandas python3-matplotlib python3-pytest
    # the job-script tests start a throw-away Slurm cluster (tests/slurm-cluster.sh)
    slurmctld slurmd slurm-client munge
)
if [ "${IPB_SKIP_APT:-0}" != 1 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

autoreconf -fi >/dev/null
./configure --quiet
make -j"$(nproc)" >/dev/null
echo "setup.sh: built $(pwd)/src/io-pipeline-bench"
