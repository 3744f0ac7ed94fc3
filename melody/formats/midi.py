"""MIDI files <-> Score: read with pretty_midi, written with symusic (a tempo map, signatures, track
names and programs, no private internals). Writing goes through Score rather than music21's MIDI
writer, which fails on scores with irregular bar lengths (common in generated ABC)."""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace
from pathlib import Path

from melody.errors import InputError
from melody.fileio import atomic_write_bytes
from melody.music.score import TONIC_NAMES, NoteTable, Score
from melody.music.theory import checked_key, key_fifths, key_parts, normalize_key

MAX_MIDI_BYTES = 16 * 1024 * 1024
MAX_TRACKS, MAX_NOTES, MAX_SECONDS = 256, 500_000, 4 * 3600  # caps before trusting a file


def import_pretty_midi():
    """pretty_midi imports pyfluidsynth when it is installed, which prints to stdout; stdout belongs
    to --json, so the import happens with it silenced."""
    with contextlib.redirect_stdout(io.StringIO()):
        import pretty_midi
    return pretty_midi


TICKS_PER_BEAT = 220  # pretty_midi's resolution: files read back as they were before symusic wrote them


def score_to_midi_bytes(score: Score) -> bytes:
    """A standard type-1 MIDI file, written by symusic: one track per voice (its name and program,
    drums on their channel), the tempo map, the meter (a pickup bar in its own meter first) and the
    key signature, in ticks of TICKS_PER_BEAT."""
    import symusic

    if not score.notes:
        raise InputError("this music has no notes to play")
    tempo = min(400.0, max(10.0, float(score.tempo)))  # values from a model or a file are clamped
    changes = [(0.0, tempo)] + [(at, min(400.0, max(10.0, bpm))) for at, bpm in score.tempos if at > 0]
    midi = symusic.Score(TICKS_PER_BEAT)
    for at, bpm in changes:
        midi.tempos.append(symusic.Tempo(_tick(at), bpm))
    numerator, denominator = score.meter
    if 0 < numerator < 256 and 0 < denominator <= 128 and denominator & (denominator - 1) == 0:
        pickup = _pickup_signature(score.pickup, denominator)
        if pickup is not None:  # a pickup bar of its own meter, as notation programs write one
            midi.time_signatures.append(symusic.TimeSignature(0, *pickup))
        start = _tick(score.pickup) if pickup is not None else 0
        midi.time_signatures.append(symusic.TimeSignature(start, numerator, denominator))
    # else: MIDI holds only meters over a power of two; the notes keep their times without one
    if score.key and normalize_key(score.key):  # a mode is written as the major key of its signature
        minor = key_parts(normalize_key(score.key))[1] == "m"
        midi.key_signatures.append(symusic.KeySignature(0, key_fifths(score.key), int(minor)))
    tracks = [
        symusic.Track(name=score.voice_name(i) or f"voice {i + 1}", program=p, is_drum=score.is_drum(i))
        for i, p in enumerate(score.programs)
    ]
    for note in score.notes:
        if not 0 <= note.pitch <= 127 or note.voice >= len(tracks):
            continue
        start = _tick(note.start)
        velocity = min(127, max(1, int(note.velocity)))
        tracks[note.voice].notes.append(symusic.Note(start, _tick(note.end) - start, note.pitch, velocity))
    midi.tracks.extend([track for track in tracks if len(track.notes)])
    return bytes(midi.dumps_midi())


def _tick(beat: float) -> int:
    return round(beat * TICKS_PER_BEAT)


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


def write_midi(score: Score, path: str | Path) -> None:
    atomic_write_bytes(path, score_to_midi_bytes(score))


MAX_AT_ONCE = 64  # notes starting at one instant: more is a broken file, not music
DRUM_PROGRAM_NAME = "drums"


