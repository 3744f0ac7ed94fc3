"""Musical statistics of ABC tunes, and how far apart two sets of tunes are in them.

Per tune: pitch-class entropy, scale consistency (the best share of notes inside one major or
minor scale), pitch range, notes per bar, bars as written and as played (repeats played out), key,
meter, form (``AABB``, ``AB``: formats/abc/form.py), and three yes/no figures: every part a whole
number of 4-bar phrases, the tune as played a whole number of 8-bar phrases, the last note the
tonic. Between two sets: the Kolmogorov-Smirnov distance (0..1) of each number (part lengths
pooled over all parts), the total-variation distance (0..1) of each category, the difference of
each yes/no share, and their mean.
"""

from __future__ import annotations

import math
from collections import Counter

from melody.formats.abc.form import tune_form
from melody.formats.abc.lexer import LexError, tune_tokens
from melody.formats.abc.player import whole_bars, written_bars

NUMBERS = ("pitch_class_entropy", "scale_consistency", "pitch_range", "notes_per_bar", "bars", "played_bars")
POOLED = ("part_bars",)  # one value per part, not per tune
CATEGORIES = ("key", "meter", "form")
SHARES = ("whole_4_bar_parts", "whole_8_bar_phrases", "ends_on_tonic")
MAJOR, MINOR = (0, 2, 4, 5, 7, 9, 11), (0, 2, 3, 5, 7, 8, 10)
SCALES = [frozenset((tonic + step) % 12 for step in steps) for steps in (MAJOR, MINOR) for tonic in range(12)]


def tune_stats(text: str) -> dict | None:
    """Statistics of one canonical tune, or None when its tokens cannot be read."""
    try:
        tokens = tune_tokens(text)
    except LexError:
        return None
    bars, meter, key = written_bars(tokens)
    pitches = [note[2] for bar in bars for note in bar.notes]
    if not pitches or not bars:
        return None
    written = len(whole_bars(bars))
    classes = Counter(p % 12 for p in pitches)
    entropy = -sum(n / len(pitches) * math.log2(n / len(pitches)) for n in classes.values())
    in_scale = max(sum(n for pc, n in classes.items() if pc in scale) for scale in SCALES) / len(pitches)
    form = tune_form(tokens)
    return {
        "pitch_class_entropy": entropy,
        "scale_consistency": in_scale,
        "pitch_range": max(pitches) - min(pitches),
        "notes_per_bar": len(pitches) / written,
        "bars": written,
        "key": key,
        "meter": meter,
        "played_bars": form.played_bars,
        "part_bars": list(form.parts),
        "form": form.name,
        "whole_4_bar_parts": form.whole_phrases,
        "whole_8_bar_phrases": form.whole_8_bar_phrases,
        "ends_on_tonic": bool(form.final_tonic),
    }


def ks_distance(a: list[float], b: list[float]) -> float:
    """Largest gap between the two empirical distribution functions."""
    a, b = sorted(a), sorted(b)
    i = j = 0
    gap = 0.0
    while i < len(a) and j < len(b):
        value = min(a[i], b[j])
        while i < len(a) and a[i] <= value:
            i += 1
        while j < len(b) and b[j] <= value:
            j += 1
        gap = max(gap, abs(i / len(a) - j / len(b)))
    return gap


def tv_distance(a: list, b: list) -> float:
    ca, cb = Counter(a), Counter(b)
    return 0.5 * sum(abs(ca[k] / len(a) - cb[k] / len(b)) for k in set(ca) | set(cb))


def histogram(a: list[float], b: list[float], bins: int = 12) -> dict:
    """Both sets' shares in the same bins (edges from the smallest to the largest value of either),
    so a report can draw them side by side."""
    low, high = min(min(a), min(b)), max(max(a), max(b))
    width = (high - low) / bins or 1.0
    edges = [low + i * width for i in range(bins + 1)]

    def shares(values: list[float]) -> list[float]:
        counts = Counter(min(int((v - low) / width), bins - 1) for v in values)
        return [counts[i] / len(values) for i in range(bins)]

    return {"edges": edges, "generated": shares(a), "held_out": shares(b)}


def compare(generated: list[dict], reference: list[dict]) -> dict:
    """Means of each statistic in both sets (with a histogram of each number), the distance per
    statistic and overall."""
    report: dict = {"statistics": {}}
    distances = []
    for name in NUMBERS + POOLED:
        if name in POOLED:
            a, b = [v for s in generated for v in s[name]], [v for s in reference for v in s[name]]
        else:
            a, b = [s[name] for s in generated], [s[name] for s in reference]
        if not a or not b:
            continue
        distance = ks_distance(a, b)
        distances.append(distance)
        report["statistics"][name] = {
            "generated": sum(a) / len(a),
            "held_out": sum(b) / len(b),
            "distance": distance,
            "histogram": histogram(a, b),
        }
    for name in CATEGORIES:
        a, b = [s[name] for s in generated], [s[name] for s in reference]
        distance = tv_distance(a, b)
        distances.append(distance)
        top = lambda values: {k: n / len(values) for k, n in Counter(values).most_common(4)}  # noqa: E731
        report["statistics"][name] = {"generated": top(a), "held_out": top(b), "distance": distance}
    for name in SHARES:
        a, b = sum(s[name] for s in generated) / len(generated), sum(s[name] for s in reference) / len(reference)
        distances.append(abs(a - b))
        report["statistics"][name] = {"generated": a, "held_out": b, "distance": abs(a - b), "share": True}
    report["distance"] = sum(distances) / len(distances)
    return report
