"""What a face (the studio's page, a notebook) asks of a tune's ABC text: its problems, its bars as
written, the bar a character falls in, a file name for its title, the tune types melody knows."""

from __future__ import annotations

from melody.formats.abc.syntax import LexError as NotationError  # ABC our tokens cannot spell

__all__ = ["NotationError", "bar_at", "file_stem", "problems", "tune_types", "written_bar_count"]


def problems(abc: str) -> list[str]:
    """What the bar checker finds wrong in the first tune of `abc` (empty: well-formed)."""
    from melody.formats.abc.checker import first_tune_problems

    return [str(problem) for problem in first_tune_problems(abc)]


def written_bar_count(abc: str) -> int | None:
    """Bars as written (a pickup counts as one, repeats are not played out), or None when the ABC
    is not one voice our tokens read."""
    from melody.formats.abc.lexer import tune_tokens
    from melody.formats.abc.player import whole_bars, written_bars

    try:
        bars, _, _ = written_bars(tune_tokens(abc))
    except NotationError:
        return None
    return len(whole_bars(bars))


def bar_at(abc: str, offset: int) -> int:
    """The bar (as `vary` counts them, the anacrusis not a bar) in which character `offset` falls."""
    from melody.sampling.vary import bar_at as found

    return found(abc, offset)


def file_stem(title: str) -> str:
    """A file name for a title that works on every filesystem."""
    from melody.sampling.pieces import safe_name

    return safe_name(title)


def tune_types() -> list[str]:
    """The tune types `generate --type` knows (reel, jig, ...)."""
    from melody.music.tunes import TUNE_TYPES

    return sorted(set(TUNE_TYPES.values()))
