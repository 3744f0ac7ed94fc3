"""How well a model predicts held-out music, in bits: the lower, the better."""

from __future__ import annotations

import numpy as np

from melody.network.model import stream_bits


def trained_clean(model) -> bool:
    """Whether the model was trained on checked tunes only (older files did not record it)."""
    summary = model.training.get("corpus", {})
    return bool(summary.get("clean", summary.get("unclean", 0) > 0))


def split_pieces(model, corpus_arguments: list[str], clean: bool | None = None, progress=None):
    """(train pieces, validation pieces, pieces dropped by the checker) of a corpus, split as the
    model's training split it: same validation share, same checker setting unless told."""
    from melody.formats.corpus import load_corpus
    from melody.training.data import train_val_split

    fraction = model.training.get("corpus", {}).get("val_fraction", 0.05)
    corpus = load_corpus(corpus_arguments, model.tokenizer.piece_kind, progress=progress)
    pieces, unclean = corpus.pieces, None
    if (trained_clean(model) if clean is None else clean) and model.tokenizer.piece_kind == "abc":
        from melody.formats.abc.checker import clean_tunes

        pieces, unclean = clean_tunes(pieces)
    train, val = train_val_split(pieces, fraction)
    return train, val, unclean


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
    from melody.errors import InputError, VocabularyError
    from melody.training.data import piece_hash

    split = default_split(model, corpus_arguments) if split == "auto" else split
    train, val, unclean = split_pieces(model, corpus_arguments, clean, progress)
    pieces = train + val if split == "all" else val
    trained_on = set(model.training.get("train_hashes", []))
    ids, skipped, characters, scored = [], 0, 0, []
    for piece in pieces:
        try:
            ids.extend(model.tokenizer.encode(piece))
            characters += len(piece) if isinstance(piece, str) else 0
            scored.append(piece)
        except VocabularyError:
            skipped += 1
    if len(ids) < 2:
        raise InputError(f"no pieces to score in the {split} split", ", ".join(corpus_arguments))
    bits, count = stream_bits(model.network.to(device), np.array(ids, dtype=np.int64), 32, 256, device)
    result = {
        "model": model.path,
        "tokenizer": model.tokenizer.name,
        "corpus": corpus_arguments,
        "split": split,
        "clean": unclean is not None,  # whether the bar checker ran (and left out `left_out_by_checker`)
        "left_out_by_checker": unclean or 0,
        "pieces": len(scored),
        "pieces_in_training_data": sum(piece_hash(p) in trained_on for p in scored) if trained_on else None,
        "pieces_skipped_unknown_tokens": skipped,
        "tokens": count,
        "bits_per_token": bits / count,
        "bits_per_char": bits / characters if characters else None,
    }
    if baseline and characters and split == "val":
        from melody.evaluation.baseline import ngram_bits_per_char

        result["ngram_bits_per_char"] = ngram_bits_per_char(train, scored)
    if samples and model.tokenizer.piece_kind == "score":
        from melody.evaluation.judging import judge_score_samples

        result["samples"] = judge_score_samples(model, samples, seed, val or train, device)
    elif samples:
        from melody.evaluation.judging import judge_samples

        result["samples"] = judge_samples(model, samples, seed, train, val, device)
    return result
