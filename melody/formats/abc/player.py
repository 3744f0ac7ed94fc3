"""Play abc tokens out as a Score: bars of notes as the reader (reader.py) times and pitches them,
ties joined, grace notes left out, repeats and first and second endings played as a listener
hears them.

music21 takes seconds per tune for this (its repeat expansion deep-copies the stream), which made
generating hundreds of tunes slow; tokens already hold everything the notes need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from melody.formats.abc.lexer import token_kind
from melody.formats.abc.reader import Reader, beats
from melody.formats.abc.syntax import (
    ImpliedRepeats,
    ending_passes,
)
from melody.music.score import Note, Score
from melody.music.theory import meter_fraction, meter_pair, normalize_key


@dataclass
class WrittenBar:
    """One bar as written: its notes (times from the bar's start), length, closing bar line, ending."""

    notes: list[tuple[Fraction, Fraction, int, bool]] = field(default_factory=list)  # start, end, pitch, tied
    length: Fraction = Fraction(0)
    close: str = "|"  # "": no bar line, the bar goes on after an ending mark inside it
    ending: str | None = None  # the ending's label: "1", "2", "1,3" (syntax.ending_passes)
    meter: str | None = None  # a meter this bar changes to


def written_bars(tokens: list[str]) -> tuple[list[WrittenBar], str, str]:
    """The tune cut into bars of (start, end, pitch, tied) notes, as the reader (reader.py) times and
    pitches them; also the meter and key it opens in (a bar that changes the meter says so)."""
    reader = Reader()
    opening_meter = opening_key = None
    bars, bar = [], WrittenBar()
    offset = 0  # ticks of the bar that an ending mark inside it split off
    current: list[int] = []  # indices in bar.notes of the element being read
    seen, taken = reader.elements, 0  # the reader's element count, and how many of its notes are in bar.notes
    ending = None
    for token in tokens:
        kind = token_kind(token)
        if kind == "bar":
            now = reader.used - offset
            if now > 0 or bar.notes:
                bar.length, bar.close, bar.ending = beats(now), token, ending
                bars.append(bar)
            elif bars:  # bar lines with nothing between (`:| |:`) are one
                bars[-1].close = _merge_bars(bars[-1].close, token)
            first = min(ending_passes(ending)) if ending else None
            if first == 1 and token in (":|", "::") or first and first > 1 and token in (":|", "||", "|]", "|:", "::"):
                ending = None
            bar, offset, current = WrittenBar(), 0, []  # a broken rhythm does not reach back
        elif kind == "ending":
            if reader.used - offset > 0 or bar.notes:  # an ending that starts inside a bar: the bar goes on, split
                bar.length, bar.close, bar.ending = beats(reader.used - offset), "", ending
                bars.append(bar)
                bar, offset, current = WrittenBar(), reader.used, []
            ending = token[1:]
        reader.feed(token)
        if kind in ("header", "field"):
            name, value = (token[0], token[2:]) if kind == "header" else (token[1], token[3:-1])
            if name == "M":
                if kind == "field":
                    bar.meter = value  # a change of meter from this bar on
                opening_meter = opening_meter or value
            elif name == "K":
                opening_key = opening_key or value
        if reader.elements != seen:
            seen, taken, current = reader.elements, 0, []
        start = beats(reader.element_start - offset)
        for pitch, tied in reader.element_notes[taken:]:
            current.append(len(bar.notes))
            bar.notes.append((start, start, pitch, tied))
        taken = max(taken, len(reader.element_notes))
        end = start + beats(reader.element_length)
        for i in current:
            bar.notes[i] = bar.notes[i][:1] + (end,) + bar.notes[i][2:]
    if reader.used - offset > 0 or bar.notes:
        bar.length, bar.ending = beats(reader.used - offset), ending
        bars.append(bar)
    return bars, opening_meter or reader.meter, opening_key or reader.key


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


def _merge_bars(first: str, second: str) -> str:
    left, right = first.startswith(":") or second.startswith(":"), first.endswith(":") or second.endswith(":")
    if left and right:
        return "::"
    if left or right:
        return ":|" if left else "|:"
    return first if first != "|" else second


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


def player_notes(tune_text: str) -> list[tuple[Fraction, int]]:
    """(onset in quarter-note beats, pitch) of every note our player sounds in a canonical tune
    (what abc2midi's notes are checked against: formats/abc/abc2midi.py)."""
    from melody.formats.abc.lexer import tune_tokens

    score = tokens_to_score(tune_tokens(tune_text))
    return sorted((Fraction(note.start).limit_denominator(960), note.pitch) for note in score.notes)
