"""The tells of generated tunes, against the training books, in the figures issue 24 asked for:

- a classifier two-sample test (evaluation/two_sample.py; the notes as abc2midi's MIDI plays them,
  each tune read as abc2midi's referee reads it; --raw: as the text stands, its R: line and
  ornaments too, as the older columns of docs/models.md were read), with the same test on two
  halves of the books as its floor;
- whole 8-bar phrases: as a musician counts bars (the anacrusis not a bar, a short last bar one),
  and exactly, every written part a whole number of bars long too, its pickup given back;
- cadences: parts whose last note is shorter than the tune's unit, and those of them with a rest
  earlier in the bar (the mask squeezing the tonic in), and the last bars' notes and last-note length;
- range (highest minus lowest note) and melodic leaps, against the books';
- with --form ABAC: the share of tunes whose third part plays the first again (or keeps its first bar);
- with --types: -n tunes of each common type (--type T) against the books' tunes of that type, as
  the table of docs/models.md.

    python bench/tells.py [--model folk] [-n 200] [--seed 1] [--books 600] [--abac 50] [--types] [--raw]
"""

from __future__ import annotations

import argparse
import functools
import random
import shutil
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from melody.evaluation.two_sample import two_sample  # noqa: E402
from melody.formats.abc.abc2midi import abc2midi_notes, referee_text  # noqa: E402
from melody.formats.abc.form import tune_form, with_part_cues  # noqa: E402
from melody.formats.abc.lexer import LexError, token_kind, tune_tokens, tune_type  # noqa: E402
from melody.formats.abc.player import (
    player_notes,  # noqa: E402
    written_bars,  # noqa: E402
)
from melody.formats.abc.syntax import LAST_BAR_CUE, SECTION_ENDS  # noqa: E402
from melody.formats.abc.text import normalize_tune  # noqa: E402
from melody.formats.corpus import load_corpus  # noqa: E402
from melody.music.theory import meter_fraction  # noqa: E402
from melody.network.checkpoint import load_model  # noqa: E402
from melody.sampling import SampleConfig, sample  # noqa: E402
from melody.training.data import piece_hash  # noqa: E402


def figures(text: str) -> dict | None:
    """Phrase and cadence figures of one canonical tune."""
    try:
        tokens = tune_tokens(text)
    except LexError:
        return None
    form = tune_form(tokens)
    bars, meter, _key = written_bars(tokens)
    bar = meter_fraction(meter)
    unit = Fraction(next((t[2:] for t in tokens if t.startswith("L:")), "1/8"))
    if bar is None or not bars or not form.parts:
        return None
    written = sum(b.length for b in bars) / bar
    closing = [b for b in bars if b.close in SECTION_ENDS] or bars[-1:]
    if bars[-1] not in closing:
        closing.append(bars[-1])
    ends = [b for b in closing if b.notes]
    short = [b for b in ends if b.notes[-1][1] - b.notes[-1][0] < unit]
    after_rest = [b for b in short if _rest_before_last(b)]
    return {
        "whole_8": form.whole_8_bar_phrases,
        "exact_8": form.whole_8_bar_phrases and written == int(written),
        "parts": len(ends),
        "short_ends": len(short),
        "short_after_rest": len(after_rest),
        "last_note_units": [float((b.notes[-1][1] - b.notes[-1][0]) / unit) for b in ends],
        "last_bar_notes": [len(b.notes) for b in ends],
    }


def _rest_before_last(bar) -> bool:
    """A rest somewhere in the bar before its last note (a gap between notes, or before the first)."""
    latest = Fraction(0)
    for start, end, _pitch, _tied in bar.notes:
        if start > latest:
            return True
        latest = max(latest, end)
    return False


def summary(name: str, tunes: list[str]) -> None:
    found = [f for f in map(figures, tunes) if f]
    parts = sum(f["parts"] for f in found)
    units = sorted(u for f in found for u in f["last_note_units"])
    notes = [n for f in found for n in f["last_bar_notes"]]
    print(
        f"{name:16} {len(found):5d} {_share(sum(f['whole_8'] for f in found), len(found)):>9} "
        f"{_share(sum(f['exact_8'] for f in found), len(found)):>9} "
        f"{_share(sum(f['short_ends'] for f in found), parts):>12} "
        f"{_share(sum(f['short_after_rest'] for f in found), parts):>12} "
        f"{units[len(units) // 2]:>9.2f} {sum(notes) / len(notes):>9.2f}"
    )


def _share(count: int, total: int) -> str:
    return f"{100 * count / max(1, total):.0f}%"


def abc_notes(text: str, raw: bool = False):
    """The notes abc2midi plays for a tune, read as its referee reads one (formats/abc/abc2midi.py):
    without the R: line, whose swing abc2midi gives our hornpipes in C and not the books' in C|, nor
    ornaments, which it plays as notes of its own (`raw`: the text as it stands)."""
    text = text if text.startswith("X:") else "X:1\n" + text
    found = abc2midi_notes(text if raw else referee_text(text))
    return found[0] if found else None


