"""From a model to files: sample pieces, give each a number and title, write .abc and .mid."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from melody.errors import InputError, MelodyError, OutputError
from melody.fileio import atomic_write_bytes, atomic_write_text
from melody.formats.abc.checker import tune_problems
from melody.formats.abc.copies import BarIndex
from melody.formats.abc.form import form_problems
from melody.formats.abc.lexer import tune_tokens
from melody.formats.abc.player import tokens_to_score
from melody.formats.abc.syntax import LexError
from melody.formats.abc.text import abc_to_stream, header_fields, tune_to_abc
from melody.formats.abc.writer import score_to_abc
from melody.formats.midi import score_to_midi_bytes
from melody.music.score import Score
from melody.music.theory import estimate_key
from melody.music.titles import TitleModel, numbered
from melody.music.tunes import normalize_type, printed_meter
from melody.network.checkpoint import Model
from melody.sampling.masks import chosen_voices
from melody.sampling.plans import primer_title
from melody.sampling.sampler import SampleConfig, sample_rows

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
    score: Score | None = None  # the notes played out, as the MIDI has them
    copied_bars: int | None = None  # its longest run of bars found in one training tune (None: unknown)

    def fields(self) -> dict:
        """What a listing shows of the piece: title, size, key, meter, type and problems."""
        header = header_fields(self.abc)
        return {
            "title": self.title,
            "tokens": self.tokens,
            "notes": self.notes,
            "key": header.get("K"),
            "meter": header.get("M"),
            "type": header.get("R"),
            "problems": list(self.problems),
            "longest_copied_bars": self.copied_bars,
        }


def safe_name(title: str, limit: int = 60) -> str:
    """A file name from a title that works on every filesystem (no separators, dots, control chars)."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:limit].strip("-")
    if not text or text in _RESERVED:
        text = f"tune-{text}" if text else "tune"
    return text


def named_as_layout(score: Score, voices: dict | None) -> Score:
    """Voices named after the corpus's tracks of the same role and place (MELODY, PIANO), where the
    decoder could only name their roles."""
    layout = (voices or {}).get("layout") or []
    names = tuple(
        layout[v]["name"] if v < len(layout) and layout[v]["role"] == score.voice_name(v) else score.voice_name(v)
        for v in range(score.voices)
    )
    return replace(score, names=names) if score.names else score


def piece_from_ids(
    tokenizer,
    ids: list[int],
    number: int,
    title: str | None,
    plan=None,
    namer=None,
    tune_type: str | None = None,
    voices: dict | None = None,
    accompany: Score | None = None,
    tempo: float | None = None,
) -> tuple[Piece | None, str]:
    """A finished piece and "", or (None, why) when the ids make no piece we can play and write:
    any sequence a model emits ends one way or the other, never in an exception (a score piece's
    ABC is read back by abc_unreadable, once it is about to be kept). `plan`: the form
    the tune was held to, checked as its problems are; `namer(type)`:
    a title in the corpus's idiom for a tune the model names none; `tune_type`: the type asked for,
    written in the R: field where the model, never having seen it, wrote its style; `voices`: the
    corpus's voice layout (training/statistics.voice_layout), whose track names the voices of a MIDI piece take;
    `accompany`: the melody the piece was written around, put back exactly as given; `tempo`: the
    quarter notes a minute asked for (the TEMPO token holds it to 8 bpm)."""
    try:
        if tokenizer.piece_kind == "score":
            score = named_as_layout(tokenizer.decode(ids), voices)
            if tempo is not None:
                score = replace(score, tempo=float(tempo), tempos=())
            if accompany is not None:
                from melody.sampling.accompany import Accompanist

                score = Accompanist(tokenizer, accompany, voices).piece(score)
            notation = tokenizer.notation(score)
            chosen = title or f"Piece {number} in {score.key or estimate_key(notation)}"
            abc = score_to_abc(notation, chosen, number)
            problems = []
            if ids and ids[-1] != tokenizer.eos_id:
                problems.append("unfinished: the piece reached --max-tokens")
        else:
            text = tokenizer.decode(ids)
            if tune_type and tune_type != header_fields(text).get("R"):  # unseen type: its style stood in
                text = re.sub(r"^R:.*$", f"R:{tune_type}", text, count=1, flags=re.M)
            fields = header_fields(text)
            printed = printed_meter(fields.get("R"), fields.get("M"))
            if printed != fields.get("M"):  # a hornpipe in C|, which abc2midi refuses to swing
                text = re.sub(r"^M:.*$", f"M:{printed}", text, count=1, flags=re.M)
            named = tokenizer.title_of(text)
            chosen = title or named or (namer and namer(fields.get("R"))) or f"Tune {number} in {fields.get('K', 'C')}"
            abc = tune_to_abc(text, number, chosen)
            problems = tune_problems(text)
            if ids and ids[-1] != tokenizer.eos_id:
                problems.append("unfinished: the tune reached --max-tokens")
            tokens = tune_tokens(text)
            if plan is not None:  # only abc tokens are held to a form
                problems += form_problems(tokens, plan)
            score = tokens_to_score(tokens)
        if len(score.notes) < MIN_NOTES:
            return None, f"fewer than {MIN_NOTES} notes"
        return Piece(abc, chosen, len(ids), score_to_midi_bytes(score), len(score.notes), problems, score), ""
    except (MelodyError, LexError) as error:
        return None, getattr(error, "message", str(error))


