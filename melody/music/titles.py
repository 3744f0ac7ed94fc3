"""Titles in the idiom of the corpus: a word chain learned from the training tunes' titles, one per
tune type, so a reel gets a name like a reel's ("The Humours of Ballyconnell") and an Essen song
one like a song's ("Es wollt ein Maedchen"). It lives in the model file beside the network.

A title the chain spells exactly as a training tune's is drawn again: a new tune deserves a new
name. Titles are made safe for file names by generate.safe_name, as every title is.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter, defaultdict

from melody.music.tunes import tune_style

START, END = "<s>", "</s>"
MIN_COUNT = 2  # a word seen once is a proper name of one tune; it would only copy that title
MAX_WORDS = 7
DANGLING = frozenset({"the", "of", "and", "in", "to", "a", "an", "der", "die", "das", "und", "im", "am", "ein"})
_WORD_RE = re.compile(r"[^\s]+")


_NOTES_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\s--.*$|[0-9]+\w*\.?\s*Setting\.?|,?\s*S\.\s*[0-9].*$")


def clean_title(title: str) -> str:
    """A title without its notes: "(3-11)", "-- Reel", "2nd Setting", page numbers; capitals lowered."""
    text = _NOTES_RE.sub(" ", title.replace("_", " "))
    text = " ".join(word for word in text.split() if not any(ch.isdigit() for ch in word)).strip(" .,;:-")
    return text.title() if text.isupper() else text


def _words(title: str) -> list[str]:
    return _WORD_RE.findall(title)


def _fingerprint(title: str) -> str:
    return hashlib.sha1(title.lower().encode("utf-8")).hexdigest()[:10]


class TitleModel:
    """Word bigrams of titles, per tune type (and "" for all), and fingerprints of the titles seen."""

    def __init__(self, chains: dict[str, dict[str, dict[str, int]]] | None = None, seen: list[str] | None = None):
        self.chains = chains or {}
        self.seen = set(seen or [])

    @classmethod
    def fit(cls, titled: list[tuple[str, str | None]]) -> TitleModel:
        """From (title, tune type) pairs; titles like "Untitled" teach nothing and are left out."""
        usable = [(clean_title(t), kind or "") for t, kind in titled]
        usable = [(title, kind) for title, kind in usable if title and title.lower() != "untitled"]
        counts = Counter(word for title, _ in usable for word in _words(title))
        chains: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
        for title, kind in usable:
            words = _words(title)
            if not words or any(counts[w] < MIN_COUNT for w in words):
                continue
            path = [START, *words, END]
            for chain in {kind, tune_style(kind or None) or ""}:
                for a, b in zip(path, path[1:]):
                    chains[chain][a][b] = chains[chain][a].get(b, 0) + 1
        plain = {kind: {a: dict(b) for a, b in chain.items()} for kind, chain in chains.items()}
        return cls(plain, sorted({_fingerprint(title) for title, _ in usable}))

    def __bool__(self) -> bool:
        return bool(self.chains)

    def title(self, seed: int, tune_type: str | None = None) -> str | None:
        """A new title for a tune of this type (from its style's chain when the type's own gives
        none), or None."""
        rng = random.Random(seed)
        names = [tune_type or "", tune_style(tune_type) or "", *self.chains]
        for chain in (self.chains[name] for name in dict.fromkeys(names) if name in self.chains):
            for _ in range(20):
                words = self._walk(chain, rng)
                title = " ".join(words)
                if words and words[-1].lower() not in DANGLING and _fingerprint(title) not in self.seen:
                    return title
        return None

    @staticmethod
    def _walk(chain: dict[str, dict[str, int]], rng: random.Random) -> list[str]:
        words, word = [], START
        while len(words) < MAX_WORDS:
            following = chain.get(word)
            if not following:
                break
            word = rng.choices(list(following), weights=list(following.values()))[0]
            if word == END:
                break
            words.append(word)
        return words

    def to_dict(self) -> dict:
        return {"chains": self.chains, "seen": sorted(self.seen)}

    @classmethod
    def from_dict(cls, data: dict | None) -> TitleModel:
        data = data or {}
        return cls(data.get("chains"), data.get("seen"))


def numbered(title: str | None, number: int) -> str | None:
    """The title of the `number`th tune of a set that shares one: "Morning Jig", "Morning Jig No. 2"."""
    return title if not title or number == 1 else f"{title} No. {number}"
