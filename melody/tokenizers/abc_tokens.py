"""Musical ABC tokens in the spirit of folk-rnn: ``M:6/8``, ``K:Dmix``, ``^F,``, ``3/2``, ``|:``.

A token is a unit of music, not a character, so the model never has to learn to spell a note, and
the sampler can follow the bar (sampling/abc_mask.py). Titles, spacing and line breaks are not music: the
decoder lays the tune out again, four bars per line. Of a tune with several voices the tokens
spell the first, the melody; a tune they cannot spell (an unknown key, multi-bar rests) is skipped
and counted when a corpus is read. With `cues`, each part opens with its letter and its last bar
with ``P:|`` (formats/abc/form.py's `with_part_cues`): the model learns where parts end and which
part comes back, and the sampler asks for the form it is given through them. With `registers`,
the header is followed by the tune's lowest and highest note (formats/abc/register.py): the model
learns the compass of each tune and the sampler keeps the one it draws.
"""

from __future__ import annotations

from melody.errors import VocabularyError
from melody.formats.abc.form import with_part_cues
from melody.formats.abc.lexer import (
    LexError,
    explicit_repeat_starts,
    token_kind,
    tokens_to_abc,
    tune_tokens,
    voice_count,
)
from melody.formats.abc.register import with_register_cues
from melody.formats.abc.syntax import CUE_KINDS
from melody.tokenizers.base import SPECIALS
from melody.tokenizers.text import TextTokenizer


class AbcTokenizer(TextTokenizer):
    name = "abc"
    options = frozenset({"tune_type", "form", "cadence", "part_bars", "key", "vary"})
    plan = "abc"
    constraint = "abc"
    statistics = ("training_bars", "titles", "forms")

    def __init__(
        self, vocab: list[str] | None = None, decorations: bool = True, cues: bool = False, registers: bool = False
    ):
        self.decorations, self.cues, self.registers = decorations, cues, registers
        super().__init__(vocab)

    @classmethod
    def fresh(cls, decorations: bool = True) -> AbcTokenizer:
        return cls(decorations=decorations, cues=True, registers=True)

    @classmethod
    def from_settings(cls, vocab: list[str], settings: dict) -> AbcTokenizer:
        return cls(
            vocab,
            bool(settings.get("decorations", True)),
            bool(settings.get("cues", False)),
            bool(settings.get("registers", False)),
        )

    def settings(self) -> dict:
        return (
            {"decorations": self.decorations}
            | ({"cues": True} if self.cues else {})
            | ({"registers": True} if self.registers else {})
        )

    def tokens(self, piece: str) -> list[str]:
        """The abc tokens of one canonical tune. Raises VocabularyError when they cannot spell it."""
        try:
            return self.with_cues(tune_tokens(piece, self.decorations))
        except LexError as error:
            raise VocabularyError(f"cannot tokenize this tune: {error}") from None

    def with_cues(self, tokens: list[str]) -> list[str]:
        """A tune's abc tokens with the cues this tokenizer adds (its form's, its register's)."""
        tokens = with_part_cues(tokens) if self.cues else tokens
        return with_register_cues(tokens) if self.registers else tokens

    def accepts(self, piece: str) -> bool:
        try:
            self.tokens(piece)
        except VocabularyError:
            return False
        return True

    def melody_only(self, piece: str) -> bool:
        return voice_count(piece) > 1

    def fit(self, pieces: list[str]) -> AbcTokenizer:
        seen: set[str] = set()
        for piece in pieces:
            try:
                seen.update(self.tokens(piece))
            except VocabularyError:
                continue
        self.__init__(list(SPECIALS) + sorted(seen), self.decorations, self.cues, self.registers)
        return self

    def encode(self, piece: str, *, bos: bool = True, eos: bool = True) -> list[int]:
        tokens = self.tokens(piece)
        unknown = sorted({token for token in tokens if token not in self.index})
        if unknown:
            raise VocabularyError(f"tokens the model never saw in training: {' '.join(unknown)}")
        ids = [self.index[token] for token in tokens]
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids: list[int]) -> str:
        specials = len(SPECIALS)
        tokens = [self.vocab[i] for i in ids if i >= specials]
        return tokens_to_abc(explicit_repeat_starts([t for t in tokens if token_kind(t) not in CUE_KINDS]))
