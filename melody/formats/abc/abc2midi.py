"""abc2midi, the referee for what ABC means: its complaints about a tune, and the notes it plays,
to hold our reading (formats/abc/player.py) against. Needs abc2midi on the PATH (Debian: abcmidi).

For the comparison abc2midi runs with grace notes, guitar chords and fermatas off (``-NGRA -NGUI
-NFER``: our player leaves them out too) and without the tune's ``R:`` line (abc2midi swings
hornpipes); ornaments (``~``, ``T``, ``!trill!``...), which it plays as extra notes, are left out
of the text it reads, since our player sounds the written note alone.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

_ORNAMENT_RE = re.compile(r"!(?:trill|roll|turn|mordent|lowermordent|uppermordent|pralltriller|invertedturn)!|[~TR]")
_CHORD_SYMBOL_RE = re.compile(r'"[^"\n]*"')


def abc2midi_complaints(abc: str) -> list[str]:
    """Every Error and Warning line abc2midi prints for the tune (its check mode, -c)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tune.abc"
        path.write_text(abc, encoding="utf-8")
        result = subprocess.run(["abc2midi", str(path), "-c"], capture_output=True, text=True, timeout=60, cwd=folder)
    return [
        line.strip() for line in (result.stdout + result.stderr).splitlines() if "Error" in line or "Warning" in line
    ]


def referee_text(raw_tune: str) -> str:
    """One tune as abc2midi should read it for a note-by-note comparison (see the module's note)."""
    lines = []
    in_body = False
    for line in raw_tune.replace("\r\n", "\n").split("\n"):
        if line.startswith("R:") and not in_body:
            continue
        if in_body and not re.match(r"^[A-Za-z]:", line):
            line = _ORNAMENT_RE.sub("", _CHORD_SYMBOL_RE.sub("", line))
        in_body = in_body or line.startswith("K:")
        lines.append(line)
    return "\n".join(lines) + "\n"


def abc2midi_notes(abc: str) -> tuple[list[tuple[Fraction, int]], list[str]] | None:
    """(onset in quarter-note beats, pitch) of every note abc2midi plays in the first voice of the
    first tune, sorted, and its complaints; None when it writes no MIDI. The MIDI is read with
    symusic, as the package writes its own."""
    import symusic

    with tempfile.TemporaryDirectory() as folder:
        path, out = Path(folder) / "tune.abc", Path(folder) / "tune.mid"
        path.write_text(abc, encoding="utf-8")
        result = subprocess.run(
            ["abc2midi", str(path), "-NGRA", "-NGUI", "-NFER", "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=folder,
        )
        if not out.exists():
            return None
        midi = symusic.Score(str(out))
    complaints = [line.strip() for line in (result.stdout + result.stderr).splitlines() if "Error" in line]
    complaints += [line.strip() for line in (result.stdout + result.stderr).splitlines() if "Warning" in line]
    for track in midi.tracks:
        if len(track.notes):
            return sorted((Fraction(note.time, midi.ticks_per_quarter), note.pitch) for note in track.notes), complaints
    return [], complaints


CHORD_SPREAD = Fraction(1, 24)  # beats

# an error abc2midi reports about a line it then ignores, the notes untouched: the tune is played as
# if the line were not there (Aird's books open every tune with "I: :: ::")
_SILENT_ERROR = re.compile(r"I: key '.*' not recognized")


def errors(complaints: list[str]) -> list[str]:
    """abc2midi's Error lines that say a tune is wrong (not the one about an ignored I: line)."""
    return [line for line in complaints if "Error" in line and not _SILENT_ERROR.search(line)]


def fault(complaints: list[str]) -> str | None:
    """The first complaint that makes a tune wrong (an error, or a bar of the wrong length), or
    None: other warnings (grace notes cut short, a repeat start assumed) leave it playable."""
    return next(iter(errors(complaints) + [line for line in complaints if "time units" in line]), None)


def _grid(notes: list[tuple[Fraction, int]]) -> list[tuple[int, int]]:
    """Onsets on a grid of 1/48 beat (abc2midi writes whole MIDI ticks, so triplets round); a note
    at most 1/24 beat after the one before sounds with it: abc2midi sounds a chord's notes a few
    ticks apart, at random."""
    placed, chord_onset = [], None
    for onset, pitch in sorted(notes):
        if chord_onset is None or onset - chord_onset > CHORD_SPREAD:
            chord_onset = onset
        placed.append((round(chord_onset * 48), pitch))
    return sorted(placed)


def _same_notes(ours: list[tuple[int, int]], theirs: list[tuple[int, int]]) -> bool:
    """The same pitches at the same grid onsets, give or take one step: abc2midi rounds a septuplet's
    onsets to whole ticks, which can carry one to the next 1/48 beat."""
    return len(ours) == len(theirs) and all(
        pitch == their_pitch and abs(onset - their_onset) <= 1
        for (onset, pitch), (their_onset, their_pitch) in zip(ours, theirs)
    )


def tune_agreement(raw: str, book_header: str = "") -> tuple[str, str]:
    """Whether our player sounds what abc2midi plays for one tune of a tunebook: ("same", ""),
    ("differs", where), ("unread", why) when we cannot read it, ("not played", "") when abc2midi
    writes no note, or ("abc2midi error", its first error) when it plays the tune but calls it wrong."""
    from melody.formats.abc.player import player_notes
    from melody.formats.abc.syntax import LexError
    from melody.formats.abc.text import normalize_tune

    theirs = abc2midi_notes(referee_text("X:1\n" + (book_header + "\n" if book_header else "") + raw))
    if theirs is None or not theirs[0]:
        return "not played", ""
    if errors(theirs[1]):
        return "abc2midi error", errors(theirs[1])[0]
    canonical, reason = normalize_tune(raw, book_header)
    if canonical is None:
        return "unread", reason
    try:
        ours = _grid(player_notes(canonical))
    except (LexError, ValueError) as error:
        return "unread", str(error)
    expected = _grid(theirs[0])
    if _same_notes(ours, expected):
        return "same", ""
    first = next((i for i, (a, b) in enumerate(zip(ours, expected)) if a != b), min(len(ours), len(expected)))
    return "differs", f"{len(ours)} notes against {len(expected)}; first difference at note {first}"


def agreement(book: str, workers: int = 4) -> list[tuple[str, str]]:
    """`tune_agreement` of every tune in a tunebook's text."""
    from concurrent.futures import ThreadPoolExecutor

    from melody.formats.abc.text import file_header, split_tunes

    header = file_header(book)
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda tune: tune_agreement(tune[1], header), split_tunes(book)))
