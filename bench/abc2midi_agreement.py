"""Share of tunes whose notes (onset, pitch) from our player equal abc2midi's, per collection.

    python bench/abc2midi_agreement.py [FILE_OR_FOLDER ...] [--limit N] [--show 5]

With no argument: music21's folk collections and tests/data. A tune abc2midi does not play (no
MIDI, or an Error line: "abc2midi error") is not counted; a tune we cannot read counts against us.
"""

from __future__ import annotations

import argparse
from collections import Counter

from abc_books import abc_books  # beside this script; it puts the repository on the path

from melody.formats.abc.abc2midi import agreement
from melody.formats.abc.text import decode_abc_bytes

EXCLUDED = ("not played", "abc2midi error")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--limit", type=int, default=None, help="tunes per collection at most")
    parser.add_argument("--show", type=int, default=3, help="disagreements to print per collection")
    args = parser.parse_args()
    collections = abc_books(args.paths)
    total = Counter()
    for name, files in collections.items():
        verdicts = []
        for path in files:
            text = decode_abc_bytes(path.read_bytes())[0]
            verdicts += [(str(path), *verdict) for verdict in agreement(text)]
            if args.limit and len(verdicts) >= args.limit:
                break
        counts = Counter(verdict for _, verdict, _ in verdicts)
        played = sum(count for verdict, count in counts.items() if verdict not in EXCLUDED)
        share = counts["same"] / played if played else 0.0
        print(f"{name}: {counts['same']} of {played} tunes abc2midi plays agree ({share:.1%}); {dict(counts)}")
        for path, verdict, detail in [v for v in verdicts if v[1] in ("differs", "unread")][: args.show]:
            print(f"    {verdict}: {path} {detail}")
        total.update(counts)
    played = sum(count for verdict, count in total.items() if verdict not in EXCLUDED)
    print(f"all: {total['same']} of {played} ({total['same'] / max(1, played):.2%})")


if __name__ == "__main__":
    main()
