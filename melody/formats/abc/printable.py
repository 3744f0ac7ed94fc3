"""A tune laid out for print and for music21: four bars a line, its own header fields kept, each
voice in a block of its own."""

from __future__ import annotations

from melody.formats.abc.lexer import (
    explicit_repeat_starts,
    explicit_rhythm,
    token_kind,
    tokens_to_abc,
    tune_tokens,
    voice_names,
)
from melody.formats.abc.player import tokens_to_score
from melody.formats.abc.reader import Reader
from melody.formats.abc.syntax import DECORATION_NAMES
from melody.formats.abc.text import header_fields, normalize_tune, tune_body, tune_to_abc
from melody.formats.abc.writer import voice_line


def printable_abc(tune_text: str, title: str, named_decorations: bool = False) -> str:
    """A tune laid out for print: its music 4 bars a line (the abc tokens, so pickups, repeats,
    endings and ornaments stay), with its title and its composer, source and tempo lines.
    `named_decorations`: ``!trill!`` for ``T``, ``!fermata!`` for ``H``... (music21 drops the note
    after an ``H``), every inherited accidental and broken rhythm written out (for music21)."""

    fields = header_fields(tune_text)
    canonical, _reason = normalize_tune(tune_text.split("\n", 1)[1] if tune_text.startswith("X:") else tune_text)
    source = canonical or tune_text
    names = voice_names(tune_body(source))
    blocks = []  # of several voices: each voice's bars in a block of its own, as music21 reads them
    for name in names if len(names) > 1 else [None]:
        tokens = explicit_repeat_starts(tune_tokens(source, voice_name=name))
        if named_decorations:
            tokens = explicit_rhythm(explicit_accidentals([DECORATION_NAMES.get(token, token) for token in tokens]))
        head, body = tokens_to_abc(tokens, title).split("\nK:", 1)
        key_line, music = body.split("\n", 1) if "\n" in body else (body, "")
        if not blocks:
            blocks.append(f"{head}\nK:{key_line}")
        if name is not None:
            blocks.append(voice_line(name or "1", [note.pitch for note in tokens_to_score(tokens).notes]))
        blocks.append(music.rstrip("\n"))
    extra = "".join(f"{name}:{fields[name]}\n" for name in ("C", "S", "O", "Q") if fields.get(name))
    text = tune_to_abc("\n".join(blocks) + "\n", 1, title)
    return text.replace("\nK:", f"\n{extra}K:", 1) if extra else text


def explicit_accidentals(tokens: list[str]) -> list[str]:
    """`tokens` with the accidental each note sounds with (from earlier in its bar, or over a tie:
    reader.py) written on the note itself: the same music, for readers such as music21 that do not
    carry accidentals through a bar."""
    reader, out = Reader(), []
    for token in tokens:
        reader.feed(token)
        if token_kind(token) == "note" and reader.note_accidental and not token.startswith(reader.note_accidental):
            token = reader.note_accidental + token
        out.append(token)
    return out
