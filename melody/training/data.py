"""From corpus to training batches: stable split, tokenizing, an on-disk cache, contiguous streams."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from melody.errors import InputError, OutputError
from melody.fileio import atomic_write_bytes
from melody.formats.corpus import (
    ALL_TRACKS,
    TrackChoice,
    collector_paused,
    corpus_arguments,
    corpus_files,
    files_fingerprint,
    load_corpus,
    piece_key,
    rebased,
)
from melody.formats.midi_grid import on_grid
from melody.tokenizers import make_tokenizer, tokenizer_from_dict
from melody.tokenizers.base import Tokenizer
from melody.training.statistics import kept_statistics

CACHE_VERSION = 21


def cache_root() -> Path:
    """Where melody keeps what it can compute again: $MELODY_CACHE, else ~/.cache/melody."""
    return Path(os.environ.get("MELODY_CACHE") or Path.home() / ".cache" / "melody")


def cache_dir() -> Path:
    """Where tokenized corpora live."""
    return cache_root() / "corpora"


def choose_tokenizer(files: list[Path]) -> tuple[str, str]:
    """`--tokenizer auto`: abc tokens for ABC corpora, midi events for MIDI and MusicXML corpora
    (performance events instead, once read, when most files fit no beat grid: prepare_corpus); for
    a mix, the majority of the files. Returns (name, why)."""
    from melody.formats.corpus import ABC_SUFFIXES

    abc = sum(path.suffix.lower() in ABC_SUFFIXES for path in files)
    scores = len(files) - abc
    if abc >= scores:
        return "abc", f"{abc} of {len(files)} files are ABC"
    return "midi", f"{scores} of {len(files)} files are MIDI or MusicXML"


def piece_hash(piece) -> str:
    """A short, stable fingerprint of a piece's content: what a model file records of its training data."""
    return hashlib.sha1(piece_key(piece).encode("utf-8")).hexdigest()[:16]


def is_validation(text: str, fraction: float) -> bool:
    """Stable split by content: adding files never moves an old tune across."""
    bucket = int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) / 2**32
    return bucket < fraction


def train_val_split(pieces: list, fraction: float) -> tuple[list, list]:
    """(train, validation) pieces: the one split training and evaluation share."""
    is_val = [is_validation(piece_key(piece), fraction) for piece in pieces]
    return [p for p, v in zip(pieces, is_val) if not v], [p for p, v in zip(pieces, is_val) if v]


@dataclass
class TokenizedCorpus:
    """Token ids of the train and validation pieces, each framed by <bos> ... <eos>."""

    tokenizer: Tokenizer
    train: np.ndarray  # (N,) flat ids
    train_offsets: np.ndarray  # (pieces + 1,) start of each piece in `train`
    val: np.ndarray
    val_offsets: np.ndarray
    summary: dict

    @property
    def val_characters(self) -> int:
        return int(self.summary["val_characters"])


def _pack(sequences: list) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = np.concatenate([np.asarray(s, dtype=np.int32) for s in sequences] or [np.zeros(0, np.int32)])
    return flat, offsets


ARRAYS = ("train", "train_offsets", "val", "val_offsets")


def save_tokenized(path: Path, corpus: TokenizedCorpus) -> None:
    """A `.npz` path gets one portable file (to carry a corpus to another machine); any other path a
    folder of `.npy` arrays, which `load_tokenized` memory-maps: the cache, so a corpus of any size
    opens at once and training processes on one machine share one copy in the page cache."""
    path = Path(path)
    meta = json.dumps({"tokenizer": corpus.tokenizer.to_dict(), "summary": corpus.summary})
    if path.suffix == ".npz":
        buffer = io.BytesIO()
        arrays = {name: getattr(corpus, name) for name in ARRAYS}
        np.savez(buffer, **arrays, meta=np.frombuffer(meta.encode(), dtype=np.uint8))
        atomic_write_bytes(path, buffer.getvalue())
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    except OSError as error:
        raise OutputError(f"cannot write here: {error.strerror}", str(path)) from None
    try:
        for name in ARRAYS:
            np.save(folder / f"{name}.npy", getattr(corpus, name))
        (folder / "meta.json").write_text(meta)
        if path.exists():  # a damaged or racing copy: ours replaces it
            shutil.rmtree(path, ignore_errors=True)
        try:
            os.replace(folder, path)  # all or nothing: a reader never sees half a cache
        except OSError:
            if not path.exists():
                raise
            shutil.rmtree(folder, ignore_errors=True)  # another process (a torchrun rank) wrote it first
    except OSError as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise OutputError(f"cannot write the corpus cache: {error.strerror}", str(path)) from None


