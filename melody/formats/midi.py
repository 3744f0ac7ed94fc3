"""MIDI files: the notes of a music21 score written as a standard MIDI file with pretty_midi.

music21's own MIDI writer fails on scores whose bars have irregular lengths (it inserts meter
changes it then trips over), which generated ABC often has; reading the notes out and writing
them with pretty_midi works for every score music21 can read.
"""

from __future__ import annotations

import io
from pathlib import Path

from melody.errors import InputError
from melody.fileio import atomic_write_bytes

DEFAULT_BPM = 120.0
DEFAULT_VELOCITY = 90


def expand_repeats(score):
    """Play repeats and endings out in full, as a listener hears them; unchanged if inconsistent."""
    try:
        return score.expandRepeats()
    except Exception:  # music21 raises several types for repeat marks it cannot pair up
        return score


def _tempo(flat) -> float:
    marks = list(flat.getElementsByClass("MetronomeMark"))
    bpm = marks[0].getQuarterBPM() if marks else None
    return float(bpm) if bpm and 10 <= bpm <= 400 else DEFAULT_BPM


def stream_to_midi_bytes(score, program: int = 0) -> bytes:
    """One instrument track with every sounding note of `score` (ties joined, grace notes dropped)."""
    import pretty_midi

    try:
        flat = score.stripTies().flatten()
    except Exception as error:  # music21 fails on some malformed streams
        raise InputError(f"cannot read the notes of this music: {error}") from None
    bpm = _tempo(flat)
    seconds = 60.0 / bpm
    midi = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    meters = list(flat.getElementsByClass("TimeSignature"))
    if meters:
        midi.time_signature_changes.append(pretty_midi.TimeSignature(meters[0].numerator, meters[0].denominator, 0))
    instrument = pretty_midi.Instrument(program=program)
    for element in flat.notes:
        length = float(element.quarterLength)
        if length <= 0:
            continue
        start = float(element.offset) * seconds
        velocity = element.volume.velocity if element.volume.velocity else DEFAULT_VELOCITY
        for pitch in element.pitches:
            if 0 <= pitch.midi <= 127:
                instrument.notes.append(pretty_midi.Note(int(velocity), pitch.midi, start, start + length * seconds))
    if not instrument.notes:
        raise InputError("this music has no notes to play")
    midi.instruments.append(instrument)
    buffer = io.BytesIO()
    midi.write(buffer)
    return buffer.getvalue()


def write_midi(score, path: str | Path) -> None:
    atomic_write_bytes(path, stream_to_midi_bytes(score))
