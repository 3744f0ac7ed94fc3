"""Round trips through our converters, tune by tune: ABC -> MusicXML -> ABC and ABC -> MIDI -> ABC.

    python bench/round_trips.py [--limit 200] [--show 3] [--only oneills1850 ...]

For each clean tune (music21's folk collections and tests/data), the ABC that comes back is
compared with the one that went in, both played by our player: the same meter, the same pickup (so
every bar line falls in the same place; times are counted from the first note, as a rest that opens
a pickup is silence a reader may leave out) and the same notes (onset, pitch and duration, on a grid of
1/48 beat). Tunes in free meter (M:none) are counted apart: neither format keeps it. Each step is
what `melody convert` does. MusicXML keeps the repeats and endings and the ABC written back from it
has them again, so a repeat read or written wrong shows in the notes as played. MIDI carries no bar
lines and plays repeats out: the meter comes from its time signature and the pickup from the notes
(Score.with_pickup).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from pathlib import Path

from abc_books import abc_books  # beside this script; it puts the repository on the path

from melody.errors import MelodyError
from melody.formats.abc.checker import clean_tunes
from melody.formats.abc.lexer import tune_tokens
from melody.formats.abc.player import tokens_to_score
from melody.formats.abc.state import TuneState
from melody.formats.abc.syntax import TICKS, LexError
from melody.formats.abc.text import read_abc_file, tune_to_abc
from melody.formats.convert import read_notation, write_score
from melody.music.theory import meter_pair


def shape(abc: str) -> tuple:
    """(meter, pickup in beats, notes on a 1/48-beat grid) of a tune as our player plays it."""
    from melody.formats.abc.text import normalize_tune

    canonical, _ = normalize_tune(abc.split("\n", 1)[1] if abc.startswith("X:") else abc)
    tokens = tune_tokens(canonical)
    state = TuneState()
    for token in tokens:
        state.feed(token)
    notes = tokens_to_score(tokens).notes
    first = Fraction(notes[0].start).limit_denominator(960) if notes else Fraction(0)
    # times from the first note: a rest that opens the pickup (zA|) is silence, not music
    pickup = Fraction(state.anacrusis or 0) / TICKS * 4 - first
    notes = tuple((round((n.start - first) * 48), n.pitch, round(n.duration * 48)) for n in notes)
    meter = meter_pair(next(t for t in tokens if t.startswith("M:"))[2:])  # C and 4/4 are one meter
    return meter, pickup, notes


def trip(job: tuple[str, str]) -> tuple[str, str]:
    """("same" | "pickup" | "meter" | "notes" | "failed", how) for one tune and one middle format."""
    text, middle = job
    with tempfile.TemporaryDirectory() as folder:
        source, there, back = (Path(folder) / name for name in ("in.abc", f"mid{middle}", "back.abc"))
        source.write_text(tune_to_abc(text), encoding="utf-8")
        try:
            score, title, abc = read_notation(source)  # as `melody convert` does, both ways
            write_score(score, there, title, abc=abc)
            score, title, abc = read_notation(there)
            write_score(score, back, title, abc=abc)
            ours, theirs = shape(tune_to_abc(text)), shape(back.read_text(encoding="utf-8"))
        except (MelodyError, LexError, StopIteration) as error:
            return "failed", str(error)[:80]
    if ours[0] is None:
        return "free meter", ""  # neither MusicXML as music21 writes it nor MIDI has one: not counted
    if ours[0] != theirs[0]:
        return "meter", f"{ours[0]} came back as {theirs[0]}"
    if ours[1] != theirs[1]:
        return "pickup", f"{ours[1]} beats came back as {theirs[1]}"
    if ours[2] != theirs[2]:
        return "notes", f"{len(ours[2])} notes, {len(theirs[2])} back"
    return "same", ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=200, help="tunes per collection (0: all)")
    parser.add_argument("--show", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="these collections (e.g. oneills1850 tests/data)")
    args = parser.parse_args()
    books = abc_books()
    books = {name: files for name, files in books.items() if not args.only or name in args.only}
    with ProcessPoolExecutor() as pool:
        for name, files in books.items():
            tunes = [tune.text for path in files for tune in read_abc_file(path)[0]]
            tunes, _unclean = clean_tunes(tunes)
            tunes = tunes[: args.limit] if args.limit else tunes
            for middle in (".musicxml", ".mid"):
                verdicts = list(pool.map(trip, [(text, middle) for text in tunes], chunksize=8))
                counts = Counter(verdict for verdict, _ in verdicts)
                counted = len(verdicts) - counts["free meter"]
                same = f"{counts['same']} of {counted} ({counts['same'] / max(1, counted):.1%})"
                print(f"{name} ABC -> {middle[1:]} -> ABC: {same} {dict(counts)}")
                for verdict, how in [v for v in verdicts if v[0] != "same"][: args.show]:
                    print(f"    {verdict}: {how}")


if __name__ == "__main__":
    main()
