"""Which --batch-size and --seq-len train best in a fixed time? The shipped folk config (abc tokens,
2x512 LSTM, constant lr 3e-3) trained for the same wall time at each shape, then scored on the
held-out split.

    python bench/batch_shape.py [--seconds 150] [--shapes 16x128 32x64 32x128 32x256 64x128]

Prints one JSON line per shape (tokens/s, steps, held-out bits per character) and the best shape.
Shapes run one after another on the same machine, so compare them within one run.
"""

from __future__ import annotations

import argparse
import json
import tempfile

import torch

from melody.network.model import ModelConfig
from melody.training.data import prepare_corpus
from melody.training.train import TrainConfig, Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="folk")
    parser.add_argument("--seconds", type=float, default=150)
    parser.add_argument("--shapes", nargs="+", default=["16x128", "32x64", "32x128", "32x256", "64x128"])
    args = parser.parse_args()
    corpus = prepare_corpus([args.corpus], "abc")
    model_config = ModelConfig(len(corpus.tokenizer), "lstm", 64, 512, 2, 0.2)
    results = []
    for shape in args.shapes:
        batch, seq_len = (int(part) for part in shape.split("x"))
        config = TrainConfig(
            batch_size=batch,
            seq_len=seq_len,
            schedule="constant",
            epochs=None,
            max_minutes=args.seconds / 60,
            log_every=50,
            checkpoint_every=10**6,
            seed=0,
        )
        torch.manual_seed(0)
        with tempfile.TemporaryDirectory() as run_dir:
            summary = Trainer(corpus, model_config, config, run_dir).run()
        results.append(
            {
                "batch_size": batch,
                "seq_len": seq_len,
                "steps": summary["steps"],
                "tokens_per_second": summary["tokens_per_second"],
                "val_bits_per_char": round(summary["val_bits_per_char"], 4),
            }
        )
        print(json.dumps(results[-1]), flush=True)
    best = min(results, key=lambda r: r["val_bits_per_char"])
    print(json.dumps({"device": f"cpu x{torch.get_num_threads()}", "seconds": args.seconds, "best": best}))


if __name__ == "__main__":
    main()
