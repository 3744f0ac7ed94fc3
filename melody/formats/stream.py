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


def _tempo(flat) -> float:
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
        return Score(tuple(notes), _tempo(first), meter, _key(first), tuple(0 for _ in parts))
    except InputError:
        raise
    except Exception as error:  # music21 fails in many ways on malformed streams
        raise InputError(f"cannot read the notes of this music: {error}") from None