def part_returns(model, count: int, seed: int) -> tuple[int, int]:
    """(tunes whose third part plays the first again, tunes whose third part keeps its first bar)."""
    (result,) = sample(model, SampleConfig(count=count, seed=seed, form="ABAC", part_bars=8))
    same = first_bar = 0
    for piece in result.pieces:
        parts: list[list[str]] = []
        for token in with_part_cues(tune_tokens(normalize_tune(piece.abc)[0])):
            if token_kind(token) == "part" and token != LAST_BAR_CUE:
                parts.append([])
            elif parts and token_kind(token) in ("note", "rest", "length", "broken", "tuplet", "bar", "tie"):
                parts[-1].append(token)
        if len(parts) < 3:
            continue
        a, again = _bars(parts[0])[-8:], _bars(parts[2])[-8:]  # the anacrusis is not a bar of the part
        same += a == again
        first_bar += a[:1] == again[:1]
    return same, first_bar


def _bars(tokens: list[str]) -> list[list[str]]:
    """The tokens of each bar (bar lines left out: a part's closing one depends on what follows)."""
    bars: list[list[str]] = [[]]
    for token in tokens:
        if token_kind(token) == "bar":
            bars.append([])
        else:
            bars[-1].append(token)
    return [bar for bar in bars if bar]


def notes_reader(raw: bool = False):
    """Each tune's notes, as abc2midi plays them (our player without abc2midi), read once."""
    notes_of = functools.partial(abc_notes, raw=raw) if shutil.which("abc2midi") else player_notes
    return functools.lru_cache(maxsize=None)(notes_of), notes_of is not player_notes


def pitch_figures(tunes: list[str], notes_of) -> dict:
    """Range (highest minus lowest note) of each tune and the shares of melodic leaps (|steps|,
    13 and more in the last bin) over all of them."""
    ranges, leaps = [], np.zeros(LEAPS + 1)
    for text in tunes:
        notes = notes_of(text)
        if not notes or len(notes) < 2:
            continue
        pitches = np.array([pitch for _, pitch in notes])
        ranges.append(int(np.ptp(pitches)))
        leaps += np.bincount(np.minimum(np.abs(np.diff(pitches)), LEAPS), minlength=LEAPS + 1)
    return {"ranges": np.array(ranges), "leaps": leaps / max(1.0, leaps.sum())}


LEAPS = 13  # leaps of 0..12 semitones, then "more than an octave"
LEAP_NAMES = ["0", "1", "2", "3", "4", "5", "tt", "7", "8", "9", "10", "11", "8ve", ">8ve"]


def trained_on(model) -> list[str]:
    """The tunes the model was trained on (its corpus, read once)."""
    hashes = set(model.training.get("train_hashes", []))
    books = load_corpus(model.training.get("corpus", {}).get("arguments") or ["folk"], "abc").pieces
    return [piece for piece in books if piece_hash(piece) in hashes] or books


def books_of(trained: list[str], kind: str | None, count: int, seed: int) -> list[str]:
    """Up to `count` of the training tunes (of one type), drawn with `seed`."""
    if kind is not None:
        trained = [piece for piece in trained if _type_of(piece) == kind]
    return random.Random(seed).sample(trained, min(count, len(trained)))


def _type_of(piece: str) -> str | None:
    try:
        return tune_type(tune_tokens(piece))
    except LexError:
        return None


def compared(generated: list[str], real: list[str], seed: int, notes_of) -> dict:
    """The figures of one comparison: classifier, range, last bars."""
    told = two_sample(generated, real, seed=seed, notes_of=notes_of)
    ours, theirs = pitch_figures(generated, notes_of), pitch_figures(real, notes_of)
    low, high = np.percentile(theirs["ranges"], [10, 90])
    cadences = {name: [f for f in map(figures, tunes) if f] for name, tunes in (("ours", generated), ("books", real))}
    return {
        "told": told,
        "range": {
            name: (
                float(np.median(found["ranges"])),
                float(np.percentile(found["ranges"], 90)),
                float(np.mean((found["ranges"] >= low) & (found["ranges"] <= high))),
            )
            for name, found in (("ours", ours), ("books", theirs))
        },
        "leaps": {"ours": ours["leaps"], "books": theirs["leaps"]},
        "last_bar": {
            name: float(np.mean([n for f in found for n in f["last_bar_notes"]])) for name, found in cadences.items()
        },
        "last_note": {
            name: float(np.median([u for f in found for u in f["last_note_units"]])) for name, found in cadences.items()
        },
    }


