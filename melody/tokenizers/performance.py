"""Performance events: music as it was played, timed in milliseconds rather than on a beat grid.

Performance RNN's idea, with each note's length said where it is struck (as MidiTok's TSD does): a
piece is ``<bos> (PROGRAM_p ROLE_r)... ((SHIFT_k)* (V_i)? (VEL_v)? ON_p DUR_d)* <eos>``: each voice
declared with its program and role as the event tokenizer does it, then the notes in time order,
separated by time shifts of 10 ms steps (up to one second a token), the voice and the velocity (32
bins) written only when they change, each note-on followed by its duration: exact to 10 ms up to 2
s, to 50 ms up to 8 s (longer notes end there). For files that fit no grid (a human playing, not a
sequencer), which a beat grid would quantise into mush. A model need not remember which keys are
down to let go of them, so its pieces cannot hang on notes it forgot. Decoding accepts any
sequence; models made before durations (note-offs, ``OFF_p``) still load and decode.
"""

from __future__ import annotations

import bisect

from melody.errors import InputError
from melody.formats.abc.writer import performance_notation
from melody.music.roles import ROLES, by_role
from melody.music.score import Note, Score, beat_seconds
from melody.tokenizers.base import SPECIALS, Tokenizer

STEP_SECONDS = 0.01
MAX_SHIFT = 100  # steps in one SHIFT token: one second
VELOCITY_BINS = 32
MAX_VOICES = 8
DECODED_TEMPO = 120.0  # a decoded piece's beats: half a second each
DURATIONS = tuple(range(1, 201)) + tuple(range(205, 801, 5))  # in steps: 10 ms to 2 s, then 50 ms to 8 s


