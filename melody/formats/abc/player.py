"""Play abc tokens out as a Score: pitches from the key and the bar's accidentals, times from the
unit length, tuplets and broken rhythm, ties joined, grace notes left out, repeats and first and
second endings played as a listener hears them.

music21 takes seconds per tune for this (its repeat expansion deep-copies the stream), which made
generating hundreds of tunes slow; tokens already hold everything the notes need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from melody.formats.abc.lexer import token_kind
from melody.formats.abc.syntax import (
    BROKEN_SHIFT,
    ImpliedRepeats,
    ending_passes,
    note_parts,
    note_pitch,
    parse_length,
    tuplet_ratio,
)
from melody.music.score import Note, Score
from melody.music.theory import compound_meter, key_signature, meter_fraction, meter_pair, normalize_key


@dataclass
class WrittenBar:
    """One bar as written: its notes (times from the bar's start), length, closing bar line, ending."""

    notes: list[tuple[Fraction, Fraction, int, bool]] = field(default_factory=list)  # start, end, pitch, tied
    length: Fraction = Fraction(0)
    close: str = "|"  # "": no bar line, the bar goes on after an ending mark inside it
    ending: str | None = None  # the ending's label: "1", "2", "1,3" (syntax.ending_passes)
    meter: str | None = None  # a meter this bar changes to


def written_bars(tokens: list[str]) -> tuple[list[WrittenBar], str, str]:
    """The tune cut into bars of (start, end, pitch, tied) notes; also the meter and key it opens
    in (a bar that changes the meter says so)."""
    meter, unit, key = "4/4", Fraction(1, 8), "C"
    opening_meter = opening_key = None
    bars, bar = [], WrittenBar()
    signature, accidentals = key_signature(key), {}
    now = Fraction(0)
    tuplet_left, tuplet_factor, next_factor = 0, Fraction(1), Fraction(1)
    last: list[int] = []  # indices in bar.notes of the last element (a note or a chord's notes)
    last_start, last_length, chord, grace, tie = now, Fraction(0), -1, False, False
    chord_tie = False  # a tie reached the chord being read: each of its notes may continue one
    ending = None
    held: dict[tuple[str, int], int] = {}  # letter and octave -> pitch of the last element's notes
    tied: dict[tuple[str, int], int] = {}  # ... of the notes a tie holds over (their accidental carries)
    for index, token in enumerate(tokens):
        kind = token_kind(token)
        if kind == "header" or kind == "field":
            name, value = (token[0], token[2:]) if kind == "header" else (token[1], token[3:-1])
            if name == "M":
                meter = value
                if kind == "field":
                    bar.meter = value  # a change of meter from this bar on
                opening_meter = opening_meter or value
            elif name == "L":
                unit = Fraction(value)
            elif name == "K":
                key, signature = value, key_signature(value)
                opening_key = opening_key or value
        elif kind in ("note", "rest"):
            if grace:
                continue
            scale = unit * (tuplet_factor if tuplet_left else 1) * next_factor
            if chord > 0:  # later notes of a chord sound with the first
                if kind == "note":
                    pitch = _sounded(token, signature, accidentals, tied if chord_tie else {})
                    held[note_parts(token)[1:]] = pitch
                    bar.notes.append((last_start, last_start + last_length, pitch, chord_tie))
                    last.append(len(bar.notes) - 1)
                continue
            next_factor = Fraction(1)
            if tuplet_left and chord <= 0:  # a chord is one note of a tuplet
                tuplet_left -= 1
            last_start, last_length = now, scale
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            if following and token_kind(following) == "length":
                last_length = scale * parse_length(following)
            now += last_length
            if chord == 0:
                chord = 1
            last, held = [], {}
            if kind == "note":
                pitch = _sounded(token, signature, accidentals, tied if tie else {})
                held[note_parts(token)[1:]] = pitch
                bar.notes.append((last_start, now, pitch, tie))
                last = [len(bar.notes) - 1]
            tie, chord_tie = False, tie
        elif kind == "length" and chord == -2:  # after a chord: the whole chord lasts longer
            factor = parse_length(token)
            extra = last_length * (factor - 1)
            _lengthen(bar, last, extra)
            now += extra
            last_length += extra
            chord = -1
        elif kind == "broken":
            shift = BROKEN_SHIFT[token]
            extra = last_length * shift
            _lengthen(bar, last, extra)
            now += extra
            next_factor = 1 - shift
        elif kind == "tuplet":
            ratio = tuplet_ratio(token, compound_meter(meter))
            if ratio:
                tuplet_left, tuplet_factor = ratio
        elif kind == "tie":
            tie, tied = True, dict(held)
        elif kind == "chord_open":
            chord = 0
        elif kind == "chord_close":
            chord = -2
        elif kind == "grace_open":
            grace = True
        elif kind == "grace_close":
            grace = False
        elif kind == "ending":
            if now > 0 or bar.notes:  # an ending that starts inside a bar: the bar goes on, split
                bar.length, bar.close, bar.ending = now, "", ending
                bars.append(bar)
                bar, now, last = WrittenBar(), Fraction(0), []  # the notes before it are in the bar that closed
            ending = token[1:]
        elif kind == "bar":
            if now > 0 or bar.notes:
                bar.length, bar.close, bar.ending = now, token, ending
                bars.append(bar)
            elif bars:  # bar lines with nothing between (`:| |:`) are one
                bars[-1].close = _merge_bars(bars[-1].close, token)
            first = min(ending_passes(ending)) if ending else None
            if first == 1 and token in (":|", "::") or first and first > 1 and token in (":|", "||", "|]", "|:", "::"):
                ending = None
            bar, accidentals, now, last = WrittenBar(), {}, Fraction(0), []  # a broken rhythm does not reach back
        if kind != "length" and chord == -2 and kind != "chord_close":
            chord = -1
    if now > 0 or bar.notes:
        bar.length, bar.ending = now, ending
        bars.append(bar)
    return bars, opening_meter or meter, opening_key or key


def whole_bars(bars: list[WrittenBar]) -> list[tuple[Fraction, str | None]]:
    """(length, meter it changes to) of each bar as written: where the bar lines fall. A bar that
    an ending mark splits counts whole."""
    lengths, carried = [], Fraction(0)
    for bar in bars:
        carried += bar.length
        if bar.close:
            lengths.append((carried, bar.meter))
            carried = Fraction(0)
    return lengths + ([(carried, None)] if carried else [])


def _sounded(token: str, signature: dict, accidentals: dict, tied: dict[tuple[str, int], int]) -> int:
    """A note's pitch; a note a tie reaches with no accidental of its own keeps the tied note's
    accidental, across the bar line too (ABC 2.1, and abc2midi)."""
    accidental, letter, octave = note_parts(token)
    if not accidental and (letter, octave) in tied:
        return tied[(letter, octave)]
    return note_pitch(token, signature, accidentals)


def _merge_bars(first: str, second: str) -> str:
    left, right = first.startswith(":") or second.startswith(":"), first.endswith(":") or second.endswith(":")
    if left and right:
        return "::"
    if left or right:
        return ":|" if left else "|:"
    return first if first != "|" else second


def _lengthen(bar: WrittenBar, indices: list[int], extra: Fraction) -> None:
    for i in indices:
        start, end, pitch, tied = bar.notes[i]
        bar.notes[i] = (start, end + extra, pitch, tied)


def _played_order(bars: list[WrittenBar]) -> list[int]:
    """Bar indices in the order abc2midi plays them (its genmidi.c, step by step: the referee's
    quirks are what a listener to its MIDI hears). A :| with no |: before it repeats from the tune's
    start, from the last :| or ::, or from a double bar that follows a closed repeat; after a second
    ending the next :| goes back to the last |: once more, and endings are then skipped."""
    features = _repeat_features(bars)
    order: list[int] = []
    j, passes, most, expect, saved = 0, 1, 2, False, 0
    while j < len(features) and len(order) <= 4 * len(bars):  # never loop on odd repeat marks
        kind, value = features[j]
        if kind == "notes":
            order.append(value)
        elif kind == "|:":
            saved, expect, passes, most = j, True, 1, 2
        elif kind == ":|" and (passes == 1 and expect or passes > 1 and passes < most):
            passes, expect, j = passes + 1, False, saved
        elif kind == "::":
            if passes > 1 or not expect:
                saved, expect, passes, most = j, True, 1, 2
            else:
                passes, j = passes + 1, saved
        elif kind == "ending":
            if (passes if expect or passes > 1 else 1) not in ending_passes(value):
                j += 1
                while j < len(features) and features[j][0] not in (":|", "|:", "||", "ending"):
                    j += 1  # not this pass's ending: skip it, and the bar line that closes it
            elif most < 4:
                most = passes + 1
        j += 1
    return order


def _repeat_features(bars: list[WrittenBar]) -> list[tuple[str, int | str]]:
    """The bars as abc2midi's feature list: ("ending", label) where an ending starts, ("notes", index),
    then the closing bar line (|: :| :: ||; a |] counts as ||, a plain | is left out), with the |:
    that abc2midi's reader puts in for a :| that has none (syntax.ImpliedRepeats)."""
    features: list[tuple[str, int | str]] = []
    repeats, section_start = ImpliedRepeats(), 0
    for index, bar in enumerate(bars):
        previous = bars[index - 1] if index else None
        if bar.ending and (previous is None or previous.ending != bar.ending or previous.close != "|"):
            features.append(("ending", bar.ending))
            repeats.ending(bar.ending)
        features.append(("notes", index))
        close = "||" if bar.close == "|]" else bar.close
        if close in ("|", ""):
            continue
        implied, new_section = repeats.bar(close)
        if implied:
            features.insert(section_start, ("|:", 0))
        features.append((close, 0))
        if new_section:
            section_start = len(features)
    return features


def tokens_to_score(tokens: list[str]) -> Score:
    """The sounding notes of a tune given as abc tokens (repeats played out), in quarter-note beats."""
    return bars_to_score(*written_bars(tokens))


def bars_to_score(bars: list[WrittenBar], meter: str, key: str | None) -> Score:
    """The sounding notes of written bars, repeats and endings played out as abc2midi plays them, in
    quarter-note beats; a short first bar is the pickup. ABC (written_bars) and MusicXML
    (formats/stream.py) both come here, so both play a tune the same way."""
    notes, sounding, offset = [], {}, Fraction(0)  # sounding: pitch -> index of its note ending latest
    for index in _played_order(bars):
        bar = bars[index]
        for start, end, pitch, tied in bar.notes:
            if not 0 <= pitch <= 127 or end <= start:
                continue
            begin, finish = 4 * (offset + start), 4 * (offset + end)
            held = sounding.get(pitch)
            if tied and held is not None and notes[held][1] == begin:
                notes[held] = (notes[held][0], finish, pitch)  # a tie: one longer note
                continue
            sounding[pitch] = len(notes)
            notes.append((begin, finish, pitch))
        offset += bar.length
    notes = [Note(float(start), float(end), pitch) for start, end, pitch in notes]
    full = meter_fraction(meter)
    short_first = bool(bars) and full is not None and 0 < bars[0].length < full and len(bars) > 1
    pickup = float(4 * bars[0].length) if short_first else 0.0  # the anacrusis, in beats
    return Score(tuple(notes), meter=meter_pair(meter) or (4, 4), key=normalize_key(key or ""), pickup=pickup)
