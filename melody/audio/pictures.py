"""Pictures of a piece: a piano-roll PNG (matplotlib) and engraved sheet music as SVG (verovio,
from ABC for a tune, from music21's MusicXML for several voices). Both libraries are optional
extras, imported on use."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from melody.errors import ConfigError
from melody.fileio import atomic_write_bytes, atomic_write_text
from melody.music.score import Score, bar_lines, pitch_name


def piano_roll_png(score: Score, path: str | Path, title: str = "") -> Path:
    """A piano roll image: one bar per note (pitch up, beats across), note names on the y-axis (in
    the piece's key), bar lines after the pickup, every other beat shaded, one colour per voice."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        raise ConfigError("`png` needs matplotlib: pip install 'melody[plot]'") from None
    figure, axes = pyplot.subplots(figsize=(12, 4), dpi=100)
    colours = pyplot.get_cmap("tab10")
    end = max(score.duration, 1)
    for beat in range(0, int(end) + 1, 2):
        axes.axvspan(beat + score.pickup % 1, beat + 1 + score.pickup % 1, color="0.96", zorder=0, linewidth=0)
    for line in bar_lines(score):
        axes.axvline(line, color="0.7", linewidth=0.9, zorder=1)
    for note in score.notes:
        axes.broken_barh(
            [(note.start, note.duration)], (note.pitch - 0.4, 0.8), color=colours(note.voice % 10), zorder=2
        )
    if score.notes:
        low, high = min(n.pitch for n in score.notes), max(n.pitch for n in score.notes)
        step = 1 if high - low <= 24 else 2 if high - low <= 48 else 12
        ticks = [p for p in range(low, high + 1) if (p - low) % step == 0]
        axes.set_yticks(ticks, [pitch_name(p, score.key) for p in ticks], fontsize=8)
        axes.set_ylim(low - 1, high + 1)
    axes.set_xlabel("beats (quarter notes)")
    axes.set_title(title)
    axes.set_xlim(0, end)
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


class AbcEngraver:
    """ABC -> SVG sheet music with verovio: a system per line of the ABC (4 bars, as our writer and
    `printable_abc` lay tunes out), title and composer lines, repeats, endings, pickups, ornaments."""

    def __init__(self, width_px: int = 840):
        try:
            import verovio
        except ImportError:
            raise ConfigError("`svg` needs verovio: pip install 'melody[score]'") from None
        verovio.enableLog(verovio.LOG_OFF)  # it prints its doubts about slurs to stderr
        self.toolkit = verovio.toolkit()
        scale = 40
        self.toolkit.setOptions(
            {
                "inputFrom": "abc",
                "adjustPageHeight": True,
                "breaks": "line",
                "footer": "none",
                "scale": scale,
                "svgFormatRaw": True,  # no indentation: 45% smaller, inlined in every notebook tune
            }
        )
        width = int(width_px * 100 / scale)
        self.toolkit.setOptions({"pageWidth": width, "pageHeight": 60000, "pageMarginLeft": 50, "pageMarginRight": 50})

    def svg(self, abc: str) -> str:
        """One tune on one page as tall as it needs; "" when verovio cannot read it."""
        if not abc or not self.toolkit.loadData(abc):
            return ""
        return self.toolkit.renderToSVG(1)


def score_svg(score: Score, path: str | Path, title: str = "Untitled", abc: str | None = None) -> Path:
    """Sheet music of the whole piece as one SVG file, 4 bars a system. A tune (one voice, or
    `abc`, the ABC it came from) is engraved from ABC, which keeps its pickup, repeats and
    ornaments; a piece of several voices from MusicXML, one staff per voice."""
    from melody.formats.abc.printable import printable_abc
    from melody.formats.abc.writer import score_to_abc

    voices = len({note.voice for note in score.notes})
    if abc is not None or voices <= 1:
        text = printable_abc(abc if abc is not None else score_to_abc(score, title), title)
        svg = AbcEngraver().svg(text)
        if not svg:
            raise ConfigError("verovio could not engrave this tune")
    else:
        svg = _musicxml_svg(score, title)
    atomic_write_text(path, svg)
    return Path(path)


def _musicxml_svg(score: Score, title: str) -> str:
    try:
        import verovio
    except ImportError:
        raise ConfigError("`svg` needs verovio: pip install 'melody[score]'") from None
    from melody.formats.convert import write_score

    with tempfile.TemporaryDirectory() as folder:
        xml = write_score(score, Path(folder) / "piece.musicxml", title)
        toolkit = verovio.toolkit()
        toolkit.setOptions({"adjustPageHeight": True, "breaks": "auto", "footer": "none"})
        toolkit.setOptions({"pageWidth": 2100, "pageHeight": 60000})  # one page, as tall as the piece
        if not toolkit.loadData(xml.read_text(encoding="utf-8")):
            raise ConfigError("verovio could not read the MusicXML of this piece")
        return toolkit.renderToSVG(1)
