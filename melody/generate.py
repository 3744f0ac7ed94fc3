"""From a model to files: sample pieces, give each a number and title, write .abc and .mid."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from melody.checkpoint import Model
from melody.errors import InputError, OutputError
from melody.fileio import atomic_write_bytes, atomic_write_text
from melody.formats.abc import abc_to_stream, header_fields, tune_to_abc
from melody.formats.abc_writer import estimate_key, score_to_abc
from melody.formats.midi import score_to_midi_bytes
from melody.formats.stream import expand_repeats, stream_to_score
from melody.sample import SampleConfig, sample_ids
from melody.validate import tune_problems

MIN_NOTES = 16  # a piece shorter than this is resampled: nobody wants a four-note tune
RESAMPLE_ROUNDS = 3
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


@dataclass
class Piece:
    """One generated piece: its ABC text, its MIDI (repeats played out), its size, and any problems
    the well-formedness check found (empty unless every resampling round failed for this piece)."""

    abc: str
    title: str
    tokens: int
    midi: bytes
    notes: int
    problems: list[str] = field(default_factory=list)


def safe_name(title: str, limit: int = 60) -> str:
    """A file name from a title that works on every filesystem (no separators, dots, control chars)."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:limit].strip("-")
    if not text or text in _RESERVED:
        text = f"tune-{text}" if text else "tune"
    return text


def _piece_from_ids(tokenizer, ids: list[int], number: int, title: str | None) -> Piece | None:
    """A finished piece, or None when it is unreadable or too short (then it is resampled)."""
    try:
        if tokenizer.piece_kind == "score":
            score = tokenizer.decode(ids)
            chosen = title or f"Piece {number} in {estimate_key(score)}"
            abc = score_to_abc(score, chosen, number)
            abc_to_stream(abc)  # the .abc we write must read back, as the MIDI does
            problems = []
        else:
            text = tokenizer.decode(ids)
            fields = header_fields(text)
            named = fields.get("T") if tokenizer.name == "char" else f"Tune {number} in {fields.get('K', 'C')}"
            chosen = title or named or "Untitled"
            abc = tune_to_abc(text, number, chosen)
            problems = tune_problems(text)
            if ids and ids[-1] != tokenizer.eos_id:
                problems.append("unfinished: the tune reached --max-tokens")
            score = _abc_score(text, abc)
        if len(score.notes) < MIN_NOTES:
            return None
        return Piece(abc, chosen, len(ids), score_to_midi_bytes(score), len(score.notes), problems)
    except InputError:
        return None


def _abc_score(text: str, abc: str):
    """The notes of a tune: played from its abc tokens (milliseconds), or by music21 (seconds) when
    the tokens cannot spell it."""
    from melody.formats.abc_lexer import LexError, tune_tokens
    from melody.formats.abc_player import tokens_to_score

    try:
        return tokens_to_score(tune_tokens(text))
    except (LexError, ValueError, KeyError, ZeroDivisionError):
        return stream_to_score(expand_repeats(abc_to_stream(abc)))


def sample_pieces(model: Model, config: SampleConfig, device="cpu") -> tuple[list[Piece], int]:
    """`config.count` readable pieces. A piece music21 cannot read or play, too short, or with
    well-formedness problems is resampled (bounded rounds, all of a round's failures in one batch);
    if every round fails, the first readable one is kept with its problems listed.
    Returns (pieces, resampled)."""
    pieces: list[Piece | None] = [None] * config.count
    resampled = 0
    for round_number in range(RESAMPLE_ROUNDS + 1):
        missing = [i for i, p in enumerate(pieces) if p is None or p.problems]
        if not missing:
            break
        if round_number:
            resampled += len(missing)
        seed = None if config.seed is None else config.seed + 7919 * round_number
        batch = replace(config, count=len(missing), seed=seed)
        for index, ids in zip(missing, sample_ids(model, batch, device)):
            candidate = _piece_from_ids(model.tokenizer, ids, index + 1, config.title)
            if candidate is not None and (pieces[index] is None or not candidate.problems):
                pieces[index] = candidate
    if any(p is None for p in pieces):
        raise InputError(
            f"the model wrote no readable piece in {RESAMPLE_ROUNDS + 1} tries for "
            f"{sum(p is None for p in pieces)} of {config.count}; try a lower --temperature"
        )
    return pieces, resampled


def free_stem(out_dir: Path, stem: str, taken: set[str], force: bool) -> str:
    """`stem`, or `stem-2`, `stem-3`... so no existing file is overwritten unless forced."""
    candidate, number = stem, 1
    while candidate in taken or (not force and any((out_dir / f"{candidate}{s}").exists() for s in (".abc", ".mid"))):
        number += 1
        candidate = f"{stem}-{number}"
    taken.add(candidate)
    return candidate


def write_pieces(pieces: list[Piece], out_dir: str | Path, force: bool = False) -> list[dict]:
    """Write each piece as <name>.abc and <name>.mid (repeats played out); returns what was written."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create output folder: {error.strerror}", str(out_dir)) from None
    written, taken = [], set()
    for piece in pieces:
        stem = free_stem(out_dir, safe_name(piece.title), taken, force)
        abc_path, midi_path = out_dir / f"{stem}.abc", out_dir / f"{stem}.mid"
        atomic_write_text(abc_path, piece.abc)
        atomic_write_bytes(midi_path, piece.midi)
        fields = header_fields(piece.abc)
        written.append(
            {
                "abc": str(abc_path),
                "midi": str(midi_path),
                "title": piece.title,
                "tokens": piece.tokens,
                "notes": piece.notes,
                "key": fields.get("K"),
                "meter": fields.get("M"),
                "problems": piece.problems,
            }
        )
    return written
