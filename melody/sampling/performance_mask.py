"""The sampler's mask for performance models (tokenizers/performance.py): a piece lets go of its notes.

Left free, an LSTM forgets a note it has struck, and the decoder holds it to the end of the piece:
a wall of held notes where a pianist plays phrases. On top of the event mask (the declared voices),
this one keeps each piece within what its corpus does, measured at training time
(priors.sounding_limits): no note sounds longer than the corpus's longest usual note (time may not
pass that point until the note's OFF is drawn, and then only it may be), no more notes sound
together than the corpus has sounding, and the piece does not end before MIN_SECONDS (nor with a
note still down).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from melody.sampling.event_mask import EventConstraint, EventState

MIN_SECONDS = 20.0
DEFAULT_LIMITS = {"longest_steps": 600, "most_sounding": 12}  # model files from before the corpus measured them


@dataclass
class PerformanceState(EventState):
    """The event state, and the time and notes sounding: (voice, pitch) -> the step it started."""

    now: int = 0
    sounding: dict = field(default_factory=dict)

    def feed(self, token: str) -> None:
        super().feed(token)
        kind, _, value = token.partition("_")
        if kind == "SHIFT":
            self.now += int(value)
        elif kind == "ON":
            self.sounding[(self.voice, int(value))] = self.now
        elif kind == "OFF":
            self.sounding.pop((self.voice, int(value)), None)


class PerformanceConstraint(EventConstraint):
    """`limits`: the corpus's sounding limits (longest_steps, most_sounding); `step_seconds`: the
    tokenizer's time step."""

    def __init__(self, vocab: list[str], voices: dict | None, limits: dict | None, step_seconds: float):
        super().__init__(vocab, None, voices)
        limits = limits or DEFAULT_LIMITS
        self.longest, self.most = int(limits["longest_steps"]), max(1, int(limits["most_sounding"]))
        self.min_steps = round(MIN_SECONDS / step_seconds)
        self.shift_of = np.array([int(t[6:]) if t.startswith("SHIFT_") else 0 for t in vocab])
        self.ons = np.array([t.startswith("ON_") for t in vocab])
        self.off_of = {t: i for i, t in enumerate(vocab) if t.startswith("OFF_")}
        self.eos = self.index["<eos>"]

    def banned(self, state: PerformanceState) -> np.ndarray:
        banned = super().banned(state)
        if not state.started:
            return banned
        if state.sounding:
            (voice, pitch), began = min(state.sounding.items(), key=lambda item: item[1])
            left = self.longest - (state.now - began)
            if left <= 0:  # the oldest note must end now: its voice, then its OFF
                only = np.ones(self.size, dtype=bool)
                only[self.index[f"V_{voice}"] if voice != state.voice else self.off_of[f"OFF_{pitch}"]] = False
                return only
            banned = banned | (self.shift_of > left)
            if len(state.sounding) >= self.most:
                banned = banned | self.ons
        if state.sounding or state.now < self.min_steps:
            banned = banned.copy()
            banned[self.eos] = True
        return banned
