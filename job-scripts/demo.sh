#!/usr/bin/env bash
# The main job: every method once under mpirun (2 ranks), 256 KiB buffers, 0.1 s receive
# delay, 4 pipelines per rank, rows appended to results/demo.dat. Parameters by environment:
#   RANKS (2) CONCURRENCY (4) DURATION (5) BUFFER (256) RECV_DELAY (0.1) DATA_DIR (./data)
#   OUT (results/demo.dat; the HDF5 file is the same name with .h5) BIN (src/io-pipeline-bench)
#   MPIRUN (mpirun)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
RANKS=${RANKS:-2} CONCURRENCY=${CONCURRENCY:-4} DURATION=${DURATION:-5}
BUFFER=${BUFFER:-256} RECV_DELAY=${RECV_DELAY:-0.1}
DATA_DIR=${DATA_DIR:-$top/data} OUT=${OUT:-$top/results/demo.dat}
BIN=${BIN:-$top/src/io-pipeline-bench} MPIRUN=${MPIRUN:-mpirun}
mkdir -p "$DATA_DIR" "$(dirname "$OUT")"

launcher=("$MPIRUN" -np "$RANKS")
if "$MPIRUN" --version 2>/dev/null | grep -q "Open MPI"; then
    # Open MPI binds each rank to one core when there are 2 or fewer: the threads of the openmp
    # method would then share one core. --bind-to none lets them spread.
    launcher+=(--bind-to none --oversubscribe)
    [ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

for method in sequential openmp fork aio; do
    c=$CONCURRENCY
    [ "$method" = sequential ] && c=1
    echo "== $method, $RANKS ranks x $c pipelines, ${DURATION} s" >&2
    "${launcher[@]}" "$BIN" --method "$method" --concurrency "$c" --duration "$DURATION" \
        --buffer-size "$BUFFER" --recv-delay "$RECV_DELAY" \
        --output-file "$DATA_DIR/demo" --dat "$OUT" --hdf5 "${OUT%.dat}.h5" | tail -n 1
done
echo "rows appended to $OUT and ${OUT%.dat}.h5" >&2
/usr/bin/python3 "$top/analysis/ipb_summary.py" "${OUT%.dat}.h5"
