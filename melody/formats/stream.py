"""music21 streams (read from ABC or MusicXML) -> Score. music21 does the parsing; this keeps the notes."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from melody.errors import InputError
from melody.music.score import Note, Score, pitch_name
from melody.music.theory import checked_key, meter_pair

DEFAULT_BPM = 120.0
DEFAULT_VELOCITY = 90


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


def _parts(stream) -> list:
    return list(stream.parts) if hasattr(stream, "parts") and stream.parts else [stream]


def stream_to_bars(stream):
    """A one-part, one-voice stream (a tune read from MusicXML) as written bars with their repeat
    barlines and endings, for formats/abc/player.py to play out as it plays ABC: (bars, meter,
    key), or None for several parts or voices, or no measures."""
    parts = _parts(stream)
    voices = stream_voices(stream) if len(parts) == 1 else []
    if len(voices) != 1 or voices[0][2] is None:
        return None
    _part, _name, bars = voices[0]
    flat = stream.flatten()
    return bars, _meter(flat), _key(flat)


def stream_voices(stream) -> list[tuple[int, str, list | None]]:
    """Every voice of every part as written bars: (part index, name, bars). A staff that holds two
    voices (a fugue, a piano piece's inner voices) gives two, each with its own rhythm; a part
    with no measures gives bars None."""
    found = []
    for number, part in enumerate(_parts(stream)):
        measures = [m for m in part.getElementsByClass("Measure") if m.highestTime > 0]
        name = (part.partName or "").strip()
        if not measures:
            found.append((number, name, None))
            continue
        layout = _measure_layout(part, measures)
        count = max(len(m.voices) for m in measures) or 1
        for voice in range(count):
            bars = [_written_bar(measure, voice, marks) for measure, marks in zip(measures, layout)]
            if voice and not any(bar.notes for bar in bars):
                continue
            found.append((number, f"{name} {voice + 1}".strip() if count > 1 else name, bars))
    return found


def _measure_layout(part, measures) -> list[tuple[str, str | None, str | None]]:
    """(closing bar line, ending label, meter it changes to) of each measure: what every voice of
    the part shares."""
    from music21 import bar, spanner

    endings = {}
    position = {id(measure): index for index, measure in enumerate(measures)}
    for bracket in part.flatten().getElementsByClass(spanner.RepeatBracket):
        spanned = [position[id(m)] for m in bracket.getSpannedElements() if id(m) in position]
        for index in range(min(spanned), max(spanned) + 1) if spanned else ():  # read back: first and last only
            endings[id(measures[index])] = str(bracket.number or 1).replace(" ", "")
    layout, current = [], None  # current: the meter so far
    for index, measure in enumerate(measures):
        right = measure.rightBarline
        following = measures[index + 1] if index + 1 < len(measures) else None
        opens = following is not None and isinstance(following.leftBarline, bar.Repeat)
        close = "|"
        if isinstance(right, bar.Repeat) and right.direction == "end":
            close = "::" if opens else ":|"
        elif opens:
            close = "|:"
        elif right is not None and right.type in ("double", "light-light"):
            close = "||"
        elif right is not None and right.type in ("final", "light-heavy"):
            close = "|]"
        change = None
        signature = measure.timeSignature
        if signature is not None:
            spelled = f"{signature.numerator}/{signature.denominator}"
            change = spelled if index and spelled != current else None  # a change, not a restatement
            current = spelled
        layout.append((close, endings.get(id(measure)), change))
    return layout


def _written_bar(measure, voice: int, marks: tuple[str, str | None, str | None]):
    """One voice of one measure as a WrittenBar: the notes of its `voice`-th voice (or, for the
    first, the notes that stand in no voice)."""
    from melody.formats.abc.player import WrittenBar

    close, ending, meter = marks
    written = WrittenBar(length=_fraction(measure.duration.quarterLength) / 4, close=close, ending=ending, meter=meter)
    layers = [(0.0, measure)] if voice == 0 else []
    if voice < len(measure.voices):
        layers.append((float(measure.voices[voice].offset), measure.voices[voice]))
    for shift, layer in layers:
        for element in layer.notes:
            if element.quarterLength <= 0:
                continue  # grace notes
            start = _fraction(shift + float(element.offset)) / 4
            end = start + _fraction(element.quarterLength) / 4
            tied = element.tie is not None and element.tie.type in ("stop", "continue")
            written.notes += [(start, end, p.midi, tied) for p in element.pitches if 0 <= p.midi <= 127]
    written.notes.sort()
    return written


def _fraction(value) -> Fraction:
    return Fraction(value).limit_denominator(960)


def _meter(flat) -> str:
    meters = list(flat.getElementsByClass("TimeSignature"))
    return f"{meters[0].numerator}/{meters[0].denominator}" if meters else "4/4"


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
    """The sounding notes of a music21 stream, each voice of each part a voice of the Score (named
    after its part), played out by formats/abc/player.py as ABC is: repeats and endings as abc2midi
    plays them, ties joined, grace notes dropped. The key declared is kept where the notes agree."""
    from melody.formats.abc.player import bars_to_score

    try:
        flat = stream.flatten()
        meter, key = _meter(flat), _key(flat)
        notes, names, pickup = [], [], None
        for index, (part, name, bars) in enumerate(stream_voices(stream)):
            if bars is None:  # no measures: the notes where they stand
                played = [
                    Note(float(e.offset), float(e.offset + e.quarterLength), p.midi)
                    for e in _parts(stream)[part].stripTies().flatten().notes
                    if e.quarterLength > 0
                    for p in e.pitches
                ]
                voice_pickup = 0.0
            else:
                score = bars_to_score(bars, meter, key)
                played, voice_pickup = list(score.notes), score.pickup
            pickup = voice_pickup if pickup is None else pickup
            notes += [replace(n, voice=index, velocity=DEFAULT_VELOCITY) for n in played if 0 <= n.pitch <= 127]
            names.append(name)
        programs = (0,) * max(1, len(names))
        score = Score(tuple(notes), tempo_of(flat), meter_pair(meter) or (4, 4), None, programs, pickup=pickup or 0.0)
        found, why = checked_key(score, key)  # a signature without a mode reads as major: the notes say
        reading = {"key_declared": key, "key_found": found, "key_evidence": why}
        return replace(score, key=found, names=tuple(names), reading=reading)
    except InputError:
        raise
    except Exception as error:  # music21 fails in many ways on malformed streams
        raise InputError(f"cannot read the notes of this music: {error}") from None
