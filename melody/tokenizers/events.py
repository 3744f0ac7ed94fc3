"""Beat-quantized MIDI events: a vocabulary a causal model can learn and a decoder cannot break.

A piece is ``<bos> METER_n_d TEMPO_t KEY_k_mode (PROGRAM_p ROLE_r)...
(BAR (POS_k (VEL_v)? (V_i)? PITCH_p DUR_d)*)* <eos>``: one PROGRAM per voice, so the header says how
many voices the piece has, each with its role (melody, chords, other, bass, drums: roles.py), the
voices listed in that order, so the model knows which line carries the tune, and at each position
the melody's notes come first. A drum voice plays DRUM_p tokens (General MIDI percussion sounds),
which transposing and the key's scale leave alone. The key (its tonic's pitch class, major or minor:
the piece's own, else the best-fitting scale) moves with the pitches when training transposes a
piece, so the model always knows which scale it is in. Older models have no ROLE or DRUM tokens.

Time moves only forward (bars, then positions inside a bar, in steps of 1/12 beat so sixteenths
and triplets both survive); a note is a pitch followed by its duration. Velocity and voice are
sticky: written only when they change. Decoding accepts any sequence: a pitch without a duration
lasts to the end of its bar, a duration without a pitch and tokens out of place are ignored.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from melody.errors import InputError
from melody.formats.midi_grid import on_grid
from melody.music.roles import ROLES, by_role
from melody.music.score import TONIC_NAMES, Note, Score
from melody.tokenizers.base import SPECIALS, Tokenizer

STEPS_PER_BEAT = 12
MAX_DURATION = 16 * STEPS_PER_BEAT  # notes longer than 16 beats are cut to it
MAX_VOICES = 8
NUMERATORS, DENOMINATORS = range(1, 13), (2, 4, 8, 16)
TEMPO_STEP, TEMPOS = 8, range(40, 249, 8)
VELOCITY_BINS = 8  # 128 / 8 = 16 velocities per bin
MODES = ("major", "minor")
DEFAULT_VELOCITY = 90


def velocity_bin(velocity: int) -> int:
    return min(VELOCITY_BINS - 1, max(0, int(velocity)) * VELOCITY_BINS // 128)


def bin_velocity(index: int) -> int:
    """The velocity a bin decodes to (its middle)."""
    return index * (128 // VELOCITY_BINS) + 128 // VELOCITY_BINS // 2


def key_token(key: str) -> str:
    """``KEY_7_major`` for G, ``KEY_4_minor`` for Em: modes whose third is minor count as minor."""
    from melody.music.theory import MODE_FIFTHS, key_parts, normalize_key, tonic_pitch_class

    _tonic, mode, _extras = key_parts(normalize_key(key) or "C")
    return f"KEY_{tonic_pitch_class(key)}_{'minor' if MODE_FIFTHS.get(mode, 0) < -1 else 'major'}"


def key_name(token: str) -> str:
    """The ABC key a KEY token stands for: ``KEY_4_minor`` -> ``Em``."""
    _, tonic, mode = token.split("_")
    return TONIC_NAMES[int(tonic)] + ("m" if mode == "minor" else "")


def _vocabulary(velocity: bool, keys: bool = True, roles: bool = True) -> list[str]:
    tokens = ["BAR"]
    tokens += [f"METER_{n}_{d}" for n in NUMERATORS for d in DENOMINATORS]
    tokens += [f"TEMPO_{t}" for t in TEMPOS]
    tokens += [f"PROGRAM_{p}" for p in range(128)]
    max_bar = max(NUMERATORS) * 4 * STEPS_PER_BEAT // min(DENOMINATORS)
    tokens += [f"POS_{k}" for k in range(max_bar)]
    tokens += [f"V_{i}" for i in range(MAX_VOICES)]
    tokens += [f"PITCH_{p}" for p in range(128)]
    tokens += [f"DUR_{d}" for d in range(1, MAX_DURATION + 1)]
    if velocity:
        tokens += [f"VEL_{v}" for v in range(VELOCITY_BINS)]
    if keys:
        tokens += [f"KEY_{tonic}_{mode}" for tonic in range(12) for mode in MODES]
    if roles:
        tokens += [f"ROLE_{role}" for role in ROLES] + [f"DRUM_{p}" for p in range(128)]
    return list(SPECIALS) + sorted(tokens)


class EventTokenizer(Tokenizer):
    name = "midi"
    piece_kind = "score"
    plan = "events"
    constraint = "events"
    fixed_vocabulary = True

    @property
    def statistics(self) -> tuple[str, ...]:
        return ("pitch_classes",) * self.keys + ("voices",) * self.roles

    @property
    def options(self) -> frozenset[str]:
        """A beat grid keeps a tempo and moves by semitones; keys and roles as its tokens have them
        (the melody it accompanies is the voice whose role says so)."""
        keys = {"key"} if self.keys else set()
        return frozenset({"tempo", "transpose"} | keys | ({"tracks", "accompany"} if self.roles else set()))

    def blurred(self, piece: Score) -> bool:
        return not on_grid(piece)

    def __init__(self, vocab: list[str] | None = None, velocity: bool = True, keys: bool = True, roles: bool = True):
        self.velocity = velocity if vocab is None else any(t.startswith("VEL_") for t in vocab)
        self.keys = keys if vocab is None else any(t.startswith("KEY_") for t in vocab)  # older models: none
        self.roles = roles if vocab is None else any(t.startswith("ROLE_") for t in vocab)  # older models: none
        super().__init__(vocab or _vocabulary(self.velocity, self.keys, self.roles))

    @property
    def pitch_of(self):
        """(V,) array: the MIDI pitch of each PITCH_ token, -1 for every other token."""
        return np.array([int(t[6:]) if t.startswith("PITCH_") else -1 for t in self.vocab], dtype=np.int64)

    @staticmethod
    def key_of_score(score: Score) -> tuple[int, str]:
        """(tonic pitch class, mode) of a score: its own key, else the best-fitting scale."""
        _, tonic, mode = key_token(score.key or score.estimated_key).split("_")
        return int(tonic), mode

    def key_tokens(self, score: Score) -> list[str]:
        """The KEY_ token of the key a score is heard in ([] where this model's pieces carry none)."""
        return ["KEY_{}_{}".format(*self.key_of_score(score))] if self.keys else []

    @property
    def key_of(self):
        """(V,) array: tonic pitch class + 12 for minor of each KEY_ token, -1 for every other."""

        def index(token: str) -> int:
            _, tonic, mode = token.split("_")
            return int(tonic) + 12 * MODES.index(mode)

        return np.array([index(t) if t.startswith("KEY_") else -1 for t in self.vocab], dtype=np.int64)

    @property
    def key_ids(self):
        """(24,) array: the id of each key (tonic + 12 for minor), or None without key tokens."""
        if not self.keys:
            return None
        return np.array([self.index[f"KEY_{k % 12}_{MODES[k // 12]}"] for k in range(24)], dtype=np.int64)

    @property
    def pitch_ids(self):
        """(128,) array: the id of PITCH_p for each MIDI pitch p."""
        return np.array([self.index[f"PITCH_{p}"] for p in range(128)], dtype=np.int64)

    def transpose(self, flat: np.ndarray, offsets: np.ndarray, max_shift: int, seed: int) -> np.ndarray:
        """Pitch tokens rewritten (0 where the shift would leave the MIDI range) and the key moved
        with the notes: no Python loop over tokens."""
        pitches = self.pitch_of[flat]  # (N,) -1 where not a pitch
        is_pitch = pitches >= 0
        starts = offsets[:-1]
        lows = np.minimum.reduceat(np.where(is_pitch, pitches, 10_000), starts)
        highs = np.maximum.reduceat(np.where(is_pitch, pitches, -1), starts)
        shifts = np.random.default_rng(seed).integers(-max_shift, max_shift + 1, size=starts.size)
        shifts = np.where((lows + shifts >= 0) & (highs + shifts <= 127), shifts, 0)
        per_token = np.repeat(shifts, np.diff(offsets))
        moved = flat.copy()
        moved[is_pitch] = self.pitch_ids[pitches[is_pitch] + per_token[is_pitch]]
        if self.keys:
            keys = self.key_of[flat]
            is_key = keys >= 0
            moved[is_key] = self.key_ids[(keys[is_key] % 12 + per_token[is_key]) % 12 + 12 * (keys[is_key] // 12)]
        return moved

    def settings(self) -> dict:
        return {"steps_per_beat": STEPS_PER_BEAT, "velocity": self.velocity, "keys": self.keys, "roles": self.roles}

    def fit(self, pieces) -> EventTokenizer:
        return self  # the vocabulary is fixed by the settings, so every corpus shares it

    def prepare(self, score: Score) -> Score:
        """What a round trip preserves: the quantized notes, durations capped, velocities binned (and
        with roles, the voices in role order, drums marked)."""
        score = self.arranged(score)
        quantized = score.quantize(STEPS_PER_BEAT)
        notes = tuple(
            Note(
                n.start,
                min(n.end, n.start + MAX_DURATION / STEPS_PER_BEAT),
                n.pitch,
                bin_velocity(velocity_bin(n.velocity if self.velocity else DEFAULT_VELOCITY)),
                n.voice,
            )
            for n in quantized.notes
            if n.voice < MAX_VOICES
        )
        drums = tuple(quantized.is_drum(v) for v in range(quantized.voices)) if self.roles else ()
        return Score(notes, quantized.tempo, quantized.meter, quantized.key, quantized.programs, drums=drums)

    def arranged(self, score: Score) -> Score:
        """With roles: voices in role order, and a pickup placed at the end of a first bar (a rest
        before it), so that BAR tokens fall on the music's bar lines."""
        if not self.roles:
            return score
        score = by_role(score)
        bar = float(score.bar_beats)
        if not score.pickup or bar <= 0:
            return score
        shift = (bar - score.pickup % bar) % bar
        table = score.table
        notes = table.taken(shift=shift)
        tempos = tuple((at + shift, bpm) for at, bpm in score.tempos)
        return replace(score, notes=notes, tempos=tempos, pickup=0.0)

    def encode(self, piece: Score, *, bos: bool = True, eos: bool = True) -> list[int]:
        if not isinstance(piece, Score):
            raise InputError("the midi tokenizer reads scores (MIDI or MusicXML), not ABC text")
        score = self.arranged(piece)
        if not self.roles:
            score = score.quantize(STEPS_PER_BEAT)
        heard = self.key_tokens(piece if self.roles else score)  # arranging moves voices and time, not the key
        numerator, denominator = score.meter
        if numerator not in NUMERATORS or denominator not in DENOMINATORS:
            numerator, denominator = 4, 4
        bar_steps = int(Fraction(4 * numerator, denominator) * STEPS_PER_BEAT)
        tempo = min(TEMPOS, key=lambda t: abs(t - score.tempo))
        tokens = [f"METER_{numerator}_{denominator}", f"TEMPO_{tempo}"] + heard
        if self.roles:
            for program, role in zip(score.programs[:MAX_VOICES], score.roles):
                tokens += [f"PROGRAM_{program}", f"ROLE_{role}"]
            ids = [self.index[t] for t in tokens] + self._music_ids(score, bar_steps)
            return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])
        tokens += [f"PROGRAM_{p}" for p in score.programs[:MAX_VOICES]]
        bar, position, voice, velocity = -1, None, 0, None
        for note in score.notes:
            if note.voice >= MAX_VOICES:
                continue
            start = round(note.start * STEPS_PER_BEAT)
            while bar < start // bar_steps:
                tokens.append("BAR")
                bar, position = bar + 1, None
            if start % bar_steps != position:
                position = start % bar_steps
                tokens.append(f"POS_{position}")
            if self.velocity and velocity_bin(note.velocity) != velocity:
                velocity = velocity_bin(note.velocity)
                tokens.append(f"VEL_{velocity}")
            if note.voice != voice:
                voice = note.voice
                tokens.append(f"V_{voice}")
            duration = min(MAX_DURATION, round(note.end * STEPS_PER_BEAT) - start)
            tokens += [f"PITCH_{note.pitch}", f"DUR_{duration}"]
        ids = [self.index[t] for t in tokens]
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def _music_ids(self, score: Score, bar_steps: int) -> list[int]:
        """The bars of a quantized score with roles, as ids: notes ordered by onset, then voice (the
        melody first), pitch and end; drum voices in DRUM tokens. Arrays, not Notes: a corpus of
        songs holds a million notes."""
        if not score.notes:
            return []
        table = score.table
        start = np.rint(table.start * STEPS_PER_BEAT).astype(np.int64)
        end = np.minimum(start + MAX_DURATION, np.maximum(start + 1, np.rint(table.end * STEPS_PER_BEAT)))
        notes = np.stack([start, end.astype(np.int64), table.pitch, table.velocity, table.voice], axis=1)
        notes = notes[notes[:, 4] < MAX_VOICES]
        if not len(notes):
            return []
        notes = notes[np.lexsort((notes[:, 3], notes[:, 1], notes[:, 2], notes[:, 4], notes[:, 0]))]
        notes = notes[np.concatenate(([True], (notes[1:] != notes[:-1]).any(axis=1)))]  # duplicates collapse
        return self._note_ids(notes, bar_steps, np.array([score.is_drum(v) for v in range(MAX_VOICES)]))

    def _note_ids(self, notes: np.ndarray, bar_steps: int, drums: np.ndarray) -> list[int]:
        """Ids of ordered notes (rows of start step, end step, pitch, velocity, voice): before each
        note the BARs it crosses, then POS, VEL and V where they change (sticky), then its pitch (or
        drum sound) and duration. Laid out with arrays: each note's slots counted, then filled."""
        ids = self._id_tables()
        begin, finish, pitch, part = notes[:, 0], notes[:, 1], notes[:, 2], notes[:, 4]
        loudness = np.minimum(VELOCITY_BINS - 1, np.clip(notes[:, 3], 0, None) * VELOCITY_BINS // 128)
        bar, position = begin // bar_steps, begin % bar_steps

        def changed(values: np.ndarray, before: int) -> np.ndarray:
            return values != np.concatenate(([before], values[:-1]))

        bars = bar - np.concatenate(([-1], bar[:-1]))
        with_position = (bars > 0) | changed(position, -1)
        with_velocity = changed(loudness, -1) if self.velocity else np.zeros(len(notes), dtype=bool)
        with_voice = changed(part, 0)
        count = bars + with_position + with_velocity + with_voice + 2
        out = np.full(int(count.sum()), int(ids["BAR"]), dtype=np.int64)  # what no other slot fills
        cursor = np.cumsum(count) - count + bars
        for flags, values in ((with_position, ids["POS"][position]), (with_velocity, ids["VEL"][loudness])):
            out[cursor[flags]] = values[flags]
            cursor = cursor + flags
        out[cursor[with_voice]] = ids["V"][part[with_voice]]
        cursor = cursor + with_voice
        out[cursor] = np.where(drums[part], ids["DRUM"][pitch], ids["PITCH"][pitch])
        out[cursor + 1] = ids["DUR"][finish - begin]
        return out.tolist()

    def _id_tables(self) -> dict:
        """Token ids by number for each kind (``ids["PITCH"][60]``, -1 where none), arrays built once."""
        if getattr(self, "_ids", None) is None:
            tables = {"BAR": self.index["BAR"]}
            for kind, count in (
                ("POS", 1000),
                ("VEL", VELOCITY_BINS),
                ("V", MAX_VOICES),
                ("PITCH", 128),
                ("DRUM", 128),
            ):
                tables[kind] = np.array([self.index.get(f"{kind}_{k}", -1) for k in range(count)])
            tables["DUR"] = np.array([self.index.get(f"DUR_{d}", -1) for d in range(MAX_DURATION + 1)])
            self._ids = tables
        return self._ids

    def decode(self, ids: list[int]) -> Score:
        meter, tempo, programs, key, roles = (4, 4), 120.0, [], None, {}
        bar_steps = 4 * STEPS_PER_BEAT
        bar, position, voice, velocity = 0, 0, 0, bin_velocity(velocity_bin(DEFAULT_VELOCITY))
        seen_bar, pending, notes = False, None, []

        def close_pending() -> None:  # a pitch without a duration lasts to the end of its bar
            if pending is not None:
                start = bar * bar_steps + pending[1]
                end = max(start + 1, (bar + 1) * bar_steps)  # a meter token may have shortened the bar
                notes.append(Note(start / STEPS_PER_BEAT, end / STEPS_PER_BEAT, pending[0], velocity, voice))

        for i in ids:
            if not 0 <= i < len(self.vocab):
                continue
            token = self.vocab[i]
            kind, _, value = token.partition("_")
            if token == "BAR":
                close_pending()
                pending = None
                bar, position = (bar + 1 if seen_bar else 0), 0
                seen_bar = True
            elif kind == "METER" and not seen_bar:
                numerator, denominator = (int(v) for v in value.split("_"))
                meter, bar_steps = (numerator, denominator), int(Fraction(4 * numerator, denominator) * STEPS_PER_BEAT)
            elif kind == "TEMPO" and not seen_bar:
                tempo = float(value)
            elif kind == "KEY" and not seen_bar:
                key = key_name(token)
            elif kind == "PROGRAM" and not seen_bar and len(programs) < MAX_VOICES:
                programs.append(int(value))
            elif kind == "ROLE" and not seen_bar and programs:
                roles[len(programs) - 1] = value
            elif kind == "POS" and int(value) < bar_steps:
                close_pending()
                pending, position = None, int(value)
            elif kind == "VEL":
                velocity = bin_velocity(int(value))
            elif kind == "V":
                voice = int(value)
            elif kind in ("PITCH", "DRUM"):
                close_pending()
                pending = (int(value), position)
            elif kind == "DUR" and pending is not None:
                start = bar * bar_steps + pending[1]
                notes.append(
                    Note(start / STEPS_PER_BEAT, (start + int(value)) / STEPS_PER_BEAT, pending[0], velocity, voice)
                )
                pending = None
        close_pending()
        voices = max([n.voice for n in notes], default=0) + 1
        programs = (programs + [0] * voices)[: max(voices, len(programs))]
        if not roles:
            return Score(tuple(notes), tempo, meter, key, tuple(programs))
        names = tuple(roles.get(v, "") for v in range(len(programs)))
        drums = tuple(name == "drums" for name in names)
        return Score(tuple(notes), tempo, meter, key, tuple(programs), names=names, drums=drums)
