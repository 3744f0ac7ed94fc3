"""Share of the tunes abc2midi plays without a bar warning that our bar checker keeps, per collection.

    python bench/checker_keeps.py [FILE_OR_FOLDER ...] [--show 3]

With no argument: music21's folk collections and tests/data. abc2midi reads each tune as it is
written; a tune it writes notes for, with no fault (abc2midi.fault: no Error line but the one
about an `I:` line it ignores, no "Bar N has ... time units" warning), is one it plays without a bar
warning. We keep a tune when it reads (normalize_tune) and the checker finds no problem
(validate.tune_problems), as `melody train` does with --clean. The other way round is printed too:
tunes we keep that abc2midi warns about.
"""

from __future__ import annotations

import argparse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from abc_books import abc_books  # beside this script; it puts the repository on the path

from melody.formats.abc.abc2midi import abc2midi_notes, fault
from melody.formats.abc.checker import tune_problems
from melody.formats.abc.text import decode_abc_bytes, file_header, normalize_tune, split_tunes


def verdict(raw: str, header: str) -> tuple[bool | None, bool, str]:
    """(abc2midi plays it without a bar warning, or None when it plays nothing; we keep it; why not)."""
    played = abc2midi_notes("X:1\n" + (header + "\n" if header else "") + raw)
    clean = None if played is None or not played[0] else fault(played[1]) is None
    canonical, reason = normalize_tune(raw, header)
    if canonical is None:
        return clean, False, reason
    problems = tune_problems(canonical)
    return clean, not problems, problems[0].kind if problems else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--show", type=int, default=3, help="reasons to print per collection")
    args = parser.parse_args()
    totals = Counter()
    for name, files in abc_books(args.paths).items():
        results = []
        for path in files:
            book = decode_abc_bytes(path.read_bytes())[0]
            header = file_header(book)
            with ThreadPoolExecutor(4) as pool:
                results += pool.map(lambda tune, header=header: verdict(tune[1], header), split_tunes(book))
        clean = [(kept, why) for plays, kept, why in results if plays]
        warned = [kept for plays, kept, _ in results if plays is False]
        counts = Counter(clean=len(clean), kept=sum(kept for kept, _ in clean))
        print(
            f"{name}: we keep {counts['kept']} of the {len(clean)} tunes abc2midi plays without a bar warning "
            f"({counts['kept'] / max(1, len(clean)):.1%}); of the {len(warned)} it warns about, we keep {sum(warned)}"
        )
        for why, count in Counter(why for kept, why in clean if not kept).most_common(args.show):
            print(f"    left out {count}: {why}")
        totals.update(counts)
    print(f"all: {totals['kept']} of {totals['clean']} ({totals['kept'] / max(1, totals['clean']):.1%})")


if __name__ == "__main__":
    main()
