"""Statistics of pieces of several voices (the event model's scores, e.g. chorales) against
held-out pieces: how many voices sound, the share of notes inside the key's scale, the pitch
classes heard (relative to the key's tonic, so a piece in G and one in D compare), and the range
of each voice.

The key is the key signature whose scale holds the most note time (formats/abc/writer.py's
major_tonic), found the same way for generated and held-out pieces, so the share compares fairly.
"""

from __future__ import annotations

from collections import Counter
from statistics import median

from melody.evaluation.statistics import histogram, ks_distance, tv_distance
from melody.music.score import Score
from melody.music.theory import MAJOR_SCALE, major_tonic

MAX_VOICES_SHOWN = 4


def score_stats(score: Score) -> dict | None:
    """Figures of one piece, or None for a piece with no notes."""
    if not score.notes:
        return None
    tonic = major_tonic(score)
    voices: dict[int, list[int]] = {}
    for note in score.notes:
        voices.setdefault(note.voice, []).append(note.pitch)
    in_scale = sum((note.pitch - tonic) % 12 in MAJOR_SCALE for note in score.notes) / len(score.notes)
    ordered = sorted(voices.values(), key=median, reverse=True)  # highest voice first: soprano, alto...
    return {
        "voices": len(voices),
        "in_scale": in_scale,
        "pitch_classes": [(note.pitch - tonic) % 12 for note in score.notes],
        "ranges": [(min(pitches), max(pitches)) for pitches in ordered],
    }


def compare_scores(generated: list[dict], reference: list[dict]) -> dict:
    """Both sides of each figure and their distance: KS for voices and in-scale share, total variation
    for the pooled pitch classes, and each voice's mean lowest and highest pitch."""
    report: dict = {"statistics": {}}
    for name in ("voices", "in_scale"):
        a, b = [s[name] for s in generated], [s[name] for s in reference]
        report["statistics"][name] = {
            "generated": sum(a) / len(a),
            "held_out": sum(b) / len(b),
            "distance": ks_distance(a, b),
            "histogram": histogram(a, b),
        }
    a = [pc for s in generated for pc in s["pitch_classes"]]
    b = [pc for s in reference for pc in s["pitch_classes"]]
    shares = lambda values: {pc: n / len(values) for pc, n in sorted(Counter(values).items())}  # noqa: E731
    report["statistics"]["pitch_classes"] = {
        "generated": shares(a),
        "held_out": shares(b),
        "distance": tv_distance(a, b),
    }
    ranges = {}
    for voice in range(MAX_VOICES_SHOWN):
        sides = []
        for pieces in (generated, reference):
            spans = [s["ranges"][voice] for s in pieces if len(s["ranges"]) > voice]
            sides.append(
                [round(sum(low for low, _ in spans) / len(spans), 1), round(sum(h for _, h in spans) / len(spans), 1)]
                if spans
                else None
            )
        ranges[f"voice {voice + 1}"] = {"generated": sides[0], "held_out": sides[1]}
    report["voice_ranges"] = ranges
    report["distance"] = sum(row["distance"] for row in report["statistics"].values()) / len(report["statistics"])
    return report
