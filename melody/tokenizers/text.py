"""What the tokenizers of ABC text share: their pieces are canonical tunes, read and checked as tunes."""

from __future__ import annotations

from pathlib import Path

from melody.errors import InputError
from melody.tokenizers.base import WARM_UP_TUNE, Tokenizer


class TextTokenizer(Tokenizer):
    """A tokenizer whose pieces are canonical ABC tunes (text)."""

    piece_kind = "abc"
    default_corpus = ("folk",)
    plan = "text"

    def warm_up_piece(self) -> str:
        return WARM_UP_TUNE

    def primer_score(self, text: str) -> None:
        return None

    def read_primer(self, path: Path, text: str | None = None) -> tuple[str, None]:
        """An ABC file as it is (`text` after it); any other read as music and written as ABC."""
        from melody.formats.abc.text import decode_abc_bytes
        from melody.formats.abc.writer import score_to_abc
        from melody.formats.convert import read_score

        if path.suffix.lower() == ".abc":
            try:
                return decode_abc_bytes(path.read_bytes())[0] + (text or ""), None
            except OSError as error:
                raise InputError(f"cannot read primer: {error.strerror}", str(path)) from None
        score, title = read_score(path)
        return score_to_abc(score, title), None

    def piece_name(self, piece: str, number: int) -> str:
        from melody.formats.abc.text import header_fields

        return header_fields(piece).get("T") or f"tune {number}"

    def characters(self, piece: str) -> int:
        return len(piece)

    def checked(self, pieces: list[str], sources: list[str], learnable_only: bool) -> tuple[list, list | None, int]:
        from melody.formats.abc.checker import check_tunes
        from melody.formats.corpus import worth_learning_from

        learnable = worth_learning_from(pieces, sources) if learnable_only else pieces
        verdicts = check_tunes(learnable)
        unclean = [piece for piece, problems in zip(learnable, verdicts) if problems]
        kept = [piece for piece, problems in zip(learnable, verdicts) if not problems]
        return kept, unclean, len(pieces) - len(learnable)
