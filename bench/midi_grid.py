"""How often melody's MIDI reader finds a song's meter and bar lines as they really are: the folder's
`truth.json` (bench/song_fixtures.py) against what `melody corpus --json` reports per file.

    python bench/song_fixtures.py /tmp/songs14 220 --declare 1/4
    python bench/midi_grid.py /tmp/songs14
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from melody.formats.corpus import load_corpus
from melody.formats.corpus_report import score_corpus_report


def main(folder: Path) -> dict:
    truth = json.loads((folder / "truth.json").read_text())
    corpus = load_corpus([str(folder)], "score")
    rows = score_corpus_report(corpus.pieces, corpus.sources, corpus.failed_files)["files"]
    meters = bars = 0
    wrong = Counter()
    for row in rows:
        real = truth[Path(row["file"]).name]
        bar = 4 * int(real["meter"].split("/")[0]) / int(real["meter"].split("/")[1])
        off = (row["first_bar_line_beats"] - real["first_bar_line"]) % bar
        meter_right = row["meter_found"] == real["meter"]
        meters += meter_right
        bars += meter_right and min(off, bar - off) < 0.01
        if not meter_right:
            wrong[f"{real['meter']} read as {row['meter_found']}"] += 1
        elif min(off, bar - off) >= 0.01:
            wrong[f"first bar line {round(min(off, bar - off), 2)} beats off"] += 1
    return {
        "files": len(rows),
        "meter_found_%": round(100 * meters / len(rows), 1),
        "meter_and_bar_lines_found_%": round(100 * bars / len(rows), 1),
        "grid_fit_mean": round(sum(r["grid_fit"] for r in rows) / len(rows), 3),
        "misses": dict(wrong.most_common()),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), indent=1))