def velocity_bin(velocity: int) -> int:
    return min(VELOCITY_BINS - 1, max(0, int(velocity)) * VELOCITY_BINS // 128)


def bin_velocity(index: int) -> int:
    return index * (128 // VELOCITY_BINS) + 128 // VELOCITY_BINS // 2


def duration_steps(steps: int) -> int:
    """The nearest length a DUR token says (at least one step, at most 8 s)."""
    index = bisect.bisect_left(DURATIONS, steps)
    if index == len(DURATIONS):
        return DURATIONS[-1]
    return (
        DURATIONS[index]
        if index == 0 or DURATIONS[index] - steps <= steps - DURATIONS[index - 1]
        else DURATIONS[index - 1]
    )


def _vocabulary() -> list[str]:
    tokens = [f"ON_{p}" for p in range(128)] + [f"DUR_{d}" for d in DURATIONS]
    tokens += [f"SHIFT_{k}" for k in range(1, MAX_SHIFT + 1)]
    tokens += [f"VEL_{v}" for v in range(VELOCITY_BINS)]
    tokens += [f"V_{i}" for i in range(MAX_VOICES)]
    tokens += [f"PROGRAM_{p}" for p in range(128)] + [f"ROLE_{role}" for role in ROLES]
    return list(SPECIALS) + sorted(tokens)


class PerformanceTokenizer(Tokenizer):
    name = "performance"
    piece_kind = "score"
    options = frozenset({"tracks"})
    plan = "events"
    roles = True
    constraint = "performance"
    fixed_vocabulary = True
    statistics = ("voices", "sounding")

    def __init__(self, vocab: list[str] | None = None):
        super().__init__(vocab or _vocabulary())
        self.durations = "DUR_1" in self.index  # else a model file from before: notes end with OFF_p

    def notation(self, score: Score) -> Score:
        return performance_notation(score)  # played: read on sixteenths

    def fit(self, pieces) -> PerformanceTokenizer:
        return self  # a fixed vocabulary: every corpus shares it

    def settings(self) -> dict:
        return {"step_seconds": STEP_SECONDS, "velocity_bins": VELOCITY_BINS}

    def _steps(self, score: Score) -> list[tuple[int, int, int, int, int]]:
        """(start step, end step, pitch, velocity bin, voice) of each note, in 10 ms steps."""
        seconds = beat_seconds(score.tempo, score.tempos)
        notes = []
        for n in score.notes:
            if n.voice >= MAX_VOICES:
                continue
            start = round(seconds(n.start) / STEP_SECONDS)
            end = max(start + 1, round(seconds(n.end) / STEP_SECONDS))
            notes.append((start, end, n.pitch, velocity_bin(n.velocity), n.voice))
        return notes

    def prepare(self, score: Score) -> Score:
        """What a round trip preserves: times on 10 ms steps (at the decoded tempo), lengths as a DUR
        token says them, velocities binned, voices in role order; a note that restarts while it
        sounds is ended there."""
        score = by_role(score)
        notes, sounding = [], {}
        for start, end, pitch, velocity, voice in sorted(self._steps(score)):
            end = start + duration_steps(end - start) if self.durations else end
            previous = sounding.get((voice, pitch))
            if previous is not None and previous[1] > start:  # cut at the restart
                notes.remove(previous)
                if start > previous[0]:
                    notes.append((previous[0], start, *previous[2:]))
            note = (start, end, pitch, velocity, voice)
            notes.append(note)
            sounding[(voice, pitch)] = note
        beats = DECODED_TEMPO / 60 * STEP_SECONDS
        return Score(
            tuple(Note(s * beats, e * beats, p, bin_velocity(v), voice) for s, e, p, v, voice in notes),
            DECODED_TEMPO,
            score.meter,
            score.key,
            score.programs[:MAX_VOICES],
            drums=tuple(score.drums[:MAX_VOICES]),
        )

    def encode(self, piece: Score, *, bos: bool = True, eos: bool = True) -> list[int]:
        if not isinstance(piece, Score):
            raise InputError("the performance tokenizer reads scores (MIDI or MusicXML), not ABC text")
        score = by_role(piece)
        tokens = []
        for program, role in list(zip(score.programs, score.roles))[:MAX_VOICES]:
            tokens += [f"PROGRAM_{program}", f"ROLE_{role}"]
        events = []  # (step, 0 for off / 1 for on, voice, pitch, velocity bin, steps it lasts)
        for note in self.prepare(score).notes:
            start = round(note.start * 60 / DECODED_TEMPO / STEP_SECONDS)
            end = round(note.end * 60 / DECODED_TEMPO / STEP_SECONDS)
            events.append((start, 1, note.voice, note.pitch, velocity_bin(note.velocity), end - start))
            if not self.durations:
                events.append((end, 0, note.voice, note.pitch, 0, 0))
        now, voice, velocity = 0, 0, None
        for step, on, event_voice, pitch, bin_, length in sorted(events):
            while step > now:
                shift = min(MAX_SHIFT, step - now)
                tokens.append(f"SHIFT_{shift}")
                now += shift
            if event_voice != voice:
                voice = event_voice
                tokens.append(f"V_{voice}")
            if on and bin_ != velocity:
                velocity = bin_
                tokens.append(f"VEL_{velocity}")
            tokens.append(f"{'ON' if on else 'OFF'}_{pitch}")
            if on and self.durations:
                tokens.append(f"DUR_{duration_steps(length)}")
        ids = [self.index[t] for t in tokens]
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids: list[int]) -> Score:
        programs, roles = [], {}
        now, voice, velocity = 0, 0, bin_velocity(velocity_bin(90))
        sounding: dict[tuple[int, int], tuple[int, int]] = {}  # (voice, pitch) -> (start step, velocity)
        notes = []
        beats = DECODED_TEMPO / 60 * STEP_SECONDS

        def end(key: tuple[int, int]) -> None:
            start, loudness = sounding.pop(key)
            if now > start:
                notes.append(Note(start * beats, now * beats, key[1], loudness, key[0]))

        struck = None  # the (voice, pitch) of the last ON: a DUR after it gives its length
        for i in ids:
            if not 0 <= i < len(self.vocab):
                continue
            kind, _, value = self.vocab[i].partition("_")
            if kind != "DUR" and kind != "ON":
                struck = None
            if kind == "PROGRAM" and not notes and not sounding and len(programs) < MAX_VOICES:
                programs.append(int(value))
            elif kind == "ROLE" and programs and not notes and not sounding:
                roles[len(programs) - 1] = value
            elif kind == "SHIFT":
                now += int(value)
            elif kind == "V":
                voice = int(value)
            elif kind == "VEL":
                velocity = bin_velocity(int(value))
            elif kind == "ON":
                key = (voice, int(value))
                if key in sounding:
                    end(key)
                sounding[key] = (now, velocity)
                struck = key
            elif kind == "DUR" and struck in sounding:  # the note just struck, and how long it lasts
                start, loudness = sounding.pop(struck)
                notes.append(Note(start * beats, (start + int(value)) * beats, struck[1], loudness, struck[0]))
            elif kind == "OFF" and (voice, int(value)) in sounding:
                end((voice, int(value)))
        for key in list(sounding):
            end(key)
        voices = max([n.voice for n in notes], default=0) + 1
        programs = (programs + [0] * voices)[: max(voices, len(programs))]
        names = tuple(roles.get(v, "") for v in range(len(programs)))
        drums = tuple(name == "drums" for name in names)
        return Score(tuple(notes), DECODED_TEMPO, (4, 4), None, tuple(programs), names=names, drums=drums)
