"""The sampler's mask for event models (tokenizers/events.py): a piece plays only the voices its
header declares, in the key it declares.

Each PROGRAM token before the first BAR declares one voice; after it, a voice token V_i with i at
or past that count is masked, and so are PROGRAM tokens (the decoder would ignore them). A chorale
whose header names four voices then has four, by construction. Once the KEY token has named the
tonic and mode, a pitch whose class (relative to the tonic) made up less than
`MIN_PITCH_CLASS_SHARE` of the training pieces' notes in that mode is masked: the key's scale and
the chromatic notes the corpus uses often (in Bach's minor chorales the leading tone), never the
rare ones: an LSTM this small, left free, scatters chromatic notes a chorale would not have."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_PITCH_CLASS_SHARE = 0.03


def pitch_class_shares(scores: list, key_of) -> dict[str, list[float]] | None:
    """Per mode ("major", "minor"), the share of note time on each pitch class relative to the
    tonic, over pieces whose key `key_of(score)` gives as (tonic pitch class, mode)."""
    totals = {"major": [0.0] * 12, "minor": [0.0] * 12}
    for score in scores:
        tonic, mode = key_of(score)
        for note in score.notes:
            totals[mode][(note.pitch - tonic) % 12] += note.duration
    return {mode: [v / (sum(row) or 1.0) for v in row] for mode, row in totals.items()} if scores else None


@dataclass
class EventState:
    """How far a piece's header has got: voices declared, and whether the music has begun."""

    voices: int = 0
    started: bool = False
    key: tuple[int, str] | None = None  # (tonic pitch class, mode) once the KEY token has come

    def feed(self, token: str) -> None:
        if token == "BAR":
            self.started = True
        elif token.startswith("PROGRAM_") and not self.started:
            self.voices += 1
        elif token.startswith("KEY_") and not self.started:
            _, tonic, mode = token.split("_")
            self.key = (int(tonic), mode)


class EventConstraint:
    """Masks per state, cached by (voices, started, key): there are only a few. `shares`: the
    training pieces' `pitch_class_shares` (none: every pitch is allowed)."""

    def __init__(self, vocab: list[str], shares: dict[str, list[float]] | None = None):
        self.size = len(vocab)
        self.voice_of = np.array([int(t[2:]) if t.startswith("V_") else -1 for t in vocab])
        self.programs = np.array([t.startswith("PROGRAM_") for t in vocab])
        self.pitch_of = np.array([int(t[6:]) if t.startswith("PITCH_") else -1 for t in vocab])
        self.shares = shares
        self._cache: dict[tuple, np.ndarray] = {}

    def banned(self, state: EventState) -> np.ndarray:
        """(V,) True where the sampler must not go."""
        key = (state.voices, state.started, state.key)
        if key not in self._cache:
            banned = self.voice_of >= max(state.voices, 1)
            if state.started:
                banned = banned | self.programs
            if state.key is not None and self.shares:
                tonic, mode = state.key
                used = np.array(self.shares[mode]) >= MIN_PITCH_CLASS_SHARE
                banned = banned | ((self.pitch_of >= 0) & ~used[(self.pitch_of - tonic) % 12])
            self._cache[key] = banned
        return self._cache[key]
