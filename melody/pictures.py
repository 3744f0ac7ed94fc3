"""Pictures of a piece: a piano-roll PNG (matplotlib) and engraved sheet music as SVG (music21
writes MusicXML, verovio engraves it). Both libraries are optional extras, imported on use."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from melody.errors import ConfigError
from melody.fileio import atomic_write_bytes, atomic_write_text
from melody.score import Score


def piano_roll_png(score: Score, path: str | Path, title: str = "") -> Path:
    """A piano roll image: one bar per note (pitch up, beats across), bar lines, one colour per voice."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        raise ConfigError("--png needs matplotlib: pip install 'melody[plot]'") from None
    figure, axes = pyplot.subplots(figsize=(12, 4), dpi=100)
    colours = pyplot.get_cmap("tab10")
    for note in score.notes:
        axes.broken_barh([(note.start, note.duration)], (note.pitch - 0.4, 0.8), color=colours(note.voice % 10))
    bar = float(score.bar_beats)
    for beat in range(0, int(score.duration // bar) + 1):
        axes.axvline(beat * bar, color="0.85", linewidth=0.8, zorder=0)
    axes.set_xlabel("beats")
    axes.set_ylabel("MIDI pitch")
    axes.set_title(title)
    axes.set_xlim(0, max(score.duration, 1))
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def score_svg(score: Score, path: str | Path, title: str = "Untitled") -> Path:
    """Sheet music of the whole piece (all pages stacked) as one SVG file; one staff per voice."""
    try:
        import verovio
    except ImportError:
        raise ConfigError("--svg needs verovio: pip install 'melody[score]'") from None
    from melody.convert import write_score

    with tempfile.TemporaryDirectory() as folder:
        xml = write_score(score, Path(folder) / "piece.musicxml", title)
        toolkit = verovio.toolkit()
        toolkit.setOptions({"adjustPageHeight": True, "breaks": "none", "footer": "none"})
        if not toolkit.loadData(xml.read_text(encoding="utf-8")):
            raise ConfigError("verovio could not read the MusicXML of this piece")
        svg = toolkit.renderToSVG(1)
    atomic_write_text(path, svg)
    return Path(path)
