"""The one reader of ABC time and pitch: it follows abc tokens (formats/abc/lexer.py) one at a time
and knows, after each, where the tune stands: the header fields in force, the time used in the bar,
the element being read (a note, rest or chord: where it starts, how long it lasts, what it sounds),
tuplets, broken rhythm, chords and grace groups, and the accidentals a note inherits.

Everything that reads ABC for its time or its notes feeds tokens through a `Reader`: the bar
checker and the sampler's mask (state.py's `TuneState` adds its checks on top, the sampler's
`StrictTune` its rules on those), the player
(player.py: bars of notes, repeats played out), form analysis (form.py) and the canonical
rewrite that writes inherited accidentals out for music21 (printable.explicit_accidentals).

Times are integer TICKS of a whole note (syntax.py). Accidentals as abc2midi plays them: a written
accidental holds to the bar's end for its letter in every octave; a note a tie reaches, with no
accidental of its own, sounds as the note tied to it, across a bar line too, and passes nothing on
to the rest of the bar. A grace note's accidental holds for the grace note only: so abc2midi plays
a tune with its grace notes left out (``-NGRA``, as our player leaves them out and as the referee
bench runs it); with grace notes on it carries one through the bar (``{^f}g f``: F sharp).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

from melody.formats.abc.lexer import token_kind
from melody.formats.abc.syntax import (
    BROKEN_NEXT,
    BROKEN_SHIFT,
    CUE_KINDS,
    TICKS,
    note_parts,
    parse_length,
    ticks,
    times,
)
from melody.formats.abc.syntax import tuplet_ratio as _tuplet_ratio
from melody.music.theory import ACCIDENTAL_SHIFT, LETTER_SEMITONES, compound_meter, key_signature, meter_fraction

ONE = Fraction(1)


def note_key(note: str) -> tuple[str, int]:
    """(letter, octave) of a note token: what a tie holds and an accidental of the bar is kept by."""
    return note_parts(note)[1:]


def natural_pitch(note: str) -> int:
    """The MIDI pitch of a note token's letter and octave, no accidental or key applied."""
    _, letter, octave = note_parts(note)
    return 12 * (octave + 1) + LETTER_SEMITONES[letter]


@functools.lru_cache(maxsize=256)
def _signature(key: str) -> dict[str, int]:
    """key_signature, shared read-only: it copies its dict for callers that change it, and this
    runs for every note."""
    return key_signature(key)


