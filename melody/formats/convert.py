"""Convert between ABC, MIDI and MusicXML. A tune read from ABC goes to notation (ABC, MusicXML) from
its own ABC, so its pickup, repeats, endings and ornaments stay; everything else goes through a
Score (notes played out), written with the pickup its source has."""

from __future__ import annotations

import tempfile
import warnings
from collections import Counter
from dataclasses import replace
from pathlib import Path

from melody.errors import ConfigError, InputError, OutputError
from melody.fileio import atomic_write_bytes, atomic_write_text
from melody.formats.abc.lexer import token_kind, tune_tokens, voice_count, voice_names
from melody.formats.abc.player import bars_to_score, tokens_to_score, whole_bars, written_bars
from melody.formats.abc.printable import printable_abc
from melody.formats.abc.syntax import LexError
from melody.formats.abc.text import abc_to_stream, read_abc_file, tune_body, tune_to_abc
from melody.formats.abc.writer import bars_to_abc, score_to_abc
from melody.formats.midi import midi_to_score, score_to_midi_bytes
from melody.formats.stream import bars_to_stream, stream_to_bars, stream_to_score, tempo_of
from melody.music.score import Score

ABC, MIDI, MUSICXML = (".abc",), (".mid", ".midi"), (".xml", ".mxl", ".musicxml")


def read_score(path: str | Path, tune: int = 1, drums: bool = True) -> tuple[Score, str]:
    """The music of a file as a Score (repeats played out, the pickup kept), and its title. A tune of
    one voice is read by our own player, as abc2midi plays it; others by music21. `drums`: a MIDI
    file's drum tracks kept as drum voices (else dropped and counted)."""
    if Path(path).suffix.lower() in MIDI:
        score, title, _abc = _read_other(Path(path), drums)
        return score, title
    score, title, _abc = read_notation(path, tune)
    return score, title


def read_notation(path: str | Path, tune: int = 1) -> tuple[Score, str, str | None]:
    """`read_score`, and the tune's own ABC (with X:), which notation is written from: for ABC the
    tune itself, for a one-part MusicXML tune its bars with their repeats; None for the rest."""
    path = Path(path)
    if path.suffix.lower() not in ABC:
        return _read_other(path)
    tunes, _ = read_abc_file(path)
    if not 1 <= tune <= len(tunes):
        raise InputError(f"no tune number {tune}; the file holds {len(tunes)} usable tunes", str(path))
    chosen = tunes[tune - 1]
    return abc_tune_score(chosen, path, tune), chosen.title, tune_to_abc(chosen.text, tune, chosen.title)


def abc_tune_score(chosen, path: Path, tune: int) -> Score:
    """A tune through our player, voice by voice (abc2midi's reading, pickup included): the one way
    from ABC to a Score (a corpus read as scores takes it too); through music21 only when the abc
    tokens cannot spell the tune (an unknown key, a multi-bar rest)."""
    try:
        voices = [tune_tokens(chosen.text, voice_name=name) for name in voice_names(tune_body(chosen.text)) or [None]]
    except LexError:
        stream = abc_to_stream(tune_to_abc(chosen.text), f"{path} (tune {tune})")
        return stream_to_score(stream)
    for tokens in voices:
        kinds = Counter(token_kind(token) for token in tokens)
        if kinds["chord_open"] != kinds["chord_close"] or kinds["grace_open"] != kinds["grace_close"]:
            raise InputError(f"tune {tune}: a chord or grace notes with no closing bracket", str(path))
    scores = [tokens_to_score(tokens) for tokens in voices]
    notes = sorted(replace(note, voice=index) for index, score in enumerate(scores) for note in score.notes)
    return replace(scores[0], notes=tuple(notes), programs=(0,) * len(scores))


def _read_other(path: Path, drums: bool = True) -> tuple[Score, str, str | None]:
    """A MIDI or MusicXML file; a one-part MusicXML tune also as ABC with its repeats and endings."""
    suffix = path.suffix.lower()
    if suffix in MIDI:
        return midi_to_score(path, keep_drums=drums), path.stem, None
    if suffix in MUSICXML:
        from music21 import converter

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                stream = converter.parse(str(path))
            except Exception as error:  # music21 raises many types on bad MusicXML
                raise InputError(f"music21 cannot read this MusicXML: {str(error)[:120]}", str(path)) from None
        title = _title(stream, path)
        written = stream_to_bars(stream)  # a tune: played out by our player, as its ABC would be
        if written is not None:
            tempo = tempo_of(stream.flatten())
            return replace(bars_to_score(*written), tempo=tempo), title, bars_to_abc(*written, title, tempo)
        return stream_to_score(stream), title, None
    raise ConfigError(f"cannot read {suffix or 'files without a suffix'}; use .abc, .mid or .musicxml", str(path))


