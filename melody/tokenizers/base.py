"""What every tokenizer offers, so data, training, sampling and checkpoints need not know which one."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from melody.music.score import Note, Score

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIALS = (PAD, BOS, EOS)

# Training streams pieces back to back with the state carried, so a zero state before <bos> is
# almost never seen there. Sampling starts from the state after one plain piece, as every training
# piece does: this tune, or this scale for tokenizers of scores.
WARM_UP_TUNE = "T:A\nM:4/4\nL:1/8\nK:C\nCDEF GABc|c2G2 E2C2|]\n"
WARM_UP_SCORE = Score(tuple(Note(beat, beat + 1, pitch) for beat, pitch in enumerate((60, 62, 64, 65, 67, 64, 60))))


class Tokenizer(ABC):
    """Maps a piece to token ids and back. The vocabulary is sorted, so it is stable across runs."""

    name: str = ""
    piece_kind: str = "abc"  # what encode() reads and decode() returns: "abc" text or a "score"
    # What the sampler and the corpus ask of a tokenizer, answered here rather than by its name:
    abc_units: bool = False  # a token is a whole ABC unit (note, bar line, header field): bars, types, forms
    writes_titles: bool = False  # the model spells its own titles (the T: it writes is kept)
    quantised: bool = False  # notes are put on a beat grid (a freely played file turns to mush there)
    can_accompany: bool = False  # a given melody can be forced note for note while it writes the rest
    keys: bool = False  # a piece opens with its key as a token (--key asks for one)
    roles: bool = False  # each voice's role (melody, bass, drums...) is a token: tracks can be chosen
    can_transpose: bool = False  # `transpose` moves a stream of its ids by semitones (--transpose)
    line_mode: bool = False  # the model writes text a line at a time: a free header field runs to the newline
    fixed_vocabulary: bool = False  # the vocabulary comes from the settings, not the corpus: pieces can be
    # encoded where the files are read (in the workers)
    statistics: tuple[str, ...] = ("training_bars", "titles")  # what its model file keeps of the corpus
    # (training/statistics.py STATISTICS): ABC text's bars, against copying, and its titles
    constraint: str | None = None  # the sampler's mask for its pieces (sampling/masks.py MASKS), None: none

    def __init__(self, vocab: list[str] | None = None):
        self.vocab: list[str] = list(vocab) if vocab else list(SPECIALS)
        self.index = {token: i for i, token in enumerate(self.vocab)}

    @property
    def pad_id(self) -> int:
        return self.index[PAD]

    @property
    def bos_id(self) -> int:
        return self.index[BOS]

    @property
    def eos_id(self) -> int:
        return self.index[EOS]

    def __len__(self) -> int:
        return len(self.vocab)

    def accepts(self, piece) -> bool:
        """Whether this tokenizer can spell the piece at all (a corpus skips and counts the rest)."""
        return True

    @abstractmethod
    def fit(self, pieces: list) -> Tokenizer:
        """Learn the vocabulary from training pieces; returns self."""

    @abstractmethod
    def encode(self, piece, *, bos: bool = True, eos: bool = True) -> list[int]:
        """Token ids of one piece, framed by ``<bos>``/``<eos>`` unless told otherwise."""

    @abstractmethod
    def decode(self, ids: list[int]):
        """The piece that token ids spell; special tokens are dropped."""

    def warm_up_piece(self):
        """The plain piece sampling feeds before each new one (see WARM_UP_TUNE)."""
        return WARM_UP_SCORE if self.piece_kind == "score" else WARM_UP_TUNE

    @classmethod
    def fresh(cls, decorations: bool = True) -> Tokenizer:
        """A new tokenizer to fit, with what a new model of this kind learns (`decorations`: abc only)."""
        return cls()

    @classmethod
    def from_settings(cls, vocab: list[str], settings: dict[str, Any]) -> Tokenizer:
        """The tokenizer a model file describes (`settings()` as saved; older files lack newer keys)."""
        return cls(vocab)

    def transpose(self, flat, offsets, max_shift: int, seed: int):
        """A stream of pieces (ids end to end, `offsets` where each starts) each moved by its own
        random shift in -max_shift..max_shift semitones; for tokenizers that `can_transpose`."""
        raise NotImplementedError(f"the {self.name} tokenizer cannot transpose its pieces")

    def settings(self) -> dict[str, Any]:
        """Options that change the encoding (part of the cache key and the checkpoint)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "vocab": self.vocab, "settings": self.settings()}
