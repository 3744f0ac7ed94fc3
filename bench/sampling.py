"""Sampling throughput of a model: one batch of -n pieces vs one piece, and vs re-feeding the prefix.

    python bench/sampling.py [--model folk] [--count 64] [--max-tokens 400] [--device cpu]

All runs sample the same model on the same machine in one process, and -n 1 and -n 64 are timed in
alternating rounds, each figure the best round, so the ratio holds even when the machine is busy
(these are shared machines). -n 1 is timed over as many single-tune calls as -n 64 samples tunes
(seeds 1, 2, ...), since tunes differ in length: with a handful of singles the two sides' mean
lengths differed by a third and the tunes/s ratio with them; the per-token ratio is printed too.
`refeed` is the naive loop that runs the whole prefix through the network for every new token (what
the state-carried sampler avoids).
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from melody.network.checkpoint import load_model
from melody.sampling import SampleConfig, draw, filter_logits, sample_ids, sampling_mask, warm_up_ids
from melody.sampling.tune_rules import StrictTune


def refeed_tokens(model, max_tokens: int, seed: int) -> int:
    """One piece, re-feeding the whole prefix at every step. Returns tokens generated."""
    generator = torch.Generator().manual_seed(seed)
    ids = warm_up_ids(model.tokenizer)
    start = len(ids)
    with torch.no_grad():
        for _ in range(max_tokens):
            logits, _ = model.network(torch.tensor([ids]))  # (1, T, V): the whole prefix again
            probs = torch.softmax(filter_logits(logits[:, -1], 1.0, 0, 1.0), dim=-1)
            token = int(draw(probs, generator))
            ids.append(token)
            if token == model.tokenizer.eos_id:
                break
    return len(ids) - start


def constraint_microseconds(model, pieces: list[list[int]]) -> float | None:
    """Microseconds per tune per token for the constraint alone (mask lookup and state update), the
    pieces fed side by side as the sampler does, masks already cached: on a GPU this Python work,
    not the network, is what each extra tune in a batch costs."""
    tokenizer = model.tokenizer
    if tokenizer.constraint != "abc":  # the bar mask of abc tokens is what this times
        return None
    constraint = sampling_mask(model)
    tunes = [[tokenizer.vocab[i] for i in ids if i != tokenizer.eos_id] for ids in pieces]
    best = float("inf")
    for _ in range(3):
        states, fed = [StrictTune() for _ in tunes], 0
        start = time.perf_counter()
        for step in range(max(map(len, tunes))):
            for state, tune in zip(states, tunes):
                if step < len(tune):
                    constraint.banned(state)
                    state.feed(tune[step])
                    fed += 1
        best = min(best, (time.perf_counter() - start) / fed)
    return round(best * 1e6, 2)


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="folk")
    parser.add_argument("--count", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=400)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--singles", type=int, help="-n 1 calls per round (default: --count; tunes differ in length)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; each figure is the best round")
    args = parser.parse_args()
    args.singles = args.singles or args.count

    model = load_model(args.model, args.device)
    sample_ids(model, SampleConfig(count=2, seed=0, max_tokens=20), args.device)  # warm-up

    def run(count: int, seed: int):
        return timed(lambda: sample_ids(model, SampleConfig(count, seed=seed, max_tokens=args.max_tokens), args.device))

    one_seconds = many_seconds = float("inf")
    for _ in range(args.rounds):
        singles = [run(1, seed) for seed in range(1, args.singles + 1)]
        mean_seconds = sum(seconds for _, seconds in singles) / len(singles)
        if mean_seconds < one_seconds:
            one, one_seconds = [ids for result, _ in singles for ids in result], mean_seconds
        result, seconds = run(args.count, 1)
        if seconds < many_seconds:
            many, many_seconds = result, seconds
    model.network.cpu()
    refed, refeed_seconds = timed(lambda: refeed_tokens(model, args.max_tokens, 1))
    one_length, many_length = sum(map(len, one)) / len(one), sum(map(len, many)) / len(many)
    one_rate, many_rate = one_length / one_seconds, many_length * args.count / many_seconds
    report = {
        "model": model.path,
        "device": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu",
        "threads": torch.get_num_threads(),
        "max_tokens": args.max_tokens,
        "rounds": args.rounds,
        "n1_tunes_per_second": round(1 / one_seconds, 3),
        f"n{args.count}_tunes_per_second": round(args.count / many_seconds, 3),
        f"n{args.count}_vs_n1": round((args.count / many_seconds) / (1 / one_seconds), 1),
        "n1_tokens_per_second": round(one_rate, 1),
        f"n{args.count}_tokens_per_second": round(many_rate, 1),
        f"n{args.count}_vs_n1_per_token": round(many_rate / one_rate, 1),
        "mean_tokens_per_tune": {"n1": round(one_length, 1), f"n{args.count}": round(many_length, 1)},
        "refeed_tokens_per_second": round(refed / refeed_seconds, 1),
        "carried_state_vs_refeed": round(one_rate / (refed / refeed_seconds), 1),
        "constraint_us_per_tune_token": constraint_microseconds(model, many),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
