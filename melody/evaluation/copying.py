"""Did the model copy? For each generated tune, the longest run of consecutive bars that also
appears, in the same order, in one training tune (bars compared note for note, bar lines aside)."""

from __future__ import annotations

from collections import defaultdict

from melody.formats.abc.lexer import LexError, token_kind, tune_tokens

BAR_CONTENT_SKIPPED = ("bar", "ending", "header", "field")


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


class BarIndex:
    """Where each bar occurs in the training tunes, to find shared runs quickly."""

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.where: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
        for tune, text in enumerate(texts):
            for position, bar in enumerate(bar_keys(text)):
                self.where[bar].append((tune, position))

    def longest_run(self, text: str) -> tuple[int, int | None]:
        """(bars in the longest shared run, index of the training tune holding it)."""
        best, best_tune = 0, None
        previous: dict[tuple[int, int], int] = {}
        for bar in bar_keys(text):
            current = {}
            for tune, position in self.where.get(bar, ()):
                run = previous.get((tune, position - 1), 0) + 1
                current[(tune, position)] = run
                if run > best:
                    best, best_tune = run, tune
            previous = current
        return best, best_tune
