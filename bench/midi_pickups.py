"""How often a pickup survives a trip through abc2midi's MIDI: tunes of music21's collections are
played by abc2midi (a time signature at the start, the pickup played from there, every bar's first
note louder) and read back with `midi_to_score`; the pickup found is held against the one our player
reads from the ABC.

    python bench/midi_pickups.py [--per-collection 100] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from melody.formats.abc.checker import clean_tunes  # noqa: E402
from melody.formats.abc.lexer import tune_tokens  # noqa: E402
from melody.formats.abc.player import tokens_to_score  # noqa: E402
from melody.formats.abc.text import read_abc_file, tune_to_abc  # noqa: E402
from melody.formats.corpus import FOLK_COLLECTIONS, music21_corpus_dir  # noqa: E402
from melody.formats.midi import midi_to_score  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-collection", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts = Counter()
    with tempfile.TemporaryDirectory() as folder:
        source, played = Path(folder) / "tune.abc", Path(folder) / "tune.mid"
        for collection in FOLK_COLLECTIONS:
            files = sorted((music21_corpus_dir() / collection).glob("*.abc"))
            tunes, _ = clean_tunes([tune.text for path in files for tune in read_abc_file(path)[0]])
            for text in rng.sample(tunes, min(args.per_collection, len(tunes))):
                written = tokens_to_score(tune_tokens(text)).pickup
                source.write_text(tune_to_abc(text), encoding="utf-8")
                played.unlink(missing_ok=True)
                subprocess.run(["abc2midi", str(source), "-o", str(played)], capture_output=True, timeout=60)
                if not played.exists():
                    continue
                found = midi_to_score(played).pickup
                counts[("with a pickup" if written else "without", abs(found - written) < 1e-6)] += 1
    for kind in ("with a pickup", "without"):
        right, wrong = counts[(kind, True)], counts[(kind, False)]
        print(f"tunes {kind}: {right} of {right + wrong} read back with the pickup they have")


if __name__ == "__main__":
    main()
