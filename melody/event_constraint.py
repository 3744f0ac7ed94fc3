"""The sampler's mask for event models (tokenizers/events.py): a piece plays only the voices its
header declares. Each PROGRAM token before the first BAR declares one voice; after it, a voice
token V_i with i at or past that count is masked, and so are PROGRAM tokens (the decoder would
ignore them). A chorale whose header names four voices then has four, by construction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class EventState:
    """How far a piece's header has got: voices declared, and whether the music has begun."""

    voices: int = 0
    started: bool = False

    def feed(self, token: str) -> None:
        if token == "BAR":
            self.started = True
        elif token.startswith("PROGRAM_") and not self.started:
            self.voices += 1


class EventConstraint:
    """Masks per state, cached by (voices, started): there are only a few."""

    def __init__(self, vocab: list[str]):
        self.size = len(vocab)
        self.voice_of = np.array([int(t[2:]) if t.startswith("V_") else -1 for t in vocab])
        self.programs = np.array([t.startswith("PROGRAM_") for t in vocab])
        self._cache: dict[tuple[int, bool], np.ndarray] = {}

    def banned(self, state: EventState) -> np.ndarray:
        """(V,) True where the sampler must not go."""
        key = (state.voices, state.started)
        if key not in self._cache:
            banned = self.voice_of >= max(state.voices, 1)
            if state.started:
                banned = banned | self.programs
            self._cache[key] = banned
        return self._cache[key]
