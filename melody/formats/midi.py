"""MIDI files <-> Score, on pretty_midi. Writing goes through Score rather than music21's MIDI
writer, which fails on scores with irregular bar lengths (common in generated ABC)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from melody.errors import InputError
from melody.fileio import atomic_write_bytes
from melody.formats.abc_core import key_fifths, key_parts, normalize_key
from melody.score import Note, Score

MAX_MIDI_BYTES = 16 * 1024 * 1024
MAX_TRACKS, MAX_NOTES, MAX_SECONDS = 256, 500_000, 4 * 3600  # caps before trusting a file


def import_pretty_midi():
    """pretty_midi imports pyfluidsynth when it is installed, which prints to stdout; stdout belongs
    to --json, so the import happens with it silenced."""
    with contextlib.redirect_stdout(io.StringIO()):
        import pretty_midi
    return pretty_midi


def score_to_midi_bytes(score: Score) -> bytes:
    """A standard type-1 MIDI file: one track per voice, tempo and meter from the score."""
    pretty_midi = import_pretty_midi()

    if not score.notes:
        raise InputError("this music has no notes to play")
    tempo = min(400.0, max(10.0, float(score.tempo)))  # values from a model or a file are clamped
    seconds_per_beat = 60.0 / tempo
    midi = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    numerator, denominator = score.meter
    if 0 < numerator < 256 and 0 < denominator <= 128 and denominator & (denominator - 1) == 0:
        pickup = _pickup_signature(score.pickup, denominator)
        if pickup is not None:  # a pickup bar of its own meter, as notation programs write one
            midi.time_signature_changes.append(pretty_midi.TimeSignature(*pickup, 0))
        start = score.pickup * seconds_per_beat if pickup is not None else 0
        midi.time_signature_changes.append(pretty_midi.TimeSignature(numerator, denominator, start))
    # else: MIDI holds only meters over a power of two; the notes keep their times without one
    if score.key and normalize_key(score.key):
        midi.key_signature_changes.append(pretty_midi.KeySignature(_key_number(score.key), 0))
    tracks = [pretty_midi.Instrument(program=p, name=f"voice {i + 1}") for i, p in enumerate(score.programs)]
    for note in score.notes:
        if not 0 <= note.pitch <= 127 or note.voice >= len(tracks):
            continue
        velocity = min(127, max(1, int(note.velocity)))
        start, end = note.start * seconds_per_beat, note.end * seconds_per_beat
        tracks[note.voice].notes.append(pretty_midi.Note(velocity, note.pitch, start, end))
    midi.instruments.extend(track for track in tracks if track.notes)
    buffer = io.BytesIO()
    midi.write(buffer)
    return buffer.getvalue()


def _pickup_signature(pickup: float, denominator: int) -> tuple[int, int] | None:
    """The meter of a bar `pickup` beats long (0.5 in 6/8: 1/8), or None for no pickup or one no
    meter spells (a power-of-two denominator up to 64)."""
    if pickup <= 0:
        return None
    for unit in (denominator, 8, 16, 32, 64):
        count = pickup * unit / 4
        if unit >= denominator and abs(count - round(count)) < 1e-9 and round(count) >= 1:
            return round(count), unit
    return None


def _key_number(key: str) -> int:
    """pretty_midi's key number (0-11 major, 12-23 minor) of the key's signature: a mode is written
    as the major key with its signature (Dmix as G), a minor key as minor."""
    fifths = key_fifths(key)
    if key_parts(normalize_key(key))[1] == "m":
        return (fifths * 7 + 9) % 12 + 12
    return fifths * 7 % 12


def write_midi(score: Score, path: str | Path) -> None:
    atomic_write_bytes(path, score_to_midi_bytes(score))


def midi_to_score(path: str | Path, keep_drums: bool = False) -> Score:
    """Read a type 0 or 1 MIDI file. Each non-drum instrument becomes a voice; drums are dropped
    (and counted in `Score.dropped`) unless kept. Tempo and meter are the file's first ones; a first
    bar in a shorter meter of its own is the pickup (a file with no time signature at all gets the
    pickup its notes show)."""
    pretty_midi = import_pretty_midi()

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputError(f"cannot read file: {error.strerror}", str(path)) from None
    if size > MAX_MIDI_BYTES:
        raise InputError(f"file larger than {MAX_MIDI_BYTES // 2**20} MB; not a MIDI file we read", str(path))
    try:
        midi = pretty_midi.PrettyMIDI(str(path))
    except Exception as error:  # mido and pretty_midi raise many types (OSError too) for damaged files
        raise InputError(f"not a readable MIDI file ({str(error)[:120]})", str(path)) from None
    if len(midi.instruments) > MAX_TRACKS or sum(len(i.notes) for i in midi.instruments) > MAX_NOTES:
        raise InputError(f"more than {MAX_TRACKS} tracks or {MAX_NOTES} notes; not a piece we read", str(path))
    if midi.get_end_time() > MAX_SECONDS:
        raise InputError("longer than four hours; not a piece we read", str(path))
    resolution = midi.resolution
    _, tempi = midi.get_tempo_changes()
    tempo = round(float(tempi[0]), 3) if len(tempi) and 10 <= tempi[0] <= 400 else 120.0  # undo µs rounding
    meter, pickup = (4, 4), 0.0
    signatures = midi.time_signature_changes
    if signatures:
        first = signatures[0]
        meter = (first.numerator, first.denominator)
        if len(signatures) > 1:  # a short first bar in a meter of its own, then the tune's: a pickup
            second = signatures[1]
            bar = 4 * first.numerator / first.denominator
            at = midi.time_to_tick(second.time) / resolution
            if abs(at - bar) < 1e-6 and bar < 4 * second.numerator / second.denominator:
                meter, pickup = (second.numerator, second.denominator), bar
    notes, programs, dropped = [], [], {}
    for instrument in midi.instruments:
        if instrument.is_drum and not keep_drums:
            dropped["drum notes"] = dropped.get("drum notes", 0) + len(instrument.notes)
            continue
        voice = len(programs)
        programs.append(int(instrument.program))
        for n in instrument.notes:
            start = midi.time_to_tick(n.start) / resolution
            end = midi.time_to_tick(n.end) / resolution
            if end <= start:
                dropped["zero-length notes"] = dropped.get("zero-length notes", 0) + 1
                continue
            notes.append(Note(float(start), float(end), int(n.pitch), int(n.velocity), voice))
    if not notes:
        raise InputError("MIDI file holds no notes", str(path))
    key = None
    if midi.key_signature_changes:
        number = midi.key_signature_changes[0].key_number
        key = pretty_midi.key_number_to_key_name(number).replace(" Major", "").replace(" minor", "m")
    score = Score(tuple(notes), tempo, meter, key, tuple(programs), dropped, pickup)
    # no time signature: the notes say where bars fall; one at the start: only the accents may move them
    return score.with_pickup(accents_only=bool(signatures)) if pickup == 0 and len(signatures) <= 1 else score
