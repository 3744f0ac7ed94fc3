"""Peak memory of `melody train FOLDER --max-steps 5` (cold cache) on a folder of pop-like songs and on
one eight times its size: what must not grow with the corpus.

    python bench/train_memory.py [COUNT]     # COUNT songs (default 25), then 8 x COUNT

The songs come from bench/song_fixtures.py --pop; the larger folder holds each song in eight keys
(-4..+3 semitones: eight different pieces, not duplicates). Each training runs in a fresh process;
its peak resident memory (and its worker processes', whichever is largest) is read with getrusage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from song_fixtures import build_songs  # noqa: E402

SHIFTS = range(-4, 4)
MEASURE = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:], capture_output=True).returncode; "
    "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def eight_keys(source: Path, target: Path) -> None:
    import symusic

    target.mkdir()
    for path in sorted(source.glob("*.mid")):
        for shift in SHIFTS:
            song = symusic.Score(str(path))
            for track in song.tracks:
                if not track.is_drum:
                    track.shift_pitch(shift, inplace=True)
            song.dump_midi(str(target / f"{path.stem}_{shift:+d}.mid"))


def peak_megabytes(folder: Path, work: Path) -> float:
    """Peak resident memory of a cold `melody train` on `folder`, in MB."""
    env = dict(os.environ, MELODY_CACHE=str(work / f"cache-{folder.name}"))
    command = [sys.executable, "-m", "melody", "train", str(folder), "--out", str(work / f"run-{folder.name}")]
    command += ["--max-steps", "5", "--force"]
    result = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, env=env)
    code, kilobytes = result.stdout.split()
    if code != "0":
        raise SystemExit(f"melody train failed on {folder}")
    return int(kilobytes) / 1024


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else 25
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        build_songs(work / "songs", count, pop=True)
        eight_keys(work / "songs", work / "songs8")
        one, eight = peak_megabytes(work / "songs", work), peak_megabytes(work / "songs8", work)
    report = {
        "files": [count, count * len(SHIFTS)],
        "peak_mb": [round(one), round(eight)],
        "ratio_8x_to_1x": round(eight / one, 3),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
