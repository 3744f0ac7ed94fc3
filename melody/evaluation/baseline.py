"""An interpolated character n-gram (Witten-Bell), fitted on the training split: the naive
baseline beside a network's held-out bits per character, so users see what the network buys."""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict

from melody.errors import OutputError
from melody.fileio import atomic_write_text
from melody.training.data import cache_root

START, END = "\x02", "\x03"  # each tune is framed, as <bos>/<eos> frame it for the networks
FIGURE_VERSION = 1  # part of the cached figure's key: raise it when CharNgram counts otherwise


class CharNgram:
    def __init__(self, order: int = 6):
        self.order = order
        self.counts: list[dict[str, dict[str, int]]] = [defaultdict(dict) for _ in range(order)]
        self.alphabet: set[str] = {END}

    def fit(self, texts: list[str]) -> CharNgram:
        for text in texts:
            framed = START * (self.order - 1) + text + END
            self.alphabet.update(text)
            for i in range(self.order - 1, len(framed)):
                char = framed[i]
                for n in range(self.order):  # context of n characters
                    table = self.counts[n][framed[i - n : i]]
                    table[char] = table.get(char, 0) + 1
        self.totals = [{h: (sum(t.values()), len(t)) for h, t in level.items()} for level in self.counts]
        return self

    def probability(self, context: str, char: str) -> float:
        p = 1.0 / (len(self.alphabet) + 1)  # +1: room for a character never seen in training
        for n in range(self.order):
            history = context[len(context) - n :] if n else ""
            table = self.counts[n].get(history)
            if table is None:
                break
            total, distinct = self.totals[n][history]
            p = (table.get(char, 0) + distinct * p) / (total + distinct)
        return p

    def bits(self, text: str) -> float:
        """Bits to predict `text` and its end, character by character."""
        framed = START * (self.order - 1) + text + END
        return -sum(
            math.log2(self.probability(framed[i - self.order + 1 : i], framed[i]))
            for i in range(self.order - 1, len(framed))
        )


def ngram_bits_per_char(train_texts: list[str], val_texts: list[str], order: int = 6) -> float:
    """The n-gram's held-out bits per character; kept in the cache by the texts' digest, since
    fitting it on a corpus of thousands of tunes takes seconds and evaluating again changes nothing."""
    digest = hashlib.sha256(f"{FIGURE_VERSION}:{order}".encode())
    for text in (*train_texts, END, *val_texts):
        digest.update(text.encode("utf-8") + START.encode())
    path = cache_root() / "baselines" / f"{digest.hexdigest()[:32]}.json"
    try:
        return float(json.loads(path.read_text(encoding="utf-8"))["bits_per_char"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    model = CharNgram(order).fit(train_texts)
    characters = sum(len(t) for t in val_texts)
    bits = sum(model.bits(t) for t in val_texts) / characters
    try:
        atomic_write_text(path, json.dumps({"bits_per_char": bits}))
    except OutputError:
        pass  # a cache that cannot be written costs a refit next time, nothing else
    return bits
