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


ONE_AT_A_TIME = ("melody", "bass")  # roles that play one note at each onset
HEADER_KINDS = ("PROGRAM_", "ROLE_", "METER_", "TEMPO_", "KEY_")


@dataclass
class EventState:
    """How far a piece has got: voices declared (with their roles), whether the music has begun,
    the voice being written and how many notes it has started at the current position."""

    voices: int = 0
    started: bool = False
    key: tuple[int, str] | None = None  # (tonic pitch class, mode) once the KEY token has come
    declared: int = 0  # METER, TEMPO and KEY tokens so far (the header's opening, in that order)
    roles: tuple[str, ...] = ()
    awaiting_role: bool = False  # a PROGRAM came; its ROLE is next
    voice: int = 0
    here: int = 0  # notes the current voice has started at this position
    position: int = -1  # steps into the bar (-1: at its bar line, before any POS)
    bar_steps: int = 48  # from the METER token
    pending: bool = False  # a pitch waits for its duration

    def feed(self, token: str) -> None:
        self.pending = token.startswith(("PITCH_", "DRUM_"))
        if token.startswith(("METER_", "TEMPO_", "KEY_")) and not self.started:
            self.declared += 1
        if token == "BAR" or (not self.started and not token.startswith(HEADER_KINDS) and not token.startswith("<")):
            self.started, self.here, self.position = True, 0, -1  # the first bar, or a performance's first event
        elif token.startswith("POS_"):
            self.here, self.position = 0, int(token[4:])
        elif token.startswith("METER_") and not self.started:
            numerator, denominator = (int(v) for v in token[6:].split("_"))
            self.bar_steps = 4 * numerator * 12 // denominator
        elif token.startswith("V_"):
            self.voice, self.here = int(token[2:]), 0
        elif token.startswith(("PITCH_", "DRUM_")):
            self.here += 1
        elif token.startswith("PROGRAM_") and not self.started:
            self.voices += 1
            self.awaiting_role = True
        elif token.startswith("ROLE_") and not self.started:
            self.roles += (token[5:],)
            self.awaiting_role = False
        elif token.startswith("KEY_") and not self.started:
            _, tonic, mode = token.split("_")
            self.key = (int(tonic), mode)


