"""The constraint as a table: each distinct TuneState gets an id, each (state, token) its successor,
each state its mask, all computed once and then looked up.

The sampler asks for masks and successors of a whole batch at every step. Feeding a TuneState is
Python work with Fractions (tens of microseconds); tunes revisit the same few hundred states all the
time, so after the first visits a step costs one dictionary lookup per row and one gather of mask
rows for the batch. The bar count is kept outside the state (it would make every state unique): the
rules read it only as "first bar or not", "fewer than min_bars" and "past max_bars", so a state
records whether a bar has been completed and each row counts its own bars.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from melody.constraints import Constraint, TuneState

_SKIPPED = ("bars", "problems", "header", "bar_accidentals")
_FIELDS = tuple(f.name for f in dataclasses.fields(TuneState) if f.name not in _SKIPPED)


def _snapshot(state: TuneState) -> tuple:
    """Everything that decides what the state does next, hashable (problems and the bar count left out)."""
    return (
        tuple(getattr(state, name) for name in _FIELDS),
        tuple(state.header),
        tuple(sorted(state.bar_accidentals.items())),
        state.bars > 0,
    )


def _restore(snapshot: tuple, bars: int) -> TuneState:
    values, header, accidentals, _ = snapshot
    state = TuneState(**dict(zip(_FIELDS, values)))
    state.header, state.bar_accidentals, state.bars = list(header), dict(accidentals), bars
    return state


class ConstraintTable:
    """Interned tune states with cached successors and masks, for batches of rows.

    A row is (state id, bars completed). `masks` gives the (B, V) allowed tokens of a batch of
    rows, `advance` moves each row on by the token it drew."""

    def __init__(self, constraint: Constraint):
        self.constraint = constraint
        self.snapshots: list[tuple] = []
        self.ids: dict[tuple, int] = {}
        self.successors: dict[tuple[int, int], tuple[int, int]] = {}  # (state, token) -> (state, bar done)
        self.mask_rows: dict[tuple[int, int], int] = {}  # (state, bar bucket) -> row of self.table
        self.table = np.zeros((64, len(constraint.vocab)), dtype=bool)
        self.size = 0

    def start(self, tokens: list[str]) -> tuple[int, int]:
        """The row after feeding `tokens` (a forced prefix) to a fresh strict TuneState."""
        state = TuneState(strict=True)
        for token in tokens:
            state.feed(token)
        return self._intern(state), state.bars

    def _intern(self, state: TuneState) -> int:
        snapshot = _snapshot(state)
        index = self.ids.get(snapshot)
        if index is None:
            index = self.ids[snapshot] = len(self.snapshots)
            self.snapshots.append(snapshot)
        return index

    def _bucket(self, bars: int) -> int:
        """What the rules read of the bar count: 0..min_bars, and one bucket for max_bars and beyond."""
        limits = self.constraint
        return limits.min_bars + 1 if bars >= limits.max_bars else min(bars, limits.min_bars)

    def _bucket_bars(self, bucket: int) -> int:
        limits = self.constraint
        return limits.max_bars if bucket > limits.min_bars else bucket

    def advance(self, state: int, bars: int, token: int) -> tuple[int, int]:
        """The row after `token`."""
        key = (state, token)
        found = self.successors.get(key)
        if found is None:
            fed = _restore(self.snapshots[state], 1 if self.snapshots[state][3] else 0)
            before = fed.bars
            fed.feed(self.constraint.vocab[token])
            found = self.successors[key] = (self._intern(fed), fed.bars - before)
        return found[0], bars + found[1]

    def masks(self, rows: list[tuple[int, int]]) -> np.ndarray:
        """(B, V) True where a token keeps the tune well-formed. A dead end may only end the tune."""
        lookup, indices = self.mask_rows, []
        for state, bars in rows:
            key = (state, self._bucket(bars))
            index = lookup.get(key)
            if index is None:
                index = lookup[key] = self._add_mask(*key)
            indices.append(index)
        return self.table[indices]

    def _add_mask(self, state: int, bucket: int) -> int:
        allowed = self.constraint.mask(_restore(self.snapshots[state], self._bucket_bars(bucket)))
        if not allowed.any():
            allowed = np.zeros_like(allowed)
            allowed[self.constraint.eos] = True
        if self.size == len(self.table):
            self.table = np.concatenate([self.table, np.zeros_like(self.table)])
        self.table[self.size] = allowed
        self.size += 1
        return self.size - 1
