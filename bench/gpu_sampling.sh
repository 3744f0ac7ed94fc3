#!/usr/bin/env bash
# Sampling throughput on a rented CUDA machine, with the same machine's CPU as a baseline in the same
# run: `-n 64` against `-n 1` (bench/sampling.py) for the shipped folk model. The card is named first.
#   bash bench/gpu_sampling.sh [ARGS for bench/sampling.py]   (results in $OUT, default /tmp/gpu_out)
# DEVICE=cpu runs the same on a machine without a card (the smoke test does, on tiny ARGS).
set -u
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu_out}
DEVICE=${DEVICE:-cuda}
mkdir -p "$OUT"
{
  nvidia-smi -L || echo "no nvidia-smi"
  python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else 'no cuda')"
  python3 bench/sampling.py --device "$DEVICE" --rounds 3 "$@"
  OMP_NUM_THREADS=2 python3 bench/sampling.py --device cpu --rounds 2 "$@"
} >"$OUT/sampling.txt" 2>&1
cat "$OUT/sampling.txt"
