"""One token per character of canonical ABC text: the MIT lab's and Karpathy's char-rnn view."""

from __future__ import annotations

from melody.errors import VocabularyError
from melody.tokenizers.base import SPECIALS
from melody.tokenizers.text import TextTokenizer


class CharTokenizer(TextTokenizer):
    name = "char"
    segment_end = "\n"
    options = frozenset({"key"})

    def fit(self, pieces: list[str]) -> CharTokenizer:
        characters = set()
        for piece in pieces:
            characters.update(piece)
        self.__init__(list(SPECIALS) + sorted(characters))
        return self

    def title_of(self, text: str) -> str | None:
        from melody.formats.abc.text import header_fields

        return header_fields(text).get("T")

    def encode(self, piece: str, *, bos: bool = True, eos: bool = True) -> list[int]:
        try:
            ids = [self.index[ch] for ch in piece]
        except KeyError:
            unknown = sorted({ch for ch in piece if ch not in self.index})
            shown = ", ".join(repr(ch) for ch in unknown)
            raise VocabularyError(f"characters the model never saw in training: {shown}") from None
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids: list[int]) -> str:
        specials = len(SPECIALS)
        return "".join(self.vocab[i] for i in ids if i >= specials)
