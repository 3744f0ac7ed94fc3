"""Turn corpus arguments (files, folders, built-in names) into pieces, counting every failure.

A piece is canonical ABC text for text tokenizers (kind "abc") or a Score for event tokenizers
(kind "score"). Files of the other kind are converted: MIDI/MusicXML through our ABC writer,
ABC tunes through our player (formats/convert.py's `abc_tune_score`, as `convert` reads them).
Scores are parsed in worker processes: music21, which reads MusicXML, is slow.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from melody.errors import InputError, MelodyError, did_you_mean
from melody.music.score import Score

ABC_SUFFIXES = (".abc",)
SCORE_SUFFIXES = (".mid", ".midi", ".xml", ".mxl", ".musicxml")
MUSICXML_SUFFIXES = (".xml", ".mxl", ".musicxml")
FOLK_COLLECTIONS = ("essenFolksong", "oneills1850", "ryansMammoth", "airdsAirs", "miscFolk")
# the style of the built-in collections, for tunes whose R: names no type (all of Essen's songs)
COLLECTION_STYLES = {"essenFolksong": "song", "oneills1850": "dance", "ryansMammoth": "dance"}
BUILTIN_CORPORA = ("folk", "chorales")
PARALLEL_FROM = 8  # files of scores; below this, worker start-up costs more than it saves


@dataclass
class Corpus:
    """What was read: usable unique pieces, and everything that was dropped, with reasons."""

    pieces: list = field(default_factory=list)  # str (canonical ABC) or Score
    sources: list[str] = field(default_factory=list)  # the file of each piece
    files: list[str] = field(default_factory=list)
    failed_files: list[tuple[str, str]] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    duplicate_files: list[tuple[str, str]] = field(default_factory=list)  # (file, the file it repeats)
    notes: list[tuple[str, str]] = field(default_factory=list)  # read, but worth saying (e.g. Latin-1)
    encoded: dict[int, list[int]] = field(default_factory=dict)  # id(piece) -> its token ids, when read with an encoder

    def summary(self) -> dict:
        return {
            "files": len(self.files),
            "pieces": len(self.pieces),
            "failed_files": [{"file": f, "error": e} for f, e in self.failed_files],
            "dropped": dict(self.dropped),
            "duplicates": self.duplicates,
            "duplicate_files": [{"file": f, "same_as": same} for f, same in self.duplicate_files],
            "notes": [{"file": f, "note": n} for f, n in self.notes],
        }


def music21_corpus_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("music21")
    if spec is None or not spec.origin:
        raise InputError("the built-in corpora need music21: pip install music21")
    return Path(spec.origin).parent / "corpus"


def _builtin_files(name: str) -> list[Path]:
    root = music21_corpus_dir()
    if name == "folk":
        return [path for collection in FOLK_COLLECTIONS for path in sorted((root / collection).glob("*.abc"))]
    from music21.corpus import chorales

    found = []  # the 371 Riemenschneider chorales, e.g. "bach/bwv269" -> corpus/bach/bwv269.mxl
    for work in chorales.Iterator(returnType="filename"):
        folder, name = (root / work).parent, (root / work).name
        exact = [p for p in (folder / f"{name}.mxl", folder / f"{name}.xml") if p.is_file()]
        found += (exact or sorted(folder.glob(f"{name}*.mxl")))[:1]  # bwv18.5-l is stored as bwv18.5-lz
    return found


def collection_style(path: Path) -> str | None:
    """ "song" or "dance" for a file of a built-in folk collection, None for any other file."""
    style = COLLECTION_STYLES.get(path.parent.name)
    return style if style and path.parent.parent == music21_corpus_dir() else None


def worth_learning_from(pieces: list, sources: list[str]) -> list:
    """The pieces a clean training keeps: of the built-in folk books only the tunes worth learning
    (formats/abc/checker.py's `worth_learning`); a user's own files all."""
    from melody.formats.abc.checker import worth_learning

    return [p for p, source in zip(pieces, sources) if not collection_style(Path(source)) or worth_learning(p)]


def find_files(argument: str) -> list[Path]:
    """Files of a corpus argument, sorted so every run sees them in the same order."""
    if argument in BUILTIN_CORPORA:
        return _builtin_files(argument)
    path = Path(argument)
    if path.is_file():
        return [path]
    if path.is_dir():
        suffixes = ABC_SUFFIXES + SCORE_SUFFIXES
        found = []
        for folder, _dirs, names in os.walk(path):  # os.walk does not follow symlinked folders
            found += [Path(folder) / n for n in names if n.lower().endswith(suffixes)]
        if not found:
            raise InputError("folder holds no .abc, .mid, .midi, .xml, .mxl or .musicxml files", str(path))
        return sorted(found)
    names, hint = ", ".join(BUILTIN_CORPORA), did_you_mean(argument, list(BUILTIN_CORPORA))
    raise InputError(f"no such file or folder, and not a built-in corpus ({names}){hint}", argument)


def corpus_arguments(arguments: list[str]) -> list[str]:
    """Corpus arguments as a run records them: built-in names as they are, paths made absolute."""
    return [a if a in BUILTIN_CORPORA else str(Path(a).resolve()) for a in arguments]


def files_fingerprint(arguments: list[str], files: list[Path]) -> str:
    """A hash of the corpus's files (`corpus_files(arguments)`), by their names inside the argument
    that found them and their contents: the corpus part of the cache key, so a folder moved or
    copied elsewhere finds its cache again."""
    roots = [music21_corpus_dir() if a in BUILTIN_CORPORA else Path(a) for a in arguments]
    digest = hashlib.sha256()
    for path in files:
        root = next((r for r in roots if r in path.parents), None)
        digest.update(str(path.relative_to(root) if root is not None else path.name).encode())
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def rebased(paths: list[str], before: list[str], after: list[str]) -> list[str]:
    """File names recorded under the arguments `before` (as `corpus_arguments` records them), named
    again under `after`: the same corpus read from another place."""
    moved = [(old, new) for old, new in zip(before, after) if old != new and old not in BUILTIN_CORPORA]
    renamed = []
    for path in paths:
        for old, new in moved:
            if path == old or path.startswith(old + os.sep):
                path = new + path[len(old) :]
                break
        renamed.append(path)
    return renamed


def piece_key(piece) -> str:
    """Content of a piece as text: for duplicate detection and the stable train/validation split."""
    if isinstance(piece, Score):
        return piece.content_key
    return piece


@dataclass(frozen=True)
class TrackChoice:
    """Which tracks of MIDI files a corpus keeps: `tracks` names or roles (None: all), drums or not."""

    tracks: tuple[str, ...] | None = None
    drums: bool = True


ALL_TRACKS = TrackChoice()


def read_pieces(path: Path, kind: str, choice: TrackChoice = ALL_TRACKS) -> tuple[list, dict[str, int], list[str]]:
    """Pieces of one file, of the kind asked for (PIECE_KINDS), a count of pieces dropped by reason,
    and notes."""
    from melody.formats.abc.text import read_abc_file

    reading = PIECE_KINDS[kind]
    if path.suffix.lower() in ABC_SUFFIXES:
        tunes, dropped = read_abc_file(path, collection_style(path))
        notes = ["not UTF-8: read as Latin-1"] if tunes[0].latin1 else []
        return reading.from_tunes(tunes, path, dropped), dropped, notes
    from melody.formats.convert import read_score

    score, title = read_score(path, drums=choice.drums)
    if choice.tracks:
        from melody.music.roles import keep_tracks

        try:
            score = keep_tracks(score, choice.tracks)
        except ValueError as error:
            raise InputError(str(error), str(path)) from None
    return (*reading.from_score(score, title), [])


def _tunes_as_text(tunes: list, path: Path, dropped: dict[str, int]) -> list[str]:
    return [tune.text for tune in tunes]


def _tunes_as_scores(tunes: list, path: Path, dropped: dict[str, int]) -> list[Score]:
    """Each tune as our player plays it (as `convert` reads ABC); one it cannot play is dropped."""
    from melody.formats.convert import abc_tune_score

    scores = []
    for number, tune in enumerate(tunes, start=1):
        try:
            scores.append(abc_tune_score(tune, path, number))
        except InputError:
            dropped["unreadable"] = dropped.get("unreadable", 0) + 1
    return scores


def _score_as_score(score: Score, title: str) -> tuple[list, dict[str, int]]:
    return [score], dict(score.dropped)


def _score_as_text(score: Score, title: str) -> tuple[list, dict[str, int]]:
    """A score's melody written as one canonical tune."""
    from melody.formats.abc.text import normalize_tune
    from melody.formats.abc.writer import score_to_abc
    from melody.music.roles import melody_voice

    text, reason = normalize_tune(score_to_abc(melody_voice(score), title))  # a tune is one line
    return ([text], dict(score.dropped)) if text else ([], {reason: 1})


@dataclass(frozen=True)
class PieceKind:
    """How files become pieces of one kind: an ABC file's tunes, a MIDI or MusicXML file's score,
    and whether reading ABC files as this kind pays for worker processes."""

    from_tunes: Callable[[list, Path, dict[str, int]], list]
    from_score: Callable[[Score, str], tuple[list, dict[str, int]]]
    abc_in_workers: bool


# ABC text for text tokenizers, Scores for event tokenizers (Tokenizer.piece_kind)
PIECE_KINDS = {
    "abc": PieceKind(_tunes_as_text, _score_as_text, abc_in_workers=False),
    "score": PieceKind(_tunes_as_scores, _score_as_score, abc_in_workers=True),
}


def _read_one(
    path: Path, kind: str, choice: TrackChoice, encoder
) -> tuple[list, dict, str | None, list[str], list | None]:
    """One file's pieces, dropped counts, error and notes; with an `encoder`, each piece's token ids
    too, so a fixed-vocabulary tokenizer's work runs in the worker processes beside the reading (and
    each piece's content key, for the duplicate check, travels back with it)."""
    try:
        pieces, dropped, notes = read_pieces(path, kind, choice)
        if encoder is not None:  # as arrays: a million Python ints would slow the collector in the parent
            encoded = [np.asarray(encoder.encode(piece), dtype=np.int32) for piece in pieces]
        else:
            encoded = None
        for piece in pieces:
            piece_key(piece)
        return pieces, dropped, None, notes, encoded
    except MelodyError as error:
        return [], {}, error.message, [], None


_worker_job: tuple = ()  # (kind, choice, encoder) of a worker process: sent once, not with every file


def _start_worker(*job) -> None:
    global _worker_job
    _worker_job = job


def _read_in_worker(path: Path):
    return _read_one(path, *_worker_job)


@contextlib.contextmanager
def collector_paused():
    """Python's cycle collector off while a corpus is read: reading makes many objects and few cycles,
    and each full collection would walk every object torch and music21 made at import, many times
    over (a third of the time of reading a folder of songs)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def reading_workers() -> int:
    """Processes that read a corpus: $MELODY_WORKERS (1: all in this process), else the cores, up to 8."""
    asked = os.environ.get("MELODY_WORKERS", "")
    return max(1, int(asked)) if asked.isdigit() else min(os.cpu_count() or 1, 8)


def corpus_files(arguments: list[str]) -> list[Path]:
    return [path for argument in arguments for path in find_files(argument)]


def load_corpus(
    arguments: list[str],
    kind: str = "abc",
    progress=None,
    files: list[Path] | None = None,
    choice: TrackChoice = ALL_TRACKS,
    encoder=None,
) -> Corpus:
    """Read every file (`files`, when the caller has already found them); a bad file is recorded
    and skipped, never fatal, never silent. `encoder`: a tokenizer whose vocabulary needs no fitting,
    to encode each piece where it is read (`Corpus.encoded`)."""
    files = corpus_files(arguments) if files is None else files
    # music21 (MusicXML, ABC read as scores) is slow, and a MIDI file's grid, roles and tokens are
    # numpy work per file whose Scores travel back as arrays: worker processes pay for themselves
    worth_workers = PIECE_KINDS[kind].abc_in_workers or any(p.suffix.lower() not in ABC_SUFFIXES for p in files)
    workers = reading_workers()
    if worth_workers and len(files) >= PARALLEL_FROM and workers > 1:
        job = (kind, choice, encoder)
        with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=job) as pool:
            results = pool.map(_read_in_worker, files, chunksize=max(1, min(16, len(files) // (4 * workers))))
            return _collect(files, results, progress)
    return _collect(files, (_read_one(path, kind, choice, encoder) for path in files), progress)


def _collect(files: list[Path], results, progress) -> Corpus:
    corpus, seen = Corpus(), {}
    for number, (path, (pieces, dropped, error, notes, encoded)) in enumerate(zip(files, results), start=1):
        corpus.files.append(str(path))
        corpus.notes += [(str(path), note) for note in notes]
        if error is not None:
            corpus.failed_files.append((str(path), error))
        for reason, count in dropped.items():
            corpus.dropped[reason] = corpus.dropped.get(reason, 0) + count
        for index, piece in enumerate(pieces):
            key = piece_key(piece)
            if key in seen:  # the same music again: trained on once
                corpus.duplicates += 1
                if seen[key] != str(path):
                    corpus.duplicate_files.append((str(path), seen[key]))
                continue
            seen[key] = str(path)
            corpus.pieces.append(piece)
            corpus.sources.append(str(path))
            if encoded is not None:
                corpus.encoded[id(piece)] = encoded[index]
        if progress:
            progress(number, len(files))
    return corpus
