"""How well a model predicts held-out music, in bits: the lower, the better."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from melody.data import stream_rows


@torch.no_grad()
def stream_bits(model, stream: np.ndarray, batch_size: int, seq_len: int, device) -> tuple[float, int]:
    """Total bits and token count for predicting `stream`, state carried across windows.

    The stream is cut into at most `batch_size` contiguous rows; every token but each row's first
    is predicted once, so the figure hardly depends on the window length."""
    was_training = model.training
    model.eval()
    rows_count = max(1, min(batch_size, stream.size // 256))
    rows = torch.from_numpy(stream_rows(stream, rows_count).astype(np.int64)).to(device)  # (B, L)
    total = torch.zeros((), dtype=torch.float64, device=device)
    state = None
    for start in range(0, rows.shape[1] - 1, seq_len):
        x = rows[:, start : start + seq_len]
        y = rows[:, start + 1 : start + seq_len + 1]
        x = x[:, : y.shape[1]]
        logits, state = model(x, state)  # (B, T, V)
        total += F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum").double()
    model.train(was_training)
    count = rows.shape[0] * (rows.shape[1] - 1)
    return total.item() / math.log(2), count


def evaluate_model(model, corpus_arguments: list[str], split: str = "val", device="cpu", progress=None) -> dict:
    """Bits per token and per character of `model` on a corpus's held-out split (or all of it).

    Pieces are chained <bos> piece <eos> <bos> ... and scored with state carried, as in training.
    Pieces with characters the model never saw cannot be scored; they are counted, not hidden.
    Bits per character exist for text (ABC) models only."""
    from melody.corpus import load_corpus, piece_key
    from melody.data import is_validation
    from melody.errors import InputError, VocabularyError

    fraction = model.training.get("corpus", {}).get("val_fraction", 0.05)
    corpus = load_corpus(corpus_arguments, model.tokenizer.piece_kind, progress=progress)
    pieces = [p for p in corpus.pieces if split == "all" or is_validation(piece_key(p), fraction)]
    ids, skipped, characters = [], 0, 0
    for piece in pieces:
        try:
            ids.extend(model.tokenizer.encode(piece))
            characters += len(piece) if isinstance(piece, str) else 0
        except VocabularyError:
            skipped += 1
    if len(ids) < 2:
        raise InputError(f"no pieces to score in the {split} split", ", ".join(corpus_arguments))
    bits, count = stream_bits(model.network.to(device), np.array(ids, dtype=np.int64), 32, 256, device)
    return {
        "model": model.path,
        "corpus": corpus_arguments,
        "split": split,
        "pieces": len(pieces) - skipped,
        "pieces_skipped_unknown_tokens": skipped,
        "tokens": count,
        "bits_per_token": bits / count,
        "bits_per_char": bits / characters if characters else None,
    }
