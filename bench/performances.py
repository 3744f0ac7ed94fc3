"""How generated piano performances compare with the performances a model learned from, measured as a
listener hears them: pretty_midi's notes with the sustain pedal applied (bench/performance_fixtures.py),
never melody's own reader.

    python bench/performances.py CORPUS_FOLDER GENERATED_FOLDER

For each folder: notes sounding at an onset (mean), the median and 99.5th-percentile sounding
duration, the longest note, seconds per piece, velocities used per piece, and the share of time
with no note sounding (the rests between phrases). The ratio of each generated figure to the
corpus's is printed beside it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from performance_fixtures import sounding, sounding_figures  # noqa: E402


def velocities(path: Path) -> int:
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        import pretty_midi

    return len({n.velocity for i in pretty_midi.PrettyMIDI(str(path)).instruments for n in i.notes})


def silent_share(starts: np.ndarray, ends: np.ndarray) -> float:
    """The share of a piece's length with no note sounding."""
    order = np.argsort(starts)
    covered, reach = 0.0, 0.0
    for start, end in zip(starts[order], ends[order]):
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    length = ends.max() if ends.size else 0.0
    return float(1 - covered / length) if length else 0.0


def figures(folder: str | Path) -> dict:
    paths = sorted(Path(folder).glob("*.mid"))
    lengths, seconds, silences = [], [], []
    for path in paths:
        starts, ends, _pitches = sounding(path)
        lengths.append(ends - starts)
        seconds.append(float(ends.max()))
        silences.append(silent_share(starts, ends))
    lengths = np.concatenate(lengths)
    return sounding_figures(paths) | {
        "files": len(paths),
        "p99_5_seconds": float(np.percentile(lengths, 99.5)),
        "longest_seconds": float(lengths.max()),
        "seconds_per_piece": float(np.mean(seconds)),
        "velocities_per_piece": float(np.mean([velocities(p) for p in paths])),
        "silent_share": float(np.mean(silences)),
    }


def main(argv: list[str]) -> int:
    corpus, generated = figures(argv[0]), figures(argv[1])
    report = {"corpus": corpus, "generated": generated}
    report["ratio"] = {k: round(generated[k] / corpus[k], 3) for k in corpus if corpus[k] and k != "files"}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
