"""music21 streams (read from ABC or MusicXML) -> Score. music21 does the parsing; this keeps the notes."""

from __future__ import annotations

from fractions import Fraction

from melody.errors import InputError
from melody.music.score import Note, Score, pitch_name

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
    endings, for formats/abc/player.py to play out as it plays ABC: (bars, meter, key), or None
    for several parts or no measures."""
    from fractions import Fraction

    from music21 import bar, spanner

    from melody.formats.abc.player import WrittenBar

    parts = list(stream.parts) if hasattr(stream, "parts") and stream.parts else [stream]
    measures = list(parts[0].getElementsByClass("Measure")) if len(parts) == 1 else []
    if not measures:
        return None
    endings = {}
    position = {id(measure): index for index, measure in enumerate(measures)}
    for bracket in parts[0].flatten().getElementsByClass(spanner.RepeatBracket):
        spanned = [position[id(m)] for m in bracket.getSpannedElements() if id(m) in position]
        for index in range(min(spanned), max(spanned) + 1) if spanned else ():  # read back: first and last only
            endings[id(measures[index])] = str(bracket.number or 1).replace(" ", "")
    bars, current = [], None  # current: the meter so far
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
        opens = following is not None and isinstance(following.leftBarline, bar.Repeat)
        if isinstance(right, bar.Repeat) and right.direction == "end":
            written.close = "::" if opens else ":|"
        elif opens:
            written.close = "|:"
        elif right is not None and right.type in ("double", "light-light"):
            written.close = "||"
        elif right is not None and right.type in ("final", "light-heavy"):
            written.close = "|]"
        written.ending = endings.get(id(measure))
        signature = measure.timeSignature
        if signature is not None:
            spelled = f"{signature.numerator}/{signature.denominator}"
            written.meter = spelled if index and spelled != current else None  # a change, not a restatement
            current = spelled
        bars.append(written)
    flat = stream.flatten()
    meters = list(flat.getElementsByClass("TimeSignature"))
    meter = f"{meters[0].numerator}/{meters[0].denominator}" if meters else "4/4"
    return bars, meter, _key(flat)


def bars_to_stream(bars, meter: str, key: str | None, title: str, tempo: float | None = None):
    """Written bars (formats/abc/player.py) as a one-part music21 score, the way round from
    `stream_to_bars`: a short first bar as the pickup, repeat barlines, endings, ties and the
    title. For a tune whose ABC music21 reads otherwise than abc2midi plays it."""
    from music21 import bar as barline
    from music21 import chord, metadata, note, spanner, stream, tie
    from music21 import key as keys
    from music21 import meter as meters
    from music21 import tempo as tempos

    from melody.music.theory import key_fifths, meter_fraction, normalize_key

    full = meter_fraction(meter)
    part, measures, held = stream.Part(), [], {}  # held: pitch -> the note a tie would continue
    for index, written in enumerate(bars):
        measure = stream.Measure(number=index + (0 if full and 0 < bars[0].length < full else 1))
        if index == 0:
            if meter_fraction(meter) is not None:
                measure.insert(0, meters.TimeSignature(_music21_meter(meter)))
            if normalize_key(key or ""):
                measure.insert(0, keys.KeySignature(key_fifths(key)))
            if tempo:
                measure.insert(0, tempos.MetronomeMark(number=tempo))
        if index and written.meter and meter_fraction(written.meter) is not None:
            measure.insert(0, meters.TimeSignature(_music21_meter(written.meter)))
        now, onsets = Fraction(0), {}
        for start, end, pitch, tied in sorted(written.notes):
            onsets.setdefault(start, []).append((end, pitch, tied))
        for start, sounding in sorted(onsets.items()):  # notes that start together are a chord
            if start > now:
                measure.insert(float(4 * now), note.Rest(quarterLength=float(4 * (start - now))))
            end = max(end for end, _, _ in sounding)
            pitches = [pitch for _, pitch, _ in sounding]
            length = float(4 * (end - start))
            names = [pitch_name(pitch, key) for pitch in pitches]  # spelled in the key: F# in Bb, not Gb
            element = (
                note.Note(names[0], quarterLength=length)
                if len(names) == 1
                else chord.Chord(names, quarterLength=length)
            )
            before = next((held[pitch] for _, pitch, tied in sounding if tied and pitch in held), None)
            if before is not None:
                before.tie = tie.Tie("start" if before.tie is None else "continue")
                element.tie = tie.Tie("stop")
            held.update((pitch, element) for pitch in pitches)
            measure.insert(float(4 * start), element)
            now = max(now, end)
        if now < written.length:
            measure.insert(float(4 * now), note.Rest(quarterLength=float(4 * (written.length - now))))
        if index == 0 and full and 0 < written.length < full:
            measure.paddingLeft = float(4 * (full - written.length))
        elif full and 0 < written.length < full:
            measure.paddingRight = float(4 * (full - written.length))
        measure.rightBarline = _barline(barline, written.close)
        if written.close == "|:" and index + 1 < len(bars):
            measure.rightBarline = None
        if index and bars[index - 1].close in ("|:", "::"):
            measure.leftBarline = barline.Repeat(direction="start")
        measures.append(measure)
        part.append(measure)
    run: list = []  # the measures of one ending, bar after bar
    for index, (measure, written) in enumerate(zip(measures, bars)):
        if written.ending:
            run.append(measure)
        following = bars[index + 1] if index + 1 < len(bars) else None
        if run and (following is None or following.ending != written.ending or written.close != "|"):
            part.insert(0, spanner.RepeatBracket(run, number=written.ending))
            run = []
    score = stream.Score()
    score.insert(0, metadata.Metadata(title=title))
    score.append(part)
    return score


def _music21_meter(meter: str) -> str:
    return {"C": "4/4", "C|": "2/2"}.get(meter, meter)


def _barline(barline, close: str):
    if close in (":|", "::"):
        return barline.Repeat(direction="end")
    return {"||": barline.Barline("double"), "|]": barline.Barline("final")}.get(close)


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
