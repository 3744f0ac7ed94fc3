"""What a notebook shows of tunes, readable wherever the notebook travels: the engraving as a static
SVG made here (verovio, the `score` extra's engraver), which shows where scripts are stripped (a
static viewer, a code host's preview, an untrusted notebook); an audio player (the tune rendered as
`melody play` renders it, as a small MP3 inlined as a data URL, so nothing is fetched); and, for a
MIDI model's piece, a piano roll with a colour per track. Without verovio a tune is engraved by
abcjs instead (inlined once per output, from the copy the studio serves): scripts needed there."""

from __future__ import annotations

import base64
import html
import itertools
import json
from functools import cache
from pathlib import Path

ABCJS = Path(__file__).resolve().parent.parent / "studio" / "static" / "vendor" / "abcjs-basic-min.js"
TRACK_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
PLAYER_RATE = 22050  # Hz: a preview's rate; as MP3 a minute of a tune embeds as about 160 KB
ENGRAVING_WIDTH = 720  # px
_ids = itertools.count(1)


@cache
def _abcjs() -> str:
    return ABCJS.read_text(encoding="utf-8").replace("</script", "<\\/script")


def _abcjs_once() -> str:
    """abcjs, inlined; a page that already has it (an earlier output) does not run it twice."""
    return f"<script>if (!window.ABCJS) {{ {_abcjs()} }}</script>"


@cache
def _engraver():
    """verovio's engraver, or None where it is not installed."""
    from melody.errors import ConfigError

    try:
        from melody.audio.pictures import AbcEngraver

        return AbcEngraver(ENGRAVING_WIDTH)
    except ConfigError:
        return None


def engraving(tune) -> str | None:
    """The tune's sheet music as inline SVG, or None without verovio (or where it cannot read it)."""
    from melody.formats.abc.printable import printable_abc

    engraver = _engraver()
    svg = engraver.svg(printable_abc(tune.abc, tune.title)) if engraver is not None else ""
    if not svg:
        return None
    return f'<div class="melody-engraving" style="max-width:{ENGRAVING_WIDTH}px">{svg}</div>'


def _scripted_engraving(tune) -> str:
    number = next(_ids)
    return (
        _abcjs_once() + f'<div class="melody-engraving" id="melody-tune-{number}"></div>'
        f"<script>ABCJS.renderAbc('melody-tune-{number}', {json.dumps(tune.abc)}, "
        "{responsive: 'resize', add_classes: true});</script>"
    )


def _audio(tune) -> str:
    from melody.audio.preview import compressed_audio, render_score

    audio, _renderer = render_score(tune.score, PLAYER_RATE)
    data, mime = compressed_audio(audio, PLAYER_RATE)
    encoded = base64.b64encode(data).decode()
    return f'<audio controls preload="none" src="data:{mime};base64,{encoded}"></audio>'


def _card(tune) -> str:
    title = html.escape(tune.title)
    figures = [f"{len(tune.score.notes)} notes"]
    if tune.copied_bars is not None:
        figures.append("no bar copied" if tune.copied_bars == 0 else f"copies {tune.copied_bars} bars in a row")
    if tune.problems:
        figures.append(f"{len(tune.problems)} problems: {html.escape(tune.problems[0])}")
    if tune.kind == "abc":
        picture = engraving(tune) or _scripted_engraving(tune)
    else:
        picture = piano_roll_svg(tune.score)
    return (
        f'<div class="melody-tune" style="margin:0.5em 0 1.5em"><b>{title}</b> '
        f'<span style="color:#666">{" · ".join(figures)}</span>{picture}{_audio(tune)}</div>'
    )


def tune_html(tune) -> str:
    return _card(tune)


def gallery_html(tunes: list) -> str:
    return "".join(_card(tune) for tune in tunes)


def piano_roll_svg(score, width: int = 720, height: int = 180) -> str:
    """The notes as bars on a pitch-by-time grid, one colour per voice (track), with a legend."""
    notes = list(score.notes)
    if not notes:
        return "<svg></svg>"
    low, high = min(n.pitch for n in notes), max(n.pitch for n in notes)
    end = max(n.end for n in notes) or 1.0
    rows = high - low + 1
    x, y = width / end, (height - 20) / rows
    rects = [
        f'<rect x="{n.start * x:.1f}" y="{(high - n.pitch) * y:.1f}" width="{max(1.0, (n.end - n.start) * x):.1f}" '
        f'height="{max(1.0, y):.1f}" fill="{TRACK_COLOURS[n.voice % len(TRACK_COLOURS)]}"/>'
        for n in notes
    ]
    voices = sorted({n.voice for n in notes})
    legend = [
        f'<text x="{8 + 110 * i}" y="{height - 4}" font-size="11" fill="{TRACK_COLOURS[v % len(TRACK_COLOURS)]}">'
        f"{html.escape(score.voice_name(v) or f'track {v + 1}')}</text>"
        for i, v in enumerate(voices)
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'style="background:#fafafa;display:block">{"".join(rects)}{"".join(legend)}</svg>'
    )
