"""Train from a tokenized corpus file (.npz), for a machine without music21 (a rented GPU box).

    python bench/train_cached.py folk_abc.npz runs/folk-abc --hidden-size 512 --layers 3 --max-minutes 6 --device cuda

Make the file where music21 is installed: `melody train` caches every corpus it reads under
$MELODY_CACHE/corpora (default ~/.cache/melody); `bench/export_corpus.py` names the file for you.
The run folder is the same as `melody train`'s: best/last .safetensors, metrics.jsonl.
"""

from __future__ import annotations

import argparse
import json

from melody.network.model import ModelConfig
from melody.training.data import load_tokenized
from melody.training.train import TrainConfig, Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cache")
    parser.add_argument("out")
    parser.add_argument("--embed-dim", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=512)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--seq-len", type=int, default=TrainConfig.seq_len)
    parser.add_argument("--batch-size", type=int, default=TrainConfig.batch_size, help="on a GPU, try 64 or more")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--max-minutes", type=float, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--save-dtype", default="float16")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    corpus = load_tokenized(args.cache)
    if corpus is None:
        raise SystemExit(f"cannot read {args.cache}")
    model_config = ModelConfig(
        len(corpus.tokenizer), "lstm", args.embed_dim, args.hidden_size, args.layers, args.dropout
    )
    config = TrainConfig(
        seq_len=args.seq_len,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        epochs=args.epochs,
        max_minutes=args.max_minutes,
        save_dtype=args.save_dtype,
        precision=args.precision,
        device=args.device,
        seed=args.seed,
        log_every=50,
        checkpoint_every=10_000,
    )
    result = Trainer(corpus, model_config, config, args.out).run()
    print(json.dumps(result | {"model_config": model_config.to_dict()}, indent=2))


if __name__ == "__main__":
    main()