def midi_to_score(path: str | Path, keep_drums: bool = True) -> Score:
    """Read a type 0 or 1 MIDI file as it is: one voice per track (and per channel in a type-0
    file), never merged for sharing a program; each voice keeps its track name, program and drum
    flag (drums dropped and counted unless kept). The grid's phase and the meter are found from the
    notes (formats/midi_grid.py): a lead-in that is not a whole beat is taken off, and the first bar
    line becomes the pickup. Tempo changes are kept; `Score.reading` says what was declared and found."""
    import numpy as np

    from melody.formats.midi_grid import FITS_GRID, find_grid

    midi = _parse(Path(path))
    resolution = midi.ticks_per_quarter
    declared, pickup_bar = _declared_meter(midi, resolution)
    tempos, bad_tempi = [], 0
    for change in midi.tempos:
        if 10 <= change.qpm <= 400:
            tempos.append((change.time / resolution, round(float(change.qpm), 3)))  # undo µs rounding
        else:
            bad_tempi += 1
    voices, dropped, sustained = [], {}, 0
    for track in midi.tracks:
        if not len(track.notes):
            continue
        if track.is_drum and not keep_drums:
            dropped["drum notes"] = dropped.get("drum notes", 0) + len(track.notes)
            continue
        columns = track.notes.numpy()
        if len(track.pedals) and not track.is_drum:
            columns["duration"] = pedalled_durations(columns, track.pedals.numpy())
            sustained += 1
        keep = columns["duration"] > 0
        if not keep.all():
            dropped["zero-length notes"] = dropped.get("zero-length notes", 0) + int((~keep).sum())
        if keep.any():
            voices.append((track, {name: column[keep] for name, column in columns.items()}))
    if bad_tempi:
        dropped["tempo marks out of 10-400 bpm"] = bad_tempi
    if not voices:
        reason = "only drum notes, and drums were dropped" if dropped.get("drum notes") else "no notes"
        raise InputError(f"MIDI file holds {reason}", str(path))
    onsets = np.concatenate([c["time"] for _, c in voices]).astype(np.int64)
    _, at_once = np.unique(onsets, return_counts=True)
    if at_once.max() > MAX_AT_ONCE:
        raise InputError(f"{int(at_once.max())} notes start at one instant; not music we read", str(path))
    beats = onsets / resolution
    last = max(int((c["time"].astype(np.int64) + c["duration"]).max()) for _, c in voices)
    if last - int(onsets.min()) < resolution:
        raise InputError(f"the music lasts {last - int(onsets.min())} ticks, under one beat; not a piece", str(path))
    duration_ticks = np.concatenate([c["duration"] for _, c in voices]).astype(np.int64)
    durations = duration_ticks / resolution
    pitches = np.concatenate([c["pitch"] for _, c in voices]).astype(np.int64)
    drum_flags = np.concatenate([np.full(len(c["time"]), track.is_drum) for track, c in voices])
    grid = find_grid(beats, durations, pitches, drum_flags, declared, pickup_bar)
    shift_ticks = round(grid.phase * resolution) if grid.fit >= FITS_GRID and not grid.own else 0
    shift = shift_ticks / resolution
    ticks = np.maximum(onsets - shift_ticks, 0)
    voice_numbers = np.concatenate([np.full(len(c["time"]), voice) for voice, (_, c) in enumerate(voices)])
    velocities = np.maximum(np.concatenate([c["velocity"] for _, c in voices]).astype(np.int64), 1)
    notes = NoteTable(ticks / resolution, (ticks + duration_ticks) / resolution, pitches, velocities, voice_numbers)
    first_tempo = ([bpm for at, bpm in tempos if at <= shift + 1e-9] or [120.0])[-1]  # in force where the music starts
    changes = tuple((max(0.0, at - shift), bpm) for at, bpm in tempos if at > shift + 1e-9)
    names = tuple(_voice_name(track, voices) for track, _ in voices)
    reading = {
        "grid_fit": round(grid.fit, 3),
        "lead_in": round(shift, 3),
        "meter_declared": f"{declared[0]}/{declared[1]}" if declared else None,
        "meter_found": f"{grid.meter[0]}/{grid.meter[1]}",
        "meter_evidence": grid.evidence,
        "tempo_range": [min([first_tempo] + [b for _, b in changes]), max([first_tempo] + [b for _, b in changes])],
        "pedalled_tracks": sustained,
    }
    score = Score(
        notes,
        first_tempo,
        grid.meter,
        None,
        tuple(int(track.program) for track, _ in voices),
        dropped,
        grid.first_bar if grid.fit >= FITS_GRID or grid.own else 0.0,
        names,
        tuple(bool(track.is_drum) for track, _ in voices),
        changes,
        reading,
    )
    declared_key = _key_name(midi)
    key, reading["key_evidence"] = checked_key(score, declared_key)
    reading |= {"key_declared": declared_key, "key_found": key}
    score = replace(score, key=key)
    if (pickup_bar is not None and grid.own) or score.reading["grid_fit"] < FITS_GRID:
        return score
    # velocity accents, where a file has them (abc2midi plays each bar's first note louder), place the
    # bar lines over what the note lengths suggest
    varied = any(np.unique(columns["velocity"]).size > 1 for _, columns in voices)
    accented = replace(score, pickup=0.0)._accented_bar_start() if varied else None
    return replace(score, pickup=accented) if accented is not None else score


