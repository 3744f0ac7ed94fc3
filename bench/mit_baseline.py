"""The MIT 6.S191 music lab's recipe as a plain PyTorch loop: the baseline melody must beat.

    python bench/mit_baseline.py                       # folk, clean tunes, 3,000 steps on the CPU
    python bench/mit_baseline.py --cache folk_char.npz --device cuda

Recipe: Embedding 256 -> LSTM 1024 -> Linear over ABC characters, Adam at 5e-3, batches of 8
windows of 100 characters drawn at random from the training text, a zero state for each window,
3,000 steps. The held-out figure is measured as melody measures its own models (evaluate.py:
the validation split streamed with state carried), in bits per character of ABC text.
Prints JSON: tokens/s, training seconds and held-out bits per character along the way.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from melody.network.model import stream_bits


class MitModel(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int = 256, hidden_size: int = 1024):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def load_char_corpus(args):
    """The char-tokenized corpus: from a cache file (no music21 needed) or read and cached."""
    from melody.training.data import load_tokenized, prepare_corpus

    if args.cache:
        corpus = load_tokenized(args.cache)
        if corpus is None:
            raise SystemExit(f"cannot read {args.cache}")
        return corpus
    return prepare_corpus([args.corpus], "char", clean=not args.no_clean)


def held_out_bits_per_char(model, corpus, device) -> float:
    bits, _count = stream_bits(model, corpus.val, 32, 256, device)
    return bits / corpus.val_characters


def train_mit(corpus, steps: int, device, eval_every: int = 0, seed: int = 0, seq_len: int = 100, batch: int = 8):
    """Train the recipe; returns (model, report). Evaluation time is not counted as training time."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = MitModel(len(corpus.tokenizer)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    text = torch.from_numpy(corpus.train.astype(np.int64))
    curve, trained, started = [], 0.0, time.perf_counter()
    for step in range(1, steps + 1):
        starts = rng.integers(0, text.numel() - seq_len - 1, size=batch)
        x = torch.stack([text[s : s + seq_len] for s in starts]).to(device)
        y = torch.stack([text[s + 1 : s + seq_len + 1] for s in starts]).to(device)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if eval_every and (step % eval_every == 0 or step == steps):
            if device.type == "cuda":
                torch.cuda.synchronize()
            trained += time.perf_counter() - started
            curve.append(
                {
                    "step": step,
                    "seconds": round(trained, 1),
                    "bits_per_char": held_out_bits_per_char(model, corpus, device),
                }
            )
            model.train()
            started = time.perf_counter()
    if device.type == "cuda":
        torch.cuda.synchronize()
    if not eval_every:
        trained += time.perf_counter() - started
    report = {
        "steps": steps,
        "train_seconds": round(trained, 1),
        "tokens_per_second": round(steps * batch * seq_len / trained, 1),
        "curve": curve,
    }
    report["bits_per_char"] = curve[-1]["bits_per_char"] if curve else held_out_bits_per_char(model, corpus, device)
    return model, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="folk")
    parser.add_argument("--cache", default=None, help="a tokenized corpus file (.npz) instead of --corpus")
    parser.add_argument("--no-clean", action="store_true", help="keep tunes that fail the bar checker")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    corpus = load_char_corpus(args)
    _model, report = train_mit(corpus, args.steps, device, args.eval_every)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu x{torch.get_num_threads()}"
    print(json.dumps({"device": name, "recipe": "MIT 6.S191 lab"} | report, indent=2))


if __name__ == "__main__":
    main()
