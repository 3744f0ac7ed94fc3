"""How generated multi-track pieces compare with the songs a model learned from, measured with
pretty_midi alone (never with melody's own reader).

    python bench/midi_songs.py CORPUS_FOLDER GENERATED_FOLDER

For each folder: files, tracks per file (and the most common count), notes in the file's best
major/minor scale, onsets on the sixteenth/triplet grid at the file's best phase, how far the
highest track's median pitch lies above the lowest's, and the first track's (the melody's, as
songs and melody's pieces list it) above the other tracks' notes (semitones), notes per second,
and how many velocities are used. Drum tracks count as tracks but not in the pitch figures.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
GRID = np.array([0, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 3 / 4, 1])
TOLERANCE = 1 / 48  # of a beat


def pretty_midi_module():
    with contextlib.redirect_stdout(io.StringIO()):  # pyfluidsynth prints when it is imported
        import pretty_midi
    return pretty_midi


def in_scale(pitches: list[int]) -> float:
    """Share of notes in the best-fitting major or minor scale."""
    histogram = np.bincount(np.array(pitches) % 12, minlength=12)
    best = max(histogram[[(t + s) % 12 for s in scale]].sum() for t in range(12) for scale in (MAJOR, MINOR))
    return float(best / max(1, len(pitches)))


def on_grid(midi) -> float:
    """Share of onsets on the sixteenth/triplet grid in beats, at the best phase."""
    onsets = np.array([n.start for i in midi.instruments for n in i.notes])
    if onsets.size == 0:
        return 0.0
    beats = np.array([midi.time_to_tick(t) for t in onsets]) / midi.resolution
    best = 0.0
    for phase in np.unique(np.round(beats % 1, 3))[:200]:
        inside = (beats - phase) % 1
        best = max(best, float((np.abs(inside[:, None] - GRID).min(axis=1) <= TOLERANCE).mean()))
    return best


def measure(path: Path, pretty_midi) -> dict:
    midi = pretty_midi.PrettyMIDI(str(path))
    tonal = [i for i in midi.instruments if not i.is_drum and i.notes]
    pitches = [n.pitch for i in tonal for n in i.notes]
    medians = sorted(float(np.median([n.pitch for n in i.notes])) for i in tonal)
    accompaniment = [n.pitch for i in tonal[1:] for n in i.notes]
    melody_above = (
        float(np.median([n.pitch for n in tonal[0].notes]) - np.median(accompaniment)) if accompaniment else 0.0
    )
    length = max(midi.get_end_time(), 1e-6)
    return {
        "tracks": len([i for i in midi.instruments if i.notes]),
        "names": [i.name for i in midi.instruments],
        "programs": [int(i.program) for i in midi.instruments],
        "in_scale": in_scale(pitches) if pitches else 0.0,
        "on_grid": on_grid(midi),
        "top_above_bottom": medians[-1] - medians[0] if medians else 0.0,
        "melody_above": melody_above,
        "notes_per_second": sum(len(i.notes) for i in midi.instruments) / length,
        "velocities": len({n.velocity for i in midi.instruments for n in i.notes}),
    }


def summarize(folder: Path) -> dict:
    pretty_midi = pretty_midi_module()
    rows = [measure(path, pretty_midi) for path in sorted(folder.rglob("*.mid"))]
    if not rows:
        return {"files": 0}
    counts = Counter(r["tracks"] for r in rows)
    return {
        "files": len(rows),
        "tracks": dict(sorted(counts.items())),
        "names": Counter(" ".join(r["names"]) for r in rows).most_common(2),
        "in_scale_%": round(100 * float(np.mean([r["in_scale"] for r in rows])), 1),
        "on_grid_%": round(100 * float(np.mean([r["on_grid"] for r in rows])), 1),
        "files_on_grid_95_%": round(100 * float(np.mean([r["on_grid"] >= 0.95 for r in rows])), 1),
        "top_above_bottom_semitones": round(float(np.median([r["top_above_bottom"] for r in rows])), 1),
        "first_track_above_the_others_semitones": round(float(np.median([r["melody_above"] for r in rows])), 1),
        "notes_per_second": round(float(np.mean([r["notes_per_second"] for r in rows])), 2),
        "velocities_per_file": round(float(np.mean([r["velocities"] for r in rows])), 1),
    }


if __name__ == "__main__":
    folders = [Path(a) for a in sys.argv[1:]]
    print(json.dumps({str(folder): summarize(folder) for folder in folders}, indent=1))