def _title(stream, path: Path) -> str:
    """The work's or movement's title, where a notation program wrote one; exporters often write the
    file's name there, which is then given without its suffix."""
    title = (stream.metadata.bestTitle if stream.metadata else None) or path.stem
    return Path(title).stem if Path(title).suffix.lower() in MUSICXML else title


def write_score(
    score: Score, path: str | Path, title: str = "Untitled", force: bool = False, abc: str | None = None
) -> Path:
    """Write a Score in the format its suffix names; never overwrites unless forced. `abc`: the
    tune's own ABC, which ABC and MusicXML are written from when given."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.exists() and not force:
        raise OutputError("file exists; use --force to overwrite it", str(path))
    # a tune's own ABC, laid out again so a line never breaks inside a bar (music21 would reset
    # accidentals there, where abc2midi does not); else our writer's ABC of the Score
    notation = printable_abc(abc, title) if abc is not None else score_to_abc(score, title)
    if suffix in ABC:
        atomic_write_text(path, notation)
    elif suffix in MIDI:
        atomic_write_bytes(path, score_to_midi_bytes(score))
    elif suffix in (".xml", ".musicxml"):
        named = printable_abc(abc, title, named_decorations=True) if abc is not None else notation
        xml = _musicxml(keep_short_bars(abc_to_stream(named)))
        played = _written_as_played(abc) if abc is not None else None
        if played is not None and not _reads_as(xml, played):
            xml = _musicxml(bars_to_stream(*played, title, score.tempo))
        atomic_write_bytes(path, xml)
    else:
        raise ConfigError(f"cannot write {suffix or 'files without a suffix'}; use .abc, .mid or .musicxml", str(path))
    return path


def read_abc_notation(text: str) -> tuple[Score, str, str]:
    """`read_notation` of the first tune of ABC text (a primer, a tune edited in the studio)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "tune.abc"
        source.write_text(text if "X:" in text else f"X:1\n{text}", encoding="utf-8")
        return read_notation(source)


def convert_abc_text(text: str, suffix: str) -> tuple[bytes, Score, str]:
    """The first tune of ABC text as a file of `suffix` (.abc, .mid, .musicxml), as `melody convert`
    writes it; also its Score and title."""
    score, title, abc = read_abc_notation(text)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"tune{suffix}"
        write_score(score, target, title or "Untitled", abc=abc)
        return target.read_bytes(), score, title


def _musicxml(stream) -> bytes:
    """MusicXML of a music21 stream, its pickup marked as an implicit measure 0."""
    with tempfile.TemporaryDirectory() as folder:
        written = Path(folder) / "score.musicxml"
        stream.write("musicxml", fp=str(written))
        xml = written.read_bytes()
    return pickup_marked(xml) if _starts_short(stream) else xml


def _written_as_played(abc: str):
    """(written bars, meter, key) of a one-voice tune as our player (abc2midi's reading) has them,
    or None for a tune of several voices or one the tokens cannot spell."""
    if voice_count(tune_body(abc)) != 1:
        return None
    try:
        return written_bars(tune_tokens(abc))
    except LexError:
        return None


def _reads_as(xml: bytes, played) -> bool:
    """Whether MusicXML reads back as these bars play: the same bar lines and meters, the same
    notes. Where music21 reads the ABC otherwise than our player, the MusicXML is built from our
    bars instead (its ornaments are then left out)."""
    from music21 import converter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read = stream_to_bars(converter.parseData(xml.decode("utf-8"), format="musicxml"))
    if read is None or whole_bars(read[0]) != whole_bars(played[0]):
        return False
    return _note_grid(bars_to_score(*read)) == _note_grid(bars_to_score(*played))


def _note_grid(score: Score) -> list[tuple[int, int, int]]:
    return sorted((round(n.start * 48), round(n.end * 48), n.pitch) for n in score.notes)


def keep_short_bars(stream):
    """The stream with each short bar (the last bar of a part that the anacrusis completes) marked
    as short, where music21 would otherwise fill it with a rest on writing and shift every bar
    after it."""
    parts = list(stream.parts) if hasattr(stream, "parts") and stream.parts else [stream]
    for part in parts:
        for measure in list(part.getElementsByClass("Measure"))[1:]:
            missing = measure.barDuration.quarterLength - measure.highestTime
            if missing > 0 and measure.highestTime > 0:
                measure.paddingRight = missing
    return stream


def _starts_short(stream) -> bool:
    """Whether the first measure is shorter than a bar: a pickup."""
    part = stream.parts[0] if hasattr(stream, "parts") and stream.parts else stream
    measures = list(part.getElementsByClass("Measure"))
    return len(measures) > 1 and 0 < measures[0].highestTime < measures[0].barDuration.quarterLength


def pickup_marked(xml: bytes) -> bytes:
    """MusicXML whose measure 0 (a pickup, as music21 numbers it) says it is implicit, so notation
    programs number the first full bar 1 and do not count the pickup as a bar."""
    return xml.replace(b'<measure implicit="no" number="0"', b'<measure implicit="yes" number="0"', 1)
