"""Score: notes with times in beats, plus tempo, meter and key — what MIDI and MusicXML become.

Times are in quarter-note beats so that quantizing, transposing and tokenizing never need to
know about ticks or seconds; converters in `melody/formats/` do that.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction

MIDI_PITCHES = range(0, 128)


@dataclass(frozen=True, order=True)
class Note:
    start: float  # beats from the start of the piece
    end: float
    pitch: int  # MIDI number, 60 = middle C
    velocity: int = 90
    voice: int = 0  # index into Score.programs; voices are kept apart for writing and tokenizing

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Score:
    notes: tuple[Note, ...] = ()
    tempo: float = 120.0  # quarter-note beats per minute
    meter: tuple[int, int] = (4, 4)
    key: str | None = None  # e.g. "G", "Em", as in ABC's K: field
    programs: tuple[int, ...] = (0,)  # General MIDI program per voice
    dropped: dict = field(default_factory=dict, compare=False)  # what a reader left out, and why

    def __post_init__(self):
        object.__setattr__(self, "notes", tuple(sorted(self.notes)))

    @property
    def bar_beats(self) -> Fraction:
        """Length of one bar in quarter-note beats (6/8 -> 3)."""
        return Fraction(4 * self.meter[0], self.meter[1])

    @property
    def duration(self) -> float:
        return max((n.end for n in self.notes), default=0.0)

    def transpose(self, semitones: int) -> Score:
        """Every pitch moved; raises ValueError when a note would leave the MIDI range."""
        moved = [replace(n, pitch=n.pitch + semitones) for n in self.notes]
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
            notes.add(replace(n, start=start / steps_per_beat, end=end / steps_per_beat))
        return replace(self, notes=tuple(notes))

    @property
    def voices(self) -> int:
        return len(self.programs)
