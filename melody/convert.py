"""Convert between ABC, MIDI and MusicXML, always through a Score so every pair works the same way."""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from melody.errors import ConfigError, InputError, OutputError
from melody.fileio import atomic_write_bytes, atomic_write_text
from melody.formats.abc import abc_to_stream, read_abc_file, tune_to_abc
from melody.formats.abc_writer import score_to_abc
from melody.formats.midi import midi_to_score, score_to_midi_bytes
from melody.formats.stream import expand_repeats, stream_to_score
from melody.score import Score

ABC, MIDI, MUSICXML = (".abc",), (".mid", ".midi"), (".xml", ".mxl", ".musicxml")


def read_score(path: str | Path, tune: int = 1) -> tuple[Score, str]:
    """The music of a file as a Score (repeats played out), and its title."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in ABC:
        tunes, _ = read_abc_file(path)
        if not 1 <= tune <= len(tunes):
            raise InputError(f"no tune number {tune}; the file holds {len(tunes)} usable tunes", str(path))
        chosen = tunes[tune - 1]
        stream = abc_to_stream(tune_to_abc(chosen.text), f"{path} (tune {tune})")
        return stream_to_score(expand_repeats(stream)), chosen.title
    if suffix in MIDI:
        return midi_to_score(path), path.stem
    if suffix in MUSICXML:
        from music21 import converter

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                stream = converter.parse(str(path))
            except Exception as error:  # music21 raises many types on bad MusicXML
                raise InputError(f"music21 cannot read this MusicXML: {str(error)[:120]}", str(path)) from None
        title = stream.metadata.title if stream.metadata and stream.metadata.title else path.stem
        return stream_to_score(expand_repeats(stream)), title
    raise ConfigError(f"cannot read {suffix or 'files without a suffix'}; use .abc, .mid or .musicxml", str(path))


def write_score(score: Score, path: str | Path, title: str = "Untitled", force: bool = False) -> Path:
    """Write a Score in the format its suffix names; never overwrites unless forced."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.exists() and not force:
        raise OutputError("file exists; use --force to overwrite it", str(path))
    if suffix in ABC:
        atomic_write_text(path, score_to_abc(score, title))
    elif suffix in MIDI:
        atomic_write_bytes(path, score_to_midi_bytes(score))
    elif suffix in (".xml", ".musicxml"):
        stream = abc_to_stream(score_to_abc(score, title))
        fd, tmp = tempfile.mkstemp(dir=path.parent if path.parent.exists() else None, suffix=".musicxml")
        os.close(fd)
        try:
            stream.write("musicxml", fp=tmp)
            atomic_write_bytes(path, Path(tmp).read_bytes())
        finally:
            Path(tmp).unlink(missing_ok=True)
    else:
        raise ConfigError(f"cannot write {suffix or 'files without a suffix'}; use .abc, .mid or .musicxml", str(path))
    return path
