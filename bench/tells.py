"""The tells of generated tunes, against the training books, in the figures issue 24 asked for:

- a classifier two-sample test (evaluation/two_sample.py; the notes as abc2midi's MIDI plays them),
  with the same test on two halves of the books as its floor;
- whole 8-bar phrases: as a musician counts bars (the anacrusis not a bar, a short last bar one),
  and exactly, every written part a whole number of bars long too, its pickup given back;
- cadences: parts whose last note is shorter than the tune's unit, and those of them with a rest
  earlier in the bar (the mask squeezing the tonic in), and the last bars' notes and last-note length;
- with --form ABAC: the share of tunes whose third part plays the first again (or keeps its first bar).

    python bench/tells.py [--model folk] [-n 200] [--seed 1] [--books 600] [--abac 50]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from melody.evaluation.two_sample import two_sample  # noqa: E402
from melody.formats.abc.abc2midi import abc2midi_notes, player_notes  # noqa: E402
from melody.formats.abc.form import tune_form, with_part_cues  # noqa: E402
from melody.formats.abc.lexer import LexError, token_kind, tune_tokens  # noqa: E402
from melody.formats.abc.player import written_bars  # noqa: E402
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


def abc_notes(text: str):
    found = abc2midi_notes(text if text.startswith("X:") else "X:1\n" + text)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="folk")
    parser.add_argument("-n", "--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--books", type=int, default=600, help="training tunes drawn to compare with")
    parser.add_argument("--abac", type=int, default=50, help="tunes asked --form ABAC --part-bars 8 (0: none)")
    args = parser.parse_args()
    model = load_model(args.model)
    started = time.perf_counter()
    (result,) = sample(model, SampleConfig(count=args.count, seed=args.seed))
    generated = [piece.abc for piece in result.pieces]
    seconds = time.perf_counter() - started
    print(f"model {model.path}: {len(generated)} default tunes (seed {args.seed}) in {seconds:.0f} s")
    hashes = set(model.training.get("train_hashes", []))
    books = load_corpus(model.training.get("corpus", {}).get("arguments") or ["folk"], "abc").pieces
    trained = [piece for piece in books if piece_hash(piece) in hashes] or books
    real = random.Random(args.seed).sample(trained, min(args.books, len(trained)))
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
    notes_of = abc_notes if shutil.which("abc2midi") else player_notes
    told = two_sample(generated, real, seed=args.seed, notes_of=notes_of)
    print(
        f"classifier ({'abc2midi' if notes_of is abc_notes else 'our player'}'s notes, 5-fold): "
        f"{told['accuracy']:.3f} accuracy generated vs books; real vs real {told['floor']:.3f}; "
        f"{told['unread']} unread"
        if told["accuracy"] is not None
        else f"classifier: too few tunes ({told})"
    )
    if args.abac:
        same, first_bar = part_returns(model, args.abac, args.seed)
        asked = f"--form ABAC --part-bars 8 ({args.abac} tunes)"
        print(f"{asked}: the third part plays the first again in {same}, keeps its first bar in {first_bar}")


if __name__ == "__main__":
    main()
