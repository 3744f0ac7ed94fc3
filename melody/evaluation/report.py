"""`melody evaluate --html`: the evaluation as one self-contained web page, to keep or share.

The figures of the terminal table, each musical statistic drawn as two histograms (generated and
held-out tunes) in inline SVG, the yes/no figures as shares, and every generated tune with its
verdicts, its form, its sheet music (engraved by verovio, when `melody[score]` is installed) and a
play button. Nothing is loaded from elsewhere: the page opens anywhere, offline."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from html import escape
from pathlib import Path

from melody.evaluation.player import PLAYER_SCRIPT, tune_notes

GENERATED, HELD_OUT = "#c0392b", "#2e86c1"
STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
td, th { padding: .25rem .8rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure { margin: 0; } figcaption { font-size: 13px; color: #555; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; font-size: 13px; }
.bad { color: #c0392b; } .key { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 1rem; }
.sheet svg { max-width: 100%; height: auto; } button.play { margin: .3rem 0; }
"""
SAME_MEANS = 0.02  # means closer than this read the same; a distance beside them needs a word
MIN_COPIED_BARS = 2  # one shared bar is a common figure, not a copy


def _percent(share: float) -> str:
    return f"{share:.1%}"


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{escape(name)}</th><td>{escape(value)}</td></tr>" for name, value in pairs)


def _split_words(result: dict) -> str:
    """How the scored pieces were chosen, in words."""
    chosen = "its held-out split" if result["split"] == "val" else "every piece of it"
    if result["clean"] and result["split"] == "all":
        chosen += f"; {result.get('left_out_by_checker', 0)} the checker rejects, scored apart"
    elif result["clean"]:
        chosen += f"; {result.get('left_out_by_checker', 0)} the checker rejects left out, as in training"
    return chosen


def figures(result: dict) -> list[tuple[str, str]]:
    """The evaluation's headline figures as (name, value) rows: the terminal table and the page."""
    rows = [
        ("held-out pieces", f"{result['pieces']} ({_split_words(result)})"),
        ("bits per token", f"{result['bits_per_token']:.4f}"),
    ]
    if result.get("pieces_in_training_data") is not None:
        rows.insert(1, ("of them in the training data", str(result["pieces_in_training_data"])))
    if result.get("bits_per_char") is not None:
        rows.append(("bits per character", f"{result['bits_per_char']:.4f}"))
    if result.get("unclean_pieces"):
        unclean = f"{result['unclean_bits_per_token']:.4f} bits per token over {result['unclean_pieces']} pieces"
        rows.append(("tunes our checker rejects", unclean))
    for left in result.get("left_out", []):
        rows.append(("left out", f"{left['piece']}: {left['why']}"))
    if result.get("ngram_bits_per_char") is not None:
        rows.append(("character 6-gram baseline", f"{result['ngram_bits_per_char']:.4f} bits per character"))
    samples = result.get("samples")
    if samples:
        rows.append(
            ("generated tunes", f"{samples['count']} (seed {samples['seed']}, {samples['resampled']} resampled)")
        )
        if "checker_pass" in samples:
            rows.append(("pass our checker", _percent(samples["checker_pass"])))
        if "abc2midi_pass" in samples:
            rows.append(("pass abc2midi", f"{_percent(samples['abc2midi_pass'])} (no error, no bar-length warning)"))
            rows.append(("abc2midi says nothing", f"{_percent(samples['abc2midi_silent'])} (not even a warning)"))
        if "copy_4_bars" in samples:
            copies = f"{_percent(samples['copy_4_bars'])} / {_percent(samples['copy_8_bars'])}"
            rows.append(("copy 4+ / 8+ bars", copies + " of a training tune"))
        told = samples.get("two_sample") or {}
        if told.get("accuracy") is not None:
            figure = f"{told['accuracy']:.2f} accuracy (real against real: {told['floor']:.2f}; 0.50 = cannot tell)"
            rows.append(("a classifier tells them from held-out", figure))
        music = samples.get("music")
        if music:
            rows.append(("distance to held-out", f"{music['distance']:.3f} (0 = same statistics, 1 = disjoint)"))
            for name, label in FORM_FIGURES + SCORE_FIGURES:
                row = music["statistics"].get(name)
                if row:
                    rows.append((label, versus(row)))
            for voice, sides in music.get("voice_ranges", {}).items():
                shown = lambda side: f"{side[0]:g}-{side[1]:g}" if side else "none"  # noqa: E731
                rows.append(
                    (f"{voice} range (MIDI)", f"{shown(sides['generated'])} vs {shown(sides['held_out'])} held-out")
                )
    return rows


FORM_FIGURES = (
    ("whole_8_bar_phrases", "played length in whole 8-bar phrases"),
    ("whole_4_bar_parts", "every part in whole 4-bar phrases"),
    ("ends_on_tonic", "ends on the tonic"),
    ("played_bars", "bars played"),
)
SCORE_FIGURES = (("voices", "voices"), ("in_scale", "notes in the key's scale"))


def versus(row: dict) -> str:
    """A statistic's two sides and their distance, as one line."""
    if row.get("share"):
        return f"{row['generated']:.0%} vs {row['held_out']:.0%} held-out"
    text = f"{row['generated']:.2f} vs {row['held_out']:.2f} held-out (distance {row['distance']:.2f})"
    if abs(row["generated"] - row["held_out"]) < SAME_MEANS * max(1.0, abs(row["held_out"])) and row["distance"] > 0.1:
        text += ": same mean, differently spread"
    return text