def pedalled_durations(columns: dict, pedals: dict):
    """Each note's length as it sounds: a key released while the sustain pedal (controller 64) is
    down sounds until the pedal lifts, or until the same key is struck again, as a listener hears a
    piano (and as Performance RNN reads one). Ticks in, ticks out."""
    import numpy as np

    starts = columns["time"].astype(np.int64)
    ends = starts + columns["duration"].astype(np.int64)
    downs = pedals["time"].astype(np.int64)
    ups = downs + pedals["duration"].astype(np.int64)
    order = np.argsort(downs, kind="stable")
    downs, ups = downs[order], np.maximum.accumulate(ups[order])  # overlapping presses: held to the last lift
    under = np.searchsorted(downs, ends, side="right") - 1
    held = (under >= 0) & (ends < ups[np.maximum(under, 0)])
    lifted = np.where(held, ups[np.maximum(under, 0)], ends)
    by_key = np.lexsort((starts, columns["pitch"]))  # each key's notes in time order
    again = np.full(starts.size, np.iinfo(np.int64).max)
    same_key = columns["pitch"][by_key][1:] == columns["pitch"][by_key][:-1]
    again[by_key[:-1][same_key]] = starts[by_key[1:][same_key]]
    sounding = np.where(held, np.maximum(ends, np.minimum(lifted, again)), ends)
    return (sounding - starts).astype(columns["duration"].dtype)


def _declared_meter(midi, resolution: int) -> tuple[tuple[int, int] | None, float | None]:
    """(the meter a file declares, the pickup in beats where it says so): a first bar in a meter of
    its own, shorter than the next (1/8 before 6/8), is a pickup, as notation programs write one."""
    signatures = sorted(
        (signature for signature in midi.time_signatures if signature.numerator > 0 and signature.denominator > 0),
        key=lambda signature: signature.time,
    )  # a broken one (0/0 in a damaged file) declares nothing
    if not signatures:
        return None, None
    first = signatures[0]
    first_bar = 4 * first.numerator / first.denominator
    if len(signatures) > 1 and first.time == 0:
        second = signatures[1]
        if second.time == round(first_bar * resolution) and first_bar < 4 * second.numerator / second.denominator:
            return (second.numerator, second.denominator), first_bar
    return (first.numerator, first.denominator), None


def _parse(path: Path):
    """The file parsed by symusic (a C++ parser, many times faster than mido), with its size and
    contents checked before anything trusts them."""
    import symusic

    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputError(f"cannot read file: {error.strerror}", str(path)) from None
    if size > MAX_MIDI_BYTES:
        raise InputError(f"file larger than {MAX_MIDI_BYTES // 2**20} MB; not a MIDI file we read", str(path))
    try:
        midi = symusic.Score.from_file(str(path), ttype="tick")
    except Exception as error:  # symusic raises RuntimeError, ValueError and others for damaged files
        raise InputError(f"not a readable MIDI file ({str(error)[:120]})", str(path)) from None
    if midi.ticks_per_quarter <= 0:
        raise InputError("MIDI file has no time division", str(path))
    if len(midi.tracks) > MAX_TRACKS or midi.note_num() > MAX_NOTES:
        raise InputError(f"more than {MAX_TRACKS} tracks or {MAX_NOTES} notes; not a piece we read", str(path))
    if midi.note_num() == 0:
        raise InputError("MIDI file holds no notes", str(path))
    if midi.end() / midi.ticks_per_quarter * 60 / 400 > MAX_SECONDS or midi.to("second").end() > MAX_SECONDS:
        raise InputError("longer than four hours; not a piece we read", str(path))
    return midi


def _voice_name(track, voices) -> str:
    """The track's name; tracks of one type-0 file share it, so the drum part is called drums there."""
    name = (track.name or "").strip()
    shared = sum((other.name or "").strip() == name for other, _ in voices) > 1
    if track.is_drum and (shared or not name):
        return DRUM_PROGRAM_NAME
    return name


def _key_name(midi) -> str | None:
    """The file's first key signature as an ABC key name (``G``, ``Em``), or None."""
    if not len(midi.key_signatures):
        return None
    signature = midi.key_signatures[0]
    fifths, minor = int(signature.key), bool(signature.tonality)
    if not -7 <= fifths <= 7:
        return None
    tonic = (fifths * 7 + (9 if minor else 0)) % 12
    return TONIC_NAMES[tonic] + ("m" if minor else "")