def load_tokenized(path: Path) -> TokenizedCorpus | None:
    """A corpus written by `save_tokenized` (cache folders memory-mapped), or None if it is damaged."""
    path = Path(path)
    try:
        if path.is_dir():
            meta = json.loads((path / "meta.json").read_text())
            arrays = [np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in ARRAYS]
        else:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
                arrays = [data[name] for name in ARRAYS]
        train, train_offsets, val, val_offsets = arrays
        if train_offsets[-1] != train.size or val_offsets[-1] != val.size:
            return None
        return TokenizedCorpus(
            tokenizer_from_dict(meta["tokenizer"]), train, train_offsets, val, val_offsets, meta["summary"]
        )
    except (OSError, ValueError, KeyError, IndexError):
        return None  # a damaged cache is rebuilt, never trusted


def prepare_corpus(
    arguments: list[str],
    tokenizer_name: str = "char",
    val_fraction: float = 0.05,
    use_cache: bool = True,
    progress=None,
    clean: bool = True,
    decorations: bool = True,
    choice: TrackChoice = ALL_TRACKS,
) -> TokenizedCorpus:
    """Read, split and tokenize a corpus, or take it from the cache when nothing changed.

    With `clean`, ABC tunes that fail the bar checker are left out (and counted); tunes the
    tokenizer cannot spell are left out and counted too."""
    with collector_paused():
        return _prepared(arguments, tokenizer_name, val_fraction, use_cache, progress, clean, decorations, choice)


def _prepared(arguments, tokenizer_name, val_fraction, use_cache, progress, clean, decorations, choice):
    files = corpus_files(arguments)
    chosen_because, auto_scores = "asked for", False
    if tokenizer_name == "auto":
        tokenizer_name, chosen_because = choose_tokenizer(files)
        auto_scores = tokenizer_name == "midi"  # midi or performance: the files' grid fit decides
    tokenizer = make_tokenizer(tokenizer_name, decorations)
    settings = {
        "tokenizer": "auto:scores" if auto_scores else tokenizer_name,
        "val_fraction": val_fraction,
        "v": CACHE_VERSION,
        "clean": clean,
        "tracks": list(choice.tracks) if choice.tracks else None,
        "drums": choice.drums,
    } | tokenizer.settings()
    key = hashlib.sha256((files_fingerprint(arguments, files) + json.dumps(settings)).encode()).hexdigest()
    path = cache_dir() / key[:32]
    if use_cache and path.exists():
        cached = load_tokenized(path)
        if cached is not None:
            cached.summary = _read_from(cached.summary, corpus_arguments(arguments))
            cached.summary["cached"] = True
            return cached

    corpus = load_corpus(
        arguments,
        tokenizer.piece_kind,
        progress=progress,
        files=files,
        choice=choice,
        encoder=tokenizer.corpus_encoder(),
    )
    if not corpus.pieces:
        raise InputError(_nothing_usable(corpus), ", ".join(arguments))
    if auto_scores and sum(not on_grid(p) for p in corpus.pieces) > len(corpus.pieces) / 2:
        off = sum(not on_grid(p) for p in corpus.pieces)
        tokenizer_name, tokenizer = "performance", make_tokenizer("performance")
        chosen_because = f"{off} of {len(corpus.pieces)} files fit no beat grid: played freely"
        corpus.encoded = {}
    off_grid = [source for piece, source in zip(corpus.pieces, corpus.sources) if tokenizer.blurred(piece)]
    if off_grid:  # quantising a free performance onto a grid makes mush: left out, listed
        kept = [(p, source) for p, source in zip(corpus.pieces, corpus.sources) if not tokenizer.blurred(p)]
        corpus.pieces, corpus.sources = [p for p, _ in kept], [source for _, source in kept]
        corpus.dropped[OFF_GRID] = len(off_grid)
    pieces, unclean, unlearnable = corpus.pieces, None, 0
    if clean:
        pieces, unclean, unlearnable = tokenizer.checked(pieces, corpus.sources, learnable_only=True)
    usable = [p for p in pieces if tokenizer.accepts(p)]
    untokenizable, pieces = len(pieces) - len(usable), usable
    if not pieces:
        raise InputError("no piece passed the checks (try --no-clean)", ", ".join(arguments))
    train_pieces, val_pieces = train_val_split(pieces, val_fraction)
    if not train_pieces:
        train_pieces, val_pieces = val_pieces, []
    tokenizer.fit(pieces)

    def encoded(piece) -> list[int]:
        found = corpus.encoded.get(id(piece))
        return found if found is not None else tokenizer.encode(piece)

    train, train_offsets = _pack([encoded(p) for p in train_pieces])
    val, val_offsets = _pack([encoded(p) for p in val_pieces])
    summary = corpus.summary() | {
        "tokenizer": tokenizer_name,
        "tokenizer_reason": chosen_because,
        "arguments": corpus_arguments(arguments),
        "train_hashes": [piece_hash(p) for p in train_pieces],
        **kept_statistics(train_pieces, tokenizer),
        "multi_voice": sum(map(tokenizer.melody_only, pieces)),
        "train_pieces": len(train_pieces),
        "val_pieces": len(val_pieces),
        "train_tokens": int(train.size),
        "val_tokens": int(val.size),
        "val_characters": sum(map(tokenizer.characters, val_pieces)),
        "vocab_size": len(tokenizer),
        "val_fraction": val_fraction,
        "clean": unclean is not None,
        "unclean": len(unclean or []),
        "unlearnable": unlearnable,
        "untokenizable": untokenizable,
        "off_grid_files": off_grid,
    }
    result = TokenizedCorpus(tokenizer, train, train_offsets, val, val_offsets, summary)
    if use_cache:
        save_tokenized(path, result)
    result.summary["cached"] = False
    return result