def abc_unreadable(tokenizer, piece: Piece) -> str:
    """Why the .abc written for a score piece does not read back in music21, as its MIDI does, or
    "": a second or two a piece, so it is asked only of a piece about to be kept."""
    if tokenizer.piece_kind != "score":
        return ""
    try:
        abc_to_stream(piece.abc)
    except MelodyError as error:
        return error.message
    return ""


@dataclass
class SampleResult:
    """What sampling gave: the pieces, how many were resampled, and why any were left out."""

    pieces: list[Piece]
    resampled: int
    dropped: list[str] = field(default_factory=list)  # why each piece left out could not be written


def _sample_batch(model: Model, config: SampleConfig, device="cpu", progress=None, first: int = 1) -> SampleResult:
    """`config.count` pieces, numbered from `first`. One we cannot play, too short, or with well-formedness problems is
    resampled (bounded rounds, all of a round's failures in one batch); if every round fails, the
    first readable one is kept with its problems listed, and one never readable is left out with
    its reason. Raises InputError only when no piece at all could be written."""
    pieces: list[Piece | None] = [None] * config.count
    reasons = [""] * config.count
    title = config.title or primer_title(config)
    titles = TitleModel.from_dict(model.training.get("titles"))
    voices = chosen_voices(model, config)
    resampled = 0
    for round_number in range(RESAMPLE_ROUNDS + 1):
        missing = [i for i, p in enumerate(pieces) if p is None or p.problems]
        if not missing:
            break
        if round_number:
            resampled += len(missing)
        seed = None if config.seed is None else config.seed + 7919 * round_number
        batch = replace(config, count=len(missing), seed=seed)
        title_seed = seed if seed is not None else random.randrange(2**31)
        for index, row in zip(missing, sample_rows(model, batch, device, progress)):
            namer = partial(titles.title, title_seed * 1000 + index) if titles else None
            plan = row.plan if config.constrained else None
            candidate, reasons[index] = piece_from_ids(
                model.tokenizer,
                row.ids,
                first + index,
                numbered(title, first + index),
                plan,
                namer,
                normalize_type(config.tune_type or ""),
                voices,
                config.accompany,
                config.tempo,
            )
            if candidate is not None and (pieces[index] is None or not candidate.problems):
                unreadable = abc_unreadable(model.tokenizer, candidate)
                if unreadable:
                    reasons[index] = unreadable
                else:
                    pieces[index] = candidate
    kept = [p for p in pieces if p is not None]
    if not kept:
        raise InputError(
            f"the model wrote no readable piece in {RESAMPLE_ROUNDS + 1} tries (last reason: {reasons[0]}); "
            "try a lower --temperature or train longer"
        )
    dropped = [f"piece {i + 1}: {reasons[i]}" for i, p in enumerate(pieces) if p is None]
    copies = copy_index(model)
    for piece in kept if copies is not None else ():  # only ABC models keep their training bars
        piece.copied_bars = copies.longest_run(piece.abc)[0]
    return SampleResult(kept, resampled, dropped)


def copy_index(model: Model) -> BarIndex | None:
    """The model's training tunes' bars (kept in its file), to tell how much a tune copies; None for
    a model file that keeps none. Read once per model."""
    if "_copy_index" not in model.__dict__:
        packed = model.training.get("training_bars")
        model.__dict__["_copy_index"] = BarIndex.of_packed(packed) if packed else None
    return model.__dict__["_copy_index"]


def with_score_primer(config: SampleConfig, tokenizer) -> SampleConfig:
    """For a model of scores, an ABC primer becomes the score it continues (Tokenizer.primer_score);
    other configs are returned as they are."""
    score = tokenizer.primer_score(config.primer) if config.primer else None
    return config if score is None else replace(config, primer=None, primer_score=score)


def sample(
    model: Model, config: SampleConfig, device="cpu", progress=None, one_at_a_time: bool = False
) -> Iterator[SampleResult]:
    """The pieces `config` asks for, checked and resampled as `_sample_batch` says: one result with
    them all, sampled as one batch (`progress(done, total)` hears as pieces finish), or with
    `one_at_a_time` one result per piece as soon as it is ready (for a page that shows tunes as they
    come; piece i has seed `config.seed + i`, so `-n 1 --seed S+i` gives it). An ABC primer given to
    a model of scores is read as the music it continues."""
    config = with_score_primer(config, model.tokenizer)
    if not one_at_a_time:
        yield _sample_batch(model, config, device, progress)
        return
    for index in range(config.count):
        seed = None if config.seed is None else config.seed + index
        yield _sample_batch(model, replace(config, count=1, seed=seed), device, first=index + 1)


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
        written.append({"abc": str(abc_path), "midi": str(midi_path), **piece.fields()})
    return written