@dataclass
class Reader:
    """Where a tune stands after the tokens fed so far (see the module doc). Durations (unit, bar,
    used, ...) are in TICKS per whole note."""

    header: list[str] = field(default_factory=list)
    meter: str = "4/4"
    unit: int | Fraction = TICKS // 8
    bar: int | Fraction | None = TICKS  # length of a full bar; None for free meter
    compound: bool = False  # a compound meter (tuplets of 5, 7 and 9 read it)
    key: str = "C"
    used: int | Fraction = 0  # time into the bar
    bars: int = 0  # bar lines passed that closed some music
    last: str = "start"  # kind of the last token (a length token leaves it)
    last_note: str | None = None  # the token of the last element's first note (None after a rest)
    last_pitch: int | None = None  # ... and its MIDI pitch (rests leave it)
    last_length: int | Fraction = 0  # time of the last note, rest or chord (length tokens change it)
    last_scale: int | Fraction = 0  # time of one unit for that element
    next_factor: Fraction = ONE  # broken rhythm's share for the next element
    written: Fraction = ONE  # the last element's written length, in units
    tuplet_left: int = 0
    tuplet_factor: Fraction = ONE
    chord: int = -1  # -1 outside a chord, else notes seen in it
    grace: int = -1  # -1 outside a grace group, else notes seen in it
    grace_units: Fraction = Fraction(0)  # written length of the open grace group, in units
    bar_accidentals: dict[str, str] = field(default_factory=dict)  # letter -> accidental written in this bar
    element_start: int | Fraction = 0  # where the last element starts in the bar
    element_length: int | Fraction = 0  # how long it lasts (its length, a chord's length, broken rhythm)
    element_notes: list[tuple[int, bool]] = field(default_factory=list)  # its pitches; whether a tie reached each
    elements: int = 0  # elements begun so far: a consumer sees a new one when this moves
    note_accidental: str = ""  # the accidental the last note token sounds with ("": the key's)
    held: dict[tuple[str, int], str] = field(default_factory=dict)  # the last element's notes -> accidental
    tie_pending: dict[tuple[str, int], str] | None = None  # the notes a tie holds over into the next element
    element_tied: dict[tuple[str, int], str] | None = None  # ... those that reached the last element

    def feed(self, token: str) -> None:
        kind = token_kind(token)
        if kind in CUE_KINDS:  # a cue: no time, no pitch, and not what came last in the music
            return
        handler = getattr(self, f"_feed_{kind}", None)
        if handler is not None:
            handler(token)
        if kind != "length":
            self.last = kind

    # ---- header ----------------------------------------------------------------------------------
    def _feed_header(self, token: str) -> None:
        self.header.append(token)
        self._set_field(token[0], token[2:])

    def _feed_field(self, token: str) -> None:
        self._set_field(token[1], token[3:-1])

    def _set_field(self, name: str, value: str) -> None:
        if name == "K":
            self.key = value
        elif name == "M":
            self.meter = value
            meter = meter_fraction(value)
            self.bar = ticks(meter) if meter is not None else None
            self.compound = compound_meter(value)
        elif name == "L":
            self.unit = ticks(Fraction(value))

    # ---- pitch -----------------------------------------------------------------------------------
    def sounding(self, token: str) -> str:
        """The accidental a note token sounds with now: its own, the tied note's, or the bar's for
        its letter ("": the key's)."""
        accidental, letter, octave = note_parts(token)
        if accidental:
            return accidental
        tied = None if self.grace >= 0 else self.element_tied if self.chord >= 1 else self.tie_pending
        if tied is not None and (letter, octave) in tied:
            return tied[letter, octave]
        return self.bar_accidentals.get(letter, "")

    def pitch(self, token: str, accidental: str | None = None) -> int:
        """The MIDI pitch of a note token (`accidental`: the one it sounds with, if known)."""
        letter = note_parts(token)[1]
        accidental = self.sounding(token) if accidental is None else accidental
        shift = ACCIDENTAL_SHIFT[accidental] if accidental else _signature(self.key).get(letter, 0)
        return natural_pitch(token) + shift

    # ---- elements --------------------------------------------------------------------------------
    def _scale(self) -> int | Fraction:
        scale = times(self.unit, self.tuplet_factor) if self.tuplet_left > 0 else self.unit
        return scale if self.next_factor is ONE else times(scale, self.next_factor)

    def _feed_note(self, token: str) -> None:
        rest = token == "z"
        if not rest:
            sounding = self.note_accidental = self.sounding(token)
            written, letter, octave = note_parts(token)
            if written and self.grace < 0:  # see the module doc
                self.bar_accidentals[letter] = written
        if self.grace >= 0:
            self.grace += 1
            self.grace_units += 1
            return
        if self.chord >= 0:
            self.chord += 1
            if self.chord > 1:  # a chord lasts as long as its first note; the others sound with it
                if not rest:
                    self.held[letter, octave] = sounding
                    self.element_notes.append((self.pitch(token, sounding), self.element_tied is not None))
                return
        self.element_tied, self.tie_pending = self.tie_pending, None  # a tie reaches one element, a whole chord
        self.held = {}
        self.element_notes = []
        if not rest:
            self.held[letter, octave] = sounding
            self.last_pitch = self.pitch(token, sounding)
            self.element_notes.append((self.last_pitch, self.element_tied is not None))
        self.last_note = None if rest else token
        self.element_start = self.used
        self.elements += 1
        self._start_element(self._scale())
        self.next_factor = ONE
        if self.tuplet_left > 0:  # a chord (its first note: the others returned above) is one note of a tuplet
            self.tuplet_left -= 1

    _feed_rest = _feed_note

    def _start_element(self, scale: int | Fraction) -> None:
        self.last_scale = self.last_length = self.element_length = scale
        self.used += scale
        self.written = ONE

    def _feed_length(self, token: str) -> None:
        if self.grace >= 0 and self.last == "note":
            self.grace_units += parse_length(token) - 1
            return
        if self.last not in ("note", "rest", "chord_close") or self.grace >= 0:
            return
        if self.chord >= 0 and self.chord > 1:
            return
        value = parse_length(token)
        self.written = value
        if self.last == "chord_close":
            length = times(self.last_length, value)
            self.used += length - self.last_length
            self.element_length += length - self.last_length
            self.last_length = length
            return
        self.last_length = times(self.last_scale, value)
        self.used += self.last_length - self.last_scale
        self.element_length += self.last_length - self.last_scale

    def _feed_broken(self, token: str) -> None:
        extra = times(self.last_length, BROKEN_SHIFT[token])
        self.used += extra
        self.element_length += extra
        self.next_factor = BROKEN_NEXT[token]

    def _feed_tie(self, token: str) -> None:
        self.tie_pending = dict(self.held)

    def _feed_tuplet(self, token: str) -> None:
        ratio = _tuplet_ratio(token, self.compound)
        if ratio is not None:
            self.tuplet_left, self.tuplet_factor = ratio

    def _feed_chord_open(self, token: str) -> None:
        self.chord = 0

    def _feed_chord_close(self, token: str) -> None:
        self.chord = -1

    def _feed_grace_open(self, token: str) -> None:
        self.grace, self.grace_units = 0, Fraction(0)

    def _feed_grace_close(self, token: str) -> None:
        self.grace = -1

    def _feed_bar(self, token: str) -> None:
        if self.used > 0:
            self.bars += 1
        self.used = 0
        self.bar_accidentals = {}
        self.element_notes = []


def beats(value: int | Fraction) -> Fraction:
    """Ticks as a Fraction of a whole note."""
    return Fraction(value) / TICKS
