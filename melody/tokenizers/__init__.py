"""Tokenizers by name; the name travels in the checkpoint so a model finds its own again."""

from __future__ import annotations

from typing import Any

from melody.errors import ConfigError, ModelFileError
from melody.tokenizers.base import Tokenizer
from melody.tokenizers.char import CharTokenizer
from melody.tokenizers.events import EventTokenizer

TOKENIZERS: dict[str, type[Tokenizer]] = {"char": CharTokenizer, "midi": EventTokenizer}


def make_tokenizer(name: str) -> Tokenizer:
    if name not in TOKENIZERS:
        raise ConfigError(f"unknown tokenizer {name!r}; choose one of {', '.join(TOKENIZERS)}")
    return TOKENIZERS[name]()


def tokenizer_from_dict(data: dict[str, Any]) -> Tokenizer:
    name = data.get("name")
    if name not in TOKENIZERS or not isinstance(data.get("vocab"), list):
        raise ModelFileError(f"model file names an unknown tokenizer {name!r}")
    return TOKENIZERS[name](data["vocab"])
