"""The sampler's mask for performance models (tokenizers/performance.py): a piece lets go of its notes.

Left free, a model of note-ons and note-offs forgets a note it has struck, and the decoder holds it
to the end of the piece: a wall of held notes where a pianist plays phrases. Today's performance
tokens say each note's length where it is struck (ON_p DUR_d), so nothing is left to forget; on top
of the event mask (the declared voices) this one keeps each piece within what its corpus does,
measured at training time (training/statistics.sounding_limits): a note-on is followed by its duration, no
longer than the corpus's longest usual note; no more notes sound together than the corpus has
sounding; and the piece does not end before MIN_SECONDS. For model files from before durations
(note-offs), a note-off only for a key that is down, and time may not pass the longest usual
sounding of a note until its note-off is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from melody.sampling.event_mask import EventConstraint, EventState

MIN_SECONDS = 20.0
DEFAULT_LIMITS = {"longest_steps": 600, "most_sounding": 12}  # model files from before the corpus measured them


@dataclass
class PerformanceState(EventState):
    """The event state, and the time and the notes sounding: with durations, the step each ends;
    with note-offs, (voice, pitch) -> the step it started."""

    now: int = 0
    ends: list = field(default_factory=list)
    held: dict = field(default_factory=dict)
    struck: tuple[int, int] | None = None  # the last note-on's (voice, pitch): its DUR may follow

    @property
    def sounding(self) -> int:
        return len(self.held) + len(self.ends)

    def feed(self, token: str) -> None:
        super().feed(token)
        kind, _, value = token.partition("_")
        if kind == "SHIFT":
            self.now += int(value)
            self.ends = [end for end in self.ends if end > self.now]
        elif kind == "ON":
            self.struck = (self.voice, int(value))
            self.held[self.struck] = self.now  # open until its DUR or its OFF says how long
        elif kind == "DUR" and self.struck in self.held:
            self.ends.append(self.held.pop(self.struck) + int(value))
        elif kind == "OFF":
            self.held.pop((self.voice, int(value)), None)
        if kind != "ON":
            self.struck = None


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
        self.offs = np.array([t.startswith("OFF_") for t in vocab])
        self.off_of = {t: i for i, t in enumerate(vocab) if t.startswith("OFF_")}
        lengths = np.array([int(t[4:]) if t.startswith("DUR_") else 0 for t in vocab])
        self.with_durations = bool(lengths.any())
        shortest = lengths[lengths > 0].min(initial=1)
        self.only_lengths = (lengths == 0) | (lengths > max(self.longest, shortest))
        self.eos = self.index["<eos>"]

    def banned(self, state: PerformanceState) -> np.ndarray:
        banned = super().banned(state)
        if not state.started:
            return banned
        if self.with_durations and state.struck is not None:
            return self.only_lengths  # the note just struck: how long, within the usual
        if not self.with_durations:
            forced = self._forced_off(state)
            if forced is not None:
                return forced
            banned = banned | self.offs
            banned[[self.off_of[f"OFF_{p}"] for voice, p in state.held if voice == state.voice]] = False
            if state.held:
                banned = banned | (self.shift_of > self.longest - (state.now - min(state.held.values())))
        if state.sounding >= self.most:
            banned = banned | self.ons
        if state.now < self.min_steps or state.held:
            banned = banned.copy()
            banned[self.eos] = True
        return banned

    def _forced_off(self, state: PerformanceState) -> np.ndarray | None:
        """Note-off models: the note held longest must end once it has sounded the corpus's longest
        usual time: only its voice's token, then its OFF, may come (None while none is due)."""
        if not state.held:
            return None
        (voice, pitch), began = min(state.held.items(), key=lambda item: item[1])
        if state.now - began < self.longest:
            return None
        only = np.ones(self.size, dtype=bool)
        only[self.index[f"V_{voice}"] if voice != state.voice else self.off_of[f"OFF_{pitch}"]] = False
        return only
