"""How well a model predicts held-out music, in bits: the lower, the better."""

from __future__ import annotations

import numpy as np

from melody.network.model import stream_bits


def trained_clean(model) -> bool:
    """Whether the model was trained on checked tunes only (older files did not record it)."""
    summary = model.training.get("corpus", {})
    return bool(summary.get("clean", summary.get("unclean", 0) > 0))


def split_pieces(model, corpus_arguments: list[str], clean: bool | None = None, progress=None):
    """(train pieces, validation pieces, the tunes the checker left out or None where it did not
    run) of a corpus, split as the model's training split it: same validation share, same checker
    setting unless told."""
    from melody.formats.corpus import load_corpus
    from melody.training.data import train_val_split

    fraction = model.training.get("corpus", {}).get("val_fraction", 0.05)
    corpus = load_corpus(corpus_arguments, model.tokenizer.piece_kind, progress=progress)
    pieces, unclean = corpus.pieces, None
    if trained_clean(model) if clean is None else clean:
        learnable_only = "unlearnable" in model.training.get("corpus", {})  # trained on the tunes worth learning
        pieces, unclean, _ = model.tokenizer.checked(pieces, corpus.sources, learnable_only)
    train, val = train_val_split(pieces, fraction)
    return train, val, unclean


def training_pieces(model, progress=None) -> list | None:
    """The pieces the model was trained on, read again from the corpus its run recorded and picked
    by the fingerprints it keeps; None where that corpus is gone or changed past recognition."""
    from pathlib import Path

    from melody.errors import MelodyError
    from melody.formats.corpus import BUILTIN_CORPORA, load_corpus
    from melody.training.data import piece_hash

    recorded = model.training.get("corpus", {}).get("arguments")
    hashes = set(model.training.get("train_hashes", []))
    if not recorded or not hashes or not all(a in BUILTIN_CORPORA or Path(a).exists() for a in recorded):
        return None
    try:
        pieces = load_corpus(recorded, model.tokenizer.piece_kind, progress=progress).pieces
    except MelodyError:
        return None
    found = [piece for piece in pieces if piece_hash(piece) in hashes]
    return found if len(found) >= len(hashes) // 2 else None


def default_split(model, corpus_arguments: list[str]) -> str:
    """ "val" on the corpus the model was trained on (its held-out split), "all" on any other: a
    file the run never saw is held out as a whole."""
    from melody.formats.corpus import BUILTIN_CORPORA
    from melody.formats.corpus import corpus_arguments as recorded_form

    recorded = model.training.get("corpus", {}).get("arguments")
    if recorded is None:
        return "val" if all(a in BUILTIN_CORPORA for a in corpus_arguments) else "all"
    return "val" if sorted(recorded_form(corpus_arguments)) == sorted(recorded) else "all"


def evaluate_model(
    model,
    corpus_arguments: list[str],
    split: str = "auto",
    device="cpu",
    progress=None,
    clean: bool | None = None,
    baseline: bool = True,
    samples: int = 0,
    seed: int = 0,
) -> dict:
    """Bits per token and per character of `model` on a corpus's held-out split (or all of it),
    beside a character n-gram fitted on the training split; with `samples`, also the quality of
    that many generated tunes (judging.py).

    Pieces are chained <bos> piece <eos> <bos> ... and scored with state carried, as in training.
    Pieces the tokenizer cannot spell are counted, not hidden. Per-character figures divide the
    total bits by the characters of the canonical ABC text, so char and abc models compare."""
    from melody.errors import InputError
    from melody.training.data import piece_hash

    split = default_split(model, corpus_arguments) if split == "auto" else split
    train, val, unclean = split_pieces(model, corpus_arguments, clean, progress)
    pieces = train + val if split == "all" else val
    trained_on = set(model.training.get("train_hashes", []))
    scored, left_out = _encoded(model, pieces)
    if not scored:
        raise InputError(f"no pieces to score in the {split} split", ", ".join(corpus_arguments))
    bits, count = _bits(model, scored, device)
    characters = sum(model.tokenizer.characters(piece) for piece, _ in scored)  # ABC text: bits per character
    scored_pieces = [piece for piece, _ in scored]
    result = {
        "model": model.path,
        "tokenizer": model.tokenizer.name,
        "corpus": corpus_arguments,
        "split": split,
        "clean": unclean is not None,  # whether the bar checker ran (its tunes are scored apart)
        "left_out_by_checker": len(unclean or []),
        "pieces": len(scored),
        "pieces_in_training_data": sum(piece_hash(p) in trained_on for p in scored_pieces) if trained_on else None,
        "pieces_skipped_unknown_tokens": len(left_out),
        "left_out": left_out,
        "tokens": count,
        "bits_per_token": bits / count,
        "bits_per_char": bits / characters if characters else None,
    }
    if split == "all" and unclean:  # on a file the model never saw, the tunes the checker rejects count too
        unclean_scored, unclean_left = _encoded(model, unclean)
        result["left_out"] += unclean_left
        if unclean_scored:
            unclean_bits, unclean_count = _bits(model, unclean_scored, device)
            result["unclean_pieces"] = len(unclean_scored)
            result["unclean_bits_per_token"] = unclean_bits / unclean_count
    # on its own corpus the training split is what the model learned from; on any other file, the
    # tunes of the corpus its run recorded
    trained = training_pieces(model) if split == "all" else train
    kept_bars = model.training.get("training_bars") is not None
    result["copies_checked_against"] = "the model's training tunes" if trained is not None or kept_bars else None
    if baseline and characters and trained:
        from melody.evaluation.baseline import ngram_bits_per_char

        result["ngram_bits_per_char"] = ngram_bits_per_char(trained, scored_pieces)
    if samples and model.tokenizer.piece_kind == "score":  # tunes are judged as tunes, scores as scores
        from melody.evaluation.judging import judge_score_samples

        result["samples"] = judge_score_samples(model, samples, seed, scored_pieces, device)
    elif samples:
        from melody.evaluation.judging import judge_samples

        result["samples"] = judge_samples(model, samples, seed, trained or [], scored_pieces, device)
    return result


def _encoded(model, pieces: list) -> tuple[list[tuple], list[dict]]:
    """(piece, ids) of the pieces the tokenizer can spell, and the others listed with why."""
    from melody.errors import VocabularyError

    scored, left_out = [], []
    for number, piece in enumerate(pieces, start=1):
        try:
            scored.append((piece, model.tokenizer.encode(piece)))
        except VocabularyError as error:
            left_out.append({"piece": model.tokenizer.piece_name(piece, number), "why": str(error)})
    return scored, left_out


def _bits(model, scored: list[tuple], device) -> tuple[float, int]:
    """Total bits and tokens of the pieces chained <bos> piece <eos> ..., state carried."""
    ids = np.array([i for _, encoded in scored for i in encoded], dtype=np.int64)
    return stream_bits(model.network.to(device), ids, 32, 256, device)