def print_pitch_figures(figures: dict) -> None:
    for name in ("books", "ours"):
        median, p90, inside = figures["range"][name]
        label = "training books" if name == "books" else "generated"
        print(
            f"range, {label:14}: median {median:.1f}, 90th percentile {p90:.1f} semitones; "
            f"{100 * inside:.0f}% within the books' 10th-90th percentile"
        )
    print("leaps (% of steps)  " + " ".join(f"{name:>5}" for name in LEAP_NAMES))
    for name, label in (("books", "training books"), ("ours", "generated")):
        print(f"{label:19} " + " ".join(f"{100 * share:5.1f}" for share in figures["leaps"][name]))
    gap = np.abs(figures["leaps"]["ours"] - figures["leaps"]["books"])
    print(f"largest difference {100 * gap.max():.1f} points (at {LEAP_NAMES[int(gap.argmax())]})")


def per_type(model, count: int, seed: int, books: int, raw: bool = False) -> None:
    """The table of docs/models.md: `count` tunes of each --type against the books' of that type."""
    notes_of, _ = notes_reader(raw)
    print(
        "| type | classifier (real vs real) | range median / p90, ours | books | range in the books' 10th-90th,"
        " ours | books | last-bar notes, ours | books | last note, ours | books |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    trained = trained_on(model)
    for kind in TYPES:
        real = books_of(trained, kind, books, seed)
        if len(real) < 10:
            print(
                f"| {kind} | the model trained on {len(real)} tunes of this type: nothing to compare with |", flush=True
            )
            continue
        (result,) = sample(model, SampleConfig(count=count, seed=seed, tune_type=kind))
        found = compared([p.abc for p in result.pieces], real, seed, notes_of)
        told, ranges = found["told"], found["range"]
        classifier = f"{told['accuracy']:.2f} ({told['floor']:.2f})" if told["accuracy"] is not None else "too few"
        print(
            f"| {kind} | {classifier} "
            f"| {ranges['ours'][0]:.0f} / {ranges['ours'][1]:.0f} "
            f"| {ranges['books'][0]:.0f} / {ranges['books'][1]:.0f} "
            f"| {100 * ranges['ours'][2]:.0f}% | {100 * ranges['books'][2]:.0f}% "
            f"| {found['last_bar']['ours']:.2f} | {found['last_bar']['books']:.2f} "
            f"| {found['last_note']['ours']:.1f} | {found['last_note']['books']:.1f} |",
            flush=True,
        )


TYPES = ("reel", "jig", "hornpipe", "polka", "waltz", "slip jig", "march")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="folk")
    parser.add_argument("-n", "--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--books", type=int, default=600, help="training tunes drawn to compare with")
    parser.add_argument("--abac", type=int, default=50, help="tunes asked --form ABAC --part-bars 8 (0: none)")
    parser.add_argument("--types", action="store_true", help=f"-n tunes of each type ({', '.join(TYPES)}): a table")
    parser.add_argument("--raw", action="store_true", help="abc2midi reads each tune as it stands (R: line, ornaments)")
    args = parser.parse_args()
    model = load_model(args.model)
    if args.types:
        per_type(model, args.count, args.seed, args.books, args.raw)
        return
    started = time.perf_counter()
    (result,) = sample(model, SampleConfig(count=args.count, seed=args.seed))
    generated = [piece.abc for piece in result.pieces]
    seconds = time.perf_counter() - started
    print(f"model {model.path}: {len(generated)} default tunes (seed {args.seed}) in {seconds:.0f} s")
    real = books_of(trained_on(model), None, args.books, args.seed)
    print(
        f"{'tunes':16} {'count':>5} {'whole 8':>9} {'exact 8':>9} {'short end':>12} "
        f"{'after rest':>12} {'last note':>9} {'last bar':>9}"
    )
    print(
        f"{'':16} {'':5} {'(counted)':>9} {'(timed)':>9} {'(of parts)':>12} {'(of parts)':>12} "
        f"{'(units)':>9} {'(notes)':>9}"
    )
    summary("training books", real)
    summary("generated", generated)
    notes_of, by_abc2midi = notes_reader(args.raw)
    found = compared(generated, real, args.seed, notes_of)
    told = found["told"]
    print(
        f"classifier ({'abc2midi' if by_abc2midi else 'our player'}'s notes, 5-fold): "
        f"{told['accuracy']:.3f} accuracy generated vs books; real vs real {told['floor']:.3f}; "
        f"{told['unread']} unread"
        if told["accuracy"] is not None
        else f"classifier: too few tunes ({told})"
    )
    print_pitch_figures(found)
    if args.abac:
        same, first_bar = part_returns(model, args.abac, args.seed)
        asked = f"--form ABAC --part-bars 8 ({args.abac} tunes)"
        print(f"{asked}: the third part plays the first again in {same}, keeps its first bar in {first_bar}")


if __name__ == "__main__":
    main()