def histogram_svg(histogram: dict, width: int = 300, height: int = 160) -> str:
    """Two sets' shares per bin as side-by-side bars, on a y-axis of shares with tick labels, the
    bins' range written under them."""
    bins = len(histogram["generated"])
    top = max(histogram["generated"] + histogram["held_out"]) or 1.0
    left, top_pad, plot = 34, 8, height - 24
    slot = (width - left) / bins
    bars = []
    for i in range(bins):
        for offset, (values, colour) in enumerate(
            ((histogram["generated"], GENERATED), (histogram["held_out"], HELD_OUT))
        ):
            tall = (plot - top_pad) * values[i] / top
            x = left + i * slot + offset * slot / 2 + 1
            box = f'x="{x:.1f}" y="{plot - tall:.1f}" width="{max(slot / 2 - 2, 1):.1f}" height="{tall:.1f}"'
            bars.append(f'<rect {box} fill="{colour}"><title>{values[i]:.1%}</title></rect>')
    ticks = []
    for fraction in (0, 0.5, 1):
        y = plot - (plot - top_pad) * fraction
        ticks.append(
            f'<line x1="{left - 4}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#999"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{top * fraction:.0%}</text>'
        )
    low, high = histogram["edges"][0], histogram["edges"][-1]
    labels = (
        f'<text x="{left}" y="{height - 6}" font-size="11">{low:.3g}</text>'
        f'<text x="{width}" y="{height - 6}" font-size="11" text-anchor="end">{high:.3g}</text>'
    )
    axes = (
        f'<line x1="{left}" y1="{plot}" x2="{width}" y2="{plot}" stroke="#999"/>'
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{plot}" stroke="#999"/>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f"{''.join(bars)}{axes}{''.join(ticks)}{labels}</svg>"
    )


def _statistics(music: dict) -> str:
    charts, rows = [], []
    for name, row in music["statistics"].items():
        label = name.replace("_", " ")
        if "histogram" in row:
            caption = f"{label}: {versus(row)}"
            charts.append(
                f"<figure>{histogram_svg(row['histogram'])}<figcaption>{escape(caption)}</figcaption></figure>"
            )
        elif row.get("share"):
            continue  # the yes/no figures stand in the table at the top
        else:
            shown = lambda shares: ", ".join(f"{k} {v:.0%}" for k, v in shares.items())  # noqa: E731
            sides = f"{shown(row['generated'])}  |  held-out: {shown(row['held_out'])}"
            rows.append((f"{label} (distance {row['distance']:.2f})", sides))
    legend = (
        f'<p><span class="key" style="background:{GENERATED}"></span>generated'
        f'<span class="key" style="background:{HELD_OUT}"></span>held-out'
        " (share of tunes per bin; for part bars, of parts)</p>"
    )
    return f"<h2>Music</h2>{legend}<div class='charts'>{''.join(charts)}</div><table>{_rows(rows)}</table>"


def _tunes(tunes: list[dict]) -> str:
    engrave = _engraver()
    items = []
    for tune in tunes:
        verdicts = tune["problems"] + ([f"abc2midi: {tune['abc2midi']}"] if tune.get("abc2midi") else [])
        status = "<span class='bad'>" + escape("; ".join(verdicts)) + "</span>" if verdicts else "well-formed"
        facts = []
        if tune.get("form"):
            form = tune["form"]
            parts = " + ".join(f"{bars:g}" for bars in form["parts"])
            tonic = "ends on the tonic" if form["ends_on_tonic"] else "does not end on the tonic"
            facts.append(f"form {form['name']} (parts of {parts} bars, {form['played_bars']:g} played), {tonic}")
        if tune["longest_copied_bars"] >= MIN_COPIED_BARS:
            copied = f"{tune['longest_copied_bars']} bars in a row from one training tune"
            facts.append(copied + (f" ({tune['nearest_training_tune']})" if tune.get("nearest_training_tune") else ""))
        abc = tune.get("abc", "")
        sheet = engrave(abc) if engrave else ""
        notes = json.dumps(tune_notes(abc))
        items.append(
            f"<details><summary>{escape(tune['title'])}: {status}</summary>"
            f"<p>{escape('; '.join(facts))}</p>"
            f"<button class='play' data-notes='{escape(notes)}'>play</button>"
            f"<div class='sheet'>{sheet}</div><pre>{escape(abc)}</pre></details>"
        )
    return f"<h2>Generated tunes</h2>{''.join(items)}<script>{PLAYER_SCRIPT}</script>"


def _engraver():
    """ABC -> SVG sheet music (pictures.AbcEngraver), or None without verovio (melody[score])."""
    from melody.audio.pictures import AbcEngraver
    from melody.errors import ConfigError

    try:
        return AbcEngraver().svg
    except ConfigError:
        return None


def evaluation_html(result: dict) -> str:
    """The whole page for one `melody evaluate` result (its --json dictionary)."""
    name = Path(result.get("model") or "model").name
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    heading = [("model", str(result.get("model") or "")), ("corpus", ", ".join(result.get("corpus") or []))]
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>melody evaluate {escape(name)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>melody evaluate {escape(name)}</h1><p>{when}. Lower bits are better.</p>",
        f"<table>{_rows(heading + figures(result))}</table>",
    ]
    samples = result.get("samples")
    if samples and samples.get("music"):
        parts.append(_statistics(samples["music"]))
    if samples and samples.get("tunes"):
        parts.append(_tunes(samples["tunes"]))
    parts.append("</body></html>\n")
    return "".join(parts)
