#!/usr/bin/env bash
# One prepared run on a rented CUDA machine (no music21 there: corpora travel as .npz files made by
# bench/export_corpus.py into .gpu/). Trains candidate folk models side by side, the MIT-lab baseline,
# and times training and sampling. Results land in $OUT (JSON, logs, the best model files).
#   bash bench/gpu_session.sh [MINUTES]
set -u
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
MINUTES=${1:-6.5}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-/tmp/gpu_out}
RUNS=/tmp/gpu_runs
mkdir -p "$OUT" "$RUNS"
nvidia-smi -L >"$OUT/log.txt" 2>&1
python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else 'no cuda')" >>"$OUT/log.txt" 2>&1

train() {  # name corpus flags...
  local name=$1 corpus=$2
  shift 2
  python3 bench/train_cached.py ".gpu/$corpus.npz" "$RUNS/$name" --max-minutes "$MINUTES" --device "$DEVICE" \
    --batch-size 64 --save-dtype float16 --precision float32 "$@" >"$RUNS/$name.json" 2>"$RUNS/$name.err"
}
train abc3x512 folk_abc --embed-dim 128 --hidden-size 512 --layers 3 --dropout 0.3 &
train abc2x640 folk_abc --embed-dim 128 --hidden-size 640 --layers 2 --dropout 0.3 &
train abc2x512 folk_abc --embed-dim 64 --hidden-size 512 --layers 2 --dropout 0.2 &
train char3x512 folk_char --embed-dim 64 --hidden-size 512 --layers 3 --dropout 0.3 &
python3 bench/mit_baseline.py --cache .gpu/folk_char.npz --device "$DEVICE" --steps "${MIT_STEPS:-3000}" --eval-every 500 \
  >"$RUNS/mit.json" 2>"$RUNS/mit.err" &
wait

for precision in float32 bfloat16; do
  python3 bench/speed.py --cache .gpu/folk_char.npz --device "$DEVICE" --mit --steps "${SPEED_STEPS:-40}" --count 64 \
    --precision "$precision" >"$RUNS/speed_$precision.json" 2>>"$RUNS/speed.err"
done
python3 - "$RUNS" >"$OUT/results.json" <<'PY'
import json, pathlib, sys
runs = pathlib.Path(sys.argv[1])
report = {}
for path in sorted(runs.glob("*.json")):
    try:
        report[path.stem] = json.loads(path.read_text())
    except ValueError:
        report[path.stem] = {"error": (runs / f"{path.stem}.err").read_text()[-2000:] if (runs / f"{path.stem}.err").exists() else path.read_text()[-2000:]}
print(json.dumps(report, indent=1))
PY
tail -c 3000 "$RUNS"/*.err >>"$OUT/log.txt" 2>/dev/null
for name in abc3x512 abc2x640 abc2x512 char3x512; do
  cp "$RUNS/$name/best.safetensors" "$OUT/$name.safetensors" 2>/dev/null
done
ls -la "$OUT"
