"""What every tokenizer offers, so data, training, sampling and checkpoints need not know which one."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from melody.errors import ConfigError
from melody.music.score import Note, Score

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIALS = (PAD, BOS, EOS)

# Training streams pieces back to back with the state carried, so a zero state before <bos> is
# almost never seen there. Sampling starts from the state after one plain piece, as every training
# piece does: this tune, or this scale for tokenizers of scores.
WARM_UP_TUNE = "T:A\nM:4/4\nL:1/8\nK:C\nCDEF GABc|c2G2 E2C2|]\n"
WARM_UP_SCORE = Score(tuple(Note(beat, beat + 1, pitch) for beat, pitch in enumerate((60, 62, 64, 65, 67, 64, 60))))

_FORMS = "only models of abc tokens know tune types and forms; leave out `tune_type`, `form` and `cadence`"
# What each option (Tokenizer.options) needs, as a user whose model lacks it is told.
OPTION_NEEDS = {
    "tune_type": _FORMS,
    "form": _FORMS,
    "cadence": _FORMS,
    "part_bars": _FORMS,
    "key": "this model's pieces carry no key (it learned performances or keyless events); leave out `key`",
    "tempo": "`tempo` is for models of MIDI events on a beat grid (this model's pieces keep no beat)",
    "tracks": "`tracks` is for models of MIDI events that know their tracks (trained with voice roles)",
    "accompany": "`accompany` needs a model of MIDI events with voice roles (trained by this melody)",
    "vary": "varying bars needs a model of abc tokens (the shipped folk model is one)",
    "transpose": "`transpose` needs a tokenizer with pitch tokens (`tokenizer` midi)",
}


class Tokenizer(ABC):
    """Maps a piece to token ids and back. The vocabulary is sorted, so it is stable across runs."""

    name: str = ""
    piece_kind: str = "score"  # what encode() reads and decode() returns: a "score", or "abc" text
    default_corpus: tuple[str, ...] = ("chorales",)  # what its models are scored on when no corpus is named
    # What the rest of the tree asks of a tokenizer, answered here rather than by its name:
    options: frozenset[str] = frozenset()  # what its models can be asked beyond notes (OPTION_NEEDS)
    plan: str = "events"  # how a primer and header choices become forced ids (sampling/plans.py PLANS)
    keys: bool = False  # a piece opens with its key as a token (--key asks for one)
    roles: bool = False  # each voice's role (melody, bass, drums...) is a token: tracks can be chosen
    segment_end: str | None = None  # the token that ends a free header segment (text written a line at
    # a time: the newline); None: a free segment is one token
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

    def require(self, *asked: str) -> None:
        """A ConfigError for the first option asked that this tokenizer's models cannot take."""
        for option in asked:
            if option not in self.options:
                raise ConfigError(OPTION_NEEDS[option])

    def warm_up_piece(self):
        """The plain piece sampling feeds before each new one (see WARM_UP_TUNE)."""
        return WARM_UP_SCORE

    def piece_name(self, piece, number: int) -> str:
        """How a report names one piece of a corpus."""
        return f"piece {number}"

    def characters(self, piece) -> int:
        """Characters of a piece written as text (bits per character): none for a score."""
        return 0

    def checked(self, pieces: list, sources: list[str], learnable_only: bool) -> tuple[list, list | None, int]:
        """(the pieces the bar checker passes, those it left out or None where it has nothing to
        check, how many `learnable_only` left out first): ABC text only."""
        return pieces, None, 0

    def melody_only(self, piece) -> bool:
        """Whether the tokens spell only part of this piece (the first voice of several)."""
        return False

    def blurred(self, piece) -> bool:
        """Whether encoding would blur this piece (a free performance quantised onto a grid): such
        pieces are left out of a corpus and listed."""
        return False

    def title_of(self, text) -> str | None:
        """The title a decoded piece spells itself, if the model writes titles."""
        return None

    def notation(self, score: Score) -> Score:
        """A decoded score as a musician reads it (its MIDI keeps the playing)."""
        return score

    def primer_score(self, text: str) -> Score | None:
        """An ABC primer as the score a model of scores continues (read as `melody convert` reads
        ABC); None where the model reads the text itself."""
        from melody.formats.convert import read_abc_notation

        return read_abc_notation(text)[0]

    def read_primer(self, path: Path, text: str | None = None) -> tuple[str | None, Score | None]:
        """A primer file as this model continues it: (None, the Score), whatever the file's format."""
        from melody.formats.convert import read_score

        return None, read_score(path)[0]

    def corpus_encoder(self) -> Tokenizer | None:
        """Itself where a corpus's files can be encoded as they are read (a fixed vocabulary), else None."""
        return self if self.fixed_vocabulary else None

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
        random shift in -max_shift..max_shift semitones; for tokenizers with the "transpose" option."""
        raise NotImplementedError(f"the {self.name} tokenizer cannot transpose its pieces")

    def settings(self) -> dict[str, Any]:
        """Options that change the encoding (part of the cache key and the checkpoint)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "vocab": self.vocab, "settings": self.settings()}