class EventConstraint:
    """Masks per state, cached (there are only a few states). `shares`: the training pieces'
    `pitch_class_shares` (training/statistics.py; none: every pitch is allowed). `voices`: the corpus's `voice_layout`
    (data.py), for models whose header names roles: the header declares exactly that layout, each
    voice keeps to its role's register (a drum voice to the corpus's drum sounds, the others to
    pitches), and a melody or bass voice starts one note at a time. `tempo`: the only TEMPO token
    allowed is the one nearest it."""

    cues = False  # no part cues: no part comes back (sampling/returns.py)

    def __init__(
        self,
        vocab: list[str],
        shares: dict[str, list[float]] | None = None,
        voices: dict | None = None,
        tempo: float | None = None,
    ):
        self.size = len(vocab)
        self.index = {token: i for i, token in enumerate(vocab)}
        self.voice_of = np.array([int(t[2:]) if t.startswith("V_") else -1 for t in vocab])
        self.programs = np.array([t.startswith("PROGRAM_") for t in vocab])
        self.pitch_of = np.array([int(t[6:]) if t.startswith("PITCH_") else -1 for t in vocab])
        self.drum_of = np.array([int(t[5:]) if t.startswith("DRUM_") else -1 for t in vocab])
        self.header = np.array([t.startswith(HEADER_KINDS) for t in vocab])
        tempos = np.array([int(t[6:]) if t.startswith("TEMPO_") else -1 for t in vocab])
        self.other_tempos = np.zeros(len(vocab), dtype=bool)
        if tempo is not None and (tempos >= 0).any():
            nearest = tempos[tempos >= 0][np.argmin(np.abs(tempos[tempos >= 0] - tempo))]
            self.other_tempos = (tempos >= 0) & (tempos != nearest)
        self.shares = shares
        has_roles = any(t.startswith("ROLE_") for t in vocab)
        self.layout = [(v["role"], v["program"]) for v in voices["layout"]] if voices and has_roles else None
        self.registers = voices.get("registers", {}) if self.layout else {}
        self._cache: dict[tuple, np.ndarray] = {}
        self._grammar_cache: dict[tuple, np.ndarray] = {}
        self.position_of = np.array([int(t[4:]) if t.startswith("POS_") else -1 for t in vocab])
        self.durations = np.array([t.startswith("DUR_") for t in vocab]) if "BAR" in self.index else None
        kinds = [kind for kind in ("METER_", "TEMPO_", "KEY_") if any(t.startswith(kind) for t in vocab)]
        self.opening = [np.array([t.startswith(kind) for t in vocab]) for kind in kinds]  # the header, in order

    def banned(self, state: EventState) -> np.ndarray:
        """(V,) True where the sampler must not go."""
        role = state.roles[state.voice] if state.voice < len(state.roles) else None
        full = role in ONE_AT_A_TIME and state.here >= 1
        key = (state.voices, state.started, state.key, state.awaiting_role, role, full, state.declared)
        if key not in self._cache:
            self._cache[key] = self._banned(state, role, full)
        if not state.started or self.durations is None:
            return self._cache[key]
        return self._grammar(state) | self._cache[key]

    def _grammar(self, state: EventState) -> np.ndarray:
        """Time moves forward inside the bar and a pitch takes its duration next, as the tokenizer
        writes them (event tokenizer only)."""
        key = (state.pending, state.position, state.bar_steps)
        if key not in self._grammar_cache:
            if state.pending:
                banned = ~self.durations
            else:
                banned = self.durations | ((self.position_of >= 0) & (self.position_of <= state.position))
                banned = banned | (self.position_of >= state.bar_steps)
            self._grammar_cache[key] = banned
        return self._grammar_cache[key]

    def _banned(self, state: EventState, role: str | None, full: bool) -> np.ndarray:
        banned = (self.voice_of >= max(state.voices, 1)) | self.other_tempos
        if self.layout is not None and not state.started:
            return banned | self._header(state)
        if not state.started and self.durations is not None:  # a beat-grid model's header, in its order
            return banned | self._opening(state)
        if state.started:
            banned = banned | self.programs | (self.header if self.layout is not None else False)
        if state.key is not None and self.shares:
            tonic, mode = state.key
            used = np.array(self.shares[mode]) >= MIN_PITCH_CLASS_SHARE
            banned = banned | ((self.pitch_of >= 0) & ~used[(self.pitch_of - tonic) % 12])
        if self.layout is None or role is None:
            return banned
        if role == "drums":
            sounds = self.registers.get("drums") or list(range(128))
            banned = banned | (self.pitch_of >= 0) | ((self.drum_of >= 0) & ~np.isin(self.drum_of, sounds))
        else:
            low, high = self.registers.get(role, (0, 127))
            banned = (
                banned | (self.drum_of >= 0) | ((self.pitch_of >= 0) & ((self.pitch_of < low) | (self.pitch_of > high)))
            )
        if full:
            banned = banned | (self.pitch_of >= 0) | (self.drum_of >= 0)
        return banned

    def _opening(self, state: EventState) -> np.ndarray:
        """Before the first bar of a model without roles: meter, tempo and key, then its voices'
        programs, then the first BAR."""
        if state.declared < len(self.opening):
            return ~self.opening[state.declared]
        only = ~self.programs
        if state.voices:
            only[self.index["BAR"]] = False
        return only

    def _header(self, state: EventState) -> np.ndarray:
        """Before the first bar: the corpus's layout, voice by voice, then the first BAR."""
        only = np.ones(self.size, dtype=bool)
        if state.awaiting_role:
            only[self.index[f"ROLE_{self.layout[state.voices - 1][0]}"]] = False
        elif state.voices < len(self.layout):
            if state.voices == 0 and state.declared < len(self.opening):  # meter, tempo and key first, in order
                return ~self.opening[state.declared]
            only[self.index[f"PROGRAM_{self.layout[state.voices][1]}"]] = False
        elif "BAR" in self.index:
            only[self.index["BAR"]] = False
        else:  # a performance: any event but another declaration
            only = self.header.copy()
        return only
