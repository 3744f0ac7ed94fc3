"""Wall time to reach the MIT-lab recipe's final held-out bits per character, both on this machine.

    python bench/time_to_quality.py                 # folk, clean tunes; about 45 minutes on 2 cores

1. The MIT recipe (bench/mit_baseline.py) trains for 3,000 steps; its final held-out bits/char is
   the target and its training seconds the yardstick.
2. melody trains the shipped folk model's config (abc tokens, 2x512 LSTM, `melody train`'s default
   batch shape, state carried, AdamW 3e-3 after a 100-step warm-up), checking the held-out split every
   --check-every steps, until it beats the target. Checking time is left out of both clocks.
Prints JSON with both times and their ratio (the acceptance bar is <= 1/3).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import torch

from melody.network.model import ModelConfig
from melody.training.data import prepare_corpus
from melody.training.train import TrainConfig, Trainer


def melody_time_to(target: float, corpus, check_every: int, limit_minutes: float) -> dict:
    model_config = ModelConfig(len(corpus.tokenizer), "lstm", 64, 512, 2, 0.2)
    config = TrainConfig(schedule="constant", epochs=None, max_steps=check_every, log_every=50, checkpoint_every=10**6)
    curve, seconds = [], 0.0
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = Trainer(corpus, model_config, config, run_dir)
        while seconds < 60 * limit_minutes:
            started = time.perf_counter()
            trainer.train_more(check_every)
            seconds += time.perf_counter() - started
            bits = trainer.bits_per_char(trainer.validate())
            curve.append({"step": trainer.step, "seconds": round(seconds, 1), "bits_per_char": bits})
            print(json.dumps(curve[-1]), flush=True)
            if bits <= target:
                return {"reached": True, "seconds": round(seconds, 1), "curve": curve}
    return {"reached": False, "seconds": round(seconds, 1), "curve": curve}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="folk")
    parser.add_argument("--mit-steps", type=int, default=3000)
    parser.add_argument("--check-every", type=int, default=50)
    args = parser.parse_args()
    from mit_baseline import train_mit

    char_corpus = prepare_corpus([args.corpus], "char")
    _model, mit = train_mit(char_corpus, args.mit_steps, torch.device("cpu"), eval_every=args.mit_steps)
    print(json.dumps({"mit": mit}), flush=True)
    abc_corpus = prepare_corpus([args.corpus], "abc")
    ours = melody_time_to(mit["bits_per_char"], abc_corpus, args.check_every, mit["train_seconds"] / 60)
    report = {
        "device": f"cpu x{torch.get_num_threads()}",
        "target_bits_per_char": mit["bits_per_char"],
        "mit_seconds": mit["train_seconds"],
        "mit_tokens_per_second": mit["tokens_per_second"],
        "melody": ours,
        "ratio": round(ours["seconds"] / mit["train_seconds"], 3) if ours["reached"] else None,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