def _nothing_usable(corpus) -> str:
    """Why a corpus gave no piece, naming the first file that failed."""
    if corpus.failed_files:
        file, error = corpus.failed_files[0]
        more = len(corpus.failed_files) - 1
        return f"corpus holds no usable pieces: {file}: {error}" + (f" (and {more} more files failed)" if more else "")
    reasons = ", ".join(f"{n} {reason}" for reason, n in corpus.dropped.items())
    return "corpus holds no usable pieces" + (f" (left out: {reasons})" if reasons else "")


def _read_from(summary: dict, arguments: list[str]) -> dict:
    """A cached corpus's summary with its files named where they are now (the cache is found by the
    files' names inside each argument and their contents, wherever the folder has moved)."""
    before = summary["arguments"]
    moved = dict(summary, arguments=arguments)
    moved["off_grid_files"] = rebased(summary["off_grid_files"], before, arguments)
    for name, field in (
        ("failed_files", "file"),
        ("notes", "file"),
        ("duplicate_files", "file"),
        ("duplicate_files", "same_as"),
    ):
        files = rebased([entry[field] for entry in moved[name]], before, arguments)
        moved[name] = [dict(entry, **{field: file}) for entry, file in zip(moved[name], files)]
    return moved


OFF_GRID = "played freely, on no beat grid (--tokenizer performance reads them)"


def shuffled_stream(flat: np.ndarray, offsets: np.ndarray, seed: int) -> np.ndarray:
    """All pieces in a seeded random order, end to end (a new order each epoch)."""
    order = np.random.default_rng(seed).permutation(len(offsets) - 1)
    return np.concatenate([flat[offsets[i] : offsets[i + 1]] for i in order])


def windows_per_epoch(rows: np.ndarray, seq_len: int) -> int:
    return (rows.shape[1] - 1) // seq_len


def window(rows: np.ndarray, index: int, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-token targets of window `index`: (B, T) each."""
    start = index * seq_len
    return rows[:, start : start + seq_len], rows[:, start + 1 : start + seq_len + 1]
