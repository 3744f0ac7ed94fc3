"""music21 streams (read from ABC or MusicXML) -> Score. music21 does the parsing; this keeps the notes."""

from __future__ import annotations

from melody.errors import InputError
from melody.score import Note, Score

DEFAULT_BPM = 120.0
DEFAULT_VELOCITY = 90


def expand_repeats(stream):
    """Play repeats and endings out in full, as a listener hears them; unchanged if inconsistent."""
    try:
        return stream.expandRepeats()
    except Exception:  # music21 raises several types for repeat marks it cannot pair up
        return stream


def tempo_of(flat) -> float:
    marks = list(flat.getElementsByClass("MetronomeMark"))
    bpm = marks[0].getQuarterBPM() if marks else None
    return float(bpm) if bpm and 10 <= bpm <= 400 else DEFAULT_BPM


def _key(flat) -> str | None:
    keys = list(flat.getElementsByClass("KeySignature"))
    if not keys:
        return None
    key = keys[0].asKey() if not hasattr(keys[0], "tonic") else keys[0]
    name = key.tonic.name.replace("-", "b")
    return name + ("m" if key.mode == "minor" else "")


def _pickup(part) -> float:
    """Beats of the pickup: the first measure when it is shorter than a bar (music21 numbers a first
    measure 0 for other reasons too, so its number does not say)."""
    measures = list(part.getElementsByClass("Measure"))
    if not measures:
        return 0.0
    first = measures[0]
    length, bar = float(first.duration.quarterLength), float(first.barDuration.quarterLength)
    return length if 0 < length < bar and len(measures) > 1 else 0.0


def stream_to_bars(stream):
    """A one-part stream (a tune read from MusicXML) as written bars with their repeat barlines and
    endings, for formats/abc_player.py to play out as it plays ABC: (bars, meter, key), or None
    for several parts or no measures."""
    from fractions import Fraction

    from music21 import bar, spanner

    from melody.formats.abc_player import WrittenBar

    parts = list(stream.parts) if hasattr(stream, "parts") and stream.parts else [stream]
    measures = list(parts[0].getElementsByClass("Measure")) if len(parts) == 1 else []
    if not measures:
        return None
    endings = {}
    for bracket in parts[0].flatten().getElementsByClass(spanner.RepeatBracket):
        for measure in bracket.getSpannedElements():
            endings[id(measure)] = int(str(bracket.number).split(",")[0] or 1)
    bars = []
    measures = [m for m in measures if m.highestTime > 0]  # an empty measure between two double bars
    for index, measure in enumerate(measures):
        written = WrittenBar(length=Fraction(measure.duration.quarterLength).limit_denominator(960) / 4)
        for element in measure.flatten().notes:
            if element.quarterLength <= 0:
                continue  # grace notes
            start = Fraction(element.offset).limit_denominator(960) / 4
            end = start + Fraction(element.quarterLength).limit_denominator(960) / 4
            tied = element.tie is not None and element.tie.type in ("stop", "continue")
            written.notes += [(start, end, p.midi, tied) for p in element.pitches if 0 <= p.midi <= 127]
        right = measure.rightBarline
        following = measures[index + 1] if index + 1 < len(measures) else None
        if isinstance(right, bar.Repeat) and right.direction == "end":
            written.close = ":|"
        elif following is not None and isinstance(following.leftBarline, bar.Repeat):
            written.close = "|:"
        elif right is not None and right.type in ("double", "light-light"):
            written.close = "||"
        elif right is not None and right.type in ("final", "light-heavy"):
            written.close = "|]"
        written.ending = endings.get(id(measure))
        bars.append(written)
    flat = stream.flatten()
    meters = list(flat.getElementsByClass("TimeSignature"))
    meter = f"{meters[0].numerator}/{meters[0].denominator}" if meters else "4/4"
    return bars, meter, _key(flat)


def stream_to_score(stream) -> Score:
    """The sounding notes of a music21 stream: ties joined, grace notes dropped, one voice per part."""
    try:
        parts = list(stream.parts) if hasattr(stream, "parts") and stream.parts else [stream]
        first = stream.flatten()
        notes = []
        for voice, part in enumerate(parts):
            for element in part.stripTies().flatten().notes:
                length = float(element.quarterLength)
                if length <= 0:
                    continue
                start = float(element.offset)  # in the flattened part: beats from the start
                velocity = element.volume.velocity or DEFAULT_VELOCITY
                for pitch in element.pitches:
                    if 0 <= pitch.midi <= 127:
                        notes.append(Note(start, start + length, pitch.midi, int(velocity), voice))
        meters = list(first.getElementsByClass("TimeSignature"))
        meter = (meters[0].numerator, meters[0].denominator) if meters else (4, 4)
        programs = tuple(0 for _ in parts)
        return Score(tuple(notes), tempo_of(first), meter, _key(first), programs, pickup=_pickup(parts[0]))
    except InputError:
        raise
    except Exception as error:  # music21 fails in many ways on malformed streams
        raise InputError(f"cannot read the notes of this music: {error}") from None
