"""Training and sampling throughput of one model config on this machine.

    python bench/speed.py                              # the shipped folk model's config
    python bench/speed.py --mit                        # also: melody vs a plain loop at the MIT-lab config
    python bench/speed.py --cache folk_char.npz --device cuda --mit --precision bfloat16
    python bench/speed.py --compile                    # also: the same config under torch.compile

Training: tokens/s of melody's Trainer on the folk corpus (the first 5 steps are a warm-up).
With --mit, the MIT lab's config (Embedding 256 -> LSTM 1024, batch 8, windows of 100) trained
by melody's Trainer and by a plain PyTorch loop (bench/mit_baseline.py), and their ratio.
Sampling: generated tokens/s and tunes/s of one batched `sample_ids` call.
On a GPU the report names the card.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import torch

from melody.network.checkpoint import Model
from melody.network.model import ModelConfig, SequenceModel
from melody.sampling.sampler import SampleConfig, sample_ids
from melody.training.data import load_tokenized, prepare_corpus
from melody.training.train import TrainConfig, Trainer, pick_device


def trainer_speed(corpus, model_config, args, batch_size: int, seq_len: int, compile: bool = False) -> float:
    """Tokens/s of melody's Trainer for `args.steps` steps after 5 warm-up steps."""
    with tempfile.TemporaryDirectory() as run_dir:
        config = TrainConfig(
            seq_len=seq_len,
            batch_size=batch_size,
            max_steps=args.steps + 5,
            epochs=None,
            log_every=5,
            device=args.device,
            precision=args.precision,
            checkpoint_every=10_000,
            compile=compile,
        )
        trainer = Trainer(corpus, model_config, config, run_dir)
        trainer.run()
    speeds = [r["tokens_per_second"] for r in trainer.history if "tokens_per_second" in r][1:]  # skip warm-up
    return round(sum(speeds) / len(speeds), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="folk")
    parser.add_argument("--cell", default="lstm")
    parser.add_argument("--embed-dim", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=512)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--steps", type=int, default=30, help="timed training steps (a multiple of 5)")
    parser.add_argument("--count", type=int, default=8, help="pieces sampled in one batch")
    parser.add_argument("--max-tokens", type=int, default=400)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="auto", help="auto, float32 or bfloat16 (CUDA)")
    parser.add_argument("--cache", default=None, help="a tokenized corpus file (.npz) instead of --corpus")
    parser.add_argument("--mit", action="store_true", help="compare with a plain loop at the MIT-lab config")
    parser.add_argument("--compile", action="store_true", help="also train under torch.compile, and the ratio")
    args = parser.parse_args()

    corpus = load_tokenized(args.cache) if args.cache else prepare_corpus([args.corpus])
    model_config = ModelConfig(len(corpus.tokenizer), args.cell, args.embed_dim, args.hidden_size, args.layers)
    device = pick_device(args.device)
    report = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu x{torch.get_num_threads()}",
        "config": model_config.to_dict() | {"batch_size": args.batch_size, "seq_len": args.seq_len},
    }

    report["train_tokens_per_second"] = trainer_speed(corpus, model_config, args, args.batch_size, args.seq_len)
    if args.compile:
        compiled = trainer_speed(corpus, model_config, args, args.batch_size, args.seq_len, compile=True)
        report["compiled"] = {
            "train_tokens_per_second": compiled,
            "ratio": round(compiled / report["train_tokens_per_second"], 3),
        }
    if args.mit:
        from mit_baseline import train_mit

        mit_config = ModelConfig(len(corpus.tokenizer), "lstm", 256, 1024, 1, 0.0)
        ours = trainer_speed(corpus, mit_config, args, 8, 100)
        train_mit(corpus, 5, device)  # warm-up
        _model, plain = train_mit(corpus, args.steps, device)
        report["mit_config"] = {
            "melody_tokens_per_second": ours,
            "plain_loop_tokens_per_second": plain["tokens_per_second"],
            "ratio": round(ours / plain["tokens_per_second"], 3),
        }

    network = SequenceModel(model_config).to(device).eval()
    model = Model(network, corpus.tokenizer)
    sample_ids(model, SampleConfig(count=args.count, seed=0, max_tokens=20), device)  # warm-up
    start = time.perf_counter()
    pieces = sample_ids(model, SampleConfig(count=args.count, seed=0, max_tokens=args.max_tokens), device)
    seconds = time.perf_counter() - start
    report["sample_tokens_per_second"] = round(sum(len(p) for p in pieces) / seconds, 1)
    report["sample_pieces_per_second"] = round(args.count / seconds, 3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
