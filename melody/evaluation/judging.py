"""How good are a model's tunes? Generate N and judge them: well-formed (our checker, abc2midi),
musically like the held-out tunes (statistics.py), and not copied from the training tunes."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

from melody.evaluation.statistics import compare, tune_stats
from melody.evaluation.two_sample import two_sample
from melody.formats.abc.abc2midi import abc2midi_complaints, fault
from melody.formats.abc.copies import BarIndex
from melody.formats.abc.text import header_fields


def judge_samples(model, count: int, seed: int, train: list[str], held_out: list[str], device="cpu") -> dict:
    from melody.sampling.pieces import copy_index, sample
    from melody.sampling.sampler import SampleConfig

    (result,) = sample(model, SampleConfig(count=count, seed=seed), device)
    pieces, resampled = result.pieces, result.resampled
    texts = [piece.abc for piece in pieces]
    report: dict = {"count": count, "seed": seed, "resampled": resampled}
    report["checker_pass"] = sum(not piece.problems for piece in pieces) / count
    verdicts = None
    if shutil.which("abc2midi"):
        with ThreadPoolExecutor(4) as pool:
            complaints = list(pool.map(abc2midi_complaints, texts))
        verdicts = [fault(lines) for lines in complaints]
        report["abc2midi_pass"] = sum(v is None for v in verdicts) / count
        report["abc2midi_silent"] = sum(not lines for lines in complaints) / count
        report["both_pass"] = sum(v is None and not p.problems for v, p in zip(verdicts, pieces)) / count
    stats = [tune_stats(text) for text in texts]
    generated = [s for s in stats if s]
    reference = [s for s in map(tune_stats, held_out) if s]
    if generated and reference:
        report["music"] = compare(generated, reference)
    if texts and held_out:
        report["two_sample"] = two_sample(texts, held_out, seed)
    index = BarIndex.of_texts(train) if train else copy_index(model)  # the bars its file keeps
    runs = [index.longest_run(text) for text in texts] if index is not None else [(0, None)] * len(texts)
    if index is not None:  # without the training tunes, "copied nothing" would be a claim nobody checked
        report["copy_4_bars"] = sum(run >= 4 for run, _ in runs) / count
        report["copy_8_bars"] = sum(run >= 8 for run, _ in runs) / count
    report["tunes"] = [
        {
            "title": piece.title,
            "abc": piece.abc,
            "problems": piece.problems,
            "abc2midi": None if verdicts is None else verdicts[i],
            "form": _form(stats[i]),
            "longest_copied_bars": runs[i][0] if index is not None else None,
            "nearest_training_tune": _title(train, runs[i][1]),
        }
        for i, piece in enumerate(pieces)
    ]
    return report


def _title(train: list[str], tune: int | None) -> str | None:
    """The title of the training tune a copy was found in (None where the tunes are not at hand)."""
    return header_fields(train[tune]).get("T") if train and tune is not None else None


def _form(stats: dict | None) -> dict | None:
    """What a tune's statistics say of its form, for the report."""
    if stats is None:
        return None
    return {
        "name": stats["form"],
        "parts": stats["part_bars"],
        "played_bars": stats["played_bars"],
        "ends_on_tonic": stats["ends_on_tonic"],
    }


def judge_score_samples(model, count: int, seed: int, held_out: list, device="cpu") -> dict:
    """For a model of scores (the event tokenizer): N generated pieces against the held-out ones in
    voices, in-scale share, pitch classes and voice ranges (score_statistics.py)."""
    from melody.evaluation.score_statistics import compare_scores, score_stats
    from melody.sampling.sampler import SampleConfig, sample_ids

    ids = sample_ids(model, SampleConfig(count=count, seed=seed), device)
    generated = [s for s in (score_stats(model.tokenizer.decode(row)) for row in ids) if s]
    reference = [s for s in map(score_stats, held_out) if s]
    report: dict = {"count": count, "seed": seed, "resampled": 0, "kind": "score"}
    if generated and reference:
        report["music"] = compare_scores(generated, reference)
    return report
