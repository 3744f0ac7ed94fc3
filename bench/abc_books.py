"""The ABC files a bench reads, by collection: the files and folders given, or music21's folk
collections and the test fixtures. Benches run as scripts, so this sits beside them."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from melody.formats.corpus import FOLK_COLLECTIONS, music21_corpus_dir  # noqa: E402


def abc_books(paths: list[str] | None = None) -> dict[str, list[Path]]:
    """{collection name: its .abc files}; a folder given is searched recursively."""
    if paths:
        return {path: sorted(Path(path).rglob("*.abc")) if Path(path).is_dir() else [Path(path)] for path in paths}
    books = {name: sorted((music21_corpus_dir() / name).glob("*.abc")) for name in FOLK_COLLECTIONS}
    books["tests/data"] = sorted((ROOT / "tests" / "data").glob("*.abc"))
    return books
