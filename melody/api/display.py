"""What a notebook shows of tunes: the engraving (abcjs, inlined from the copy the studio serves, so
nothing is fetched and it works offline and in Colab), an audio player (a WAV as a data URL, rendered
as `melody play` renders it) and, for a MIDI model's piece, a piano roll with a colour per track."""

from __future__ import annotations

import base64
import html
import itertools
import json
from functools import cache
from pathlib import Path

ABCJS = Path(__file__).resolve().parent.parent / "studio" / "static" / "vendor" / "abcjs-basic-min.js"
TRACK_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
PLAYER_RATE = 11025  # Hz: a 30-second tune embeds as about 0.9 MB
_ids = itertools.count(1)


@cache
def _abcjs() -> str:
    return ABCJS.read_text(encoding="utf-8").replace("</script", "<\\/script")


def _abcjs_once() -> str:
    """abcjs, inlined; a page that already has it (an earlier output) does not run it twice."""
    return f"<script>if (!window.ABCJS) {{ {_abcjs()} }}</script>"


def _card(tune) -> str:
    number = next(_ids)
    title = html.escape(tune.title)
    figures = [f"{len(tune.score.notes)} notes"]
    if tune.copied_bars is not None:
        figures.append("no bar copied" if tune.copied_bars == 0 else f"copies {tune.copied_bars} bars in a row")
    if tune.problems:
        figures.append(f"{len(tune.problems)} problems: {html.escape(tune.problems[0])}")
    if tune.kind == "abc":
        picture = (
            f'<div class="melody-engraving" id="melody-tune-{number}"></div>'
            f"<script>ABCJS.renderAbc('melody-tune-{number}', {json.dumps(tune.abc)}, "
            "{responsive: 'resize', add_classes: true});</script>"
        )
    else:
        picture = piano_roll_svg(tune.score)
    audio = base64.b64encode(tune.to_wav(PLAYER_RATE)).decode()
    return (
        f'<div class="melody-tune" style="margin:0.5em 0 1.5em"><b>{title}</b> '
        f'<span style="color:#666">{" · ".join(figures)}</span>{picture}'
        f'<audio controls preload="none" src="data:audio/wav;base64,{audio}"></audio></div>'
    )


def tune_html(tune) -> str:
    return (_abcjs_once() if tune.kind == "abc" else "") + _card(tune)


def gallery_html(tunes: list) -> str:
    engraved = any(tune.kind == "abc" for tune in tunes)
    return (_abcjs_once() if engraved else "") + "".join(_card(tune) for tune in tunes)


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
