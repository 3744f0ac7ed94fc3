"""Score -> ABC text. music21 reads ABC but cannot write it, so this part is ours.

Each voice is written on a grid of 1/24 beat (32nd notes and triplets) with L:1/8: notes and
rests with lengths relative to L:, notes split at bar lines and tied, accidentals relative to the
key and carried within a bar,
triplets where a beat's onsets fall on thirds, a bar line per the meter, a line break every
four bars, and one ``V:`` block per voice (in the bass clef when it lies low).
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from melody.formats.abc.syntax import length_suffix
from melody.music.score import Note, NoteTable, Score
from melody.music.theory import (
    LETTER_SEMITONES,
    estimate_key,
    key_signature,
    key_spelling,
    normalize_key,
)

STEPS_PER_BEAT = 24  # 32nd notes and triplets of eighths both land on it
UNIT_STEPS = 12  # L:1/8 is half a quarter-note beat
BARS_PER_LINE = 4
BASS_CLEF_BELOW = 60  # a voice whose middle note is below middle C is written in the bass clef
LOWEST_WRITTEN = 12  # C,,,, (MIDI 12): music21 cannot read ABC notes an octave below it


class _Speller:
    """Pitch names in the key; a natural is written where an earlier accidental in the bar would carry."""

    def __init__(self, key: str):
        self.signature = key_signature(key)
        self.spelling = key_spelling(key)
        self.bar: dict[
            str, int
        ] = {}  # letter -> its accidental so far in the bar, every octave (as reader.py reads it)

    def new_bar(self) -> None:
        self.bar = {}

    def name(self, pitch: int) -> str:
        letter, alter = self.spelling[pitch % 12]
        octave = (pitch - alter - LETTER_SEMITONES[letter]) // 12 - 5  # MIDI 60 is ABC "C"; B#3 is C4
        carried = self.bar.get(letter)
        accidental = ""
        # Written whenever it differs from the key signature, even if an earlier note in the bar
        # carries it: ABC carries accidentals through the bar but music21's reader does not.
        if alter != self.signature.get(letter, 0) or (carried is not None and carried != alter):
            accidental = {1: "^", -1: "_", 0: "="}[alter]
        self.bar[letter] = alter
        if octave >= 1:
            text = letter.lower() + "'" * (octave - 1)
        else:
            text = letter + "," * (-octave)
        return accidental + text


def voice_line(name: str, pitches: list[int]) -> str:
    """The ``V:`` line that opens a voice's block: in the bass clef when its middle note is low."""
    ordered = sorted(pitches)
    low = bool(ordered) and ordered[len(ordered) // 2] < BASS_CLEF_BELOW
    return f"V:{name}" + (" clef=bass" if low else "")


def _voice_events(notes: list[Note], bar_steps: int, total_steps: int) -> list[list[tuple]]:
    """Per bar, (start, length, pitches or None for a rest, tied) events covering the bar exactly.
    Overlapping notes in one voice become a chord when they start together, else the earlier is cut."""
    onsets: dict[int, list[Note]] = {}
    for note in notes:
        onsets.setdefault(round(note.start * STEPS_PER_BEAT), []).append(note)
    starts = sorted(onsets)
    segments = []  # (start, end, pitches)
    for index, start in enumerate(starts):
        group = onsets[start]
        end = max(round(n.end * STEPS_PER_BEAT) for n in group)
        if index + 1 < len(starts):
            end = min(end, starts[index + 1])
        segments.append((start, end, sorted({n.pitch for n in group})))
    bars: list[list[tuple]] = [[] for _ in range(max(1, -(-total_steps // bar_steps)))]
    cursor = 0
    for start, end, pitches in segments + [(total_steps, total_steps, None)]:
        if start > cursor:
            _cut(bars, cursor, start, None, bar_steps)
        if end > start:
            _cut(bars, start, end, pitches, bar_steps)
        cursor = max(cursor, end)
    return bars


def _as_anacrusis(bars: list[list[tuple]], shift: int) -> list[list[tuple]]:
    """Bars whose first one is a pickup: the rest before it is not written, nor the rests after
    the music's end, so the pickup and the short last bar make one bar, as folk tunes are written."""
    first = [event for event in bars[0] if not (event[2] is None and event[0] < shift)]
    last = list(bars[-1]) if len(bars) > 1 else first
    while len(last) > 1 and last[-1][2] is None:
        last.pop()
    return [first] + bars[1:-1] + [last] if len(bars) > 1 else [last]


def _cut(bars, start: int, end: int, pitches, bar_steps: int) -> None:
    """Add one sound or rest to the bars, split (and tied, for notes) at bar lines, and at beats
    when it starts or ends off the quarter-beat grid, so such pieces fit in one tuplet."""
    off_grid = start % 3 or end % 3
    while start < end:
        bar = start // bar_steps
        stop = min(end, (bar + 1) * bar_steps)
        if off_grid:
            stop = min(stop, (start // STEPS_PER_BEAT + 1) * STEPS_PER_BEAT)
        bars[bar].append((start - bar * bar_steps, stop - start, pitches, pitches is not None and stop < end))
        start = stop


def _bar_text(events: list[tuple], speller: _Speller) -> str:
    speller.new_bar()
    out = []
    index = 0
    while index < len(events):
        position, length, pitches, tied = events[index]
        beat_end = (position // STEPS_PER_BEAT + 1) * STEPS_PER_BEAT
        group = []
        # a beat whose onsets fall on thirds of the beat is written as a triplet
        while index < len(events) and events[index][0] < beat_end and events[index][0] + events[index][1] <= beat_end:
            group.append(events[index])
            index += 1
        if group and any(e[0] % 3 or e[1] % 3 for e in group):
            written = [text for e in group for text in _sound(e, speller, scale=Fraction(3, 2))]
            out += [f"(3:2:{len(written)}", *written, " "]
            continue
        if not group:
            group = [events[index]]
            index += 1
        out += [text for e in group for text in _sound(e, speller)]
    return "".join(out).strip()


def simple_lengths(units: Fraction) -> list[Fraction]:
    """A length as plain or dotted note values (2, 1/2, 3/4, ...), largest first: music21 cannot
    read a tuplet note of a length like 5/2."""
    parts = []
    while units > 0:
        power = Fraction(2) ** (units.numerator.bit_length() - units.denominator.bit_length() + 1)
        while power > units:
            power /= 2
        part = power * Fraction(3, 2) if power * Fraction(3, 2) <= units else power
        parts.append(part)
        units -= part
    return parts


def _sound(event: tuple, speller: _Speller, scale: Fraction = Fraction(1)) -> list[str]:
    """One note, chord or rest (tied pieces inside a tuplet). On the 1/24-beat grid every length
    is a multiple of 1/4 unit outside a (3:2 tuplet and of 1/8 unit inside one."""
    _, length, pitches, tied = event
    units = Fraction(length, UNIT_STEPS) * scale
    parts = simple_lengths(units) if scale != 1 else [units]
    if pitches is None:
        return ["z" + length_suffix(part) for part in parts]
    names = [speller.name(p) for p in pitches]
    body = names[0] if len(names) == 1 else "[" + "".join(names) + "]"
    last = len(parts) - 1
    return [body + length_suffix(part) + ("-" if tied or i < last else "") for i, part in enumerate(parts)]


def _raise_below_range(note: Note) -> Note:
    """Notes below the written range move up by octaves (they are below hearing anyway)."""
    if note.pitch >= LOWEST_WRITTEN:
        return note
    return replace(note, pitch=note.pitch + 12 * -(-(LOWEST_WRITTEN - note.pitch) // 12))


def score_to_abc(score: Score, title: str = "Untitled", number: int = 1) -> str:
    """One ABC tune for a score: a header, then one V: block per voice (or none for a single voice)."""
    key = normalize_key(score.key) if score.key and normalize_key(score.key) else estimate_key(score)
    bar_steps = int(Fraction(4 * score.meter[0], score.meter[1]) * STEPS_PER_BEAT)
    pickup_steps = round(score.pickup * STEPS_PER_BEAT)
    shift = bar_steps - pickup_steps if 0 < pickup_steps < bar_steps else 0  # the pickup ends bar 0
    if shift:
        moved = shift / STEPS_PER_BEAT
        score = replace(score, notes=tuple(replace(n, start=n.start + moved, end=n.end + moved) for n in score.notes))
    total_steps = max(1, round(score.duration * STEPS_PER_BEAT))
    total_steps = -(-total_steps // bar_steps) * bar_steps
    lines = [
        f"X:{number}",
        f"T:{title}",
        f"M:{score.meter[0]}/{score.meter[1]}",
        "L:1/8",
        f"Q:1/4={round(score.tempo)}",
    ]
    score = replace(score, notes=tuple(_raise_below_range(n) for n in score.notes))
    voices = sorted({n.voice for n in score.notes if not score.is_drum(n.voice)}) or [0]  # drums: in the MIDI only
    body = []
    for voice in voices:
        if len(voices) > 1:
            body.append(voice_line(str(voice + 1), [n.pitch for n in score.notes if n.voice == voice]))
        bars = _voice_events([n for n in score.notes if n.voice == voice], bar_steps, total_steps)
        if shift:
            bars = _as_anacrusis(bars, shift)
        speller = _Speller(key)
        texts = [_bar_text(events, speller) for events in bars]
        for start in range(0, len(texts), BARS_PER_LINE):
            chunk = texts[start : start + BARS_PER_LINE]
            end = " |]" if start + BARS_PER_LINE >= len(texts) else " |"
            body.append(" | ".join(chunk) + end)
    return "\n".join(lines + [f"K:{key}"] + body) + "\n"


MIDDLE_C = 60


def performance_notation(score: Score) -> Score:
    """A freely played piece as notation a musician can read (its MIDI keeps the playing): onsets on
    sixteenths of its beat, each voice split into right and left hand at middle C, and each note
    held to the next onset of its hand, so a pianist's overlapping legato reads as plain chords."""
    table = score.quantize(4).table
    hands = table.voice * 2 + (table.pitch < MIDDLE_C)
    ends = table.end.copy()
    for hand in np.unique(hands):
        mine = np.flatnonzero(hands == hand)
        onsets = np.unique(table.start[mine])
        following = np.searchsorted(onsets, table.start[mine], side="right")
        later = np.append(onsets, np.inf)[following]
        ends[mine] = np.minimum(ends[mine], later)
    voices = np.unique(hands)
    renumbered = np.searchsorted(voices, hands)
    named = {hand: ("right hand", "left hand")[hand % 2] for hand in voices}
    notes = NoteTable(table.start, ends, table.pitch, table.velocity, renumbered)
    return replace(
        score,
        notes=tuple(notes),
        programs=tuple(score.programs[hand // 2] if hand // 2 < len(score.programs) else 0 for hand in voices),
        names=tuple(named[hand] for hand in voices),
        drums=(),
        tempos=(),
    )


def bars_to_abc(bars, meter: str, key: str | None, title: str = "Untitled", tempo: float | None = None) -> str:
    """One ABC tune from written bars (formats/abc/player.py; a tune read from MusicXML): its bar
    lines, repeats, endings and pickup as written, not played out."""
    key = normalize_key(key or "") or "C"
    bar_events: list[list[tuple]] = []
    for bar in bars:
        steps = round(4 * bar.length * STEPS_PER_BEAT)
        notes = [Note(float(4 * start), float(4 * end), pitch) for start, end, pitch, _ in bar.notes]
        bar_events.append(_voice_events(notes, steps, steps)[0] if steps > 0 else [])
        for start, _, pitch, tied in bar.notes:
            if tied:  # the tie is written on the sound before: in this bar, else the bar before
                step = round(4 * start * STEPS_PER_BEAT)
                if not _tie_into(bar_events[-1], pitch, step) and len(bar_events) > 1:
                    _tie_into(bar_events[-2], pitch, None)
    speller, texts, previous = _Speller(key), [], None
    for bar, events in zip(bars, bar_events):
        opens = bar.ending and (previous is None or previous.ending != bar.ending or previous.close != "|")
        ending = f"[{bar.ending} " if opens else ""
        change = f"[M:{bar.meter}] " if bar.meter else ""
        texts.append(ending + change + _bar_text(events, speller) + (f" {bar.close}" if bar.close else ""))
        previous = bar
    header = ["X:1", f"T:{title}", f"M:{meter}", "L:1/8"] + ([f"Q:1/4={round(tempo)}"] if tempo else [])
    return "\n".join(header + [f"K:{key}", " ".join(texts)]) + "\n"


def _tie_into(events: list[tuple], pitch: int, step: int | None) -> bool:
    """Tie the last sound of `pitch` (ending at `step`, or anywhere when None) to the next one."""
    for index in range(len(events) - 1, -1, -1):
        position, length, pitches, _ = events[index]
        if pitches and pitch in pitches and (step is None or position + length == step):
            events[index] = (position, length, pitches, True)
            return True
    return False
