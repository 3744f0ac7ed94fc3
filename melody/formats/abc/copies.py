"""Did a model copy? For a tune, the longest run of consecutive bars that also appears, in the same
order, in one training tune (bars compared note for note, bar lines aside).

A model file keeps its training tunes' bars as 32-bit hashes (`pack_bars`, about 4 bytes a bar), so
`generate` and the studio can say of every tune how much it copied without the corpus at hand."""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict

import numpy as np

from melody.formats.abc.lexer import LexError, token_kind, tune_tokens

BAR_CONTENT_SKIPPED = ("bar", "ending", "header", "field", "part", "register")


def bar_keys(text: str) -> list[tuple[str, ...]]:
    """The bars of a tune as tuples of their musical tokens (empty list if it cannot be read)."""
    try:
        tokens = tune_tokens(text)
    except LexError:
        return []
    bars, current = [], []
    for token in tokens:
        kind = token_kind(token)
        if kind == "bar":
            if current:
                bars.append(tuple(current))
            current = []
        elif kind not in BAR_CONTENT_SKIPPED:
            current.append(token)
    if current:
        bars.append(tuple(current))
    return bars


def bar_hash(bar: tuple[str, ...]) -> int:
    """A bar's stable 32-bit fingerprint (the same in every process and version of Python)."""
    return int.from_bytes(hashlib.blake2b(" ".join(bar).encode(), digest_size=4).digest(), "little")


def pack_bars(texts: list[str]) -> dict[str, str]:
    """Training tunes' bars as hashes, packed for a model file's JSON: each tune's bar count and
    all the hashes in order, as base64 of little-endian uint32 arrays."""
    keys = [[bar_hash(bar) for bar in bar_keys(text)] for text in texts]
    counts = np.array([len(k) for k in keys], dtype="<u4")
    hashes = np.array([h for k in keys for h in k], dtype="<u4")
    return {
        "counts": base64.b64encode(counts.tobytes()).decode(),
        "hashes": base64.b64encode(hashes.tobytes()).decode(),
    }


class BarIndex:
    """Where each bar occurs in the training tunes, to find shared runs quickly."""

    def __init__(self, tunes: list[list[int]]):
        self.where: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for tune, hashes in enumerate(tunes):
            for position, bar in enumerate(hashes):
                self.where[bar].append((tune, position))

    @classmethod
    def of_texts(cls, texts: list[str]) -> BarIndex:
        return cls([[bar_hash(bar) for bar in bar_keys(text)] for text in texts])

    @classmethod
    def of_packed(cls, packed: dict[str, str]) -> BarIndex:
        counts = np.frombuffer(base64.b64decode(packed["counts"]), dtype="<u4")
        hashes = np.frombuffer(base64.b64decode(packed["hashes"]), dtype="<u4").tolist()
        bounds = [0] + np.cumsum(counts, dtype=np.int64).tolist()
        return cls([hashes[start:end] for start, end in zip(bounds, bounds[1:])])

    def longest_run(self, text: str) -> tuple[int, int | None]:
        """(bars in the longest shared run, index of the training tune holding it)."""
        best, best_tune = 0, None
        previous: dict[tuple[int, int], int] = {}
        for bar in bar_keys(text):
            current = {}
            for tune, position in self.where.get(bar_hash(bar), ()):
                run = previous.get((tune, position - 1), 0) + 1
                current[(tune, position)] = run
                if run > best:
                    best, best_tune = run, tune
            previous = current
        return best, best_tune
