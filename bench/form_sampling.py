"""Form-constrained sampling, measured: for each tune type, N tunes with --type T --form AABB
--part-bars 8, the share with the asked form (every part of the asked length), the share ending on
the tonic, the share abc2midi reads with no warning at all, and how many were resampled.

    python bench/form_sampling.py [--model folk] [-n 50] [--seed 1] [--types reel jig ...]

A type the model never saw is written by its style's token in the type's usual meter (a polka:
R:dance in 2/4); for a model without type tokens, the form alone is asked (no --type).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from melody.formats.abc.abc2midi import abc2midi_complaints  # noqa: E402
from melody.formats.abc.form import tune_form
from melody.formats.abc.lexer import tune_tokens  # noqa: E402
from melody.music.tunes import parse_form
from melody.network.checkpoint import load_model  # noqa: E402
from melody.sampling import sample  # noqa: E402
from melody.sampling.sampler import SampleConfig  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="folk")
    parser.add_argument("-n", "--count", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--form", default="AABB")
    parser.add_argument("--part-bars", type=int, default=8)
    parser.add_argument("--types", nargs="*", default=["reel", "jig", "hornpipe", "polka", "waltz"])
    args = parser.parse_args()
    model = load_model(args.model)
    known = {token[2:] for token in model.tokenizer.vocab if token.startswith("R:")}
    plan = parse_form(args.form, args.part_bars)
    wanted = tuple(again for _letter, again in plan.sections)
    print(f"model {model.path}; {args.count} tunes per type, --form {args.form} --part-bars {args.part_bars}")
    print("* a type the model never saw")
    print(f"{'type':10} {'form':>6} {'tonic':>6} {'abc2midi silent':>16} {'resampled':>10} {'seconds':>8}")
    for tune_type in args.types if known else [None]:
        config = SampleConfig(
            count=args.count, seed=args.seed, tune_type=tune_type, form=args.form, part_bars=args.part_bars
        )
        started = time.perf_counter()
        (result,) = sample(model, config)
        seconds = time.perf_counter() - started
        forms = [tune_form(tune_tokens(piece.abc)) for piece in result.pieces]
        right = sum(f.repeated == wanted and all(b == args.part_bars for b in f.parts) for f in forms)
        tonic = sum(bool(f.final_tonic) for f in forms)
        with ThreadPoolExecutor(4) as pool:
            silent = sum(not lines for lines in pool.map(abc2midi_complaints, [p.abc for p in result.pieces]))
        share = lambda count: f"{count}/{args.count}"  # noqa: E731
        label = (tune_type or "(no type)") + ("" if tune_type in known | {None} else "*")
        print(
            f"{label:10} {share(right):>6} {share(tonic):>6} {share(silent):>16} {result.resampled:>10} {seconds:>8.1f}"
        )


if __name__ == "__main__":
    main()
