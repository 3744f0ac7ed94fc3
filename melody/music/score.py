"""Score: notes with times in beats, plus tempo, meter and key — what MIDI and MusicXML become.

Times are in quarter-note beats so that quantizing, transposing and tokenizing never need to
know about ticks or seconds; converters in `melody/formats/` do that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property

import numpy as np

MIDI_PITCHES = range(0, 128)
TONIC_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")  # a key's tonic by pitch class
ACCENT_MARGIN = 5  # velocity: how much louder a bar's first notes are, on average, than any other place


def pitch_name(pitch: int, key: str | None = None) -> str:
    """``F#4``, or ``Gb4`` in a flat key: the name a musician reads for a MIDI pitch in `key`
    (theory.key_spelling); music21 reads it too."""
    from melody.music.theory import LETTER_SEMITONES, key_spelling

    letter, alter = key_spelling(key or "C")[pitch % 12]
    octave = (pitch - alter - LETTER_SEMITONES[letter]) // 12 - 1  # B#3 is C4
    return f"{letter}{'#' if alter > 0 else 'b' if alter < 0 else ''}{octave}"


def bar_lines(score: Score) -> list[float]:
    """Beats where bar lines fall: after the pickup, then every bar to the end."""
    bar = float(score.bar_beats)
    first = score.pickup if score.pickup else 0.0
    count = int(max(score.duration - first, 0) // bar) + 1 if bar > 0 else 0
    return [first + k * bar for k in range(count)]


@dataclass(frozen=True, order=True, slots=True)
class Note:
    start: float  # beats from the start of the piece
    end: float
    pitch: int  # MIDI number, 60 = middle C
    velocity: int = 90
    voice: int = 0  # index into Score.programs; voices are kept apart for writing and tokenizing

    @property
    def duration(self) -> float:
        return self.end - self.start


def note_order(note: Note) -> tuple:
    return (note.start, note.end, note.pitch, note.velocity, note.voice)


def moved_note(note: Note, by: float) -> Note:
    """The note `by` beats later."""
    return Note(note.start + by, note.end + by, note.pitch, note.velocity, note.voice)


class NoteTable(Sequence):
    """A score's notes as columns (start, end, pitch, velocity, voice), in Note order: what a reader
    of a folder of songs builds, a million notes without a Python object each. It is a sequence of
    Notes like a tuple (made only when someone walks them); `Score.table` gives the columns to code
    that works on arrays."""

    __slots__ = ("start", "end", "pitch", "velocity", "voice", "_notes", "_medians")

    def __init__(self, start, end, pitch, velocity, voice):
        start, end = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
        pitch, velocity, voice = (np.asarray(c, dtype=np.int64) for c in (pitch, velocity, voice))
        order = np.lexsort((voice, velocity, pitch, end, start))
        self.start, self.end, self.pitch, self.velocity, self.voice = (
            c[order] for c in (start, end, pitch, velocity, voice)
        )
        self._notes, self._medians = None, None

    @classmethod
    def of(cls, notes) -> NoteTable:
        if isinstance(notes, NoteTable):
            return notes
        columns = np.array([(n.start, n.end, n.pitch, n.velocity, n.voice) for n in notes], dtype=np.float64)
        return cls(*(columns.T if len(columns) else np.zeros((5, 0))))

    def taken(self, keep=slice(None), voice: np.ndarray | None = None, shift: float = 0.0) -> NoteTable:
        """The notes where `keep` holds (all by default), moved `shift` beats later, with new voice
        numbers if given."""
        voices = self.voice[keep] if voice is None else voice[keep]
        return NoteTable(
            self.start[keep] + shift, self.end[keep] + shift, self.pitch[keep], self.velocity[keep], voices
        )

    def voice_medians(self) -> dict[int, float]:
        """The median pitch of each voice that has notes (what roles.py ranks voices by)."""
        if self._medians is None:
            order = np.lexsort((self.pitch, self.voice))
            voices, pitches = self.voice[order], self.pitch[order]
            found, first, counts = np.unique(voices, return_index=True, return_counts=True)
            low, high = pitches[first + (counts - 1) // 2], pitches[first + counts // 2]
            self._medians = dict(zip(found.tolist(), ((low + high) / 2).tolist()))
        return self._medians

    @property
    def notes(self) -> tuple[Note, ...]:
        if self._notes is None:
            self._notes = tuple(
                map(
                    Note,
                    self.start.tolist(),
                    self.end.tolist(),
                    self.pitch.tolist(),
                    self.velocity.tolist(),
                    self.voice.tolist(),
                )
            )
        return self._notes

    def __len__(self) -> int:
        return int(self.start.size)

    def __getitem__(self, index):
        return self.notes[index]

    def __iter__(self):
        return iter(self.notes)

    def __eq__(self, other) -> bool:
        if isinstance(other, NoteTable):
            other = other.notes
        return self.notes == other if isinstance(other, tuple) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.notes)

    def __repr__(self) -> str:
        return f"NoteTable({len(self)} notes)"


def beat_seconds(tempo: float, tempos: tuple[tuple[float, float], ...] = ()):
    """A function from beats to seconds under a starting tempo and later (beat, bpm) changes."""
    changes = [(0.0, tempo)] + [(at, bpm) for at, bpm in tempos if at > 0]

    def seconds(beat: float) -> float:
        elapsed = 0.0
        for (at, bpm), (until, _) in zip(changes, changes[1:] + [(float("inf"), 0.0)]):
            elapsed += (min(beat, until) - at) * 60.0 / bpm
            if beat <= until:
                break
        return elapsed

    return seconds


@dataclass(frozen=True)
class Score:
    notes: tuple[Note, ...] = ()
    tempo: float = 120.0  # quarter-note beats per minute
    meter: tuple[int, int] = (4, 4)
    key: str | None = None  # e.g. "G", "Em", as in ABC's K: field
    programs: tuple[int, ...] = (0,)  # General MIDI program per voice
    dropped: dict = field(default_factory=dict, compare=False)  # what a reader left out, and why
    pickup: float = 0.0  # beats of anacrusis before the first bar line (0: the music starts on one)
    names: tuple[str, ...] = ()  # track name per voice ("" or missing: none)
    drums: tuple[bool, ...] = ()  # per voice: a drum voice (General MIDI percussion, MIDI channel 10)
    tempos: tuple[tuple[float, float], ...] = ()  # tempo changes after the start: (beat, quarter-note bpm)
    reading: dict = field(default_factory=dict, compare=False)  # what a reader found: grid fit, meter declared

    def is_drum(self, voice: int) -> bool:
        return voice < len(self.drums) and self.drums[voice]

    def voice_name(self, voice: int) -> str:
        return self.names[voice] if voice < len(self.names) and self.names[voice] else ""

    def __post_init__(self):  # Note's own order, by a key: a tuple compares in C, a dataclass in Python
        if not isinstance(self.notes, NoteTable):
            object.__setattr__(self, "notes", tuple(sorted(self.notes, key=note_order)))

    @cached_property
    def table(self) -> NoteTable:
        """The notes as columns, for work on arrays."""
        return NoteTable.of(self.notes)

    @cached_property
    def content_key(self) -> str:
        """The notes as text (on a grid of 1/12 beat): duplicates and the train/validation split use it."""
        table = self.table
        rows = zip(
            np.rint(table.start * 12).astype(np.int64).tolist(),
            np.rint(table.end * 12).astype(np.int64).tolist(),
            table.pitch.tolist(),
            table.voice.tolist(),
        )
        return repr(list(rows))

    @cached_property
    def roles(self) -> tuple[str, ...]:
        """What each voice does (roles.voice_roles), worked out once per score."""
        from melody.music.roles import voice_roles

        return voice_roles(self)

    @cached_property
    def estimated_key(self) -> str:
        """The best-fitting key (theory.estimate_key), worked out once per score."""
        from melody.music.theory import estimate_key

        return estimate_key(self)

    @property
    def bar_beats(self) -> Fraction:
        """Length of one bar in quarter-note beats (6/8 -> 3)."""
        return Fraction(4 * self.meter[0], self.meter[1])

    @property
    def duration(self) -> float:
        return float(self.table.end.max()) if len(self.notes) else 0.0

    def transpose(self, semitones: int) -> Score:
        """Every pitch moved; raises ValueError when a note would leave the MIDI range."""
        moved = [
            n if self.is_drum(n.voice) else Note(n.start, n.end, n.pitch + semitones, n.velocity, n.voice)
            for n in self.notes
        ]
        if any(n.pitch not in MIDI_PITCHES for n in moved):
            raise ValueError(f"transposing by {semitones} leaves the MIDI range")
        return replace(self, notes=tuple(moved), key=None if semitones else self.key)

    def quantize(self, steps_per_beat: int = 12) -> Score:
        """Starts and ends snapped to a grid of 1/steps_per_beat beat (12: sixteenths and triplets
        both survive); a note never shrinks below one step; exact duplicates collapse."""
        notes = set()
        for n in self.notes:
            start = round(n.start * steps_per_beat)
            end = max(start + 1, round(n.end * steps_per_beat))
            notes.add(Note(start / steps_per_beat, end / steps_per_beat, n.pitch, n.velocity, n.voice))
        return replace(self, notes=tuple(notes))

    @property
    def voices(self) -> int:
        return len(self.programs)

    def melody(self) -> Score:
        """The voice that carries the tune, alone: of the voices that are mostly one note at a time,
        the highest on average (a melody over a chord or bass track); the highest of all else."""
        voices = sorted({n.voice for n in self.notes if not self.is_drum(n.voice)})
        if len(voices) < 2 and len(self.programs) < 2:
            return self
        if not voices:
            return replace(self, notes=(), programs=(0,), names=(), drums=())

        def rank(voice: int) -> tuple[bool, float]:
            notes = [n for n in self.notes if n.voice == voice]
            overlapping = sum(b.start < a.end - 1e-6 for a, b in zip(notes, notes[1:]))
            return overlapping <= 0.1 * len(notes), sum(n.pitch for n in notes) / len(notes)

        chosen = max(voices, key=rank)
        notes = tuple(replace(n, voice=0) for n in self.notes if n.voice == chosen)
        program = self.programs[chosen] if chosen < len(self.programs) else 0
        return replace(self, notes=notes, programs=(program,), names=(self.voice_name(chosen),), drums=())

    def with_pickup(self, accents_only: bool = False) -> Score:
        """This score with `pickup` found from the notes, when they say so: the first note of every
        bar played louder than the rest puts the bar lines there (abc2midi's beat accents, so most
        folk MIDI made from ABC); music that ends a beat or more past a bar line has a full last bar
        and a pickup of that length (a played-out folk tune with its anacrusis); music whose longer
        notes fall on the bar lines only when the bar lines move has a pickup that moves them.
        `accents_only`: for a file whose time signature placed the bar lines, the accents alone may
        move them."""
        bar, end = float(self.bar_beats), self.duration
        if self.pickup or not self.notes or bar <= 0:
            return self
        accented = self._accented_bar_start()
        if accented is not None or accents_only:
            return replace(self, pickup=accented) if accented else self
        grid = 0.5  # an eighth note: the finest pickup looked for
        over = round(end % bar, 6)
        if over >= grid - 1e-6 and bar - over > 1e-6 and self.notes[0].start < 1e-6:
            return replace(self, pickup=over)

        def downbeat_weight(pickup: float) -> float:
            return sum(n.duration for n in self.notes if abs((n.start - pickup) % bar) < 1e-6)

        plain = downbeat_weight(0.0)
        candidates = [k * grid for k in range(1, int(bar / grid)) if k * grid < bar - 1e-6]
        best = max(candidates, key=downbeat_weight, default=0.0)
        if best and downbeat_weight(best) > 1.5 * plain + 1e-6:
            return replace(self, pickup=best)
        return self

    def _accented_bar_start(self) -> float | None:
        """Where the bars start (0 or a pickup's length, in sixteenths) when the notes there are
        clearly louder on average than at any other place in the bar; None when the velocities do
        not say (one velocity for all, notes off a grid of 1/12 beat as a performance plays them)."""
        bar, near = float(self.bar_beats), 1 / 48  # abc2midi starts its notes a tick late
        notes = self.melody().notes  # each voice plays at its own loudness: the tune's tells
        if len({n.velocity for n in notes}) < 2:
            return None
        if sum(abs(n.start * 12 - round(n.start * 12)) < 12 * near for n in notes) < 0.9 * len(notes):
            return None

        def loudness_at(start: float) -> float:
            phases = [((n.start - start) % bar, n.velocity) for n in notes]
            velocities = [velocity for phase, velocity in phases if min(phase, bar - phase) < near]
            return sum(velocities) / len(velocities) if velocities else 0.0

        heard = sorted(((loudness_at(k / 4), k / 4) for k in range(round(bar * 4))), reverse=True)
        if len(heard) < 2 or heard[0][0] < heard[1][0] + ACCENT_MARGIN:
            return None
        return heard[0][1]
