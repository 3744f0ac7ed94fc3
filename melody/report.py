"""`melody evaluate --html`: the evaluation as one self-contained web page, to keep or share.

The figures of the terminal table, each musical statistic drawn as two histograms (generated and
held-out tunes) in inline SVG, and every generated tune with its verdicts and its ABC text. No
script, no stylesheet or image from elsewhere, no plotting library: it opens anywhere, offline."""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from pathlib import Path

GENERATED, HELD_OUT = "#c0392b", "#2e86c1"
STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
td, th { padding: .25rem .8rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure { margin: 0; } figcaption { font-size: 13px; color: #555; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; font-size: 13px; }
.bad { color: #c0392b; } .key { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 1rem; }
"""


def _percent(share: float) -> str:
    return f"{share:.1%}"


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{escape(name)}</th><td>{escape(value)}</td></tr>" for name, value in pairs)


def figures(result: dict) -> list[tuple[str, str]]:
    """The evaluation's headline figures as (name, value) rows: the terminal table and the page."""
    rows = [
        ("held-out pieces", f"{result['pieces']} ({result['split']} split, clean: {result['clean']})"),
        ("bits per token", f"{result['bits_per_token']:.4f}"),
    ]
    if result.get("pieces_in_training_data") is not None:
        rows.insert(1, ("of them in the training data", str(result["pieces_in_training_data"])))
    if result.get("bits_per_char") is not None:
        rows.append(("bits per character", f"{result['bits_per_char']:.4f}"))
    if result.get("ngram_bits_per_char") is not None:
        rows.append(("character 6-gram baseline", f"{result['ngram_bits_per_char']:.4f} bits per character"))
    samples = result.get("samples")
    if samples:
        rows.append(
            ("generated tunes", f"{samples['count']} (seed {samples['seed']}, {samples['resampled']} resampled)")
        )
        rows.append(("pass our checker", _percent(samples["checker_pass"])))
        if "abc2midi_pass" in samples:
            rows.append(("pass abc2midi", f"{_percent(samples['abc2midi_pass'])} (no error, no bar-length warning)"))
            rows.append(("abc2midi says nothing", f"{_percent(samples['abc2midi_silent'])} (not even a warning)"))
        rows.append(("copy 4+ / 8+ bars", f"{_percent(samples['copy_4_bars'])} / {_percent(samples['copy_8_bars'])}"))
        if samples.get("music"):
            rows.append(
                ("distance to held-out", f"{samples['music']['distance']:.3f} (0 = same statistics, 1 = disjoint)")
            )
    return rows


def histogram_svg(histogram: dict, width: int = 280, height: int = 150) -> str:
    """Two sets' shares per bin as side-by-side bars, the bins' range written under them."""
    bins = len(histogram["generated"])
    top = max(histogram["generated"] + histogram["held_out"]) or 1.0
    plot, slot = height - 24, width / bins
    bars = []
    for i in range(bins):
        for offset, (values, colour) in enumerate(
            ((histogram["generated"], GENERATED), (histogram["held_out"], HELD_OUT))
        ):
            tall = plot * values[i] / top
            x = i * slot + offset * slot / 2 + 1
            box = f'x="{x:.1f}" y="{plot - tall:.1f}" width="{slot / 2 - 2:.1f}" height="{tall:.1f}"'
            bars.append(f'<rect {box} fill="{colour}"><title>{values[i]:.1%}</title></rect>')
    low, high = histogram["edges"][0], histogram["edges"][-1]
    labels = (
        f'<text x="0" y="{height - 6}" font-size="11">{low:.3g}</text>'
        f'<text x="{width}" y="{height - 6}" font-size="11" text-anchor="end">{high:.3g}</text>'
    )
    axis = f'<line x1="0" y1="{plot}" x2="{width}" y2="{plot}" stroke="#999"/>'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">{"".join(bars)}{axis}{labels}</svg>'
    )


def _statistics(music: dict) -> str:
    charts, categories = [], []
    for name, row in music["statistics"].items():
        label = name.replace("_", " ")
        if "histogram" in row:
            caption = (
                f"{label}: {row['generated']:.2f} vs {row['held_out']:.2f} held-out (distance {row['distance']:.2f})"
            )
            charts.append(
                f"<figure>{histogram_svg(row['histogram'])}<figcaption>{escape(caption)}</figcaption></figure>"
            )
        elif isinstance(row["generated"], dict):
            shown = lambda counts: ", ".join(f"{k} {v}" for k, v in counts.items())  # noqa: E731
            categories.append(
                (
                    f"{label} (distance {row['distance']:.2f})",
                    f"{shown(row['generated'])}  |  held-out: {shown(row['held_out'])}",
                )
            )
    legend = (
        f'<p><span class="key" style="background:{GENERATED}"></span>generated'
        f'<span class="key" style="background:{HELD_OUT}"></span>held-out (share of tunes per bin)</p>'
    )
    return f"<h2>Music</h2>{legend}<div class='charts'>{''.join(charts)}</div><table>{_rows(categories)}</table>"


def _tunes(tunes: list[dict]) -> str:
    items = []
    for tune in tunes:
        verdicts = tune["problems"] + ([f"abc2midi: {tune['abc2midi']}"] if tune.get("abc2midi") else [])
        status = "<span class='bad'>" + escape("; ".join(verdicts)) + "</span>" if verdicts else "well-formed"
        copied = f"longest run of bars from one training tune: {tune['longest_copied_bars']}"
        if tune.get("nearest_training_tune"):
            copied += f" ({tune['nearest_training_tune']})"
        items.append(
            f"<details><summary>{escape(tune['title'])}: {status}; {escape(copied)}</summary>"
            f"<pre>{escape(tune.get('abc', ''))}</pre></details>"
        )
    return f"<h2>Generated tunes</h2>{''.join(items)}"


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
    if samples:
        parts.append(_tunes(samples["tunes"]))
    parts.append("</body></html>\n")
    return "".join(parts)
