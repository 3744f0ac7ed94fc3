"""A tune's register: its lowest and highest note as played, and the cues that spell them.

A fiddle tune keeps to its compass (a reel to about an octave and a half); a model that forgets
where it has been wanders over more. With the cues after the header (syntax.LOW_CUE, HIGH_CUE) a
model learns the compass from each training tune, draws one for the tune it writes, and the
sampler's mask keeps the notes within it.
"""

from __future__ import annotations

from melody.formats.abc.lexer import token_kind
from melody.formats.abc.reader import Reader
from melody.formats.abc.syntax import HIGH_CUE, LOW_CUE


def register(tokens: list[str]) -> tuple[int, int] | None:
    """(lowest, highest) MIDI pitch of a tune's notes as the reader sounds them (grace notes and
    chords' notes too, as abc2midi plays them); None with no note."""
    reader, pitches = Reader(), []
    for token in tokens:
        if token_kind(token) == "note":
            pitches.append(reader.pitch(token))
        reader.feed(token)
    return (min(pitches), max(pitches)) if pitches else None


def with_register_cues(tokens: list[str]) -> list[str]:
    """`tokens` with their register's cues after the header (none for a tune with no note)."""
    found = register(tokens)
    if found is None:
        return list(tokens)
    body = next((i for i, token in enumerate(tokens) if token_kind(token) != "header"), len(tokens))
    return tokens[:body] + [f"{LOW_CUE}{found[0]}", f"{HIGH_CUE}{found[1]}"] + tokens[body:]
