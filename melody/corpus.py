"""Turn a corpus argument (file, folder or built-in name) into canonical ABC tunes, counting failures."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from melody.errors import InputError
from melody.formats.abc import AbcTune, read_abc_file

ABC_SUFFIXES = (".abc",)
FOLK_COLLECTIONS = ("essenFolksong", "oneills1850", "ryansMammoth", "airdsAirs", "miscFolk")
BUILTIN_CORPORA = {"folk": FOLK_COLLECTIONS}


@dataclass
class Corpus:
    """What was read: usable unique tunes, and everything that was dropped, with reasons."""

    tunes: list[AbcTune] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    failed_files: list[tuple[str, str]] = field(default_factory=list)
    dropped_tunes: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0

    def summary(self) -> dict:
        return {
            "files": len(self.files),
            "tunes": len(self.tunes),
            "failed_files": [{"file": f, "error": e} for f, e in self.failed_files],
            "dropped_tunes": dict(self.dropped_tunes),
            "duplicates": self.duplicates,
        }


def music21_corpus_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("music21")
    if spec is None or not spec.origin:
        raise InputError("the built-in corpora need music21: pip install music21")
    return Path(spec.origin).parent / "corpus"


def find_files(argument: str) -> list[Path]:
    """Files of a corpus argument, sorted so every run sees them in the same order."""
    if argument in BUILTIN_CORPORA:
        root = music21_corpus_dir()
        found = []
        for collection in BUILTIN_CORPORA[argument]:
            found += sorted((root / collection).glob("*.abc"))
        return found
    path = Path(argument)
    if path.is_file():
        return [path]
    if path.is_dir():
        found = []
        for folder, _dirs, names in os.walk(path):  # os.walk does not follow symlinked folders
            found += [Path(folder) / n for n in names if n.lower().endswith(ABC_SUFFIXES)]
        if not found:
            raise InputError("folder holds no .abc files", str(path))
        return sorted(found)
    names = ", ".join(BUILTIN_CORPORA)
    raise InputError(f"no such file or folder, and not a built-in corpus ({names})", argument)


def files_fingerprint(files: list[Path]) -> str:
    """A hash of the files' names and contents: the corpus part of the cache key."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path).encode())
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def load_corpus(arguments: list[str], progress=None) -> Corpus:
    """Read every file; a bad file is recorded and skipped, never fatal, never silent."""
    corpus = Corpus()
    seen: set[str] = set()
    files = [path for argument in arguments for path in find_files(argument)]
    for number, path in enumerate(files, start=1):
        corpus.files.append(str(path))
        try:
            tunes, dropped = read_abc_file(path)
        except InputError as error:
            corpus.failed_files.append((str(path), error.message))
            tunes, dropped = [], {}
        for reason, count in dropped.items():
            corpus.dropped_tunes[reason] = corpus.dropped_tunes.get(reason, 0) + count
        for tune in tunes:
            if tune.text in seen:
                corpus.duplicates += 1
                continue
            seen.add(tune.text)
            corpus.tunes.append(tune)
        if progress:
            progress(number, len(files))
    return corpus
